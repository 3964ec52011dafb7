"""Statistical properties of the grade projection on simulated batches (fixed seeds).

Setting of issue 10 Q3: N = 200 essays, true quality theta ~ N(0, 3), six grade bands cut at the
true-theta sextiles, 10 anchors of known true grade, fitted scores = theta + noise with SE ~ 0.5.
"""

import numpy as np
from scipy.stats import norm

from cj_service.domain.grade_scales import GradeScale
from cj_service.domain.grading import project_grades

SIX_BANDS = GradeScale(
    id="six_band_test", display_name="six bands", grades=tuple("123456"), priors=(1 / 6,) * 6
)
ANCHORS_PER_BAND = (2, 2, 2, 1, 1, 2)
SEEDS = range(8)


def _anchor_positions(rng, true_band):
    picks = [
        rng.choice(np.flatnonzero(true_band == band), count, replace=False)
        for band, count in enumerate(ANCHORS_PER_BAND)
    ]
    return np.concatenate(picks)


def _noisy_scores(rng, theta, se=0.5):
    ses = rng.uniform(0.8 * se, 1.2 * se, theta.size)
    scores = theta + rng.normal(0.0, ses)
    return scores - scores.mean(), ses  # BT scores are centred on the batch


def _agreement(theta, true_band, anchors, rng):
    scores, ses = _noisy_scores(rng, theta)
    result = project_grades(
        scores, ses, anchor_index=anchors,
        anchor_grades=[SIX_BANDS.grades[b] for b in true_band[anchors]], scale=SIX_BANDS,
    )  # fmt: skip
    students = np.setdiff1d(np.arange(theta.size), anchors)
    predicted = np.array([SIX_BANDS.grades.index(g) for g in result.primary_grades])[students]
    error = np.abs(predicted - true_band[students])
    return np.mean(error == 0), np.mean(error <= 1), np.mean(result.confidence[students])


def _population_batch(seed):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 3.0, 200)
    true_band = np.searchsorted(np.quantile(theta, np.arange(1, 6) / 6), theta)
    return _agreement(theta, true_band, _anchor_positions(rng, true_band), rng)


def test_issue_10_q3_targets_exact_070_and_within_one_099():
    figures = np.array([_population_batch(seed) for seed in SEEDS])
    exact, within_one, confidence = figures.mean(axis=0)
    # observed with these seeds: exact 0.732, within-one 0.999, mean confidence 0.683
    # (100 seeds: exact 0.733, within-one 0.998; oracle boundaries give about 0.78)
    assert exact >= 0.70
    assert within_one >= 0.99
    assert figures[:, 1].min() >= 0.98
    # the reported confidence is honest: close to the exact agreement actually achieved
    assert abs(confidence - exact) <= 0.08


def _strong_class_batch(seed):
    """A class stronger and narrower than the population the band cuts come from."""
    rng = np.random.default_rng(seed)
    cuts = 3.0 * norm.ppf(np.arange(1, 6) / 6)
    population = rng.normal(0.0, 3.0, 5000)
    population_band = np.searchsorted(cuts, population)
    anchor_theta = np.concatenate([
        rng.choice(population[population_band == band], count, replace=False)
        for band, count in enumerate(ANCHORS_PER_BAND)
    ])  # fmt: skip
    theta = np.concatenate([rng.normal(1.5, 2.4, 190), anchor_theta])
    return _agreement(theta, np.searchsorted(cuts, theta), np.arange(190, 200), rng)


def test_anchors_move_the_boundaries_when_the_class_is_not_the_population():
    # population priors alone (batch quantiles) would score about 0.33 exact here; observed 0.76
    figures = np.array([_strong_class_batch(seed) for seed in SEEDS])
    exact, within_one, _ = figures.mean(axis=0)
    assert exact >= 0.65
    assert within_one >= 0.98


def _rule_agreement(seed, se):
    """(exact, within-one) of the reported (median) grade and of the argmax, noisy scores."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 3.0, 200)
    true_band = np.searchsorted(np.quantile(theta, np.arange(1, 6) / 6), theta)
    anchors = _anchor_positions(rng, true_band)
    scores, ses = _noisy_scores(rng, theta, se)
    result = project_grades(
        scores, ses, anchor_index=anchors,
        anchor_grades=[SIX_BANDS.grades[b] for b in true_band[anchors]], scale=SIX_BANDS,
    )  # fmt: skip
    students = np.setdiff1d(np.arange(theta.size), anchors)
    median = np.array([SIX_BANDS.grades.index(g) for g in result.primary_grades])
    out = []
    for predicted in (median, np.argmax(result.probabilities, axis=1)):
        error = np.abs(predicted[students] - true_band[students])
        out += [np.mean(error == 0), np.mean(error <= 1)]
    return out


def test_the_median_grade_keeps_within_one_agreement_the_argmax_loses():
    # scores as noisy as 10 hard verdicts per essay leave them (SE ~1.5 on this scale): the
    # argmax sends uncertain essays to the open-ended outer grades. Observed with these seeds:
    # median 0.469 / 0.894, argmax 0.475 / 0.869 (exact / within-one)
    med_exact, med_within, arg_exact, arg_within = np.mean(
        [_rule_agreement(seed, 1.5) for seed in SEEDS], axis=0
    )
    assert med_within >= arg_within + 0.015
    assert med_exact >= arg_exact - 0.02
