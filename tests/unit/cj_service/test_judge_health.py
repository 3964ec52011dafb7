"""Misconfigured judges, provider patience and the success-rate detail, as plain values."""

import pytest

from cj_service.domain import judge_health as jh


def test_the_patience_rule_fails_only_after_the_patience_on_health_failures_only():
    down = {"PROVIDER_ERROR": 19, "TIMEOUT": 2}
    assert jh.provider_unavailable(since_verdict_s=301, patience_s=300, failed_since_verdict=down)
    assert not jh.provider_unavailable(
        since_verdict_s=299, patience_s=300, failed_since_verdict=down
    )


@pytest.mark.parametrize(
    "failures",
    [
        {},
        {"PROVIDER_ERROR": 0},
        {"PROVIDER_ERROR": 5, "INVALID_RESPONSE": 1},
        {"CONTEXT_TOO_LONG": 3},
    ],
)
def test_no_failure_or_a_judge_side_failure_is_not_an_unavailable_provider(failures):
    assert not jh.provider_unavailable(
        since_verdict_s=1e6, patience_s=300, failed_since_verdict=failures
    )


@pytest.mark.parametrize("kind", sorted(jh.PROVIDER_HEALTH))
def test_every_provider_health_kind_counts_as_the_provider_being_down(kind):
    assert jh.provider_unavailable(since_verdict_s=10, patience_s=5, failed_since_verdict={kind: 1})


def test_the_unavailable_detail_names_the_cause_and_the_last_message():
    detail = jh.unavailable_detail(
        judge="openai_compatible/m",
        since_verdict_s=312.4,
        failed_since_verdict={"PROVIDER_ERROR": 19, "TIMEOUT": 2},
        last="PROVIDER_ERROR: 504 Gateway Timeout",
    )
    assert detail == (
        "provider of judge openai_compatible/m unavailable: no verdict for 312s, only server "
        "errors, timeouts (PROVIDER_ERROR x19, TIMEOUT x2); last provider message: "
        "PROVIDER_ERROR: 504 Gateway Timeout"
    )


def test_a_misconfiguration_is_found_among_other_errors_and_quoted():
    errors = [("TIMEOUT", "slow"), ("UNSUPPORTED_FEATURE", "no json_schema, no tools")]
    kind, message = jh.first_misconfiguration(errors)
    assert jh.misconfigured_detail("openai_compatible/smollm2", kind, message) == (
        "judge openai_compatible/smollm2 cannot be used: UNSUPPORTED_FEATURE: no json_schema, "
        "no tools"
    )
    assert jh.first_misconfiguration([("TIMEOUT", "slow")]) is None


def test_a_refusal_message_that_repeats_its_reason_is_not_doubled():
    detail = jh.misconfigured_detail(
        "x/y", "PROVIDER_NOT_CONFIGURED", "PROVIDER_NOT_CONFIGURED: no key for x"
    )
    assert detail == "judge x/y cannot be used: PROVIDER_NOT_CONFIGURED: no key for x"


def test_the_success_rate_detail_names_the_commonest_failures_and_a_message():
    detail = jh.failure_rate_detail(
        "success rate 0.00 < 0.50 over 10 attempts",
        {"TIMEOUT": 12, "INVALID_RESPONSE": 3, "PROVIDER_ERROR": 4, "RATE_LIMITED": 1},
        "TIMEOUT: read timed out",
    )
    assert detail == (
        "success rate 0.00 < 0.50 over 10 attempts; commonest failures: TIMEOUT x12, "
        "PROVIDER_ERROR x4, INVALID_RESPONSE x3; last provider message: TIMEOUT: read timed out"
    )
    assert jh.failure_rate_detail("base", {}, "") == "base"


def test_a_final_error_without_an_attempt_of_its_kind_is_counted_once_but_not_cancellation():
    assert jh.result_kinds({"TIMEOUT": 2}, "TIMEOUT") == {"TIMEOUT": 2}
    assert jh.result_kinds({}, "EXPIRED") == {"EXPIRED": 1}
    assert jh.result_kinds({"TIMEOUT": 1}, "CANCELLED") == {"TIMEOUT": 1}
    assert jh.merge_counts({"A": 1}, {"A": 2, "B": 1}, {"B": 1}) == {"A": 3, "B": 2}


def test_a_misconfiguration_names_the_dominant_failures_with_their_counts():
    detail = jh.misconfigured_detail(
        "anthropic/claude-haiku-4-5",
        "PROVIDER_NOT_CONFIGURED",
        "provider anthropic is disabled or has no API key",
        {"PROVIDER_NOT_CONFIGURED": 10},
    )
    assert detail == (
        "judge anthropic/claude-haiku-4-5 cannot be used: PROVIDER_NOT_CONFIGURED: provider "
        "anthropic is disabled or has no API key (failures: PROVIDER_NOT_CONFIGURED x10)"
    )


def test_any_failure_detail_can_carry_the_dominant_kinds_and_is_unchanged_without_any():
    counts = {"TIMEOUT": 3, "RATE_LIMITED": 1, "EXPIRED": 3, "CONNECTION_ERROR": 2}
    assert jh.with_failures("stalled", counts) == (
        "stalled; failures: EXPIRED x3, TIMEOUT x3, CONNECTION_ERROR x2"
    )
    assert jh.with_failures("stalled", {"TIMEOUT": 0}) == "stalled"
