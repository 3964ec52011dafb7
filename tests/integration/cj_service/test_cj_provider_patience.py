"""Provider patience: a batch whose provider only fails stops waiting, with the cause;
cancellations llm_provider missed are sent again."""

from __future__ import annotations

import asyncio
import dataclasses

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from cj_service.config import PipelineSettings
from cj_service.service.workflow import provider_cancel, watchdog
from contracts.errors import reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import error_result

pytestmark = pytest.mark.integration
FAST = dataclasses.replace(PipelineSettings(), watchdog_interval_s=0.2)
HOUR = Duration(seconds=3600)


def patient(seconds: float, **kwargs) -> cj_pb2.StoppingOptions:
    nanos = int(seconds * 1e9)
    patience = Duration(seconds=nanos // 10**9, nanos=nanos % 10**9)
    kwargs.setdefault("min_judge_success_rate", 0.01)
    return cj_pb2.StoppingOptions(provider_patience=patience, stall_timeout=HOUR, **kwargs)



async def test_only_server_errors_for_longer_than_the_patience_fail_as_provider_unavailable(
    start_cj,
):
    cj = await start_cj(pipeline=FAST)
    a = (await cj.submit(4, stopping=patient(1, budget=8, max_in_flight=2))).assessment
    first, _ = await cj.wait_requests(a.assessment_id, 2)
    await cj.publish(
        error_result(
            first.request_id, message="504 Gateway Timeout", failed_attempts={"PROVIDER_ERROR": 4}
        )
    )
    done = await wait_until(lambda: cj.ended(a.assessment_id), timeout=15)
    assert done.failure_reason == cj_pb2.FAILURE_REASON_PROVIDER_UNAVAILABLE
    assert "provider of judge simulated/sim-judge unavailable" in done.detail
    assert "only server errors (PROVIDER_ERROR x4)" in done.detail
    assert done.detail.endswith("last provider message: PROVIDER_ERROR: 504 Gateway Timeout")
    await wait_until(lambda: a.assessment_id in cj.provider.cancelled_groups())


async def test_judge_side_failures_are_left_to_the_success_rate_rule(start_cj):
    cj = await start_cj(pipeline=dataclasses.replace(FAST, watchdog_interval_s=3600))
    a = (await cj.submit(4, stopping=patient(0.2, budget=8, max_in_flight=2))).assessment
    first, _ = await cj.wait_requests(a.assessment_id, 2)
    invalid = llm_pb2.COMPARISON_ERROR_REASON_INVALID_RESPONSE
    await cj.publish(error_result(first.request_id, reason=invalid, message="not json"))
    await wait_until(lambda: _failed_once(cj, a.assessment_id))
    await wait_until(lambda: _past_patience(cj, a.assessment_id), message="patience passed")
    out = await watchdog.check_patience(cj.app.deps, a.assessment_id)
    assert not out.finished
    assert (await cj.get(a.assessment_id)).state == cj_pb2.ASSESSMENT_STATE_RUNNING


async def test_a_verdict_after_the_failures_restarts_the_patience(start_cj):
    cj = await start_cj(pipeline=dataclasses.replace(FAST, watchdog_interval_s=3600))
    a = (await cj.submit(4, stopping=patient(0.2, budget=8, max_in_flight=2))).assessment
    first, second = await cj.wait_requests(a.assessment_id, 2)
    await cj.publish(error_result(first.request_id))
    await cj.answer([second])
    await wait_until(lambda: _progress_is(cj, a.assessment_id, done=1, failed=1))
    await asyncio.sleep(0.4)  # past the patience: only the reset keeps the batch alive now
    assert not await _past_patience(cj, a.assessment_id)
    out = await watchdog.check_patience(cj.app.deps, a.assessment_id)
    assert not out.finished


@pytest.mark.parametrize("seconds", [-1, 0, 86_401])
async def test_a_provider_patience_out_of_range_is_refused(cj, seconds):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit(
            3, stopping=cj_pb2.StoppingOptions(provider_patience=Duration(seconds=seconds))
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(err.value) == "INVALID_ARGUMENT" and "provider_patience" in err.value.details()


async def test_a_cancellation_llm_provider_missed_is_sent_again(cj):
    cj.provider.cancel_unavailable = True
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=8))).assessment
    await cj.wait_requests(a.assessment_id, 1)
    await cj.stub.CancelAssessment(cj_pb2.CancelAssessmentRequest(assessment_id=a.assessment_id))
    await cj.app.stoppables[2].idle()  # the canceller's first attempt has failed
    assert cj.provider.cancels == []
    cj.provider.cancel_unavailable = False
    assert await provider_cancel.retry_pending(cj.app.deps, settle_s=0) == 1
    assert cj.provider.cancelled_groups() == [a.assessment_id]
    assert await provider_cancel.retry_pending(cj.app.deps, settle_s=0) == 0  # once is enough


async def _failed_once(cj, batch_id: str) -> bool:
    return (await cj.get(batch_id)).progress.comparisons_failed == 1


async def _progress_is(cj, batch_id: str, *, done: int, failed: int) -> bool:
    p = (await cj.get(batch_id)).progress
    return (p.comparisons_done, p.comparisons_failed) == (done, failed)


async def _past_patience(cj, batch_id: str) -> bool:
    from cj_service.adapters import batch_repo

    async with cj.app.deps.db.read() as conn:
        return batch_id in await batch_repo.impatient_batch_ids(conn)
