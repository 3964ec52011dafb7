"""The service's window onto the pure statistics in cj_service.domain.

Turns stored rows into domain inputs (index arrays, soft verdicts, judge ids) and domain
outputs into the plain values the pipeline stores. Every numeric decision (fit, honest
reliability, pair choice, stopping) is made by domain code -- the same functions the quality
bench measures -- and this module only adapts shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.domain import bt, bt_prior, reliability

WINNER_A = 1
# The EM update of the empirical-Bayes prior width has an absorbing point near 0: started
# from a collapsed width (e.g. a fit of the first one or two verdicts) it never recovers. So
# every fit starts the width at >= 1 logit (as the quality bench does) and iterates to
# convergence; only the scores are warm-started from the previous fit.
FIRST_PRIOR_SD = 1.0


@dataclass(frozen=True)
class Verdicts:
    """Judged comparisons of one batch as domain arrays."""

    comps: bt.Comparisons
    wins: np.ndarray  # per essay, hard wins
    judges: tuple[str, ...]


@dataclass(frozen=True)
class Warm:
    """Where the previous fit ended: its prior width and (single-judge) parameters."""

    prior_sd: float
    scores: np.ndarray | None = None
    beta: float = 0.0


@dataclass(frozen=True)
class FitSummary:
    scores: np.ndarray
    ses: np.ndarray
    beta: float
    beta_se: float
    reliability: float  # honest (empirical Bayes); the stopping rule uses this
    ssr: float  # reported for reference only
    infit: np.ndarray
    outfit: np.ndarray
    counts: np.ndarray
    converged: bool
    log_likelihood: float
    n_comparisons: int
    prior_sd: float
    fit: bt.BTFit


def verdicts(n_items: int, rows: Sequence) -> Verdicts:
    """rows: (idx_a, idx_b, winner, probability_a, provider, model) of JUDGED comparisons."""
    a = np.fromiter((r.idx_a for r in rows), dtype=np.int64, count=len(rows))
    b = np.fromiter((r.idx_b for r in rows), dtype=np.int64, count=len(rows))
    y = np.fromiter((_label(r) for r in rows), dtype=float, count=len(rows))
    judges = tuple(dict.fromkeys(f"{r.provider}/{r.model}" for r in rows)) or ("",)
    index = {j: i for i, j in enumerate(judges)}
    judge = np.fromiter((index[f"{r.provider}/{r.model}"] for r in rows), np.int64, len(rows))
    comps = bt.Comparisons.build(a, b, y, n_items=n_items, judge=judge, n_judges=len(judges))
    hard = np.fromiter((r.winner == WINNER_A for r in rows), dtype=float, count=len(rows))
    wins = np.bincount(a, hard, minlength=n_items) + np.bincount(b, 1.0 - hard, minlength=n_items)
    return Verdicts(comps, wins.astype(int), judges)


def _label(row) -> float:
    """Soft label P(A) when the judge gave one (logprobs), else the hard verdict."""
    if row.probability_a is not None:
        return float(min(1.0, max(0.0, row.probability_a)))
    return 1.0 if row.winner == WINNER_A else 0.0


def fit(v: Verdicts, *, rng: np.random.Generator, warm: Warm | None = None) -> FitSummary:
    """Empirical-Bayes BT fit (position bias, soft labels); scores warm-started when possible."""
    if warm is None:
        result = bt_prior.fit_bt_eb(v.comps, prior_sd=FIRST_PRIOR_SD, rng=rng)
    else:
        result = bt_prior.fit_bt_eb(
            v.comps, prior_sd=max(warm.prior_sd, FIRST_PRIOR_SD), init=_init(v, warm), rng=rng
        )
    honest = reliability.eb_reliability(result)
    return FitSummary(
        scores=result.scores,
        ses=result.se,
        beta=float(result.beta[0]),
        beta_se=float(result.beta_se[0]),
        reliability=honest,
        ssr=reliability.ssr(result),
        infit=result.infit,
        outfit=result.outfit,
        counts=result.n_comparisons,
        converged=result.converged,
        log_likelihood=result.log_likelihood,
        n_comparisons=v.comps.size,
        prior_sd=result.prior_sd,
        fit=result,
    )


def _init(v: Verdicts, warm: Warm) -> np.ndarray | None:
    if warm.scores is None or v.comps.n_judges != 1 or warm.scores.size != v.comps.n_items:
        return None
    return np.concatenate([warm.scores, [warm.beta]])


def warm_from(snapshot) -> Warm | None:
    """The warm start stored with a fit snapshot row (None before the first fit)."""
    if snapshot is None:
        return None
    return Warm(
        prior_sd=float(snapshot.prior_sd),
        scores=np.asarray(snapshot.scores, float),
        beta=float(snapshot.position_bias),
    )
