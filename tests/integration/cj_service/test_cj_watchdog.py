"""The watchdog: no batch waits forever, and a late result after finalization changes no
verdict or count (only its spend is added to the batch's)."""

from __future__ import annotations

import dataclasses

import pytest
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import update

from cj_service.adapters import batch_repo
from cj_service.adapters.tables import batches
from cj_service.config import PipelineSettings
from cj_service.service.workflow import watchdog
from contracts.huleedu.cj.v1 import cj_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import verdict

pytestmark = pytest.mark.integration
FAST = dataclasses.replace(PipelineSettings(), watchdog_interval_s=0.2)


def stalling(seconds: float, **kwargs) -> cj_pb2.StoppingOptions:
    return cj_pb2.StoppingOptions(
        stall_timeout=Duration(seconds=0, nanos=int(seconds * 1e9))
        if seconds < 1
        else Duration(seconds=int(seconds)),
        **kwargs,
    )


async def write_columns(cj, batch_id: str, **values) -> None:
    """A row as an older version (or a bad migration) may have left it."""
    async with cj.app.deps.db.transaction() as conn:
        await conn.execute(update(batches).where(batches.c.id == batch_id).values(**values))


async def test_a_stalled_batch_with_enough_verdicts_is_finalized_and_late_results_change_nothing(
    start_cj,
):
    cj = await start_cj(pipeline=FAST)
    a = (await cj.submit(4, stopping=stalling(1, budget=30, max_in_flight=6))).assessment
    opening = await cj.wait_requests(a.assessment_id, 4)
    await cj.answer(opening)  # 4 verdicts for 4 essays, then the judge goes silent
    await wait_until(lambda: cj.counted("judged") == 4)
    await cj.wait_requests(a.assessment_id, 5)  # the design's next pairs, never answered
    done = await wait_until(lambda: cj.ended(a.assessment_id), timeout=15)
    assert done.state == cj_pb2.ASSESSMENT_STATE_COMPLETED
    assert done.completion_reason == cj_pb2.COMPLETION_REASON_STALLED
    assert done.progress.comparisons_done == 4 and done.progress.comparisons_in_flight == 0
    silent = [r for r in cj.requests_of(a.assessment_id) if r.request_id not in cj.answered]
    await cj.publish(verdict(silent[0].request_id))
    await wait_until(lambda: cj.counted("late") == 1)
    after = await cj.get(a.assessment_id)
    assert after.state == done.state and after.finished_at == done.finished_at
    assert after.progress.comparisons_done == 4 and after.progress.comparisons_in_flight == 0
    assert after.progress.cost_usd == pytest.approx(done.progress.cost_usd + 0.001)
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    statuses = sorted(cj_pb2.ComparisonStatus.Name(c.status) for c in records.comparisons)
    assert statuses.count("COMPARISON_STATUS_JUDGED") == 4
    assert "COMPARISON_STATUS_SUBMITTED" not in statuses


async def test_a_stalled_batch_without_verdicts_fails_as_stalled(start_cj):
    cj = await start_cj(pipeline=FAST)
    a = (await cj.submit(4, stopping=stalling(1, budget=8))).assessment
    await cj.wait_requests(a.assessment_id, 1)
    done = await wait_until(lambda: cj.ended(a.assessment_id), timeout=15)
    assert done.state == cj_pb2.ASSESSMENT_STATE_FAILED
    assert done.failure_reason == cj_pb2.FAILURE_REASON_STALLED


async def test_a_batch_llm_provider_never_accepted_fails_as_submission_failed(start_cj):
    cj = await start_cj(pipeline=FAST)
    cj.provider.unavailable = True
    a = (await cj.submit(4, stopping=stalling(1, budget=8))).assessment
    done = await wait_until(lambda: cj.ended(a.assessment_id), timeout=15)
    assert done.state == cj_pb2.ASSESSMENT_STATE_FAILED
    assert done.failure_reason == cj_pb2.FAILURE_REASON_SUBMISSION_FAILED


async def test_the_watchdog_skips_a_batch_whose_step_holds_the_lock(start_cj):
    cj = await start_cj(pipeline=dataclasses.replace(FAST, watchdog_interval_s=3600))
    a = (await cj.submit(3, stopping=stalling(0.2, budget=6))).assessment
    await cj.wait_requests(a.assessment_id, 1)
    await wait_until(lambda: _stale(cj, a.assessment_id), message="stale")
    async with cj.app.deps.db.transaction() as conn:  # a step of another replica, mid-flight
        from cj_service.adapters import batch_repo

        await batch_repo.lock_batch(conn, a.assessment_id)
        out = await watchdog.check_batch(cj.app.deps, a.assessment_id)
        assert not out.finished
    out = await watchdog.check_batch(cj.app.deps, a.assessment_id)
    assert out.finished == "FAILED"


async def test_absurd_stored_timeouts_neither_break_the_watchdog_nor_end_their_batch(start_cj):
    """3e11 s made `now() - interval` overflow and the watchdog fail for every batch."""
    cj = await start_cj(pipeline=FAST)
    absurd = []
    for value in (3e11, 1e308, float("inf"), float("nan")):
        a = (await cj.submit(3, stopping=stalling(60, budget=6))).assessment
        await write_columns(
            cj, a.assessment_id, stall_timeout_s=value, provider_patience_s=value,
            failed_since_verdict={"TIMEOUT": 1},
        )
        absurd.append(a.assessment_id)
    normal = (await cj.submit(4, stopping=stalling(1, budget=8))).assessment
    await cj.wait_requests(normal.assessment_id, 1)
    done = await wait_until(lambda: cj.ended(normal.assessment_id), timeout=15)
    assert done.state == cj_pb2.ASSESSMENT_STATE_FAILED
    assert done.failure_reason == cj_pb2.FAILURE_REASON_STALLED
    for batch_id in absurd:
        assert (await cj.get(batch_id)).state == cj_pb2.ASSESSMENT_STATE_RUNNING


async def test_a_batch_that_cannot_be_ended_does_not_stop_the_others_being_checked(start_cj):
    cj = await start_cj(pipeline=FAST)
    broken = (await cj.submit(4, stopping=stalling(1, budget=30, max_in_flight=6))).assessment
    # Its final fit cannot project grades on a scale that does not exist (a row written by
    # hand), so finalizing it raises every round.
    await write_columns(cj, broken.assessment_id, grade_scale_id="no_such_scale")
    await cj.answer(await cj.wait_requests(broken.assessment_id, 4))
    await wait_until(lambda: cj.counted("judged") == 4)
    normal = (await cj.submit(4, stopping=stalling(1, budget=8))).assessment
    done = await wait_until(lambda: cj.ended(normal.assessment_id), timeout=15)
    assert done.failure_reason == cj_pb2.FAILURE_REASON_STALLED
    assert (await cj.get(broken.assessment_id)).state == cj_pb2.ASSESSMENT_STATE_RUNNING
    assert cj.sample("huleedu_cj_watchdog_actions_total", action="error") >= 1


async def _stale(cj, batch_id: str) -> bool:
    async with cj.app.deps.db.read() as conn:
        return batch_id in await batch_repo.stalled_batch_ids(conn)
