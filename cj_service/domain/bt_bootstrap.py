"""Bootstrap confidence intervals for Bradley-Terry scores and the position bias.

Each replicate resamples the comparisons with replacement (multinomial counts as weights) and
refits, warm-started at the full-data mode. The refit takes `steps` quasi-Newton steps with
the full-data information matrix (factorised once, shared by every replicate), so all
replicates of a chunk are solved together as columns of one right-hand side. Two steps from
the full-data mode land within ~1e-3 logits of a full refit (tests pin this), at a fraction
of the cost: 100 replicates of a 3,000-essay / 30,000-comparison batch take well under 1 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cj_service.domain import bt_linalg
from cj_service.domain.bt import (
    DEFAULT_BETA_PRIOR_SD,
    BTFit,
    Comparisons,
    prior_precision,
    score_terms,
)


@dataclass(frozen=True)
class BootstrapCI:
    """Percentile intervals (centred scores) and the bootstrap standard deviations."""

    lower: np.ndarray
    upper: np.ndarray
    sd: np.ndarray
    beta_lower: np.ndarray
    beta_upper: np.ndarray
    rounds: int


def bootstrap_ci(
    comps: Comparisons,
    fit: BTFit,
    *,
    rng: np.random.Generator,
    rounds: int = 100,
    level: float = 0.95,
    steps: int = 3,
    chunk: int = 25,
    tol: float = 1e-5,
    beta_prior_sd: float = DEFAULT_BETA_PRIOR_SD,
) -> BootstrapCI:
    if comps.size == 0:
        raise ValueError("bootstrap needs at least one comparison")
    x_design = bt_linalg.design_matrix(
        comps.idx_a, comps.idx_b, comps.judge, n_items=comps.n_items, n_judges=comps.n_judges
    )
    prec = prior_precision(comps, prior_sd=fit.prior_sd, beta_prior_sd=beta_prior_sd)
    reps = [
        _replicates(
            comps,
            x_design,
            prec,
            fit.params,
            rng=rng,
            count=c,
            steps=steps,
            tol=tol,
            lapse=fit.lapse,
        )
        for c in _chunk_sizes(rounds, chunk)
    ]
    return _intervals(np.concatenate(reps, axis=1), n_items=comps.n_items, level=level)


def _chunk_sizes(rounds: int, chunk: int) -> list[int]:
    full, rest = divmod(rounds, chunk)
    return [chunk] * full + ([rest] if rest else [])


def _replicates(comps, x_design, prec, x_hat, *, rng, count, steps, tol, lapse):
    """Columns = replicates' parameter vectors after `steps` warm-started Newton steps.

    Each replicate has its own Hessian; CG applies all of them at once through the design
    matrix (X' diag(s_j) X v_j for every column j), so no per-replicate matrix is formed."""
    m = comps.size
    draws = rng.integers(0, m, size=(count, m))
    offsets = (np.arange(count) * m)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=count * m).reshape(count, m)
    # float32: the products are memory-bound and 1e-4 relative precision is ample here
    weights = (counts.T * comps.weight[:, None]).astype(np.float32)
    y = comps.y.astype(np.float32)[:, None]
    prec32 = prec.astype(np.float32)[:, None]
    xs = np.repeat(x_hat.astype(np.float32)[:, None], count, axis=1)
    x_design = x_design.astype(np.float32)
    sq_t = x_design.multiply(x_design).T.tocsr()
    x_t = x_design.T.tocsr()
    for step in range(steps):
        resid, curv = score_terms(x_design @ xs, y, weights, lapse)
        grad = x_t @ resid - prec32 * xs
        diag = sq_t @ curv + prec32

        def apply(v: np.ndarray, curv: np.ndarray = curv) -> np.ndarray:
            return x_t @ (curv * (x_design @ v)) + prec32 * v

        # inexact Newton: early steps only need the direction, the last one the precision
        step_tol = max(tol, 10.0 ** -(step + 2))
        xs = xs + bt_linalg.batched_cg(apply, diag, grad, tol=step_tol)
    return xs.astype(float)


def _intervals(xs: np.ndarray, *, n_items: int, level: float) -> BootstrapCI:
    theta = xs[:n_items] - xs[:n_items].mean(axis=0)
    tail = 100.0 * (1.0 - level) / 2.0
    lo, hi = np.percentile(theta, [tail, 100.0 - tail], axis=1)
    b_lo, b_hi = np.percentile(xs[n_items:], [tail, 100.0 - tail], axis=1)
    return BootstrapCI(lo, hi, theta.std(axis=1, ddof=1), b_lo, b_hi, xs.shape[1])
