"""A failed or cancelled batch's paid verdicts are fitted and served as partial results, and
a degenerate judge is said in words on the batch, its results and its result event."""

from __future__ import annotations

import grpc
import pytest

from contracts import subjects
from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import error_result

pytestmark = pytest.mark.integration


async def results(cj, batch_id: str) -> cj_pb2.GetAssessmentResultsResponse:
    return await cj.stub.GetAssessmentResults(
        cj_pb2.GetAssessmentResultsRequest(assessment_id=batch_id), timeout=10
    )


async def judged(cj, batch_id: str, n: int) -> bool:
    return (await cj.get(batch_id)).progress.comparisons_done >= n


async def answer_until(cj, batch_id: str, n: int, winner=lambda r: 1) -> None:
    async def enough():
        await cj.answer(cj.requests_of(batch_id), winner)
        return await judged(cj, batch_id, n)

    await wait_until(enough, timeout=30, interval=0.1, message=f"{n} verdicts")


async def test_a_failed_batch_serves_its_verdicts_fitted_as_partial_results(cj):
    stopping = cj_pb2.StoppingOptions(budget=40, max_in_flight=2, target_reliability=0.999)
    a = (await cj.submit(5, stopping=stopping)).assessment
    await answer_until(cj, a.assessment_id, 4, winner=lambda r: 1 + len(r.request_id) % 2)
    open_request = await wait_until(lambda: _unanswered(cj, a.assessment_id))
    unsupported = llm_pb2.COMPARISON_ERROR_REASON_UNSUPPORTED_FEATURE
    await cj.publish(error_result(open_request.request_id, reason=unsupported, retryable=False))
    await wait_until(lambda: _state(cj, a.assessment_id, cj_pb2.ASSESSMENT_STATE_FAILED))
    partial = await results(cj, a.assessment_id)
    assert partial.partial
    assert partial.assessment.failure_reason == cj_pb2.FAILURE_REASON_JUDGE_MISCONFIGURED
    done = partial.assessment.progress.comparisons_done
    assert partial.fit.comparisons == done >= 4 and len(partial.essays) == 5
    assert sum(e.comparison_count for e in partial.essays) == 2 * done


async def test_a_cancelled_batch_without_verdicts_serves_the_unfitted_result(cj):
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=8))).assessment
    await cj.wait_requests(a.assessment_id, 1)
    await cj.stub.CancelAssessment(cj_pb2.CancelAssessmentRequest(assessment_id=a.assessment_id))
    partial = await results(cj, a.assessment_id)
    assert partial.partial and partial.fit.comparisons == 0 and len(partial.essays) == 4
    assert partial.calibration.reason == "no verdicts to fit"


async def test_a_running_batch_still_has_no_results(cj):
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=8))).assessment
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await results(cj, a.assessment_id)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(err.value) == "INVALID_STATE"


async def test_a_judge_that_always_chooses_essay_a_is_warned_about_everywhere(cj):
    stopping = cj_pb2.StoppingOptions(budget=12, max_in_flight=3, target_reliability=0.999)
    a = (await cj.submit(6, stopping=stopping)).assessment
    await answer_until(cj, a.assessment_id, 10)
    running = await cj.get(a.assessment_id)
    assert any("chose Essay A in 100% of comparisons" in w for w in running.warnings)
    await answer_until(cj, a.assessment_id, 12)
    await wait_until(lambda: _state(cj, a.assessment_id, cj_pb2.ASSESSMENT_STATE_COMPLETED))
    final = await results(cj, a.assessment_id)
    assert not final.partial and "Essay A in 100%" in final.assessment.warnings[0]
    events = await cj.events()
    published = [m for s, m in events if s == cj.ns.subject(subjects.CJ_ASSESSMENT_RESULT)]
    assert list(published[0].assessment.warnings) == list(final.assessment.warnings)


def _unanswered(cj, batch_id: str):
    return next((r for r in cj.requests_of(batch_id) if r.request_id not in cj.answered), None)


async def _state(cj, batch_id: str, state) -> bool:
    return (await cj.get(batch_id)).state == state
