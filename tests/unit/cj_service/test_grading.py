import numpy as np
import pytest
from scipy.special import ndtri

from cj_service.domain.grade_scales import get_scale, list_scales
from cj_service.domain.grading import (
    NO_PROJECTION_REASON,
    median_grade,
    project_grades,
    shrunk_scale_se,
)


def _ladder_batch(scale, *, students, spacing=1.0, se=0.4):
    """One anchor per listed grade, evenly spaced and centred on 0, after the students."""
    anchors = spacing * (np.arange(len(scale.grades)) - (len(scale.grades) - 1) / 2)
    scores = np.concatenate([np.asarray(students, float), anchors])
    ses = np.full(scores.size, se)
    anchor_index = np.arange(len(students), scores.size)
    return scores, ses, anchor_index, list(scale.grades)


def _project(scale, scores, ses, anchor_index, anchor_grades, **kw):
    return project_grades(
        scores, ses, anchor_index=anchor_index, anchor_grades=anchor_grades, scale=scale, **kw
    )


@pytest.mark.parametrize("scale", list_scales(), ids=lambda s: s.id)
def test_boundaries_are_strictly_increasing_and_probabilities_sum_to_one(scale):
    scores, ses, idx, grades = _ladder_batch(scale, students=np.linspace(-6, 6, 25))
    result = _project(scale, scores, ses, idx, grades)
    assert result.available and result.reason == ""
    assert result.grades == list(scale.labels)
    assert result.boundaries.shape == (len(scale.labels) - 1,)
    assert np.all(np.diff(result.boundaries) > 0)
    assert result.probabilities.shape == (scores.size, len(scale.labels))
    assert np.all(result.probabilities >= 0)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-9)
    assert all(g in scale.labels for g in result.primary_grades)


@pytest.mark.parametrize("scale", list_scales(), ids=lambda s: s.id)
def test_clean_anchors_are_projected_onto_their_own_grade(scale):
    scores, ses, idx, grades = _ladder_batch(scale, students=[0.0], spacing=1.5, se=0.2)
    result = _project(scale, scores, ses, idx, grades)
    anchor_projection = [result.primary_grades[i] for i in idx]
    assert anchor_projection == grades
    assert result.inversions == []
    assert result.anchors_per_grade == {g: int(g in grades) for g in scale.labels}


def test_primary_grade_follows_the_score_order():
    scale = get_scale("eng5_np_national_9_step")
    students = np.linspace(-5, 5, 41)
    scores, ses, idx, grades = _ladder_batch(scale, students=students)
    result = _project(scale, scores, ses, idx, grades)
    ranks = [scale.labels.index(g) for g in result.primary_grades[: students.size]]
    assert ranks == sorted(ranks)
    assert ranks[0] < ranks[-1]


def test_the_primary_grade_is_the_median_of_the_grade_distribution():
    probs = np.array([[0.40, 0.15, 0.15, 0.30], [0.1, 0.1, 0.3, 0.5], [0.5, 0.5, 0.0, 0.0]])
    # argmax would say 0, 3, 0; the median is where the cumulative probability reaches 1/2
    assert median_grade(probs).tolist() == [1, 2, 0]


def test_an_uncertain_essay_is_not_pushed_into_an_unbounded_outer_grade():
    scale = get_scale("eng5_np_national_9_step")
    scores, ses, idx, grades = _ladder_batch(scale, students=[-2.6], spacing=1.0, se=0.2)
    ses[0] = 4.0  # the open-ended bottom grades soak up the lower half of its distribution
    result = _project(scale, scores, ses, idx, grades, boundary_uncertainty=False)
    probs = result.probabilities[0]
    assert np.argmax(probs) <= 1  # the argmax: "0" or "1", below the score itself
    cumulative = np.cumsum(probs)
    median = scale.labels.index(result.primary_grades[0])
    assert cumulative[median] >= 0.5 and (median == 0 or cumulative[median - 1] < 0.5)
    assert median >= 2


def test_a_wide_score_se_spreads_the_grade_probabilities():
    scale = get_scale("swedish_8_anchor")
    scores, ses, idx, grades = _ladder_batch(scale, students=[0.5, 0.5])
    ses[0], ses[1] = 0.1, 2.5
    result = _project(scale, scores, ses, idx, grades)
    assert result.confidence[1] < result.confidence[0] - 0.2
    assert result.entropy[1] > result.entropy[0]
    assert np.count_nonzero(result.probabilities[1] > 0.05) > np.count_nonzero(
        result.probabilities[0] > 0.05
    )


def test_a_narrow_se_in_the_middle_of_a_band_is_confident():
    scale = get_scale("eng5_np_legacy_9_step")
    scores, ses, idx, grades = _ladder_batch(scale, students=[0.0], spacing=2.0, se=0.15)
    result = _project(scale, scores, ses, idx, grades, boundary_uncertainty=False)
    assert result.primary_grades[0] == "D+"  # the middle anchor sits at 0
    assert result.confidence[0] > 0.9
    assert result.within_one[0] >= result.confidence[0]


def test_boundary_uncertainty_lowers_confidence_but_keeps_probabilities_valid():
    scale = get_scale("eng5_np_legacy_9_step")
    scores, ses, idx, grades = _ladder_batch(scale, students=np.linspace(-4, 4, 17))
    with_b = _project(scale, scores, ses, idx, grades)
    without_b = _project(scale, scores, ses, idx, grades, boundary_uncertainty=False)
    assert np.mean(with_b.confidence) < np.mean(without_b.confidence)
    np.testing.assert_allclose(with_b.probabilities.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(with_b.boundary_ses > 0)


def test_the_same_inputs_give_the_same_projection():
    scale = get_scale("swedish_8_anchor")
    scores, ses, idx, grades = _ladder_batch(scale, students=np.linspace(-3, 3, 7))
    first = _project(scale, scores, ses, idx, grades)
    second = _project(scale, scores, ses, idx, grades)
    np.testing.assert_array_equal(first.probabilities, second.probabilities)


@pytest.mark.parametrize(
    ("scale_id", "below"), [("eng5_np_national_9_step", "0"), ("eng5_np_legacy_9_step", "F")]
)
def test_an_essay_far_below_the_lowest_anchor_gets_the_below_lowest_grade(scale_id, below):
    scale = get_scale(scale_id)
    scores, ses, idx, grades = _ladder_batch(scale, students=[-14.0, -4.2])
    result = _project(scale, scores, ses, idx, grades)
    assert result.grades[0] == below
    assert result.primary_grades[0] == below
    assert result.primary_grades[1] == scale.grades[0]  # just under the lowest anchor


def test_a_scale_without_below_lowest_grade_gives_its_lowest_grade_instead():
    scale = get_scale("swedish_8_anchor")
    scores, ses, idx, grades = _ladder_batch(scale, students=[-14.0])
    result = _project(scale, scores, ses, idx, grades)
    assert result.grades == list(scale.grades)
    assert result.primary_grades[0] == "F"


def test_anchors_graded_below_lowest_are_used_as_the_lowest_category():
    scale = get_scale("eng5_np_national_9_step")
    scores = np.array([-5.0, -3.9, -4.1, 0.0, 0.2, 3.0])
    idx = np.array([1, 2, 3, 4, 5])
    result = _project(scale, scores, np.full(6, 0.3), idx, ["0", "0", "5", "5", "9"])
    assert result.available
    assert result.anchors_per_grade["0"] == 2
    assert result.primary_grades[0] == "0"
    assert result.boundaries[0] > -3.9


def test_numeric_grades_stay_strings_everywhere():
    scale = get_scale("eng5_np_national_9_step")
    scores, ses, idx, grades = _ladder_batch(scale, students=[-1.0, 2.0])
    result = _project(scale, scores, ses, idx, grades)
    assert all(isinstance(g, str) for g in result.primary_grades + result.grades)
    assert set(result.anchors_per_grade) == set(scale.labels)


def test_grades_without_anchors_still_get_ordered_bands_from_the_population_priors():
    scale = get_scale("swedish_8_anchor")
    rng = np.random.default_rng(3)
    students = rng.normal(0.0, 2.0, 60)
    scores = np.concatenate([students, [-2.5, 3.5]])
    idx = np.array([60, 61])
    result = _project(scale, scores, np.full(62, 0.5), idx, ["E", "A"])
    widths = np.diff(result.boundaries)
    assert np.all(widths > 0.1)
    # unanchored bands keep the relative widths their population shares imply in a normal batch
    implied = np.diff(ndtri(np.cumsum(scale.priors)[:-1]))
    ratio = widths / implied
    assert ratio.max() / ratio.min() < 1.5
    assert result.anchors_per_grade["C"] == 0 and result.anchors_per_grade["E"] == 1


@pytest.mark.parametrize("anchor_grades", [["C", "C"], []])
def test_fewer_than_two_distinct_anchor_grades_means_no_projection(anchor_grades):
    scale = get_scale("swedish_8_anchor")
    scores = np.array([0.0, 1.0, -1.0])
    idx = np.arange(1, 1 + len(anchor_grades))
    result = _project(scale, scores, np.full(3, 0.5), idx, anchor_grades)
    assert not result.available
    assert result.reason == NO_PROJECTION_REASON == "fewer than 2 distinct anchor grades"
    assert result.primary_grades == [] and result.probabilities.shape == (3, 0)
    assert result.anchors_per_grade["C"] == len(anchor_grades)


def test_a_batch_of_one_student_with_anchors_is_projected():
    scale = get_scale("eng5_np_national_9_step")
    scores = np.array([0.3, -1.5, 1.5])
    result = _project(scale, scores, np.array([0.8, 0.6, 0.6]), np.array([1, 2]), ["3", "7"])
    assert result.available
    assert result.primary_grades == ["5", "3", "7"]
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(np.diff(result.boundaries) > 0)


def test_an_anchor_out_of_order_is_reported_with_its_evidence():
    scale = get_scale("swedish_8_anchor")
    # the B anchor (index 3) scored above the A anchor (index 4)
    scores = np.array([0.0, -3.0, 0.5, 3.5, 2.0])
    idx = np.array([1, 2, 3, 4])
    result = _project(scale, scores, np.full(5, 0.4), idx, ["E", "C", "B", "A"])
    by_index = {inv.index: inv for inv in result.inversions}
    assert set(by_index) == {3, 4}
    b_anchor = by_index[3]
    assert (b_anchor.grade, b_anchor.score, b_anchor.se) == ("B", 3.5, 0.4)
    lo, hi = b_anchor.expected_interval
    k = result.grades.index("B")
    assert (lo, hi) == (result.boundaries[k - 1], result.boundaries[k])
    [conflict] = b_anchor.conflicts
    assert (conflict.index, conflict.grade, conflict.score) == (4, "A", 2.0)
    assert conflict.z == pytest.approx(1.5 / np.hypot(0.4, 0.4))


def test_invalid_input_is_rejected_with_a_reason():
    scale = get_scale("eng5_np_national_9_step")
    scores, ses = np.array([0.0, 1.0, 2.0]), np.full(3, 0.5)
    with pytest.raises(ValueError, match="not on scale"):
        _project(scale, scores, ses, np.array([1, 2]), ["3", "10"])
    with pytest.raises(ValueError, match="same length"):
        _project(scale, scores, ses, np.array([1, 2]), ["3"])
    with pytest.raises(ValueError, match="distinct positions"):
        _project(scale, scores, ses, np.array([1, 3]), ["3", "4"])
    with pytest.raises(ValueError, match="finite"):
        _project(scale, scores, np.array([0.5, -1.0, 0.5]), np.array([1, 2]), ["3", "4"])


def test_a_shrunk_score_is_graded_with_its_error_on_the_shrunk_scale():
    scores = np.random.default_rng(0).normal(0.0, 1.0, 50)
    ses = np.full(50, 0.8)
    tau2 = np.var(scores) + 0.64  # posterior means: their spread plus their error variance
    np.testing.assert_allclose(shrunk_scale_se(scores, ses), 0.8 * np.sqrt(1.0 - 0.64 / tau2))
    assert shrunk_scale_se(scores, np.full(50, 0.05))[0] > 0.0499  # a precise score: as given
    assert np.all(shrunk_scale_se(scores, np.full(50, 9.0)) == 4.5)  # s floored at 1/4
