"""Token buckets keep a provider's requests and tokens per minute within budget."""

from __future__ import annotations

import pytest

from llm_provider.domain.ratelimit import RateLimiter, TokenBucket


def calls_admitted_in(limiter: RateLimiter, *, seconds: float, attempts_per_s: int,
                      tokens: int = 1) -> int:
    """Simulate workers that call as soon as their reservation says they may."""
    admitted, now, step = 0, 0.0, 1.0 / attempts_per_s
    while now < seconds:
        wait = limiter.reserve(now, tokens)
        if now + wait < seconds:
            admitted += 1
        now += step
    return admitted


def test_a_full_bucket_admits_its_burst_then_charges_waits():
    bucket = TokenBucket(rate=10.0, capacity=10.0, updated=0.0)
    assert [bucket.reserve(0.0) for _ in range(10)] == [0.0] * 10
    assert bucket.reserve(0.0) == pytest.approx(0.1)
    assert bucket.reserve(0.0) == pytest.approx(0.2)  # waiters queue up in order


def test_waiting_refills_the_bucket_at_its_rate():
    bucket = TokenBucket(rate=10.0, capacity=10.0, updated=0.0)
    for _ in range(10):
        bucket.reserve(0.0)
    assert bucket.reserve(0.5) == 0.0  # five tokens came back in half a second
    assert bucket.level == pytest.approx(4.0)


def test_a_refund_returns_an_unused_reservation():
    bucket = TokenBucket(rate=1.0, capacity=2.0, updated=0.0)
    bucket.reserve(0.0, 2)
    assert bucket.reserve(0.0) == pytest.approx(1.0)
    bucket.refund(1)
    assert bucket.reserve(0.0) == pytest.approx(1.0)


def test_requests_per_minute_hold_over_a_long_run():
    limiter = RateLimiter(rpm=600, tpm=0, burst_seconds=1.0)
    admitted = calls_admitted_in(limiter, seconds=60.0, attempts_per_s=100)
    assert 600 <= admitted <= 600 + 10  # the budget plus one burst, never more


def test_tokens_per_minute_limit_calls_with_large_prompts():
    limiter = RateLimiter(rpm=0, tpm=60_000, burst_seconds=1.0)
    admitted = calls_admitted_in(limiter, seconds=60.0, attempts_per_s=100, tokens=1_000)
    assert 60 <= admitted <= 61


def test_retry_after_pauses_every_caller_until_the_given_time():
    limiter = RateLimiter(rpm=0, tpm=0)
    limiter.pause_until(12.0)
    assert limiter.reserve(10.0, 1) == pytest.approx(2.0)
    assert limiter.reserve(12.5, 1) == 0.0


def test_settling_charges_actual_tokens_instead_of_the_estimate():
    limiter = RateLimiter(rpm=0, tpm=600, burst_seconds=1.0)  # 10 tokens/s, bucket of 10
    assert limiter.reserve(0.0, 5) == 0.0
    limiter.settle(0.0, estimated=5, actual=15)  # the call used 10 tokens more
    assert limiter.reserve(0.0, 1) == pytest.approx(0.6)  # 5 left - 10 extra - 1 = -6 tokens


def test_an_unlimited_provider_never_waits():
    limiter = RateLimiter(rpm=0, tpm=0)
    assert all(limiter.reserve(0.0, 10_000) == 0.0 for _ in range(1_000))
