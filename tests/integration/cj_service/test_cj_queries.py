"""GetAssessment, ListAssessments, GetAssessmentResults, ListAssessmentComparisons."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403

pytestmark = pytest.mark.integration


async def test_get_assessment_reports_state_progress_and_judge(cj):
    a = (
        await cj.submit(3, stopping=cj_pb2.StoppingOptions(budget=5, target_reliability=0.8))
    ).assessment
    got = await cj.get(a.assessment_id)
    assert got.assessment_id == a.assessment_id and got.judge.model == "sim-judge"
    assert got.progress.budget == 5 and got.progress.target_reliability == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("batch_id", "code", "reason"),
    [
        ("missing", "NOT_FOUND", "ASSESSMENT_NOT_FOUND"),
        ("", "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    ],
)
async def test_get_assessment_errors(cj, batch_id, code, reason):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.get(batch_id)
    assert err.value.code() == getattr(grpc.StatusCode, code) and reason_of(err.value) == reason


async def test_list_assessments_pages_newest_first_and_filters_by_state(cj):
    ids = [(await cj.submit(3)).assessment.assessment_id for _ in range(5)]
    done = (await cj.submit(1)).assessment.assessment_id  # COMPLETED at once
    seen, token = [], ""
    while True:
        page = await cj.stub.ListAssessments(
            cj_pb2.ListAssessmentsRequest(page_size=2, page_token=token)
        )
        seen += [a.assessment_id for a in page.assessments]
        token = page.next_page_token
        if not token:
            break
    assert seen == [done, *reversed(ids)]
    running = await cj.stub.ListAssessments(
        cj_pb2.ListAssessmentsRequest(state=cj_pb2.ASSESSMENT_STATE_RUNNING)
    )
    assert [a.assessment_id for a in running.assessments] == list(reversed(ids))


@pytest.mark.parametrize("token", ["garbage!!", "eyJ4IjoxfQ"])
async def test_list_assessments_refuses_a_bad_page_token(cj, token):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest(page_token=token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err.value) == "INVALID_PAGE_TOKEN"


async def test_a_page_token_of_another_filter_is_refused(cj):
    for _ in range(2):
        await cj.submit(3)
    page = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest(page_size=1))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.ListAssessments(
            cj_pb2.ListAssessmentsRequest(
                page_size=1, page_token=page.next_page_token, state=cj_pb2.ASSESSMENT_STATE_FAILED
            )
        )
    assert reason_of(err.value) == "INVALID_PAGE_TOKEN"


async def test_results_of_a_running_batch_are_refused_with_its_state(cj):
    a = (await cj.submit(3)).assessment
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.GetAssessmentResults(
            cj_pb2.GetAssessmentResultsRequest(assessment_id=a.assessment_id)
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(err.value) == "INVALID_STATE"


async def test_results_of_an_unknown_batch_are_not_found(cj):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.GetAssessmentResults(cj_pb2.GetAssessmentResultsRequest(assessment_id="x"))
    assert reason_of(err.value) == "ASSESSMENT_NOT_FOUND"


async def test_comparisons_are_paged_in_creation_order_with_essay_ids(cj):
    a = (await cj.submit(6, stopping=cj_pb2.StoppingOptions(budget=10, max_in_flight=6))).assessment
    await cj.wait_requests(a.assessment_id, 6)
    seen, token = [], ""
    while True:
        page = await cj.stub.ListAssessmentComparisons(
            cj_pb2.ListAssessmentComparisonsRequest(
                assessment_id=a.assessment_id, page_size=3, page_token=token
            )
        )
        seen += list(page.comparisons)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == 6 and len({c.comparison_id for c in seen}) == 6
    assert all(c.essay_a_id.startswith("e") and c.essay_b_id.startswith("e") for c in seen)
    assert {c.comparison_id for c in seen} == {
        r.request_id for r in cj.requests_of(a.assessment_id)
    }


async def test_a_comparisons_page_token_of_another_batch_is_refused(cj):
    first = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(max_in_flight=4))).assessment
    second = (await cj.submit(3)).assessment
    await cj.wait_requests(first.assessment_id, 2)
    page = await cj.stub.ListAssessmentComparisons(
        cj_pb2.ListAssessmentComparisonsRequest(assessment_id=first.assessment_id, page_size=1)
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.stub.ListAssessmentComparisons(
            cj_pb2.ListAssessmentComparisonsRequest(
                assessment_id=second.assessment_id, page_token=page.next_page_token
            )
        )
    assert reason_of(err.value) == "INVALID_PAGE_TOKEN"
