"""Sending comparisons: persisted before sending, re-sent after an outage, rejections fail."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from cj_service.adapters.tables import comparisons
from cj_service.config import PipelineSettings
from cj_service.service.workflow import dispatch
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403

pytestmark = pytest.mark.integration
QUICK_RECOVERY = dataclasses.replace(
    PipelineSettings(), recovery_interval_s=0.2, pending_grace_s=0.1
)


async def test_comparisons_persisted_during_an_outage_are_sent_when_llm_provider_returns(start_cj):
    cj = await start_cj(pipeline=QUICK_RECOVERY)
    cj.provider.unavailable = True
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=8, max_in_flight=4))).assessment
    assert a.state == cj_pb2.ASSESSMENT_STATE_RUNNING
    await wait_until(lambda: cj.provider.submissions >= 2, message="retries during the outage")
    assert cj.requests_of(a.assessment_id) == []
    cj.provider.unavailable = False
    planned = (await cj.get(a.assessment_id)).progress.comparisons_in_flight
    requests = await cj.wait_requests(a.assessment_id, planned)
    assert planned >= 2 and len({r.request_id for r in requests}) == planned
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    await wait_until(lambda: _all_submitted(cj, a.assessment_id))
    assert {c.comparison_id for c in records.comparisons} == {r.request_id for r in requests}


async def _all_submitted(cj, batch_id: str) -> bool:
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=batch_id)
    )
    return all(c.status == cj_pb2.COMPARISON_STATUS_SUBMITTED for c in records.comparisons)


async def test_resending_an_accepted_comparison_is_a_duplicate_not_a_new_request(start_cj):
    cj = await start_cj(pipeline=QUICK_RECOVERY)
    a = (await cj.submit(3, stopping=cj_pb2.StoppingOptions(budget=3, max_in_flight=2))).assessment
    await cj.wait_requests(a.assessment_id, 2)
    # A crash between acceptance and marking SUBMITTED leaves the rows PENDING:
    async with cj.app.deps.db.transaction() as conn:
        await conn.execute(
            update(comparisons)
            .where(comparisons.c.batch_id == a.assessment_id)
            .values(status="PENDING")
        )
    await dispatch.send_pending(cj.app.deps, a.assessment_id)
    assert len(cj.requests_of(a.assessment_id)) == 2
    assert await _all_submitted(cj, a.assessment_id)


async def test_a_request_llm_provider_rejects_becomes_a_failed_comparison(start_cj):
    cj = await start_cj(pipeline=QUICK_RECOVERY)
    cj.provider.unavailable = True
    a = (await cj.submit(3, stopping=cj_pb2.StoppingOptions(budget=2, max_in_flight=1))).assessment
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    first = records.comparisons[0].comparison_id
    cj.provider.reject[first] = "CONTEXT_TOO_LONG"
    cj.provider.unavailable = False

    async def failed_once():
        p = (await cj.get(a.assessment_id)).progress
        return p.comparisons_failed == 1 and p.comparisons_in_flight == 1

    await wait_until(failed_once, message="rejection applied and a new pair planned")
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    rejected = next(c for c in records.comparisons if c.comparison_id == first)
    assert rejected.status == cj_pb2.COMPARISON_STATUS_FAILED
    assert "CONTEXT_TOO_LONG" in rejected.error.message and not rejected.error.retryable


async def test_a_request_too_large_for_the_queue_fails_for_good_at_once(start_cj):
    """llm_provider refuses a pair whose message would not fit NATS (CONTENT_TOO_LARGE): the
    comparison fails as CONTENT_TOO_LARGE, not retryable, and is never sent again."""
    cj = await start_cj(pipeline=QUICK_RECOVERY)
    cj.provider.unavailable = True
    a = (await cj.submit(3, stopping=cj_pb2.StoppingOptions(budget=2, max_in_flight=1))).assessment
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    first = records.comparisons[0]
    cj.provider.reject[first.comparison_id] = "CONTENT_TOO_LARGE"
    cj.provider.unavailable = False
    (sent,) = await cj.wait_requests(a.assessment_id, 1)
    records = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=a.assessment_id)
    )
    rejected = next(c for c in records.comparisons if c.comparison_id == first.comparison_id)
    assert rejected.status == cj_pb2.COMPARISON_STATUS_FAILED
    assert rejected.error.reason == llm_pb2.COMPARISON_ERROR_REASON_CONTENT_TOO_LARGE
    assert not rejected.error.retryable and "CONTENT_TOO_LARGE" in rejected.error.message
    assert sent.request_id != first.comparison_id
