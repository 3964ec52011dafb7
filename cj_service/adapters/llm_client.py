"""The JudgeClient on llm_provider's gRPC API: SubmitComparisons (the requests built here,
prompt included), CancelComparisons of an assessment's group, ListModels and ListProviders
behind short TTL caches (what a submission's judge is checked against)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

import grpc
from google.protobuf.duration_pb2 import Duration

from cj_service.adapters import incoming, prompts
from cj_service.domain.assessment import Assessment
from cj_service.domain.judge_rules import ModelLimits
from cj_service.service.workflow.model import JudgeSettings
from cj_service.service.workflow.ports import CancelUnsupported, JudgeClient, JudgeUnavailable
from cj_service.service.workflow.records import ProviderStatus, Submission, ToJudge
from contracts import subjects
from contracts.errors import ServiceError, unavailable
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2, llm_service_pb2_grpc

_RECHECK_S = 5.0
_REJECTION_ERRORS = {
    "CONTEXT_TOO_LONG": llm_pb2.COMPARISON_ERROR_REASON_CONTEXT_TOO_LONG,
    # too large for llm_provider's limits or its work queue's messages (NATS max_payload)
    "CONTENT_TOO_LARGE": llm_pb2.COMPARISON_ERROR_REASON_CONTENT_TOO_LARGE,
    "PROVIDER_NOT_CONFIGURED": llm_pb2.COMPARISON_ERROR_REASON_PROVIDER_NOT_CONFIGURED,
}
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


class LLMClient(JudgeClient):
    """`comparison_ttl_s`: how long llm_provider may hold a request (0: its default)."""

    efforts = frozenset(common_pb2.ReasoningEffort.values())
    verbosities = frozenset(common_pb2.OutputVerbosity.values())

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        timeout: float = 30.0,
        models_ttl_s: float = 300.0,
        providers_ttl_s: float = 30.0,
        comparison_ttl_s: float = 0.0,
    ) -> None:
        self._stub = llm_service_pb2_grpc.LLMProviderServiceStub(channel)
        self._timeout = timeout
        self._ttl = _duration(comparison_ttl_s)
        self._models: _Cached[llm_pb2.ModelInfo] = _Cached(self._fetch_models, models_ttl_s)
        self._providers: _Cached[llm_pb2.ProviderInfo] = _Cached(
            self._fetch_providers, providers_ttl_s
        )

    async def submit(self, a: Assessment, pairs: Sequence[ToJudge]) -> list[Submission]:
        request = llm_pb2.SubmitComparisonsRequest(requests=self._requests(a, pairs))
        try:
            response = await self._stub.SubmitComparisons(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            raise JudgeUnavailable(err.code().name, err.details() or "") from err
        return [
            Submission(o.request_id, o.accepted, o.rejection_reason, o.rejection_message,
                       None if o.accepted else incoming.read(rejection_result(o)))
            for o in response.outcomes
        ]

    def _requests(
        self, a: Assessment, pairs: Sequence[ToJudge]
    ) -> list[llm_pb2.ComparisonRequest]:
        blocks = prompts.context_blocks(instructions=a.instructions_text,
                                        student_prompt=a.student_prompt_text,
                                        rubric=a.rubric_text)
        judge = common_pb2.JudgeConfig.FromString(a.judge_config)
        return [
            llm_pb2.ComparisonRequest(
                request_id=p.comparison_id,
                results_subject_key=subjects.CJ_RESULTS_KEY,
                metadata={"batch_id": a.id, "comparison_id": p.comparison_id},
                prompt=prompts.render(blocks, p.essay_a, p.essay_b),
                judge=judge,
                ttl=self._ttl,
                correlation_id=a.correlation_id,
                group_id=a.id,  # CancelComparisons(group_id=assessment id) when it ends
            )
            for p in pairs
        ]

    async def cancel(self, assessment_id: str, reason: str) -> bool:
        request = llm_pb2.CancelComparisonsRequest(group_id=assessment_id, reason=reason)
        try:
            response = await self._stub.CancelComparisons(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise CancelUnsupported() from err
            raise JudgeUnavailable(err.code().name, err.details() or "") from err
        return response.cancelled

    def encode(self, judge: JudgeSettings) -> bytes:
        return judge_config(judge).SerializeToString()

    async def model(self, provider: str, model: str) -> ModelLimits | None:
        info = await self._models.get((provider, model))
        return None if info is None else limits_of(info)

    async def provider(self, name: str) -> ProviderStatus | None:
        """An unconfigured provider is asked about again after a few seconds: its key may
        just have been set."""
        info = await self._providers.get(name, stale=lambda p: not p.configured)
        if info is None:
            return None
        return ProviderStatus(info.enabled, info.configured, tuple(info.key_variables))

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


def rejection_result(outcome: llm_pb2.SubmissionOutcome) -> llm_pb2.ComparisonResult:
    """A refused request ends like a non-retryable provider error (no call was made)."""
    reason = _REJECTION_ERRORS.get(
        outcome.rejection_reason, llm_pb2.COMPARISON_ERROR_REASON_INVALID_REQUEST
    )
    error = llm_pb2.ComparisonError(
        reason=reason,
        message=f"{outcome.rejection_reason}: {outcome.rejection_message}",
        retryable=False,
    )
    return llm_pb2.ComparisonResult(request_id=outcome.request_id, error=error)


def judge_config(judge: JudgeSettings) -> common_pb2.JudgeConfig:
    config = common_pb2.JudgeConfig(
        provider=judge.provider,
        model=judge.model,
        max_tokens=judge.max_tokens,
        reasoning_effort=common_pb2.ReasoningEffort.ValueType(judge.reasoning_effort),
        output_verbosity=common_pb2.OutputVerbosity.ValueType(judge.output_verbosity),
    )
    if judge.temperature is not None:
        config.temperature = judge.temperature
    return config


def limits_of(model: llm_pb2.ModelInfo) -> ModelLimits:
    return ModelLimits(
        judge=f"{model.provider}/{model.model_id}",
        supports_temperature=model.supports_temperature,
        max_temperature=model.max_temperature,
        max_output_tokens=model.max_output_tokens,
        capabilities=frozenset(model.capabilities),
    )


def _duration(seconds: float) -> Duration | None:
    if seconds <= 0:
        return None
    d = Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


def _unavailable(rpc: str, err: grpc.aio.AioRpcError) -> ServiceError:
    return unavailable(
        "DEPENDENCY_UNAVAILABLE",
        f"llm_provider {rpc} failed: {err.code().name} {err.details()}; the judge cannot be "
        "checked, so the submission is not accepted (retry)",
    )
