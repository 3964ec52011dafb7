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

from cj_service.domain import bt, design, intervals, reliability

WINNER_A = 1


@dataclass(frozen=True)
class Verdicts:
    """Judged comparisons of one batch as domain arrays."""

    comps: bt.Comparisons
    wins: np.ndarray  # per essay, hard wins
    judges: tuple[str, ...]
    chain: np.ndarray  # the design's half (0/1) each verdict belongs to


@dataclass(frozen=True)
class FitSummary:
    scores: np.ndarray
    ses: np.ndarray
    beta: float
    beta_se: float
    reliability: float  # honest (independent chains' split half); the stopping rule uses this
    ssr: float  # reported for reference only
    infit: np.ndarray
    outfit: np.ndarray
    counts: np.ndarray
    converged: bool
    log_likelihood: float
    n_comparisons: int
    prior_sd: float
    fit: bt.BTFit
    ci_low: np.ndarray  # 95% intervals; ses is their half-width / 1.96 (domain/intervals.py)
    ci_high: np.ndarray


def verdicts(n_items: int, rows: Sequence) -> Verdicts:
    """rows: (idx_a, idx_b, winner, probability_a, provider, model, chain) of JUDGED comparisons
    (rows planned before chains existed alternate between them)."""
    a = np.fromiter((r.idx_a for r in rows), dtype=np.int64, count=len(rows))
    b = np.fromiter((r.idx_b for r in rows), dtype=np.int64, count=len(rows))
    y = np.fromiter((_label(r) for r in rows), dtype=float, count=len(rows))
    judges = tuple(dict.fromkeys(f"{r.provider}/{r.model}" for r in rows)) or ("",)
    index = {j: i for i, j in enumerate(judges)}
    judge = np.fromiter((index[f"{r.provider}/{r.model}"] for r in rows), np.int64, len(rows))
    comps = bt.Comparisons.build(a, b, y, n_items=n_items, judge=judge, n_judges=len(judges))
    hard = np.fromiter((r.winner == WINNER_A for r in rows), dtype=float, count=len(rows))
    wins = np.bincount(a, hard, minlength=n_items) + np.bincount(b, 1.0 - hard, minlength=n_items)
    chain = np.fromiter((design.chain_of(r, i) for i, r in enumerate(rows)), np.int64, len(rows))
    return Verdicts(comps, wins.astype(int), judges, chain)


def merge(old: Verdicts | None, new: Verdicts | None) -> Verdicts | None:
    """old's verdicts followed by new's (judge indices remapped onto the union of judges)."""
    if old is None or new is None:
        return new if old is None else old
    judges = tuple(dict.fromkeys(old.judges + new.judges))
    remap = np.array([judges.index(j) for j in new.judges], dtype=np.int64)
    o, n = old.comps, new.comps
    comps = bt.Comparisons(
        np.concatenate([o.idx_a, n.idx_a]),
        np.concatenate([o.idx_b, n.idx_b]),
        np.concatenate([o.y, n.y]),
        np.concatenate([o.weight, n.weight]),
        np.concatenate([o.judge, remap[n.judge]]),
        o.n_items,
        len(judges),
    )
    return Verdicts(comps, old.wins + new.wins, judges, np.concatenate([old.chain, new.chain]))


def honest_reliability(v: Verdicts, fits: tuple[bt.BTFit, ...]) -> float:
    """The design's honest figure from its chain fits (as design.summarise computes it);
    0 until both chains have a verdict."""
    if not design.has_every_chain(v.chain):
        return 0.0
    return reliability.split_half_reliability(fits[0].scores, fits[1].scores)


def _label(row) -> float:
    """Soft label P(A) when the judge gave one (logprobs), else the hard verdict."""
    if row.probability_a is not None:
        return float(min(1.0, max(0.0, row.probability_a)))
    return 1.0 if row.winner == WINNER_A else 0.0


def fit(v: Verdicts) -> FitSummary:
    """The design's summary (domain/design.py): scores from one fit of all verdicts, the
    honest split-half reliability between the two chains, beta from the Firth fit.

    Deterministic and cold: the prior width maximises the evidence over a fixed grid,
    refined by a parabola (bt_prior.fit_bt_evidence), whatever fits came before."""
    summary = design.summarise(v.comps, v.chain)
    result = summary.fit
    bias = summary.bias_fit or result
    ci = intervals.score_intervals(v.comps, result)
    return FitSummary(
        scores=result.scores,
        ses=ci.se,
        beta=float(bias.beta[0]),
        beta_se=float(bias.beta_se[0]),
        reliability=summary.honest_reliability,
        ssr=summary.ssr,
        infit=result.infit,
        outfit=result.outfit,
        counts=result.n_comparisons,
        converged=result.converged,
        log_likelihood=result.log_likelihood,
        n_comparisons=v.comps.size,
        prior_sd=result.prior_sd,
        fit=result,
        ci_low=ci.low,
        ci_high=ci.high,
    )


def naive_fit(v: Verdicts) -> tuple[float, bt.BTFit]:
    """SSR and the one fixed-prior fit it is read from (as design.summarise computes it)."""
    result = design.naive_fit(v.comps)
    return reliability.ssr(result), result
