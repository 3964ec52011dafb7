"""Provider failures, classified once so the worker can decide: retry, or a final error.

Kinds are the names of huleedu.llm.v1.ComparisonErrorReason without the prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from llm_provider.domain.usage import Usage

RATE_LIMITED = "RATE_LIMITED"
PROVIDER_ERROR = "PROVIDER_ERROR"
TIMEOUT = "TIMEOUT"
INVALID_RESPONSE = "INVALID_RESPONSE"
EXPIRED = "EXPIRED"
AUTHENTICATION = "AUTHENTICATION"
INVALID_REQUEST = "INVALID_REQUEST"
CONTENT_FILTERED = "CONTENT_FILTERED"
CONNECTION_ERROR = "CONNECTION_ERROR"
CONTEXT_TOO_LONG = "CONTEXT_TOO_LONG"
CIRCUIT_OPEN = "CIRCUIT_OPEN"
PROVIDER_NOT_CONFIGURED = "PROVIDER_NOT_CONFIGURED"
# The server refused every form of a feature the request needs: configuration, never retried.
UNSUPPORTED_FEATURE = "UNSUPPORTED_FEATURE"
CANCELLED = "CANCELLED"

RETRYABLE = frozenset({RATE_LIMITED, PROVIDER_ERROR, TIMEOUT, INVALID_RESPONSE, CONNECTION_ERROR})
# A final error of these kinds may succeed if the caller submits the pair again later.
RESUBMITTABLE = RETRYABLE | {EXPIRED, CIRCUIT_OPEN}
# Failures that say the provider is unhealthy; 429s and bad answers do not trip the breaker.
UNHEALTHY = frozenset({PROVIDER_ERROR, TIMEOUT, CONNECTION_ERROR})


@dataclass
class ProviderFailure(Exception):
    """One failed provider call; `usage` counts tokens billed even though it failed."""

    kind: str
    message: str
    http_status: int = 0
    retry_after: float | None = None
    usage: Usage = Usage()
    sent_sha256: str = ""  # hex sha256 of the request body the failed call sent

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def __str__(self) -> str:
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        return f"{self.kind}{status}: {self.message}"


def kind_for_status(status: int) -> str:
    """Classify an HTTP error status the way every vendor documents it."""
    if status == 429:
        return RATE_LIMITED
    if status in (401, 403):
        return AUTHENTICATION
    if status in (408, 504):
        return TIMEOUT
    if status >= 500:  # includes Anthropic's 529 "overloaded"
        return PROVIDER_ERROR
    if status == 413:
        return CONTEXT_TOO_LONG
    return INVALID_REQUEST
