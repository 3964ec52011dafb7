"""What a failed attempt costs: estimates for calls cut off, and probes that use no attempt."""

from __future__ import annotations

from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.domain.accounting import billed_usage, estimated_usage, uses_attempt
from llm_provider.domain.circuit import CircuitBreaker
from llm_provider.domain.usage import Usage
from llm_provider.service import outcomes
from llm_provider.service.convert import add_usage, usage_of


def test_a_timeout_that_reported_nothing_is_billed_as_prompt_estimate_plus_max_tokens():
    billed = billed_usage("TIMEOUT", Usage(), prompt_tokens=1_200, max_tokens=512)
    assert billed == Usage(1_200, 512, estimated=True)


def test_a_call_cancelled_in_flight_is_billed_the_same_way():
    assert billed_usage("CANCELLED", Usage(), prompt_tokens=10, max_tokens=5).estimated


def test_reported_usage_is_never_replaced_by_an_estimate():
    reported = Usage(900, 40)
    assert billed_usage("TIMEOUT", reported, prompt_tokens=1_200, max_tokens=512) == reported


def test_other_failures_bill_only_what_was_reported():
    for kind in ("PROVIDER_ERROR", "RATE_LIMITED", "INVALID_RESPONSE", "CONNECTION_ERROR"):
        assert billed_usage(kind, Usage(), prompt_tokens=1_200, max_tokens=512) == Usage()


def test_estimated_is_carried_as_or_when_usage_adds_up():
    total = Usage(1, 2) + estimated_usage(3, 4) + Usage(5, 6)
    assert total == Usage(9, 12, estimated=True)
    message = common_pb2.TokenUsage()
    add_usage(message, estimated_usage(3, 4))
    add_usage(message, Usage(10, 1))
    assert message.estimated and (message.prompt_tokens, message.completion_tokens) == (13, 5)
    assert usage_of(message).estimated


def test_a_failed_half_open_probe_uses_no_attempt_unless_it_ends_the_request():
    assert not uses_attempt(probe=True, retryable=True)
    assert uses_attempt(probe=True, retryable=False)
    assert uses_attempt(probe=False, retryable=True)


def test_the_breaker_says_which_allowed_call_is_the_half_open_probe():
    breaker = CircuitBreaker(failure_threshold=2, cooldown=10.0)
    assert breaker.allow(0.0) and not breaker.probing()
    breaker.record_failure(0.0)
    breaker.record_failure(0.0)
    assert not breaker.allow(5.0)
    assert breaker.allow(10.0) and breaker.probing()
    assert not breaker.allow(10.5)  # one probe at a time
    breaker.record_failure(11.0)  # the probe failed: open again
    assert not breaker.allow(12.0)
    assert breaker.allow(21.0) and breaker.probing()
    breaker.record_success()
    assert breaker.allow(21.5) and not breaker.probing()


def test_calls_made_counts_failed_probes_that_attempts_leaves_out():
    state = llm_pb2.ComparisonResult(attempts=1)
    assert outcomes.calls_made(state) == 1  # state saved before failures were named
    state.failed_attempts["TIMEOUT"] += 3
    assert outcomes.calls_made(state) == 3
