"""A batch judged by the simulated judge says so everywhere, and warns about the texts the
simulated judge had no truth for (their order is a hash of the text)."""

from __future__ import annotations

import pytest

from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from tests.fixtures import wait_until
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import verdict

pytestmark = pytest.mark.integration
NO_TRUTH_FOR_BOTH = (
    "Simulated judge: no truth for Essays A and B; their quality is arbitrary (a hash of the "
    "text, unrelated to the writing). Essay A is judged better than Essay B (confidence 3)."
)


async def test_the_simulated_judge_is_labelled_in_get_list_and_results(cj):
    a = (await cj.submit(1)).assessment  # one essay: completed at once, results kept
    assert a.simulated_judge and (await cj.get(a.assessment_id)).simulated_judge
    listed = await cj.stub.ListAssessments(cj_pb2.ListAssessmentsRequest())
    assert [x.simulated_judge for x in listed.assessments] == [True]
    results = await cj.stub.GetAssessmentResults(
        cj_pb2.GetAssessmentResultsRequest(assessment_id=a.assessment_id)
    )
    assert results.assessment.simulated_judge


async def test_a_real_judge_is_not_labelled_simulated(cj):
    cj.provider.configured["anthropic"] = True  # its key is set on llm_provider
    haiku = common_pb2.JudgeConfig(provider="anthropic", model="claude-haiku-4-5")
    a = (await cj.submit(1, judge=haiku)).assessment
    assert not a.simulated_judge and not (await cj.get(a.assessment_id)).simulated_judge


async def test_texts_without_truth_are_warned_about_once_each(cj):
    a = (await cj.submit(4, stopping=cj_pb2.StoppingOptions(budget=20, max_in_flight=2))).assessment
    first, _ = await cj.wait_requests(a.assessment_id, 2)
    judged = verdict(first.request_id)
    judged.verdict.justification = NO_TRUTH_FOR_BOTH
    await cj.publish(judged)
    await cj.publish(judged, msg_id="redelivered")  # the same verdict again counts nothing

    async def warned():
        found = (await cj.get(a.assessment_id)).warnings
        return found or None

    # Both deliveries applied (the second as a duplicate) before the warning is read.
    await wait_until(lambda: cj.counted("duplicate") == 1)
    warnings = await wait_until(warned, timeout=10)
    assert list(warnings) == [
        "the simulated judge had no truth for 2 texts: their order is arbitrary"
    ]
