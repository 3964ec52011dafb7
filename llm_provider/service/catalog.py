"""ListModels, ListProviders, GetQueueStats and TestProvider."""

from __future__ import annotations

import time
from collections.abc import Mapping

from contracts import errors
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.providers.base import ProviderCall
from llm_provider.adapters.queue import WorkQueue
from llm_provider.config import ProviderSettings
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import Manifest
from llm_provider.service.convert import fenced, model_info
from llm_provider.service.outcomes import clean, error_reason
from llm_provider.service.registry import ProviderSlot
from llm_provider.service.validation import check_list_models, check_test_provider

DOMAIN = "llm_provider.huleedu"
_STATES = {"CLOSED": llm_pb2.CIRCUIT_STATE_CLOSED, "OPEN": llm_pb2.CIRCUIT_STATE_OPEN,
           "HALF_OPEN": llm_pb2.CIRCUIT_STATE_HALF_OPEN}
PROBE_SYSTEM = "You judge short texts. Answer in the requested format."
PROBE_ESSAYS = ("The cat sat on the mat. It was warm and it purred.", "cat mat sat")


async def list_models(manifest: Manifest,
                      request: llm_pb2.ListModelsRequest) -> llm_pb2.ListModelsResponse:
    check_list_models(request)
    models = manifest.models(provider=request.provider,
                             include_deprecated=request.include_deprecated)
    return llm_pb2.ListModelsResponse(models=[model_info(m) for m in models])


def list_providers(slots: Mapping[str, ProviderSlot], manifest: Manifest, *,
                   now: float) -> llm_pb2.ListProvidersResponse:
    return llm_pb2.ListProvidersResponse(providers=[
        llm_pb2.ProviderInfo(
            provider=name, enabled=slot.settings.enabled, configured=slot.ready,
            circuit_state=_STATES[slot.breaker.state(now)],  # type: ignore[arg-type]
            default_model=manifest.default_model(name), base_url=slot.settings.base_url,
            requests_per_minute=slot.settings.rpm, tokens_per_minute=slot.settings.tpm,
            key_variables=slot.settings.key_variables,
        )
        for name, slot in sorted(slots.items())
    ])


async def queue_stats(queue: WorkQueue, *, max_depth: int) -> llm_pb2.GetQueueStatsResponse:
    try:
        stats = await queue.stats()
    except Exception as exc:
        raise errors.unavailable("DEPENDENCY_UNAVAILABLE",
                                 f"work queue unavailable: {exc!r}") from exc
    return llm_pb2.GetQueueStatsResponse(
        pending=stats.pending, in_flight=stats.in_flight, redelivered=stats.redelivered,
        max_depth=max_depth, consumers=stats.waiting_pulls,
    )


async def test_provider(slots: Mapping[str, ProviderSlot], manifest: Manifest,
                        request: llm_pb2.TestProviderRequest) -> llm_pb2.TestProviderResponse:
    check_test_provider(request)
    slot = slots.get(request.provider)
    model = request.model or manifest.default_model(request.provider)
    spec = manifest.get(request.provider, model)
    if slot is None or spec is None:
        raise errors.invalid_argument("UNKNOWN_MODEL", f"no model {request.provider}/{model}")
    if not slot.ready or slot.adapter is None:
        raise errors.failed_precondition(
            "PROVIDER_NOT_CONFIGURED", _not_configured(request.provider, slot.settings))
    call = ProviderCall(request_id=f"probe-{time.time_ns()}", spec=spec,
                        prompt=fenced(PROBE_SYSTEM, (), *PROBE_ESSAYS),
                        temperature=None, max_tokens=spec.default_max_tokens)
    started = time.perf_counter()
    try:
        reply = await slot.adapter.judge(call)
    except ProviderFailure as failure:
        return llm_pb2.TestProviderResponse(
            ok=False, latency_ms=_ms(started), message=clean(str(failure)),
            error_reason=error_reason(failure.kind),  # type: ignore[arg-type]
        )
    usage = reply.usage
    return llm_pb2.TestProviderResponse(
        ok=True, latency_ms=_ms(started), message=f"verdict: Essay {reply.verdict.winner}",
        usage=common_pb2.TokenUsage(
            prompt_tokens=usage.prompt, completion_tokens=usage.completion,
            cache_read_tokens=usage.cache_read, cache_write_tokens=usage.cache_write),
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _not_configured(provider: str, settings: ProviderSettings) -> str:
    """What to set in this service's environment to use the provider."""
    if not settings.enabled:
        return (f"provider {provider} is disabled: set LLM_PROVIDER_{provider.upper()}_ENABLED"
                "=true in llm_provider's environment")
    keys = " or ".join(settings.key_variables) or "its API key"
    return f"provider {provider} has no API key: set {keys} in llm_provider's environment"
