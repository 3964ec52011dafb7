"""Every terminal state publishes its event, then ResourceConsumption, in that order
(docs/events.md): completed -> AssessmentCompleted, AssessmentResultPublished,
ResourceConsumption; failed -> AssessmentFailed, ResourceConsumption; cancelled ->
AssessmentCancelled, ResourceConsumption."""

from __future__ import annotations

import pytest

from contracts import subjects
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import error_result, verdict

pytestmark = pytest.mark.integration


async def batch_events(cj, batch_id: str, n: int) -> list[tuple[str, object]]:
    """The batch's events in stream order, once `n` of them are there."""

    async def found():
        events = [
            (s.removeprefix(cj.ns.subject("")), m)
            for s, m in await cj.events(timeout=0.3)
            if _batch_of(m) == batch_id
        ]
        return events if len(events) >= n else None

    return await wait_until(found, timeout=20, message=f"{n} events of {batch_id}")


def _batch_of(message) -> str:
    """AssessmentResultPublished carries its batch id inside its Assessment."""
    if message.DESCRIPTOR.fields_by_name.get("assessment"):
        return message.assessment.assessment_id
    return message.assessment_id


async def test_a_completed_batch_publishes_completed_result_then_consumption(cj):
    a = (await cj.submit(3, stopping=cj_pb2.StoppingOptions(budget=3, max_in_flight=3))).assessment

    async def done():
        await cj.answer(cj.requests_of(a.assessment_id))
        return await cj.ended(a.assessment_id)

    final = await wait_until(done, timeout=30)
    assert final.state == cj_pb2.ASSESSMENT_STATE_COMPLETED
    events = await batch_events(cj, a.assessment_id, 3)
    assert [s for s, _ in events] == [
        subjects.CJ_ASSESSMENT_COMPLETED,
        subjects.CJ_ASSESSMENT_RESULT,
        subjects.CJ_RESOURCE_CONSUMPTION,
    ]
    assert events[1][1].assessment.simulated_judge  # the rich result says who judged
    assert (events[1][1].part, events[1][1].part_count) == (1, 1)  # one message holds it
    assert len(events[1][1].essays) == 3 and not events[1][1].omitted_fields


async def test_a_failed_batch_publishes_failed_with_its_failure_counts_then_consumption(cj):
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=20, max_in_flight=2))).assessment
    first = (await cj.wait_requests(a.assessment_id, 1))[0]
    await cj.publish(
        error_result(
            first.request_id,
            reason=llm_pb2.COMPARISON_ERROR_REASON_UNSUPPORTED_FEATURE,
            message="no structured output",
            retryable=False,
        )
    )
    failed = await wait_until(lambda: cj.ended(a.assessment_id))
    assert failed.failure_reason == cj_pb2.FAILURE_REASON_JUDGE_MISCONFIGURED
    events = await batch_events(cj, a.assessment_id, 2)
    assert [s for s, _ in events] == [
        subjects.CJ_ASSESSMENT_FAILED,
        subjects.CJ_RESOURCE_CONSUMPTION,
    ]
    assert events[0][1].detail == failed.detail
    assert failed.detail.endswith("(failures: UNSUPPORTED_FEATURE x1)")


async def test_a_cancelled_batch_publishes_cancelled_with_its_spend_then_consumption_once(cj):
    a = (
        await cj.submit(
            4,
            stopping=cj_pb2.StoppingOptions(budget=20, max_in_flight=2),
            correlation_id="corr-c",
            metadata={"course": "c1"},
        )
    ).assessment
    first, second = await cj.wait_requests(a.assessment_id, 2)
    await cj.publish(verdict(first.request_id, cost=0.25))
    await cj.publish(error_result(second.request_id, retryable=False))
    await wait_until(
        lambda: _progress(cj, a.assessment_id, lambda p: p.comparisons_done == 1), timeout=10
    )
    request = cj_pb2.CancelAssessmentRequest(
        assessment_id=a.assessment_id, request_id="stop-1", reason="teacher stopped it"
    )
    await cj.stub.CancelAssessment(request, timeout=10)
    await cj.stub.CancelAssessment(request, timeout=10)  # a retry: no second event
    events = await batch_events(cj, a.assessment_id, 2)
    assert [s for s, _ in events] == [
        subjects.CJ_ASSESSMENT_CANCELLED,
        subjects.CJ_RESOURCE_CONSUMPTION,
    ]
    cancelled = events[0][1]
    assert (cancelled.reason, cancelled.correlation_id) == ("teacher stopped it", "corr-c")
    assert cancelled.comparisons_made == 1 and cancelled.cost_usd == pytest.approx(0.25)
    assert cancelled.usage.prompt_tokens == 100 and cancelled.metadata["course"] == "c1"
    assert cancelled.HasField("cancelled_at")
    assert events[1][1].cost_usd == pytest.approx(0.25)


async def _progress(cj, batch_id: str, check) -> bool:
    return check((await cj.get(batch_id)).progress)
