"""The service's window onto the pure statistics in cj_service.domain.

Turns stored rows into domain inputs (index arrays, soft verdicts, judge ids) and domain
outputs into the plain values the pipeline stores. Every numeric decision (fit, honest
reliability, pair choice, stopping) is made by domain code; this module only adapts shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.domain import bt

WINNER_A = 1


@dataclass(frozen=True)
class Verdicts:
    """Judged comparisons of one batch as domain arrays."""

    comps: bt.Comparisons
    wins: np.ndarray  # per essay, hard wins (ties of soft labels split)
    judges: tuple[str, ...]


@dataclass(frozen=True)
class FitSummary:
    scores: np.ndarray
    ses: np.ndarray
    beta: float
    beta_se: float
    reliability: float
    ssr: float
    infit: np.ndarray
    outfit: np.ndarray
    counts: np.ndarray
    converged: bool
    log_likelihood: float
    n_comparisons: int
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


def fit(v: Verdicts, *, rng: np.random.Generator, init: np.ndarray | None = None) -> FitSummary:
    result = bt.fit_bt(v.comps, rng=rng, init=init)
    ssr = scale_separation_reliability(result.scores, result.se)
    return FitSummary(
        scores=result.scores, ses=result.se, beta=float(result.beta[0]),
        beta_se=float(result.beta_se[0]), reliability=honest_reliability(v, result, ssr=ssr),
        ssr=ssr, infit=result.infit, outfit=result.outfit, counts=result.n_comparisons,
        converged=result.converged, log_likelihood=result.log_likelihood,
        n_comparisons=v.comps.size, fit=result,
    )


def scale_separation_reliability(scores: np.ndarray, ses: np.ndarray) -> float:
    """SSR = (observed variance - mean error variance) / observed variance (for reference)."""
    if scores.size < 2:
        return 0.0
    observed = float(np.var(scores, ddof=1))
    if observed <= 0:
        return 0.0
    return float(max(0.0, (observed - float(np.mean(ses**2))) / observed))


def honest_reliability(v: Verdicts, result: bt.BTFit, *, ssr: float) -> float:
    # TODO(domain): replace with cj_service.domain.reliability once it lands.
    return ssr
