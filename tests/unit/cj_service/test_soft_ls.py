"""Soft verdicts alone: least squares on the logit scale with an exact evidence."""

import numpy as np
from scipy.stats import spearmanr

from cj_service.domain import design
from cj_service.domain.bt import Comparisons, fit_bt
from cj_service.domain.soft import efficient_weights
from cj_service.domain.soft_ls import censored, fit_logit_ls, working_form


def logit_normal(*, n=120, k=10, sigma=1.5, noise=1.0, beta=0.3, seed=0):
    """A judge whose logit P(A) is the quality difference plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, sigma, n)
    m = n * k // 2
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    z = theta[a] - theta[b] + beta + rng.normal(0.0, noise, m)
    return Comparisons.build(a, b, 1.0 / (1.0 + np.exp(-z)), n_items=n), theta


def fractional(comps):
    """The fractional-Bernoulli fit with efficient weights (what mixed batches get)."""
    fit = fit_bt(comps)
    for _ in range(3):
        fit = fit_bt(comps.reweighted(efficient_weights(comps, fit)), init=fit.params)
    return fit


def test_it_ranks_logit_normal_verdicts_at_least_as_well_as_the_weighted_bernoulli_fit():
    ls, frac = [], []
    for seed in range(6):
        comps, theta = logit_normal(seed=seed)
        ls.append(spearmanr(fit_logit_ls(comps).scores, theta)[0])
        frac.append(spearmanr(fractional(comps).scores, theta)[0])
    assert np.mean(ls) >= np.mean(frac)
    assert np.mean(ls) > 0.9


def test_the_evidence_recovers_the_spread_and_the_bias():
    fits = [fit_logit_ls(logit_normal(n=200, seed=s)[0]) for s in range(3)]
    assert 1.2 < np.mean([f.prior_sd for f in fits]) < 1.8
    assert abs(np.mean([f.beta[0] for f in fits]) - 0.3) < 0.1
    assert all(np.all(f.se > 0) and f.cov is not None for f in fits)


def test_its_standard_errors_match_the_spread_of_its_errors():
    z = []
    for seed in range(4):
        comps, theta = logit_normal(seed=seed, sigma=1.0)
        fit = fit_logit_ls(comps)
        z.append((fit.scores - (theta - theta.mean())) / fit.se)
    assert 0.8 < np.std(np.concatenate(z)) < 1.25


def test_certain_verdicts_of_exactly_zero_or_one_stay_finite():
    comps, _ = logit_normal(n=40, k=8)
    y = comps.y.copy()
    y[:20] = np.round(y[:20])
    fit = fit_logit_ls(Comparisons.build(comps.idx_a, comps.idx_b, y, n_items=40))
    assert np.all(np.isfinite(fit.scores)) and np.all(np.isfinite(fit.se))


def test_the_service_fits_soft_only_batches_by_least_squares_and_mixed_ones_as_bt():
    comps, _ = logit_normal(n=60, k=8)
    assert np.allclose(design.fit_scores(comps).scores, fit_logit_ls(comps).scores)
    mixed_y = comps.y.copy()
    mixed_y[::7] = (mixed_y[::7] > 0.5) * 1.0
    mixed = Comparisons.build(comps.idx_a, comps.idx_b, mixed_y, n_items=60)
    assert design.fitted_form(mixed, design.fit_scores(mixed)).y is mixed.y


def test_the_working_form_has_the_least_squares_gradient_at_the_mode():
    comps, _ = logit_normal(n=50, k=8)
    fit = fit_logit_ls(comps)
    w = working_form(comps, fit)
    eta = fit.scores[comps.idx_a] - fit.scores[comps.idx_b] + fit.beta[0]
    p = 1.0 / (1.0 + np.exp(-eta))
    logits = np.log(comps.y / (1.0 - comps.y))
    resid = logits - eta
    phi2 = np.mean(resid**2)
    assert np.allclose(w.weight * (w.y - p), resid / phi2)


def test_a_judge_whose_p_a_mostly_sits_at_certainty_is_read_as_fractional_outcomes():
    comps, _ = logit_normal(n=60, k=8, noise=8.0)  # logits ~ +-8: P(A) near 0 or 1
    assert censored(comps.y).mean() > 0.25
    assert design.fitted_form(comps, design.fit_scores(comps)).y is comps.y
    assert not np.allclose(design.fit_scores(comps).scores, fit_logit_ls(comps).scores)


def test_the_naive_ssr_of_a_soft_batch_comes_from_the_same_model_under_a_weak_prior():
    comps, _ = logit_normal(n=60, k=8)
    naive = design.naive_fit(comps)
    assert naive.prior_sd == design.NAIVE_PRIOR_SD
    assert np.allclose(naive.scores, fit_logit_ls(comps, prior_sd=3.0).scores)
