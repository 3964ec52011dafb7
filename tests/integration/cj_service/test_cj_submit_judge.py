"""SubmitAssessment's judge: the configured default when none is given, checked against
llm_provider before anything is stored, refused with a reason that says what to fix."""

from __future__ import annotations

import grpc
import pytest

from contracts.errors import error_info, reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403

pytestmark = pytest.mark.integration
NO_JUDGE = common_pb2.JudgeConfig()


async def refused(cj, **kwargs) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit(3, **kwargs)
    return err.value


async def nothing_stored(cj) -> bool:
    listed = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest())
    return list(listed.assessments) == []


async def test_a_submission_without_a_judge_gets_the_configured_default_and_shows_it(cj):
    response = await cj.submit(3, judge=common_pb2.JudgeConfig(temperature=0.3))
    a = await cj.get(response.assessment.assessment_id)
    assert (a.judge.provider, a.judge.model, a.judge.temperature) == ("simulated", "sim-judge", 0.3)
    assert a.simulated_judge and response.assessment.simulated_judge
    requests = await cj.wait_requests(a.assessment_id, 1)
    assert requests[0].judge.model == "sim-judge"


async def test_a_retry_gets_the_original_batch_even_when_llm_provider_is_down_since(cj):
    first = await cj.submit(3, judge=NO_JUDGE, request_id="judge-retry")
    cj.provider.catalog_unavailable = True
    again = await cj.submit(3, judge=NO_JUDGE, request_id="judge-retry")
    assert again.duplicate and again.assessment.assessment_id == first.assessment.assessment_id


async def test_without_a_judge_or_a_default_the_submission_is_refused(start_cj):
    cj = await start_cj(default_judge="")
    err = await refused(cj, judge=NO_JUDGE)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == "judge is required (or set CJ_DEFAULT_JUDGE)"
    assert await nothing_stored(cj)


async def test_a_judge_whose_provider_has_no_credentials_is_refused_naming_the_variable(cj):
    haiku = common_pb2.JudgeConfig(provider="anthropic", model="claude-haiku-4-5")
    err = await refused(cj, judge=haiku)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(err) == "PROVIDER_NOT_CONFIGURED"
    assert "anthropic" in err.details() and "ANTHROPIC_API_KEY" in err.details()
    assert error_info(err).metadata["variable"] == "ANTHROPIC_API_KEY"
    assert await nothing_stored(cj) and cj.provider.submissions == 0


PARAMETERS = {  # judge parameters a model cannot take -> the field named
    "temperature 9": (common_pb2.JudgeConfig(temperature=9), "judge.temperature"),
    "max_tokens -5": (common_pb2.JudgeConfig(max_tokens=-5), "judge.max_tokens"),
    "max_tokens too many": (common_pb2.JudgeConfig(max_tokens=8193), "judge.max_tokens"),
    "unknown effort": (common_pb2.JudgeConfig(reasoning_effort=42), "judge.reasoning_effort"),  # type: ignore[arg-type]
}


async def test_judge_parameters_out_of_the_models_range_are_refused_naming_the_parameter(cj):
    for case, (judge, field) in PARAMETERS.items():
        judge.provider, judge.model = "simulated", "sim-judge"
        err = await refused(cj, judge=judge)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, case
        assert error_info(err).metadata["field"] == field, case
        assert field in err.details(), case
    assert await nothing_stored(cj)


async def test_an_unreachable_llm_provider_makes_the_submission_unavailable_not_accepted(cj):
    cj.provider.catalog_unavailable = True
    err = await refused(cj)
    assert err.code() == grpc.StatusCode.UNAVAILABLE
    assert reason_of(err) == "DEPENDENCY_UNAVAILABLE" and "ListModels" in err.details()
    assert await nothing_stored(cj)
