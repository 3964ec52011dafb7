"""Cumulative-probit ordinal model: grade thresholds on the BT logit scale from anchor scores.

Model. An essay's latent quality is theta; it belongs to grade k when tau[k-1] < theta <= tau[k]
(tau[-1] = -inf, tau[K-1] = +inf). An anchor's fitted score is y ~ N(theta, se^2), and its expert
grade may itself be slightly off (anchor_sd), so
    P(anchor in grade k) = Phi((tau[k] - y) / c) - Phi((tau[k-1] - y) / c),
    c^2 = se^2 + anchor_sd^2.
The probit link is chosen because Gaussian score uncertainty then integrates out exactly.

Prior (why: grades with few or no anchors still need sensible boundaries). The scale's
population priors give cumulative quantiles z[k] = Phi^-1(sum of priors up to k); the batch's
latent score distribution (same logit scale) is roughly N(loc, scale^2). Thresholds are pulled
towards mu + s * z[k] with sd deviation_sd * scale, where mu and log s are themselves fitted with
weak priors around loc and log(scale): anchors can shift or stretch the whole ladder coherently,
and an unanchored grade keeps the width its population share implies.

Thresholds are monotone by construction: tau[0] = t1, tau[k] = tau[k-1] + exp(g[k]).
The fit is MAP (L-BFGS-B with an analytic gradient); a Laplace approximation of the
(t1, g) posterior gives threshold draws so projections can carry boundary uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr, ndtr, ndtri

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_MIN_GAP, _MAX_GAP = 1e-4, 1e3  # relative to the batch scale; keeps exp(g) finite


@dataclass(frozen=True)
class ThresholdPrior:
    """Where population priors put the thresholds, on the batch's latent score scale."""

    z: np.ndarray
    loc: float
    scale: float
    deviation_sd: float = 0.2
    loc_sd: float = 1.0
    log_scale_sd: float = 0.3

    @classmethod
    def from_batch(
        cls,
        scores: np.ndarray,
        ses: np.ndarray,
        *,
        priors: np.ndarray,
        class_loc_sd: float = 1.0,
        class_log_scale_sd: float = 0.3,
        deviation_sd: float = 0.2,
    ) -> ThresholdPrior:
        """Normal approximation of the batch's latent scores (SE variance deconvolved).

        class_* say how far a class may differ from the population; the sampling error of the
        batch mean and spread is added on top, so a tiny batch (a few essays, mostly anchors)
        leaves the anchors in charge.
        """
        n = scores.size
        raw_var = float(np.var(scores)) if n > 1 else 0.0
        latent_var = raw_var - float(np.mean(ses**2))
        scale = float(np.sqrt(max(latent_var, 0.25 * raw_var, 0.01)))
        return cls(
            z=ndtri(np.cumsum(priors)[:-1] / np.sum(priors)),
            loc=float(np.mean(scores)),
            scale=scale,
            deviation_sd=deviation_sd,
            loc_sd=float(np.hypot(class_loc_sd, 1.0 / np.sqrt(n))),
            log_scale_sd=float(np.hypot(class_log_scale_sd, 1.0 / np.sqrt(2.0 * max(n - 1, 1)))),
        )


@dataclass(frozen=True)
class ThresholdFit:
    """MAP thresholds plus a Gaussian (Laplace) posterior over their (t1, log-gap) parameters."""

    thresholds: np.ndarray
    mode: np.ndarray
    cov: np.ndarray

    def draws(self, n_pairs: int, rng: np.random.Generator) -> np.ndarray:
        """2 * n_pairs antithetic draws of the thresholds, shape (2 * n_pairs, K-1).

        Gaussian in threshold space around the MAP (delta method), sorted per draw: drawing in
        log-gap space instead would drift the ladder upwards (E[exp g] > exp E[g]).
        """
        jac = _jacobian(self.mode)
        chol = np.linalg.cholesky(jac @ self.cov @ jac.T + 1e-12 * np.eye(self.mode.size))
        eps = rng.standard_normal((n_pairs, self.mode.size)) @ chol.T
        return np.sort(self.thresholds + np.concatenate([eps, -eps]), axis=-1)

    def threshold_sd(self) -> np.ndarray:
        """Delta-method standard deviation of each threshold."""
        jac = _jacobian(self.mode)
        return np.sqrt(np.einsum("ij,jk,ik->i", jac, self.cov, jac))


def thresholds_from_params(params: np.ndarray) -> np.ndarray:
    """(..., m) parameters (t1, g2..gm) -> (..., m) increasing thresholds."""
    steps = np.concatenate([params[..., :1], np.exp(params[..., 1:])], axis=-1)
    return np.cumsum(steps, axis=-1)


def _jacobian(params: np.ndarray) -> np.ndarray:
    m = params.size
    jac = np.tril(np.ones((m, m))) * np.concatenate([[1.0], np.exp(params[1:])])
    return jac


def log_interval_prob(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log(Phi(hi) - Phi(lo)) for lo < hi, accurate in both tails."""
    flip = lo > 0
    a = np.where(flip, -hi, lo)
    b = np.where(flip, -lo, hi)
    la, lb = log_ndtr(a), log_ndtr(b)
    with np.errstate(divide="ignore"):
        return lb + np.log1p(-np.exp(la - lb))


def interval_probs(thresholds: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """P(category k) for theta ~ N(mean, sd^2); thresholds (..., K-1) broadcast against mean."""
    cdf = ndtr((thresholds - mean[..., None]) / sd[..., None])
    pad = np.ones(cdf.shape[:-1] + (1,))
    return np.diff(np.concatenate([0.0 * pad, cdf, pad], axis=-1), axis=-1)


@dataclass(frozen=True)
class _Problem:
    y: np.ndarray
    c: np.ndarray
    cat: np.ndarray
    prior: ThresholdPrior

    @property
    def m(self) -> int:
        return int(self.prior.z.size)


def _neg_log_lik(tau: np.ndarray, p: _Problem) -> tuple[float, np.ndarray]:
    full = np.concatenate([[-np.inf], tau, [np.inf]])
    with np.errstate(invalid="ignore"):
        a = (full[p.cat] - p.y) / p.c
        b = (full[p.cat + 1] - p.y) / p.c
    logp = log_interval_prob(a, b)
    w_hi = np.exp(-0.5 * b**2 - _LOG_SQRT_2PI - logp) / p.c
    w_lo = np.exp(-0.5 * a**2 - _LOG_SQRT_2PI - logp) / p.c
    grad_full = np.zeros(p.m + 2)
    np.add.at(grad_full, p.cat + 1, -w_hi)
    np.add.at(grad_full, p.cat, w_lo)
    return -float(np.sum(logp)), grad_full[1:-1]


def _objective(x: np.ndarray, p: _Problem) -> tuple[float, np.ndarray]:
    m, pr = p.m, p.prior
    tau = thresholds_from_params(x[:m])
    mu, log_s = x[m], x[m + 1]
    s = np.exp(log_s)
    nll, grad_tau = _neg_log_lik(tau, p)
    dev = tau - mu - s * pr.z
    v_dev, v_mu = (pr.deviation_sd * pr.scale) ** 2, (pr.loc_sd * pr.scale) ** 2
    v_ls = pr.log_scale_sd**2
    ls_err = log_s - np.log(pr.scale)
    value = nll + dev @ dev / (2 * v_dev) + (mu - pr.loc) ** 2 / (2 * v_mu) + ls_err**2 / (2 * v_ls)
    grad_tau = grad_tau + dev / v_dev
    grad_mu = -dev.sum() / v_dev + (mu - pr.loc) / v_mu
    grad_ls = -(dev @ (s * pr.z)) / v_dev + ls_err / v_ls
    grad = np.concatenate([_jacobian(x[:m]).T @ grad_tau, [grad_mu, grad_ls]])
    return float(value), grad


def _initial_point(prior: ThresholdPrior) -> np.ndarray:
    tau0 = prior.loc + prior.scale * prior.z
    return np.concatenate([tau0[:1], np.log(np.diff(tau0)), [prior.loc, np.log(prior.scale)]])


def _bounds(prior: ThresholdPrior) -> list[tuple[float | None, float | None]]:
    free: tuple[float | None, float | None] = (None, None)
    gap: tuple[float | None, float | None] = (
        float(np.log(_MIN_GAP * prior.scale)),
        float(np.log(_MAX_GAP * prior.scale)),
    )
    return [free] + [gap] * (prior.z.size - 1) + [free, free]


def _hessian(x: np.ndarray, p: _Problem) -> np.ndarray:
    """Central differences of the analytic gradient (the problem has at most ~12 parameters)."""
    n = x.size
    hess = np.empty((n, n))
    for i in range(n):
        h = 1e-5 * max(1.0, abs(x[i]))
        step = np.zeros(n)
        step[i] = h
        hess[:, i] = (_objective(x + step, p)[1] - _objective(x - step, p)[1]) / (2 * h)
    return 0.5 * (hess + hess.T)


def _pd_inverse(hess: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(hess)
    vals = np.maximum(vals, 1e-8 * max(1.0, float(vals.max())))
    return (vecs / vals) @ vecs.T


def fit_thresholds(
    scores: np.ndarray,
    ses: np.ndarray,
    categories: np.ndarray,
    *,
    prior: ThresholdPrior,
    anchor_sd: float = 0.0,
) -> ThresholdFit:
    """MAP thresholds for anchors with fitted `scores`/`ses` in 0-based `categories`."""
    c = np.sqrt(np.asarray(ses, float) ** 2 + anchor_sd**2)
    problem = _Problem(y=np.asarray(scores, float), c=c, cat=np.asarray(categories), prior=prior)
    res = minimize(
        _objective,
        _initial_point(prior),
        args=(problem,),
        jac=True,
        method="L-BFGS-B",
        bounds=_bounds(prior),
        options={"maxiter": 500},
    )
    m = problem.m
    cov = _pd_inverse(_hessian(res.x, problem))[:m, :m]
    return ThresholdFit(thresholds=thresholds_from_params(res.x[:m]), mode=res.x[:m], cov=cov)
