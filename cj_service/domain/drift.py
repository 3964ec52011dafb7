"""Drift of the judge's position bias over a batch, in judging order.

One constant position bias hides a judge whose preference for "Essay A" grows as the batch
runs. Two views, both on the verdicts sorted by `order`:

* **Per period** (`periods` equal stretches, quarters by default): the bias fitted on the
  stretch alone with the essays' scores held at the batch's fit, i.e. a one-parameter logistic
  regression with offset score_a - score_b (Firth's bias-reduced score, so an all-"A" stretch
  stays finite), its SE and the stretch's share of "A" verdicts.
* **Drift**: P(A) = sigmoid(theta_a - theta_b + alpha + drift * t), t in [0, 1] by verdict
  position, so `drift` is the change in bias from the first verdict to the last (logits).
  Holding the scores fixed would let them absorb part of a drift (an essay shown as A mostly
  late looks better than it is), which shrinks the estimate and its z; with `refit` (the
  default) the scores are refitted jointly with alpha and drift, starting from the batch's
  fit under the same prior, and the SE is that of the joint posterior (the drift's column
  with the scores profiled out). Flagged when |drift| > 1.96 SE; with fewer than
  `min_verdicts` verdicts the SE is infinite and nothing is flagged.

Soft verdicts (P(A)) enter as fractional outcomes; their SEs are scaled by the Pearson
dispersion (as soft.py does), since a P(A) varies far less than a coin flip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cj_service.domain import bt_linalg
from cj_service.domain.intervals import Z95
from cj_service.domain.soft import is_soft, pearson_dispersion

Z_FLAG = Z95  # two-sided 5%
MIN_DRIFT_VERDICTS = 32
DEFAULT_PRIOR_SD = 3.0
COEF_PRIOR_SD = 10.0  # alpha and drift in the joint refit: practically flat
_FIRTH_ITER = 50
_NEWTON_ITER = 30
_TOL = 1e-8


@dataclass(frozen=True)
class BiasPeriod:
    """Position bias over verdicts [first_comparison, end_comparison) in judging order."""

    first_comparison: int
    end_comparison: int
    a_share: float  # mean verdict: the share of "A" for hard verdicts, mean P(A) for soft
    position_bias: float
    position_bias_se: float


@dataclass(frozen=True)
class DriftReport:
    """Maps 1:1 onto cj.v1 FitStatistics.bias_by_period / bias_drift / _se / _flagged."""

    bias_by_period: tuple[BiasPeriod, ...]
    bias_drift: float
    bias_drift_se: float
    bias_drift_flagged: bool


@dataclass(frozen=True)
class _Data:
    """Verdicts sorted into judging order, with t in [0, 1] and the fixed-score offset."""

    a: np.ndarray
    b: np.ndarray
    y: np.ndarray
    t: np.ndarray
    offset: np.ndarray
    phi: float  # dispersion: 1 for hard verdicts


def bias_drift(
    idx_a: np.ndarray,
    idx_b: np.ndarray,
    y: np.ndarray,
    order: np.ndarray | None,
    scores: np.ndarray,
    *,
    periods: int = 4,
    prior_sd: float = DEFAULT_PRIOR_SD,
    refit: bool = True,
    min_verdicts: int = MIN_DRIFT_VERDICTS,
) -> DriftReport:
    """Per-period bias and the drift of a batch (y: 1 = A won, 0 = B won, or P(A)).

    order: any sortable key of judging order (None: the arrays' order). scores: the batch's
    fitted essay scores; prior_sd: the prior they were fitted under (for the refit)."""
    scores = np.asarray(scores, dtype=float)
    data = _sorted(idx_a, idx_b, y, order, scores)
    by_period = tuple(_period(data, lo, hi) for lo, hi in _bounds(data.y.size, periods))
    if data.y.size < max(min_verdicts, 2):
        return DriftReport(by_period, 0.0, float("inf"), False)
    if refit:
        drift, var = _joint_drift(data, scores, prior_sd)
    else:
        drift, var = _fixed_drift(data)
    se = float(np.sqrt(var * data.phi))
    return DriftReport(by_period, drift, se, bool(abs(drift) > Z_FLAG * se))


def _sorted(idx_a, idx_b, y, order, scores: np.ndarray) -> _Data:
    a, b = np.asarray(idx_a, dtype=np.int64), np.asarray(idx_b, dtype=np.int64)
    yy = np.asarray(y, dtype=float)
    if not (a.shape == b.shape == yy.shape) or a.ndim != 1:
        raise ValueError("idx_a, idx_b and y must be 1-d and of equal length")
    key = np.arange(a.size) if order is None else np.asarray(order)
    if key.shape != a.shape:
        raise ValueError("order must have one entry per verdict")
    s = np.argsort(key, kind="stable")
    t = np.arange(a.size) / max(a.size - 1, 1)
    a, b, yy = a[s], b[s], yy[s]
    offset = scores[a] - scores[b]
    return _Data(a, b, yy, t, offset, _dispersion(yy, offset, n_items=scores.size))


def _bounds(m: int, periods: int) -> list[tuple[int, int]]:
    """Equal stretches of m verdicts; empty ones (m < periods) are left out."""
    edges = np.round(np.linspace(0, m, max(periods, 1) + 1)).astype(int)
    return [(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:], strict=True) if hi > lo]


def _period(data: _Data, lo: int, hi: int) -> BiasPeriod:
    part = slice(lo, hi)
    z = np.ones((hi - lo, 1))
    coef, cov = firth_offset(z, data.offset[part], data.y[part])
    se = float(np.sqrt(cov[0, 0] * data.phi))
    return BiasPeriod(lo, hi, float(np.mean(data.y[part])), float(coef[0]), se)


def _fixed_drift(data: _Data) -> tuple[float, float]:
    """Drift with the scores held fixed: logistic of y on [1, t] with the offset."""
    z = np.column_stack([np.ones_like(data.t), data.t - 0.5])
    coef, cov = firth_offset(z, data.offset, data.y)
    return float(coef[1]), float(cov[1, 1])


def firth_offset(z: np.ndarray, offset: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Firth-penalised logistic regression of y on the columns of z with a fixed offset:
    the coefficients and their covariance (inverse Fisher information). Finite under
    separation (every verdict "A"), where the plain MLE runs off to infinity."""
    coef = np.zeros(z.shape[1])
    for _ in range(_FIRTH_ITER):
        p = _sigmoid(offset + z @ coef)
        w = p * (1.0 - p)
        inv = np.linalg.inv(z.T @ (w[:, None] * z) + 1e-9 * np.eye(z.shape[1]))
        lever = w * np.einsum("ij,jk,ik->i", z, inv, z)
        step = inv @ (z.T @ (y - p + lever * (0.5 - p)))
        coef += np.clip(step, -2.0, 2.0)  # damped: large steps only far from the mode
        if np.max(np.abs(step)) < _TOL:
            break
    return coef, inv


def _joint_drift(data: _Data, scores: np.ndarray, prior_sd: float) -> tuple[float, float]:
    """Drift refitted jointly with the scores (MAP, scores ~ N(0, prior_sd^2)); its
    posterior variance. Newton with step halving from [scores, fixed-score alpha, 0]."""
    n_items = scores.size
    x_design = _joint_design(data, n_items)
    prec = np.r_[np.full(n_items, prior_sd**-2.0), np.full(2, COEF_PRIOR_SD**-2.0)]
    alpha, _ = firth_offset(np.ones((data.y.size, 1)), data.offset, data.y)
    x = np.r_[scores, alpha[0], 0.0]
    for _ in range(_NEWTON_ITER):
        solver, step = _newton_step(x_design, prec, x, data.y)
        x = _halved(x_design, prec, x, step, data.y)
        if np.max(np.abs(step)) < _TOL:
            break
    solver, _ = _newton_step(x_design, prec, x, data.y)
    unit = np.zeros(x.size)
    unit[-1] = 1.0
    return float(x[-1]), float(solver.solve(unit)[-1])


def _joint_design(data: _Data, n_items: int) -> sp.csr_matrix:
    m = data.y.size
    rows = np.repeat(np.arange(m), 4)
    cols = np.stack([data.a, data.b, np.full(m, n_items), np.full(m, n_items + 1)], 1).ravel()
    vals = np.stack([np.ones(m), -np.ones(m), np.ones(m), data.t - 0.5], 1).ravel()
    return sp.csr_matrix((vals, (rows, cols)), shape=(m, n_items + 2))


def _newton_step(x_design, prec, x, y) -> tuple[bt_linalg.Solver, np.ndarray]:
    p = _sigmoid(x_design @ x)
    grad = x_design.T @ (y - p) - prec * x
    solver = bt_linalg.Solver.build(bt_linalg.hessian(x_design, p * (1.0 - p), prec))
    return solver, solver.solve(grad)


def _halved(x_design, prec, x, step, y) -> np.ndarray:
    """x + step, halved until the log posterior does not fall (it is concave)."""
    base = _log_posterior(x_design, prec, x, y)
    for _ in range(30):
        cand = x + step
        if _log_posterior(x_design, prec, cand, y) >= base - 1e-12 * abs(base):
            return cand
        step = 0.5 * step
    return x


def _log_posterior(x_design, prec, x, y) -> float:
    eta = x_design @ x
    ll = -y * np.logaddexp(0.0, -eta) - (1.0 - y) * np.logaddexp(0.0, eta)
    return float(np.sum(ll) - 0.5 * np.sum(prec * x * x))


def _dispersion(y: np.ndarray, offset: np.ndarray, *, n_items: int) -> float:
    """Pearson dispersion of soft verdicts around the batch's constant-bias fit (1 if hard)."""
    if is_soft(y).sum() < 10:
        return 1.0
    coef, _ = firth_offset(np.ones((y.size, 1)), offset, y)
    return pearson_dispersion(y, _sigmoid(offset + coef[0]), n_items=n_items)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))
