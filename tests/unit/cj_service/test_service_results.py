"""The final result message assembled from the domain fit, its intervals and the grades."""

import numpy as np

from cj_service.adapters import result_messages
from cj_service.service.workflow import results
from tests.unit.cj_service.test_service_statistics import rows_for


def compute(*args, **kwargs):
    """The final results as the cj.v1 message they are stored and published as."""
    return result_messages.message(results.compute(*args, **kwargs))


def essays(n: int, anchors: dict[int, str] | None = None):
    anchors = anchors or {}
    return [
        results.EssayInfo(f"e{i}", f"name{i}", i in anchors, anchors.get(i, "")) for i in range(n)
    ]


def judged(q, n_pairs=60, seed=0):
    rng = np.random.default_rng(seed)
    return rows_for(q, [tuple(rng.choice(q.size, 2, replace=False)) for _ in range(n_pairs)])


def test_essays_are_ranked_by_score_with_intervals_around_it():
    q = np.linspace(2, -2, 6)
    out = compute(essays(6), judged(q), grade_scale_id="", seed=1)
    assert [e.rank for e in out.essays] == list(range(1, 7))
    assert [e.essay_id for e in out.essays] == [f"e{i}" for i in range(6)]
    scores = [e.score for e in out.essays]
    assert scores == sorted(scores, reverse=True)
    assert all(e.ci_low < e.score < e.ci_high and e.se > 0 for e in out.essays)
    assert out.fit.comparisons == 60 and out.judge_models == ["p/m"]
    assert out.fit.reliability_se > 0.05  # six essays: a split-half that says little
    assert not out.calibration.available


def test_anchors_of_two_grades_project_a_grade_for_every_essay():
    q = np.linspace(2, -2, 8)
    out = compute(
        essays(8, {0: "A", 7: "E"}),
        judged(q, 80),
        seed=2,
        grade_scale_id="swedish_8_anchor",
    )
    assert out.calibration.available and len(out.calibration.boundaries) == 7
    assert {g.grade: g.count for g in out.calibration.anchors_per_grade} == {"A": 1, "E": 1}
    for e in out.essays:
        assert e.grade and abs(sum(p.probability for p in e.grade_probabilities) - 1) < 1e-6


def test_one_anchor_grade_gives_no_projection_with_a_reason():
    q = np.linspace(1, -1, 4)
    out = compute(
        essays(4, {0: "A", 1: "A"}),
        judged(q, 20),
        seed=3,
        grade_scale_id="swedish_8_anchor",
    )
    assert not out.calibration.available and out.calibration.reason
    assert all(not e.grade for e in out.essays)


def test_an_unfitted_batch_reports_each_essay_at_the_prior_with_the_reason():
    out = compute(
        essays(1),
        [],
        grade_scale_id="",
        seed=0,
        unfitted_reason="insufficient essays",
    )
    (only,) = out.essays
    assert only.rank == 1 and only.se > 0 and out.calibration.reason == "insufficient essays"


def test_a_single_student_with_anchors_is_ranked_and_graded():
    q = np.array([2.0, 0.3, -2.0])
    out = compute(
        essays(3, {0: "A", 2: "E"}),
        judged(q, 12),
        seed=4,
        grade_scale_id="swedish_8_anchor",
    )
    student = next(e for e in out.essays if not e.is_anchor)
    assert out.calibration.available and student.grade and student.rank == 2


def test_each_essay_counts_the_calls_on_its_pairs_that_failed():
    q = np.linspace(2, -2, 6)
    failed = [(0, 1), (0, 2), (0, 3), (2, 0)]
    out = compute(
        essays(6), judged(q), grade_scale_id="", seed=1, failed=failed
    )
    assert {e.essay_id: e.failed_calls for e in out.essays} == {
        "e0": 4, "e1": 1, "e2": 2, "e3": 1, "e4": 0, "e5": 0
    }


def test_an_unfitted_batch_still_counts_failed_calls():
    out = compute(essays(3), [], grade_scale_id="", seed=1,
                          failed=[(0, 1), (1, 2)])
    assert [e.failed_calls for e in out.essays] == [1, 2, 1]
