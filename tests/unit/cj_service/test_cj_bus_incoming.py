"""Results from the bus made safe to store and fit before apply writes them (pure)."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import exc as sa_exc

from cj_service.adapters import incoming
from cj_service.adapters.incoming import final_error
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2


def verdict(**fields) -> llm_pb2.ComparisonResult:
    v = llm_pb2.ComparisonVerdict(winner=llm_pb2.WINNER_ESSAY_A, confidence=3,
                                  justification="fine")
    result = llm_pb2.ComparisonResult(
        request_id="c1", verdict=v, provider="p", model="m", cost_usd=0.01, attempts=1,
        usage=common_pb2.TokenUsage(prompt_tokens=100, completion_tokens=10),
    )
    for name, value in fields.items():
        target = result.verdict if name in ("winner", "justification", "probability_a") else result
        setattr(target, name, value)
    return result


def test_a_clean_result_is_unchanged():
    result = verdict(probability_a=0.7)
    assert incoming.clean(result) == result


def test_controls_postgres_refuses_are_removed_from_every_string():
    result = verdict(justification="A is\x00 better\x07\tclearly\n", provider="p\x00",
                     model="m\x1b", prompt_sha256="ab\x00cd", correlation_id="c\x00")
    result.metadata["k\x00"] = "v\x00"
    cleaned = incoming.clean(result)
    assert cleaned.verdict.justification == "A is better\tclearly\n"
    assert (cleaned.provider, cleaned.model, cleaned.prompt_sha256) == ("p", "m", "abcd")
    assert dict(cleaned.metadata) == {"k": "v"} and cleaned.correlation_id == "c"
    assert result.verdict.justification.startswith("A is\x00")  # the input is left alone


def test_an_error_message_and_failure_kinds_are_sanitised_and_counts_kept():
    result = llm_pb2.ComparisonResult(
        request_id="c1",
        error=llm_pb2.ComparisonError(reason=llm_pb2.COMPARISON_ERROR_REASON_TIMEOUT,
                                      message="timed\x00 out", retryable=True),
        failed_attempts={"TIMEOUT": 2, "TIME\x00OUT": 3, "RATE_LIMITED": 1},
    )
    cleaned = incoming.clean(result)
    assert cleaned.error.message == "timed out"
    assert dict(cleaned.failed_attempts) == {"TIMEOUT": 5, "RATE_LIMITED": 1}


@pytest.mark.parametrize("cost", [math.nan, math.inf, -math.inf, -1.0])
def test_a_cost_that_is_no_real_spend_counts_as_nothing(cost):
    assert incoming.clean(verdict(cost_usd=cost)).cost_usd == 0.0


def test_tokens_are_kept_within_what_a_call_can_use():
    result = verdict()
    result.usage.prompt_tokens = 2**62
    result.usage.completion_tokens = -5
    cleaned = incoming.clean(result)
    assert cleaned.usage.prompt_tokens == incoming.MAX_TOKENS
    assert cleaned.usage.completion_tokens == 0


def test_an_unknown_winner_is_no_verdict():
    cleaned = incoming.clean(verdict(winner=7))
    assert cleaned.verdict.winner == llm_pb2.WINNER_UNSPECIFIED
    error = final_error(cleaned)
    assert error is not None and error.reason == llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE


@pytest.mark.parametrize("p", [math.nan, 1.5, -0.1, math.inf])
def test_a_probability_outside_0_1_is_dropped_and_the_hard_verdict_stands(p):
    cleaned = incoming.clean(verdict(probability_a=p))
    assert not cleaned.verdict.HasField("probability_a")
    assert cleaned.verdict.winner == llm_pb2.WINNER_ESSAY_A


def test_an_unusable_result_fails_its_comparison_retryably_without_sql_text():
    class DriverError(Exception):
        pass

    error = sa_exc.DBAPIError(
        "UPDATE comparisons SET justification=$1", {}, DriverError("value out of int16 range")
    )
    failed = incoming.unusable(verdict(), error)
    assert failed.request_id == "c1" and failed.error.retryable
    assert failed.error.reason == llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE
    assert failed.error.message == "the result could not be stored: value out of int16 range"
    assert "UPDATE" not in failed.error.message
