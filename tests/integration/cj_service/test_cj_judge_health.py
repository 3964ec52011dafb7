"""What the judge's calls did reaches the batch: failed attempts by kind, dropped P(A),
estimated tokens, late spend; a misconfigured judge fails the batch at once, and every batch
that ends asks llm_provider to cancel its group."""

from __future__ import annotations

import pytest

from cj_service.entrypoints import results_consumer as apply
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import error_result, verdict

pytestmark = pytest.mark.integration
UNSUPPORTED = llm_pb2.COMPARISON_ERROR_REASON_UNSUPPORTED_FEATURE



async def submit(cj, n: int = 4, **stopping):
    stopping.setdefault("budget", 20)
    stopping.setdefault("max_in_flight", 2)
    return (await cj.submit(n, stopping=cj_pb2.StoppingOptions(**stopping))).assessment


async def test_requests_carry_the_assessment_as_their_cancellation_group(cj):
    a = await submit(cj)
    requests = await cj.wait_requests(a.assessment_id, 2)
    assert {r.group_id for r in requests} == {a.assessment_id}


async def test_failed_attempts_dropped_probabilities_and_estimates_add_up_once(cj):
    a = await submit(cj)
    first, second = await cj.wait_requests(a.assessment_id, 2)
    judged = verdict(first.request_id)
    judged.failed_attempts.update({"TIMEOUT": 2, "INVALID_RESPONSE": 1})
    judged.verdict.probability_a_contradicted = True
    judged.usage.estimated = True
    await cj.publish(judged)
    await cj.publish(error_result(second.request_id, failed_attempts={"PROVIDER_ERROR": 3}))
    await cj.publish(judged, msg_id="redelivered")  # a lost ack: the same result again
    await wait_until(lambda: cj.counted("duplicate") == 1)
    p = (await cj.get(a.assessment_id)).progress
    assert dict(p.failed_attempts) == {"TIMEOUT": 2, "INVALID_RESPONSE": 1, "PROVIDER_ERROR": 3}
    assert p.probability_a_dropped == 1 and p.usage.estimated
    listed = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest())
    assert dict(listed.assessments[0].progress.failed_attempts) == dict(p.failed_attempts)


async def test_an_unsupported_feature_fails_the_batch_at_once_with_the_providers_message(cj):
    a = await submit(cj)
    first, _ = await cj.wait_requests(a.assessment_id, 2)
    await cj.answer([first])
    second = (await cj.wait_requests(a.assessment_id, 3))[-1]
    message = "the model server supports no structured-output mode"
    result = error_result(second.request_id, reason=UNSUPPORTED, message=message, retryable=False)
    await cj.publish(result)
    failed = await wait_until(lambda: cj.ended(a.assessment_id))
    assert failed.failure_reason == cj_pb2.FAILURE_REASON_JUDGE_MISCONFIGURED
    judge = "judge simulated/sim-judge"
    assert failed.detail == (
        f"{judge} cannot be used: UNSUPPORTED_FEATURE: {message} "
        "(failures: UNSUPPORTED_FEATURE x1)"
    )
    await wait_until(lambda: a.assessment_id in cj.provider.cancelled_groups())
    assert "JUDGE_MISCONFIGURED" in cj.provider.cancels[0].reason
    await cj.publish(result, msg_id="again")  # redelivered: a duplicate, nothing changes
    await wait_until(lambda: cj.counted("duplicate") == 1)
    assert (await cj.get(a.assessment_id)).updated_at == failed.updated_at


async def test_a_provider_that_is_not_configured_fails_the_batch_by_its_refusal(cj):
    cj.provider.unavailable = True  # hold the first wave back until the refusal is armed
    a = await submit(cj, max_in_flight=1)
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    cj.provider.reject[records.comparisons[0].comparison_id] = "PROVIDER_NOT_CONFIGURED"
    cj.provider.unavailable = False
    cj.app.deps.kick(a.assessment_id)
    failed = await wait_until(lambda: cj.ended(a.assessment_id), timeout=15)
    assert failed.failure_reason == cj_pb2.FAILURE_REASON_JUDGE_MISCONFIGURED
    assert failed.detail == (
        "judge simulated/sim-judge cannot be used: PROVIDER_NOT_CONFIGURED: refused by test "
        "(failures: PROVIDER_NOT_CONFIGURED x1)"
    )


async def test_a_late_result_adds_its_spend_to_the_ended_batch_once(cj):
    a = await submit(cj)
    first, second = await cj.wait_requests(a.assessment_id, 2)
    await cj.answer([first])
    await wait_until(lambda: cj.counted("judged") == 1)
    await cj.stub.CancelAssessment(cj_pb2.CancelAssessmentRequest(assessment_id=a.assessment_id))
    await wait_until(lambda: a.assessment_id in cj.provider.cancelled_groups())
    cancelled = error_result(
        second.request_id,
        reason=llm_pb2.COMPARISON_ERROR_REASON_CANCELLED,
        message="assessment cancelled",
        failed_attempts={"TIMEOUT": 1},
        cost=0.004,
    )
    cancelled.usage.CopyFrom(common_pb2.TokenUsage(prompt_tokens=50, estimated=True))
    await cj.publish(cancelled)
    await cj.publish(cancelled, msg_id="late-again")
    await wait_until(lambda: cj.counted("late") == 2)
    ended = await cj.get(a.assessment_id)
    assert ended.progress.cost_usd == pytest.approx(0.005)
    assert ended.progress.usage.prompt_tokens == 150 and ended.progress.usage.estimated
    assert dict(ended.progress.failed_attempts) == {"TIMEOUT": 1}
    assert ended.progress.comparisons_done == 1 and ended.progress.comparisons_failed == 0
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    late = next(c for c in records.comparisons if c.comparison_id == second.request_id)
    assert late.status == cj_pb2.COMPARISON_STATUS_ABANDONED and late.cost_usd == 0.004


async def test_applying_a_late_result_directly_twice_counts_it_once(cj):
    a = await submit(cj)
    _, second = await cj.wait_requests(a.assessment_id, 2)
    await cj.stub.CancelAssessment(cj_pb2.CancelAssessmentRequest(assessment_id=a.assessment_id))
    for _ in range(2):
        out = await apply.apply_results(cj.app.deps, a.assessment_id, [verdict(second.request_id)])
        assert out.late == 1 and out.applied == 0
    assert (await cj.get(a.assessment_id)).progress.cost_usd == pytest.approx(0.001)

