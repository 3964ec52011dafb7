"""End to end: an assignment with 8 graded anchors and 30 students gets grades that agree
with the simulated truth (issue 7: within one grade for >= 90% of the students).

Everything is real and on loopback: the anchors are registered through CJAdminService with an
admin JWT, texts live in content_service, the simulated judge in llm_provider judges them by
a quality derived from each text, and cj_service projects grades from the anchors' scores.
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from scipy.stats import norm

from cj_service.auth import make_dev_token
from cj_service.domain.grade_scales import get_scale
from contracts.huleedu.cj.v1 import cj_admin_pb2, cj_pb2, cj_service_pb2_grpc
from contracts.huleedu.common.v1 import common_pb2
from llm_provider.domain.simulation import latent_quality
from tests.e2e.test_cj_end_to_end import QUALITY_SD, TOPICS, mesh  # noqa: F401 (fixture)
from tests.fixtures import unique_name, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
SCALE = get_scale("swedish_8_anchor")


def text(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return f"Script {i} about {topic}. " + f"It discusses {topic} with care, point {i}. " * 6


def true_grade(theta: float) -> int:
    """The truth's grade band: population priors cut the N(0, QUALITY_SD) quality scale."""
    cuts = norm.ppf(np.cumsum(SCALE.priors)[:-1]) * QUALITY_SD
    return int(np.searchsorted(cuts, theta))


def pick_anchors_and_students() -> tuple[dict[str, str], list[str]]:
    """One anchor text per grade (the candidate nearest its band's middle), 30 other students."""
    pool = [text(i) for i in range(4000)]
    qualities = np.array([latent_quality(t, quality_sd=QUALITY_SD) for t in pool])
    edges = np.concatenate([[0.0], np.cumsum(SCALE.priors)])
    anchors = {}
    for k, grade in enumerate(SCALE.grades):
        middle = norm.ppf((edges[k] + edges[k + 1]) / 2) * QUALITY_SD
        anchors[grade] = pool[int(np.argmin(np.abs(qualities - middle)))]
    students = [t for t in pool if t not in anchors.values()][:30]
    return anchors, students


async def _register(admin, token, assignment, anchors) -> None:
    auth = (("authorization", f"Bearer {token}"),)
    await admin.UpsertAssessmentInstruction(
        cj_admin_pb2.UpsertAssessmentInstructionRequest(
            request_id=unique_name("instr"),
            scope=cj_admin_pb2.InstructionScope(assignment_id=assignment),
            instructions_text="Judge which essay is the better piece of writing overall.",
            grade_scale_id=SCALE.id,
            context_origin=cj_admin_pb2.CONTEXT_ORIGIN_RESEARCH_EXPERIMENT,
        ),
        metadata=auth,
    )
    for grade, anchor_text in anchors.items():
        await admin.RegisterAnchor(
            cj_admin_pb2.RegisterAnchorRequest(
                request_id=unique_name("anchor"),
                assignment_id=assignment,
                label=f"anchor-{grade}",
                grade=grade,
                text=anchor_text,
            ),
            metadata=auth,
        )


async def test_grades_from_eight_anchors_are_within_one_grade_of_the_truth(mesh):  # noqa: F811
    _, _, cj = mesh
    anchors, students = pick_anchors_and_students()
    assignment = unique_name("assignment")
    async with grpc.aio.insecure_channel(cj.address) as channel:
        admin = cj_service_pb2_grpc.CJAdminServiceStub(channel)
        await _register(admin, make_dev_token({}), assignment, anchors)
        stub = cj_service_pb2_grpc.CJAssessmentServiceStub(channel)
        submitted = await stub.SubmitAssessment(
            cj_pb2.SubmitAssessmentRequest(
                request_id=unique_name("grades"),
                assignment_id=assignment,
                essays=[
                    cj_pb2.EssayInput(essay_id=f"s{i:02d}", text=t) for i, t in enumerate(students)
                ],
                judge=common_pb2.JudgeConfig(provider="simulated", model="simulated-judge"),
                stopping=cj_pb2.StoppingOptions(
                    budget=38 * 10, target_reliability=0.99, max_in_flight=40
                ),
            )
        )
        batch_id = submitted.assessment.assessment_id

        async def finished():
            got = await stub.GetAssessment(cj_pb2.GetAssessmentRequest(assessment_id=batch_id))
            a = got.assessment
            return a if a.state != cj_pb2.ASSESSMENT_STATE_RUNNING else None

        done = await wait_until(finished, timeout=150, interval=0.25, message="batch completed")
        assert done.state == cj_pb2.ASSESSMENT_STATE_COMPLETED, done.detail
        results = await stub.GetAssessmentResults(
            cj_pb2.GetAssessmentResultsRequest(assessment_id=batch_id)
        )
    assert results.calibration.available, results.calibration.reason
    assert sum(c.count for c in results.calibration.anchors_per_grade) == 8
    index = {g: k for k, g in enumerate(SCALE.grades)}
    gaps = []
    for essay in results.essays:
        if essay.is_anchor:
            continue
        truth = true_grade(latent_quality(students[int(essay.essay_id[1:])], quality_sd=QUALITY_SD))
        gaps.append(abs(index[essay.grade] - truth))
        assert sum(p.probability for p in essay.grade_probabilities) == pytest.approx(1.0)
    within_one = float(np.mean(np.array(gaps) <= 1))
    print(
        f"grades e2e: exact={np.mean(np.array(gaps) == 0):.3f} within_one={within_one:.3f} "
        f"comparisons={done.progress.comparisons_done} reliability={done.progress.reliability:.3f}"
    )
    assert len(gaps) == 30
    assert within_one >= 0.9
