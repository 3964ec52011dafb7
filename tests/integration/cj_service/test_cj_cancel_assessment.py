"""CancelAssessment: a guarded transition; results still in flight are ignored afterwards."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import verdict

pytestmark = pytest.mark.integration


async def cancel(cj, batch_id: str, **kwargs) -> cj_pb2.Assessment:
    response = await cj.stub.CancelAssessment(
        cj_pb2.CancelAssessmentRequest(assessment_id=batch_id, **kwargs), timeout=10
    )
    return response.assessment


async def test_a_running_batch_is_cancelled_and_its_late_results_are_ignored(cj):
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=8, max_in_flight=3))).assessment
    requests = await cj.wait_requests(a.assessment_id, 3)
    cancelled = await cancel(cj, a.assessment_id, request_id="c-1", reason="teacher changed mind")
    assert cancelled.state == cj_pb2.ASSESSMENT_STATE_CANCELLED
    assert cancelled.detail == "teacher changed mind"
    assert cancelled.progress.comparisons_in_flight == 0 and cancelled.HasField("finished_at")
    await cj.publish(verdict(requests[0].request_id))
    await wait_until(
        lambda: (
            (
                cj.metrics.registry.get_sample_value(
                    "huleedu_cj_comparisons_total", {"outcome": "late"}
                )
                or 0
            )
            == 1
        )
    )
    assert (await cj.get(a.assessment_id)).progress.comparisons_done == 0


async def test_cancelling_twice_returns_the_cancelled_batch(cj):
    a = (await cj.submit(3)).assessment
    first = await cancel(cj, a.assessment_id, request_id="c-2")
    again = await cancel(cj, a.assessment_id, request_id="c-2")
    assert again.state == cj_pb2.ASSESSMENT_STATE_CANCELLED
    assert again.updated_at == first.updated_at


async def test_cancelling_an_unknown_batch_is_not_found(cj):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cancel(cj, "no-such-batch")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(err.value) == "ASSESSMENT_NOT_FOUND"


async def test_cancelling_a_completed_batch_is_refused(cj):
    a = (await cj.submit(1)).assessment  # completes at once: insufficient essays
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cancel(cj, a.assessment_id)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(err.value) == "INVALID_STATE"


async def test_a_cancel_request_id_cannot_be_reused_for_another_batch(cj):
    first = (await cj.submit(3)).assessment
    second = (await cj.submit(3)).assessment
    await cancel(cj, first.assessment_id, request_id="c-3")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cancel(cj, second.assessment_id, request_id="c-3")
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert reason_of(err.value) == "REQUEST_ID_CONFLICT"


async def test_cancelling_without_an_id_is_invalid(cj):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cancel(cj, "")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
