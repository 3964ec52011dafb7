"""Building the one ComparisonResult (and its usage event) that ends a request.

Text a provider wrote (a justification, an error's words) is cleaned before it is set: no NUL
or other refused control leaves llm_provider (a subscriber storing it in PostgreSQL would fail
on NUL), and a lone surrogate (JSON may escape one) becomes U+FFFD, since protobuf cannot
encode it and the publish would fail on every redelivery.
"""

from __future__ import annotations

import re

from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.text import sanitise
from llm_provider.domain import errors
from llm_provider.domain.errors import ProviderFailure
from llm_provider.domain.manifest import ModelSpec
from llm_provider.domain.usage import cost_usd
from llm_provider.domain.verdict import Verdict
from llm_provider.service.convert import usage_of

WINNERS = {"A": llm_pb2.WINNER_ESSAY_A, "B": llm_pb2.WINNER_ESSAY_B}
_SURROGATE = re.compile("[\ud800-\udfff]")


def error_reason(kind: str) -> int:
    return llm_pb2.ComparisonErrorReason.Value(f"COMPARISON_ERROR_REASON_{kind}")


def new_state(queued: llm_pb2.QueuedComparison) -> llm_pb2.ComparisonResult:
    """The accumulator of a request's attempts; it becomes the published result."""
    request = queued.request
    return llm_pb2.ComparisonResult(
        request_id=request.request_id, provider=request.judge.provider,
        model=request.judge.model, queued_at=queued.queued_at,
        correlation_id=request.correlation_id,
    )


def record_error(state: llm_pb2.ComparisonResult, failure: ProviderFailure) -> None:
    state.error.CopyFrom(llm_pb2.ComparisonError(
        reason=error_reason(failure.kind), message=clean(failure.message[:1_000]),  # type: ignore[arg-type]
        retryable=failure.kind in errors.RESUBMITTABLE, provider_http_status=failure.http_status,
    ))


def record_verdict(state: llm_pb2.ComparisonResult, verdict: Verdict) -> None:
    message = state.verdict
    message.Clear()
    message.winner = WINNERS[verdict.winner]  # type: ignore[assignment]
    message.confidence = verdict.confidence
    message.justification = clean(verdict.justification)
    if verdict.probability_a is not None:
        message.probability_a = verdict.probability_a
    message.probability_a_contradicted = verdict.probability_a_contradicted


def clean(text: str) -> str:
    """Provider text fit to publish: refused controls removed, lone surrogates replaced."""
    return _SURROGATE.sub("\ufffd", sanitise(text))


def calls_made(state: llm_pb2.ComparisonResult) -> int:
    """Provider calls made so far: every one before the last failed (a success ends it),
    and failed half-open probes are in failed_attempts but not in attempts."""
    return max(state.attempts, sum(state.failed_attempts.values()))


def cancelled(reason: str) -> ProviderFailure:
    return ProviderFailure(errors.CANCELLED, f"cancelled: {reason}"[:1_000])


def finish(state: llm_pb2.ComparisonResult, queued: llm_pb2.QueuedComparison, *,
           spec: ModelSpec | None, completed: float) -> llm_pb2.ComparisonResult:
    """Stamp the final fields: metadata, completion time, cost over every attempt."""
    state.metadata.update(queued.request.metadata)
    state.completed_at.FromNanoseconds(int(completed * 1e9))
    state.cost_usd = cost_usd(usage_of(state.usage), spec) if spec is not None else 0.0
    return state


def expiry_failure(state: llm_pb2.ComparisonResult, *, circuit_open: bool) -> ProviderFailure:
    last = f"; last error: {state.error.message}" if state.HasField("error") else ""
    if circuit_open:
        return ProviderFailure(errors.CIRCUIT_OPEN, f"circuit stayed open until expiry{last}",
                               http_status=state.error.provider_http_status)
    return ProviderFailure(errors.EXPIRED, f"expired after {state.attempts} attempts{last}",
                           http_status=state.error.provider_http_status)


def usage_event(result: llm_pb2.ComparisonResult) -> events_pb2.LLMUsageRecorded:
    return events_pb2.LLMUsageRecorded(
        request_id=result.request_id, provider=result.provider, model=result.model,
        usage=result.usage, cost_usd=result.cost_usd,
        succeeded=result.HasField("verdict"), attempts=result.attempts,
        completed_at=result.completed_at, metadata=result.metadata,
    )
