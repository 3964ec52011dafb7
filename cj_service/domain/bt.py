"""Bradley-Terry MAP fit with a position-bias term and soft (fractional) verdicts.

Model: P(essay shown as A wins) = sigmoid(theta[a] - theta[b] + beta[judge]). A verdict y is
1 (A won), 0 (B won) or, when the judge reports P(A) from logprobs, that probability: it enters
the log likelihood as the fractional outcome y*log p + (1-y)*log(1-p). Gaussian priors
theta ~ N(0, prior_sd^2) and beta ~ N(0, beta_prior_sd^2) keep every estimate finite however
the comparison graph looks (all-win essays, disconnected components). Newton's method on the
sufficient statistics; the information matrix is sparse (see bt_linalg), so scores are centred
and SEs come from the prior-regularised information matrix -- never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cj_service.domain import bt_linalg
from cj_service.domain.comparisons import Comparisons

__all__ = [
    "BTFit",
    "Comparisons",
    "fit_at_mode",
    "fit_bt",
    "linear_predictor",
    "log_evidence",
    "sigmoid",
    "score_terms",
    "win_probability",
]

DEFAULT_PRIOR_SD = 3.0
DEFAULT_BETA_PRIOR_SD = 1.0
_MAX_ITER = 100
_TOL = 1e-8


@dataclass(frozen=True)
class BTFit:
    """Result of a fit: plain arrays, one entry per essay (beta: one per judge)."""

    scores: np.ndarray
    se: np.ndarray
    beta: np.ndarray
    beta_se: np.ndarray
    infit: np.ndarray
    outfit: np.ndarray
    n_comparisons: np.ndarray
    converged: bool
    log_likelihood: float
    iterations: int
    prior_sd: float
    lapse: float = 0.0
    cov: np.ndarray | None = None  # centred score covariance; None for large batches

    @property
    def params(self) -> np.ndarray:
        return np.concatenate([self.scores, self.beta])


@dataclass(frozen=True)
class _Posterior:
    """What Newton leaves behind: the mode and the factorised precision there."""

    x: np.ndarray
    solver: bt_linalg.Solver
    converged: bool
    iterations: int


def prior_precision(comps: Comparisons, *, prior_sd: float, beta_prior_sd: float) -> np.ndarray:
    return np.concatenate(
        [np.full(comps.n_items, prior_sd**-2.0), np.full(comps.n_judges, beta_prior_sd**-2.0)]
    )


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def linear_predictor(comps: Comparisons, fit: BTFit) -> np.ndarray:
    """Each comparison's logit under `fit`: score of A - score of B + its judge's bias."""
    return fit.scores[comps.idx_a] - fit.scores[comps.idx_b] + fit.beta[comps.judge]


def win_probability(eta: np.ndarray, lapse: float) -> np.ndarray:
    """P(A wins) when a fraction `lapse` of verdicts are random answers."""
    return 0.5 * lapse + (1.0 - lapse) * sigmoid(eta)


def score_terms(
    eta: np.ndarray, y: np.ndarray, w: np.ndarray, lapse: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-comparison gradient factor and Fisher curvature of the log likelihood in eta.

    With lapse = 0 these are the logistic w*(y - p) and w*p*(1 - p); with a lapse rate they
    come from the mixture p = lapse/2 + (1 - lapse)*sigmoid(eta), whose Fisher information
    p'^2 / (p(1 - p)) shrinks for lopsided pairs: a surprise there is more likely a lapse.
    """
    s = sigmoid(eta)
    if lapse == 0.0:
        return w * (y - s), w * s * (1.0 - s)
    p = 0.5 * lapse + (1.0 - lapse) * s
    dp = (1.0 - lapse) * s * (1.0 - s)
    pq = p * (1.0 - p)
    return w * (y - p) * dp / pq, w * dp * dp / pq


def fit_bt(
    comps: Comparisons,
    *,
    prior_sd: float = DEFAULT_PRIOR_SD,
    beta_prior_sd: float = DEFAULT_BETA_PRIOR_SD,
    estimate_bias: bool = True,
    lapse: float = 0.0,
    init: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> BTFit:
    """MAP fit; `init` (stacked [scores, beta]) warm-starts from a previous fit."""
    bsd = beta_prior_sd if estimate_bias else 1e-6
    x_design, prec, post = _mode(comps, prior_sd, bsd, lapse=lapse, init=init)
    return _summarise(comps, x_design, post, prior_sd=prior_sd, lapse=lapse, rng=rng)


def log_evidence(
    comps: Comparisons, *, prior_sd: float, init: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Laplace approximation of log p(verdicts | prior_sd), up to a constant, and the mode.

    log p(y) ~ log p(y | x) + log p(x) - 1/2 log det H at the mode x (H = posterior
    precision). Dense batches only: a large batch has no Cholesky factor to read det H from."""
    x_design, prec, post = _mode(comps, prior_sd, DEFAULT_BETA_PRIOR_SD, lapse=0.0, init=init)
    value = _log_posterior(comps, x_design, prec, post.x, 0.0)
    return value + 0.5 * float(np.sum(np.log(prec))) - 0.5 * post.solver.logdet(), post.x


def _mode(comps: Comparisons, prior_sd: float, beta_prior_sd: float, *, lapse, init):
    """Design matrix, prior precision and the posterior mode (Newton) for one prior."""
    x_design = bt_linalg.design_matrix(
        comps.idx_a, comps.idx_b, comps.judge, n_items=comps.n_items, n_judges=comps.n_judges
    )
    prec = prior_precision(comps, prior_sd=prior_sd, beta_prior_sd=beta_prior_sd)
    return x_design, prec, _newton(comps, x_design, prec, lapse=lapse, init=init)


def _newton(
    comps: Comparisons,
    x_design: sp.csr_matrix,
    prec: np.ndarray,
    *,
    lapse: float,
    init: np.ndarray | None,
) -> _Posterior:
    """Newton / Fisher scoring (identical for lapse = 0) with step halving."""
    x = np.zeros(x_design.shape[1]) if init is None else np.asarray(init, float).copy()
    obj = _log_posterior(comps, x_design, prec, x, lapse)
    for it in range(1, _MAX_ITER + 1):
        resid, curv = score_terms(x_design @ x, comps.y, comps.weight, lapse)
        grad = x_design.T @ resid - prec * x
        solver = bt_linalg.Solver.for_fit(x_design, curv, prec)
        # inexact Newton: a loose solve while far from the mode, a tight one near it
        step = solver.solve(grad, tol=float(np.clip(1e-2 * np.max(np.abs(grad)), 1e-10, 1e-3)))
        x, obj = _line_search(comps, x_design, prec, x, step, obj, lapse)
        if np.max(np.abs(step)) < _TOL or float(grad @ step) < _TOL**2:
            return _Posterior(x, _solver_at(comps, x_design, prec, x, lapse), True, it)
    return _Posterior(x, _solver_at(comps, x_design, prec, x, lapse), False, _MAX_ITER)


def _line_search(comps, x_design, prec, x, step, obj, lapse) -> tuple[np.ndarray, float]:
    """Step halving: the log posterior is concave (lapse = 0), so a full step nearly always
    succeeds; with lapses it is not, and the halving keeps every step an ascent."""
    t = 1.0
    for _ in range(30):
        cand = x + t * step
        cand_obj = _log_posterior(comps, x_design, prec, cand, lapse)
        if cand_obj >= obj - 1e-12 * abs(obj):
            return cand, cand_obj
        t *= 0.5
    return x, obj


def _log_posterior(comps, x_design, prec, x, lapse) -> float:
    return _log_likelihood(comps, x_design @ x, lapse) - 0.5 * float(np.sum(prec * x * x))


def _log_likelihood(comps: Comparisons, eta: np.ndarray, lapse: float) -> float:
    if lapse == 0.0:
        # log sigmoid(eta) = -logaddexp(0, -eta), stable for large |eta|
        ll = -comps.y * np.logaddexp(0.0, -eta) - (1.0 - comps.y) * np.logaddexp(0.0, eta)
    else:
        p = win_probability(eta, lapse)
        ll = comps.y * np.log(p) + (1.0 - comps.y) * np.log1p(-p)
    return float(np.sum(comps.weight * ll))


def _solver_at(comps, x_design, prec, x, lapse) -> bt_linalg.Solver:
    _, curv = score_terms(x_design @ x, comps.y, comps.weight, lapse)
    return bt_linalg.Solver.for_fit(x_design, curv, prec)


def _summarise(
    comps: Comparisons,
    x_design: sp.csr_matrix,
    post: _Posterior,
    *,
    prior_sd: float,
    lapse: float,
    rng: np.random.Generator | None,
) -> BTFit:
    eta = x_design @ post.x
    return fit_at_mode(
        comps,
        x_design,
        post.x,
        post.solver,
        prior_sd=prior_sd,
        lapse=lapse,
        converged=post.converged,
        iterations=post.iterations,
        log_likelihood=_log_likelihood(comps, eta, lapse),
        rng=rng,
    )


def fit_at_mode(
    comps: Comparisons,
    x_design: sp.csr_matrix,
    mode: np.ndarray,
    solver: bt_linalg.Solver,
    *,
    prior_sd: float,
    converged: bool,
    iterations: int,
    log_likelihood: float,
    lapse: float = 0.0,
    rng: np.random.Generator | None = None,
) -> BTFit:
    """A BTFit from a posterior mode and its precision factor (any fitter of this model's
    parameters: bt's Newton, soft_ls's least squares, which passes its log evidence)."""
    n = comps.n_items
    var, cov = bt_linalg.centred_posterior(solver, n_items=n, rng=rng)
    beta_var = _beta_variances(solver, n_items=n, n_judges=comps.n_judges)
    infit, outfit = fit_statistics(comps, win_probability(x_design @ mode, lapse))
    return BTFit(
        scores=mode[:n] - mode[:n].mean(),
        se=np.sqrt(var),
        cov=cov,
        beta=mode[n:].copy(),
        beta_se=np.sqrt(beta_var),
        infit=infit,
        outfit=outfit,
        n_comparisons=comps.per_item(),
        converged=converged,
        log_likelihood=log_likelihood,
        iterations=iterations,
        prior_sd=prior_sd,
        lapse=lapse,
    )


def _beta_variances(solver: bt_linalg.Solver, *, n_items: int, n_judges: int) -> np.ndarray:
    rhs = np.zeros((n_items + n_judges, n_judges))
    rhs[n_items:, :] = np.eye(n_judges)
    cols = solver.solve(rhs)
    return np.diag(cols[n_items:, :]).copy()


def fit_statistics(comps: Comparisons, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-essay infit / outfit mean-squares (Rasch-style; 1 = as noisy as the model says).

    outfit = mean of squared standardised residuals; infit = sum of squared residuals over
    sum of model variances, which down-weights surprises in far-apart (uninformative) pairs.
    Essays without comparisons get 1.0 (no evidence of misfit).
    A soft verdict y = P(A) is read as the judge's distribution over the two outcomes, so
    its expected squared residual is (y - p)^2 + y (1 - y): a judge whose P(A) agrees with
    the model scores 1, as a consistent hard-verdict judge does (not ~0, which would hide
    every misfit behind the softness of the labels).
    """
    n = comps.n_items
    resid2 = comps.weight * ((comps.y - p) ** 2 + comps.y * (1.0 - comps.y))
    var = np.maximum(p * (1.0 - p), 1e-12)
    sum_z2 = _per_item(comps, resid2 / var, n)
    sum_w = _per_item(comps, comps.weight, n)
    sum_r2 = _per_item(comps, resid2, n)
    sum_v = _per_item(comps, comps.weight * var, n)
    outfit = np.divide(sum_z2, sum_w, out=np.ones(n), where=sum_w > 0)
    infit = np.divide(sum_r2, sum_v, out=np.ones(n), where=sum_v > 0)
    return infit, outfit


def _per_item(comps: Comparisons, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(comps.idx_a, values, minlength=n) + np.bincount(
        comps.idx_b, values, minlength=n
    )
