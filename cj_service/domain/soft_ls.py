"""Scores from soft verdicts alone: least squares on the logit scale, with exact evidence.

When every verdict of a batch is a P(A) from logprobs, read each as
    logit P(A) = theta[a] - theta[b] + beta[judge] + e,   e ~ N(0, phi^2),
a linear Gaussian model: with theta ~ N(0, tau^2) and beta ~ N(0, 1) the posterior is
Gaussian and the marginal likelihood of (tau, phi) is exact, so both are fitted by
maximising it (no Laplace approximation, no fixed point that can collapse). This is the
efficient estimator for a judge whose logits are noisy around the quality difference; the
fractional-Bernoulli fit with efficient weights (soft.efficient_weights) linearises
logit y - eta as (y - p)/(p q), which is poor when the logit noise is large (Q5 bench, 6
seeds: 0.9746 against 0.9777 Spearman). Huber weights (k = 2) bound a lapse's pull. A
P(A) of exactly 0 or 1 is read at logit -+6.9. Batches with hard verdicts, or too large for
a dense factor, keep the BT fit (design.fit_scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from cj_service.domain import bt_linalg
from cj_service.domain.bt import (
    DEFAULT_BETA_PRIOR_SD,
    BTFit,
    Comparisons,
    fit_at_mode,
    linear_predictor,
    prior_precision,
    sigmoid,
)
from cj_service.domain.bt_prior import MAX_SD, MIN_SD

_MIN_P = 1e-3
_HUBER_K = 2.0
_HUBER_ROUNDS = 3
_PHI_BOUNDS = (np.log(0.05), np.log(10.0))


@dataclass(frozen=True)
class _Gauss:
    """What one (tau, phi) gives: the posterior mean, its precision factor and the evidence."""

    mean: np.ndarray
    solver: bt_linalg.Solver
    evidence: float


def fit_logit_ls(comps: Comparisons, *, prior_sd: float | None = None) -> BTFit:
    """Posterior of the logit-linear model at the evidence-maximising (tau, phi); a given
    `prior_sd` fixes tau (the weak-prior fit SSR is read from) and leaves phi to fit.
    The fit's log_likelihood is this model's log evidence (up to a constant)."""
    z = _logits(comps.y)
    x = bt_linalg.design_matrix(
        comps.idx_a, comps.idx_b, comps.judge, n_items=comps.n_items, n_judges=comps.n_judges
    )
    h = comps.weight.astype(float)
    tau, phi = prior_sd or 1.0, 1.0
    for _ in range(_HUBER_ROUNDS):
        pb = _problem(comps, x, z, h)
        tau, phi = _best_scales(pb, start=(tau, phi), fixed_tau=prior_sd is not None)
        tau = prior_sd or tau  # exp(log(tau)) need not round-trip
        resid = z - x @ _solve(pb, tau, phi).mean
        h = comps.weight * np.minimum(1.0, _HUBER_K * phi / np.maximum(np.abs(resid), 1e-12))
    pb = _problem(comps, x, z, h)
    g = _solve(pb, tau, phi)
    return fit_at_mode(
        comps,
        x,
        g.mean,
        g.solver,
        prior_sd=tau,
        converged=True,
        iterations=_HUBER_ROUNDS,
        log_likelihood=g.evidence,
    )


def working_form(comps: Comparisons, fit: BTFit) -> Comparisons:
    """The verdicts as BT working responses whose log likelihood has, at `fit`'s mode, the
    least-squares gradient and curvature: y' = p + p q (logit y - eta), weight
    1 / (phi2 p q). The bootstrap (bt_bootstrap) takes a few Newton steps from the mode on
    resampled verdicts, so this form lets it resample the model the scores came from.
    (Not a fitter of its own: far from the mode a working response beyond [0, 1] pulls
    without bound.) phi2 is the residual variance; Huber weights are not re-applied."""
    eta = linear_predictor(comps, fit)
    resid = _logits(comps.y) - eta
    phi2 = max(float(np.average(resid**2, weights=comps.weight)), 1e-6)
    p = sigmoid(eta)
    pq = np.maximum(p * (1.0 - p), 1e-9)
    return comps.working(p + pq * resid, comps.weight / (phi2 * pq))


def censored(y: np.ndarray) -> np.ndarray:
    """Verdicts whose logit the clip cuts off (P(A) within 0.001 of certainty)."""
    return np.minimum(y, 1.0 - y) < _MIN_P


def _logits(y: np.ndarray) -> np.ndarray:
    p = np.clip(y, _MIN_P, 1.0 - _MIN_P)
    return np.log(p / (1.0 - p))


@dataclass(frozen=True)
class _Problem:
    """The sufficient statistics of one Huber round: X'HX, X'Hz, z'Hz (H = weights)."""

    comps: Comparisons
    gram: np.ndarray
    xhz: np.ndarray
    zhz: float
    n_obs: int


def _problem(comps: Comparisons, x, z: np.ndarray, h: np.ndarray) -> _Problem:
    gram = bt_linalg.hessian(x, h, np.zeros(x.shape[1])).toarray()
    return _Problem(comps, gram, x.T @ (h * z), float(np.sum(h * z * z)), int(np.sum(h > 0)))


def _solve(pb: _Problem, tau: float, phi: float) -> _Gauss:
    prior = prior_precision(pb.comps, prior_sd=tau, beta_prior_sd=DEFAULT_BETA_PRIOR_SD)
    precision = pb.gram / phi**2
    precision[np.diag_indices_from(precision)] += prior
    solver = bt_linalg.Solver.from_dense(precision)
    mean = solver.solve(pb.xhz / phi**2)
    rss = pb.zhz - 2.0 * float(mean @ pb.xhz) + float(mean @ pb.gram @ mean)
    evidence = (
        -0.5 * rss / phi**2
        - 0.5 * float(np.sum(prior * mean**2))
        - pb.n_obs * np.log(phi)
        + 0.5 * float(np.sum(np.log(prior)))
        - 0.5 * solver.logdet()
    )
    return _Gauss(mean, solver, evidence)


def _best_scales(
    pb: _Problem, *, start: tuple[float, float], fixed_tau: bool
) -> tuple[float, float]:
    def loss(v: np.ndarray) -> float:
        return -_solve(pb, float(np.exp(v[0])), float(np.exp(v[1]))).evidence

    tau_bounds = (np.log(start[0]),) * 2 if fixed_tau else (np.log(MIN_SD), np.log(MAX_SD))
    bounds = [tau_bounds, _PHI_BOUNDS]
    found = minimize(loss, np.log(start), method="L-BFGS-B", bounds=bounds)
    return float(np.exp(found.x[0])), float(np.exp(found.x[1]))
