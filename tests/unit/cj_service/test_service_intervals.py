"""Bootstrap intervals of soft-verdict batches sit around the scores the service reports."""

import numpy as np

from cj_service.domain import bt_bootstrap, design
from cj_service.domain.comparisons import Comparisons
from cj_service.service.results import _as_fitted


def soft_batch(seed: int = 1) -> tuple[Comparisons, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, m = 30, 300
    theta = rng.normal(0.0, 1.5, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    y = 1.0 / (1.0 + np.exp(-(theta[a] - theta[b] + rng.normal(0.0, 0.5, m))))
    return Comparisons.build(a, b, y, n_items=n), theta - theta.mean()


def test_soft_verdict_intervals_agree_with_the_standard_errors_and_contain_the_scores():
    comps, _ = soft_batch()
    fit = design.fit_scores(comps)
    ci = bt_bootstrap.bootstrap_ci(_as_fitted(comps, fit), fit,
                                   rng=np.random.default_rng(2), rounds=100)
    width = float(np.mean(ci.upper - ci.lower))
    assert 0.6 < width / float(np.mean(3.92 * fit.se)) < 1.4
    assert np.all((ci.lower <= fit.scores) & (fit.scores <= ci.upper))


def test_hard_verdicts_are_resampled_as_they_are():
    comps, _ = soft_batch()
    hard = Comparisons.build(comps.idx_a, comps.idx_b, (comps.y > 0.5).astype(float),
                             n_items=comps.n_items)
    assert _as_fitted(hard, design.fit_scores(hard)) is hard
