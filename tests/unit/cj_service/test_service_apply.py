"""Turning ComparisonResults into row updates, and classifying what is not applied."""

from types import SimpleNamespace

from cj_service.service import apply
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2


def result(**kwargs) -> llm_pb2.ComparisonResult:
    return llm_pb2.ComparisonResult(
        request_id="c1",
        provider="p",
        model="m",
        cost_usd=0.5,
        usage=common_pb2.TokenUsage(prompt_tokens=7),
        **kwargs,
    )


def test_a_verdict_becomes_a_judged_row_with_usage():
    row = apply.outcome_row(
        result(
            verdict=llm_pb2.ComparisonVerdict(
                winner=llm_pb2.WINNER_ESSAY_B, confidence=4, justification="j"
            )
        )
    )
    assert row["new_status"] == "JUDGED" and row["winner"] == 2
    assert row["probability_a"] is None and row["prompt_tokens"] == 7 and row["cost_usd"] == 0.5


def test_a_soft_verdict_keeps_its_probability():
    verdict = llm_pb2.ComparisonVerdict(winner=llm_pb2.WINNER_ESSAY_A, probability_a=0.73)
    assert apply.outcome_row(result(verdict=verdict))["probability_a"] == 0.73


def test_an_error_becomes_a_failed_row_that_remembers_whether_to_retry():
    error = llm_pb2.ComparisonError(reason=llm_pb2.COMPARISON_ERROR_REASON_TIMEOUT, retryable=True)
    row = apply.outcome_row(result(error=error))
    assert row["new_status"] == "FAILED" and row["error_retryable"]
    assert llm_pb2.ComparisonError.FromString(row["error"]).reason == error.reason


def test_a_verdict_without_a_winner_is_a_failure_not_a_win_for_b():
    row = apply.outcome_row(result(verdict=llm_pb2.ComparisonVerdict(confidence=3)))
    assert row["new_status"] == "FAILED"
    error = llm_pb2.ComparisonError.FromString(row["error"])
    assert error.reason == llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE


def test_results_are_classified_before_anything_changes():
    live = SimpleNamespace(id="b", state="RUNNING")
    done = SimpleNamespace(id="b", state="COMPLETED")
    flying = SimpleNamespace(batch_id="b", status="SUBMITTED")
    judged = SimpleNamespace(batch_id="b", status="JUDGED")
    abandoned = SimpleNamespace(batch_id="b", status="ABANDONED")
    assert apply._classify(live, flying, False) == "fresh"
    assert apply._classify(live, flying, True) == "duplicate"
    assert apply._classify(live, judged, False) == "duplicate"
    assert apply._classify(done, flying, False) == "late"
    assert apply._classify(live, abandoned, False) == "late"
    assert apply._classify(live, None, False) == "unknown"
    assert (
        apply._classify(live, SimpleNamespace(batch_id="other", status="SUBMITTED"), False)
        == "unknown"
    )
