"""What a judge's failures say: misconfigured (fail at once), provider down (fail after the
batch's patience), or plain bad luck (the success-rate rule). Plain values in and out.

Kinds are llm.v1 ComparisonErrorReason names without their prefix (e.g. "TIMEOUT").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The judge cannot work as configured: retrying or waiting changes nothing.
MISCONFIGURED = frozenset({"UNSUPPORTED_FEATURE", "PROVIDER_NOT_CONFIGURED", "AUTHENTICATION"})
# The provider is down or unreachable: the judge itself may be fine.
PROVIDER_HEALTH = frozenset(
    {"PROVIDER_ERROR", "TIMEOUT", "CONNECTION_ERROR", "CIRCUIT_OPEN", "EXPIRED"}
)
_PHRASES = {
    "PROVIDER_ERROR": "server errors",
    "TIMEOUT": "timeouts",
    "CONNECTION_ERROR": "connection errors",
    "CIRCUIT_OPEN": "an open circuit breaker",
    "EXPIRED": "expired requests",
}


def merge_counts(total: Mapping[str, int], *more: Mapping[str, int]) -> dict[str, int]:
    """Counts by kind added up (a new dict; the inputs are left alone)."""
    merged = dict(total)
    for counts in more:
        for kind, n in counts.items():
            merged[kind] = merged.get(kind, 0) + int(n)
    return merged


def result_kinds(failed_attempts: Mapping[str, int], error_kind: str = "") -> dict[str, int]:
    """A result's failed attempts by kind, with its final error's kind counted once when the
    provider made no attempt of that kind (an expiry or a refusal before any call)."""
    kinds = {k: int(n) for k, n in failed_attempts.items() if n}
    if error_kind and error_kind not in kinds and error_kind != "CANCELLED":
        kinds[error_kind] = 1
    return kinds


def first_misconfiguration(errors: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (kind, message) whose kind means the judge cannot be used, if any."""
    return next(((k, m) for k, m in errors if k in MISCONFIGURED), None)


def misconfigured_detail(
    judge: str, kind: str, message: str, failed_attempts: Mapping[str, int] | None = None
) -> str:
    """e.g. "judge openai_compatible/smollm2 cannot be used: UNSUPPORTED_FEATURE: ...
    (failures: UNSUPPORTED_FEATURE x4)"; the counts are left out when there are none."""
    detail = f"judge {judge} cannot be used: {kind}: {strip_kind(kind, message)}"
    counted = count_text(failed_attempts or {})
    return f"{detail} (failures: {counted})" if counted else detail


def strip_kind(kind: str, message: str) -> str:
    """The message without a leading "KIND: " (refusals already name their reason)."""
    return message.removeprefix(f"{kind}: ").strip() or "(no message)"


def provider_unavailable(
    *, since_verdict_s: float, patience_s: float, failed_since_verdict: Mapping[str, int]
) -> bool:
    """The patience rule: no verdict for `patience_s`, and every failure since the last
    verdict (there must be one) is a provider-health failure."""
    kinds = {k for k, n in failed_since_verdict.items() if n}
    return since_verdict_s >= patience_s and bool(kinds) and kinds <= PROVIDER_HEALTH


def unavailable_detail(
    *, judge: str, since_verdict_s: float, failed_since_verdict: Mapping[str, int], last: str
) -> str:
    causes = ", ".join(_PHRASES.get(k, k) for k, _ in commonest(failed_since_verdict))
    detail = (
        f"provider of judge {judge} unavailable: no verdict for {since_verdict_s:.0f}s, "
        f"only {causes} ({count_text(failed_since_verdict)})"
    )
    return f"{detail}; last provider message: {last}" if last else detail


def commonest(counts: Mapping[str, int], top: int = 3) -> list[tuple[str, int]]:
    """The `top` commonest kinds, most frequent first (ties by name)."""
    return sorted(((k, int(n)) for k, n in counts.items() if n), key=lambda kn: (-kn[1], kn[0]))[
        :top
    ]


def count_text(counts: Mapping[str, int], top: int = 3) -> str:
    """The dominant kinds with their counts, e.g. "TIMEOUT x12, INVALID_RESPONSE x3"."""
    return ", ".join(f"{k} x{n}" for k, n in commonest(counts, top))


def with_failures(detail: str, failed_attempts: Mapping[str, int]) -> str:
    """A failure's detail with the dominant failure kinds appended (unchanged when none)."""
    counted = count_text(failed_attempts)
    return f"{detail}; failures: {counted}" if counted else detail


def failure_rate_detail(base: str, failed_attempts: Mapping[str, int], last: str) -> str:
    """The success-rate failure's detail with its commonest causes and a provider message."""
    parts = [base]
    if any(failed_attempts.values()):
        parts.append(f"commonest failures: {count_text(failed_attempts)}")
    if last:
        parts.append(f"last provider message: {last}")
    return "; ".join(parts)
