import math

import pytest

from cj_service.domain.grade_scales import (
    GradeScale,
    UnknownGradeScale,
    get_scale,
    is_valid_grade,
    list_scales,
)


def test_the_three_seed_scales_are_registered_in_a_stable_order():
    assert [s.id for s in list_scales()] == [
        "swedish_8_anchor",
        "eng5_np_legacy_9_step",
        "eng5_np_national_9_step",
    ]


def test_swedish_scale_has_its_population_priors_and_no_below_lowest_grade():
    scale = get_scale("swedish_8_anchor")
    assert scale.grades == ("F", "E", "D", "D+", "C", "C+", "B", "A")
    assert dict(zip(scale.grades, scale.priors, strict=True)) == {
        "F": 0.02, "E": 0.08, "D": 0.15, "D+": 0.20, "C": 0.25, "C+": 0.15, "B": 0.10, "A": 0.05,
    }  # fmt: skip
    assert scale.below_lowest_grade is None
    assert scale.labels == scale.grades


def test_legacy_scale_is_uniform_with_f_below_the_lowest_grade():
    scale = get_scale("eng5_np_legacy_9_step")
    assert scale.grades == ("F+", "E-", "E+", "D-", "D+", "C-", "C+", "B", "A")
    assert all(math.isclose(p, 1 / 9) for p in scale.priors)
    assert scale.below_lowest_grade == "F"
    assert scale.labels[0] == "F" and scale.labels[1:] == scale.grades


def test_national_scale_uses_numeric_strings_with_zero_below_the_lowest_grade():
    scale = get_scale("eng5_np_national_9_step")
    assert scale.grades == tuple(str(i) for i in range(1, 10))
    assert all(math.isclose(p, 1 / 9) for p in scale.priors)
    assert scale.labels == ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


@pytest.mark.parametrize("scale", list_scales(), ids=lambda s: s.id)
def test_every_scale_has_priors_that_sum_to_one(scale):
    assert math.isclose(math.fsum(scale.priors), 1.0)
    assert scale.prior_of(scale.grades[0]) == scale.priors[0]


def test_an_unknown_scale_id_raises_a_key_error_naming_the_known_scales():
    with pytest.raises(UnknownGradeScale) as info:
        get_scale("swedish_9_anchor")
    assert isinstance(info.value, KeyError)
    assert "swedish_9_anchor" in str(info.value)
    assert "eng5_np_national_9_step" in str(info.value)


def test_grade_validity_is_an_exact_string_match_including_the_below_lowest_grade():
    national = get_scale("eng5_np_national_9_step")
    legacy = get_scale("eng5_np_legacy_9_step")
    swedish = get_scale("swedish_8_anchor")
    assert is_valid_grade(national, "9") and is_valid_grade(national, "0")
    assert not is_valid_grade(national, "10")
    assert not is_valid_grade(national, 5)  # type: ignore[arg-type]
    assert is_valid_grade(legacy, "F") and is_valid_grade(legacy, "C-")
    assert not is_valid_grade(legacy, "C")
    assert is_valid_grade(swedish, "D+") and not is_valid_grade(swedish, "F+")


def test_prior_of_an_unlisted_grade_is_a_key_error():
    with pytest.raises(KeyError):
        get_scale("eng5_np_legacy_9_step").prior_of("F")


@pytest.mark.parametrize(
    ("grades", "priors", "below"),
    [
        (("A", "B"), (0.5, 0.6), None),  # priors do not sum to 1
        (("A", "A"), (0.5, 0.5), None),  # duplicate grades
        (("A",), (1.0,), None),  # a single grade cannot be projected
        (("A", "B"), (1.0, 0.0), None),  # a zero prior would give an empty band
        (("A", "B"), (0.5, 0.5), "A"),  # below-lowest grade clashes with a listed one
    ],
)
def test_an_inconsistent_scale_definition_is_rejected(grades, priors, below):
    with pytest.raises(ValueError):
        GradeScale(id="x", display_name="x", grades=grades, priors=priors,
                   below_lowest_grade=below)  # fmt: skip
