"""Reading ComparisonResults into what they record and say of the judge, and classifying
what is not applied."""

from types import SimpleNamespace

from cj_service.adapters import incoming
from cj_service.adapters.incoming import read
from cj_service.domain.assessment import Spend, State
from cj_service.service.workflow import apply, judge_stats
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.unit.cj_service.workflow_fakes import assessment


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
    row = incoming.recorded(
        result(
            verdict=llm_pb2.ComparisonVerdict(
                winner=llm_pb2.WINNER_ESSAY_B, confidence=4, justification="j"
            )
        )
    )
    assert row.new_status == "JUDGED" and row.winner == 2
    assert row.probability_a is None and row.prompt_tokens == 7 and row.cost_usd == 0.5


def test_a_soft_verdict_keeps_its_probability():
    verdict = llm_pb2.ComparisonVerdict(winner=llm_pb2.WINNER_ESSAY_A, probability_a=0.73)
    assert incoming.recorded(result(verdict=verdict)).probability_a == 0.73


def test_an_error_becomes_a_failed_row_that_remembers_whether_to_retry():
    error = llm_pb2.ComparisonError(reason=llm_pb2.COMPARISON_ERROR_REASON_TIMEOUT, retryable=True)
    row = incoming.recorded(result(error=error))
    assert row.new_status == "FAILED" and row.error_retryable and row.error is not None
    assert llm_pb2.ComparisonError.FromString(row.error).reason == error.reason


def test_a_verdict_without_a_winner_is_a_failure_not_a_win_for_b():
    row = incoming.recorded(result(verdict=llm_pb2.ComparisonVerdict(confidence=3)))
    assert row.new_status == "FAILED" and row.error is not None
    error = llm_pb2.ComparisonError.FromString(row.error)
    assert error.reason == llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE


def test_results_are_classified_before_anything_changes():
    live = assessment(id="b")
    done = assessment(id="b", state=State.COMPLETED)
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


def judge(**kw):
    return assessment(judge_provider="openai_compatible", judge_model="smollm2",
                      failed_attempts={"TIMEOUT": 1}, **kw)


def test_a_verdict_adds_its_failed_attempts_and_counts_what_it_says():
    won = llm_pb2.ComparisonVerdict(winner=llm_pb2.WINNER_ESSAY_A, probability_a_contradicted=True)
    o = judge_stats.outcomes(
        [read(result(verdict=won, failed_attempts={"TIMEOUT": 2, "INVALID_RESPONSE": 1}))]
    )
    assert o.failed_attempts == {"TIMEOUT": 2, "INVALID_RESPONSE": 1}
    assert (o.judged, o.failed, o.a_wins, o.probability_a_dropped) == (1, 0, 1, 1)
    assert o.last_error == "" and o.spend == Spend(cost_usd=0.5, prompt_tokens=7)


def test_an_error_is_a_failure_and_the_last_message():
    error = llm_pb2.ComparisonError(
        reason=llm_pb2.COMPARISON_ERROR_REASON_PROVIDER_ERROR, message="504 Gateway Timeout"
    )
    usage = common_pb2.TokenUsage(prompt_tokens=5, estimated=True)
    o = judge_stats.outcomes([read(llm_pb2.ComparisonResult(request_id="c", error=error,
                                                            usage=usage))])
    assert (o.judged, o.failed, o.failed_attempts) == (0, 1, {"PROVIDER_ERROR": 1})
    assert o.last_error == "PROVIDER_ERROR: 504 Gateway Timeout" and o.spend.estimated


def test_only_a_misconfiguration_error_names_the_judge_that_cannot_be_used():
    def failing(reason):
        error = llm_pb2.ComparisonError(reason=reason, message="no structured output")
        return read(llm_pb2.ComparisonResult(request_id="c", error=error))

    assert judge_stats.misconfiguration(
        judge(), [failing(llm_pb2.COMPARISON_ERROR_REASON_TIMEOUT)]
    ) == ""
    assert judge_stats.misconfiguration(
        judge(), [failing(llm_pb2.COMPARISON_ERROR_REASON_UNSUPPORTED_FEATURE)]
    ) == (
        "judge openai_compatible/smollm2 cannot be used: UNSUPPORTED_FEATURE: no structured "
        "output (failures: TIMEOUT x1)"  # the assessment's failures so far, with their counts
    )
