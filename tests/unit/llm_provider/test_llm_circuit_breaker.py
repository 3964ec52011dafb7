"""The circuit breaker: closed, open after repeated failures, half-open with one probe."""

from __future__ import annotations

from llm_provider.domain.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


def tripped(threshold: int = 3, cooldown: float = 10.0) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold, cooldown)
    for _ in range(threshold):
        breaker.record_failure(100.0)
    return breaker


def test_failures_below_the_threshold_keep_it_closed():
    breaker = CircuitBreaker(3, 10.0)
    breaker.record_failure(0.0)
    breaker.record_failure(0.0)
    assert breaker.state(0.0) == CLOSED and breaker.allow(0.0)


def test_a_success_resets_the_failure_count():
    breaker = CircuitBreaker(3, 10.0)
    breaker.record_failure(0.0)
    breaker.record_failure(0.0)
    breaker.record_success()
    breaker.record_failure(0.0)
    assert breaker.state(0.0) == CLOSED


def test_the_threshold_opens_it_and_calls_are_held_back():
    breaker = tripped()
    assert breaker.state(105.0) == OPEN and not breaker.allow(105.0)
    assert breaker.retry_in(105.0) == 5.0


def test_after_the_cooldown_one_probe_goes_out():
    breaker = tripped()
    assert breaker.state(110.0) == HALF_OPEN
    assert breaker.allow(110.0) and not breaker.allow(110.1)


def test_a_successful_probe_closes_it():
    breaker = tripped()
    breaker.allow(110.0)
    breaker.record_success()
    assert breaker.state(110.0) == CLOSED and breaker.allow(110.0)


def test_a_failed_probe_opens_it_again_for_a_full_cooldown():
    breaker = tripped()
    breaker.allow(110.0)
    breaker.record_failure(110.5)
    assert breaker.state(115.0) == OPEN and breaker.state(120.5) == HALF_OPEN


def test_a_probe_that_never_reports_back_does_not_wedge_it():
    breaker = tripped()
    assert breaker.allow(110.0)
    assert not breaker.allow(115.0)
    assert breaker.allow(120.5)  # the first probe's worker is presumed dead


def test_a_released_probe_slot_can_be_taken_again():
    breaker = tripped()
    breaker.allow(110.0)
    breaker.release()
    assert breaker.allow(110.1)
