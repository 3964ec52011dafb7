"""What a failed attempt costs: the tokens it is billed for, and whether it uses an attempt.

Pure rules the worker applies to every failed provider call:
- a call that timed out (or was cut off by a cancellation) may well have been computed by
  the server anyway; when the provider reported no usage, it is billed as the prompt's
  estimate plus the full max_tokens, marked estimated (never under-reported);
- a retryable failure of the circuit breaker's half-open probe is the breaker's question,
  not the request's: it does not count toward max_attempts.
"""

from __future__ import annotations

from llm_provider.domain import errors
from llm_provider.domain.usage import Usage

ESTIMATED_KINDS = frozenset({errors.TIMEOUT, errors.CANCELLED})


def estimated_usage(prompt_tokens: int, max_tokens: int) -> Usage:
    return Usage(prompt_tokens, max_tokens, estimated=True)


def billed_usage(kind: str, reported: Usage, *, prompt_tokens: int, max_tokens: int) -> Usage:
    """The usage to count for a failed attempt of `kind` that reported `reported`."""
    if kind in ESTIMATED_KINDS and reported.input_total + reported.completion == 0:
        return estimated_usage(prompt_tokens, max_tokens)
    return reported


def uses_attempt(*, probe: bool, retryable: bool) -> bool:
    """Whether a failed call counts toward max_attempts."""
    return not (probe and retryable)
