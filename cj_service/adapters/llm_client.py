"""Client of llm_provider: SubmitComparisons in chunks, CancelComparisons of a batch's group,
ListModels and ListProviders behind short TTL caches (what a submission's judge is checked
against)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

import grpc

from contracts.errors import ServiceError, unavailable
from contracts.huleedu.llm.v1 import llm_pb2, llm_service_pb2_grpc

_RECHECK_S = 5.0
V = TypeVar("V")


class _Cached(Generic[V]):
    """One lookup table fetched by `fetch`, kept for `ttl_s`; a miss (or a hit that `stale`
    says may have changed) fetches again once it is older than _RECHECK_S."""

    def __init__(self, fetch: Callable[[], Awaitable[Mapping]], ttl_s: float) -> None:
        self._fetch = fetch
        self._ttl = ttl_s
        self._table: Mapping = {}
        self._at = -1e18

    async def get(self, key, stale: Callable[[V], bool] = lambda v: False) -> V | None:
        if time.monotonic() - self._at >= self._ttl:
            await self._refresh()
        found = self._table.get(key)
        if (found is None or stale(found)) and time.monotonic() - self._at > _RECHECK_S:
            await self._refresh()  # added or configured since the last fetch: look once more
            found = self._table.get(key)
        return found

    async def _refresh(self) -> None:
        self._table = await self._fetch()
        self._at = time.monotonic()


class LLMClient:
    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        timeout: float = 30.0,
        models_ttl_s: float = 300.0,
        providers_ttl_s: float = 30.0,
    ) -> None:
        self._stub = llm_service_pb2_grpc.LLMProviderServiceStub(channel)
        self._timeout = timeout
        self._models: _Cached[llm_pb2.ModelInfo] = _Cached(self._fetch_models, models_ttl_s)
        self._providers: _Cached[llm_pb2.ProviderInfo] = _Cached(
            self._fetch_providers, providers_ttl_s
        )

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

    async def model(self, provider: str, model: str) -> llm_pb2.ModelInfo | None:
        """The manifest entry (deprecated ones included), None when llm_provider has none;
        ServiceError UNAVAILABLE when llm_provider cannot be asked."""
        return await self._models.get((provider, model))

    async def provider(self, name: str) -> llm_pb2.ProviderInfo | None:
        """llm_provider's status of a provider (an unconfigured one is asked again after a few
        seconds: its key may just have been set); None when it has no such provider."""
        return await self._providers.get(name, stale=lambda p: not p.configured)

    async def _fetch_models(self) -> dict[tuple[str, str], llm_pb2.ModelInfo]:
        request = llm_pb2.ListModelsRequest(include_deprecated=True)
        call = self._stub.ListModels(request, timeout=self._timeout)
        response = await self._call("ListModels", call)
        return {(m.provider, m.model_id): m for m in response.models}

    async def _fetch_providers(self) -> dict[str, llm_pb2.ProviderInfo]:
        request = llm_pb2.ListProvidersRequest()
        call = self._stub.ListProviders(request, timeout=self._timeout)
        response = await self._call("ListProviders", call)
        return {p.provider: p for p in response.providers}

    @staticmethod
    async def _call(name: str, call: Awaitable[V]) -> V:
        try:
            return await call
        except grpc.aio.AioRpcError as err:
            raise _unavailable(name, err) from err


def _unavailable(rpc: str, err: grpc.aio.AioRpcError) -> ServiceError:
    return unavailable(
        "DEPENDENCY_UNAVAILABLE",
        f"llm_provider {rpc} failed: {err.code().name} {err.details()}; the judge cannot be "
        "checked, so the submission is not accepted (retry)",
    )
