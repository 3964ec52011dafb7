"""Client of llm_provider: SubmitComparisons in chunks, CancelComparisons of a batch's group,
ListModels behind a TTL cache."""

from __future__ import annotations

import time
from collections.abc import Sequence

import grpc

from contracts.errors import ServiceError, unavailable
from contracts.huleedu.llm.v1 import llm_pb2, llm_service_pb2_grpc

_RECHECK_S = 5.0


class LLMClient:
    def __init__(
        self, channel: grpc.aio.Channel, *, timeout: float = 30.0, models_ttl_s: float = 300.0
    ) -> None:
        self._stub = llm_service_pb2_grpc.LLMProviderServiceStub(channel)
        self._timeout = timeout
        self._models_ttl = models_ttl_s
        self._models: frozenset[tuple[str, str]] = frozenset()
        self._models_at = -1e18

    async def submit(
        self, requests: Sequence[llm_pb2.ComparisonRequest]
    ) -> list[llm_pb2.SubmissionOutcome]:
        """One SubmitComparisons call; grpc errors propagate (the caller keeps rows PENDING)."""
        response = await self._stub.SubmitComparisons(
            llm_pb2.SubmitComparisonsRequest(requests=list(requests)), timeout=self._timeout
        )
        return list(response.outcomes)

    async def cancel(self, group_id: str, reason: str) -> bool:
        """CancelComparisons for one group; grpc errors propagate (the caller retries later)."""
        response = await self._stub.CancelComparisons(
            llm_pb2.CancelComparisonsRequest(group_id=group_id, reason=reason),
            timeout=self._timeout,
        )
        return response.cancelled

    async def known_models(self) -> frozenset[tuple[str, str]]:
        """(provider, model) pairs of the manifest, deprecated ones included, cached."""
        if time.monotonic() - self._models_at < self._models_ttl:
            return self._models
        try:
            response = await self._stub.ListModels(
                llm_pb2.ListModelsRequest(include_deprecated=True), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as err:
            raise _unavailable(err) from err
        self._models = frozenset((m.provider, m.model_id) for m in response.models)
        self._models_at = time.monotonic()
        return self._models

    async def is_known(self, provider: str, model: str) -> bool:
        if (provider, model) in await self.known_models():
            return True
        if time.monotonic() - self._models_at > _RECHECK_S:
            self._models_at = -1e18  # a model added since the last fetch: look once more
        return (provider, model) in await self.known_models()


def _unavailable(err: grpc.aio.AioRpcError) -> ServiceError:
    return unavailable(
        "DEPENDENCY_UNAVAILABLE",
        f"llm_provider ListModels failed: {err.code().name} {err.details()}",
    )
