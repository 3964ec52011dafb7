"""Which comparisons to create next: re-queued failures first, then the design's best new pairs.

Every comparison belongs to one of the design's two chains (domain/design.py); each chain picks
its pairs from a fit of its own verdicts so the split-half reliability between them is honest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.domain import bt, design, pairing
from cj_service.service.workflow.model import IN_FLIGHT, PlannedPair, Status


@dataclass(frozen=True)
class History:
    """The batch's comparison history as the pair selector needs it."""

    n_items: int
    shown: tuple[tuple[int, int, bool, int], ...]  # judged or in flight: (A, B, flying, chain)
    retry: tuple[tuple[str, PlannedPair], ...]  # (failed comparison id, its retry)
    # ended without a verdict and not retried: (A, B, chain); the opening counts them as
    # shown, or an essay whose every call fails would keep it open forever
    spent: tuple[tuple[int, int, int], ...]
    max_pair_attempts: int  # the retry bound, also how many failed partners make unjudgeable

    @property
    def in_flight(self) -> frozenset[tuple[int, int]]:
        return frozenset(_key(s[0], s[1]) for s in self.shown if s[2])


@dataclass(frozen=True)
class Judged:
    """The judged verdicts and the chain of each, for the design's per-chain fits."""

    comps: bt.Comparisons
    chain: np.ndarray
    fits: tuple[bt.BTFit, ...] | None = None  # the chains' fits when the caller has them


def _key(a: int, b: int) -> tuple[int, int]:
    return (min(a, b), max(a, b))


def history(n_items: int, rows: Sequence, *, max_pair_attempts: int) -> History:
    """rows: (id, idx_a, idx_b, status, pair_attempt, requeued, error_retryable, chain)."""
    shown, retry, spent = [], [], []
    for i, r in enumerate(rows):
        chain = design.chain_of(r, i)
        if r.status in IN_FLIGHT or r.status == Status.JUDGED:
            shown.append((r.idx_a, r.idx_b, r.status in IN_FLIGHT, chain))
        elif _retryable(r, max_pair_attempts):
            # swap sides on the retry so a position-sensitive failure is not simply repeated
            retry.append((r.id, PlannedPair(r.idx_b, r.idx_a, r.pair_attempt + 1, chain)))
        else:
            spent.append((r.idx_a, r.idx_b, chain))
    return History(n_items, tuple(shown), tuple(retry), tuple(spent), max_pair_attempts)


def unjudgeable(hist: History, per_item: np.ndarray) -> np.ndarray:
    """Texts the judge cannot compare (e.g. too long for the model): never judged, and pairs
    with as many different partners as a pair has attempts ended without a verdict or a
    retry. Partners count, not pairs: the partner of such a text fails with it too. No more
    pairs are planned with them, and stopping does not wait for them (steps.py)."""
    pairs = np.array([s[:2] for s in hist.spent], dtype=np.int64).reshape(-1, 2)
    both_ways = np.unique(np.r_[pairs, pairs[:, ::-1]], axis=0)
    partners = np.bincount(both_ways[:, 0], minlength=hist.n_items)
    return (per_item == 0) & (partners >= hist.max_pair_attempts)


def per_item(judged: Judged | None, n_items: int) -> np.ndarray:
    """Judged comparisons per text."""
    return np.zeros(n_items, np.int64) if judged is None else judged.comps.per_item()


def _retryable(row, max_pair_attempts: int) -> bool:
    return (
        row.status == Status.FAILED
        and row.error_retryable
        and not row.requeued
        and row.pair_attempt < max_pair_attempts
    )


def plan(
    hist: History,
    *,
    count: int,
    rng: np.random.Generator,
    judged: Judged | None = None,
) -> tuple[list[PlannedPair], list[str]]:
    """Up to `count` comparisons: retries first; returns (pairs, ids of re-queued failures)."""
    flying = hist.in_flight
    retries = [r for r in hist.retry if _key(r[1].idx_a, r[1].idx_b) not in flying][:count]
    fresh = select_pairs(
        hist, count=count - len(retries), rng=rng, judged=judged, retries=[p for _, p in retries]
    )
    return [p for _, p in retries] + fresh, [cid for cid, _ in retries]


def select_pairs(
    hist: History,
    *,
    count: int,
    rng: np.random.Generator,
    judged: Judged | None = None,
    retries: Sequence[PlannedPair] = (),
) -> list[PlannedPair]:
    """The design's most informative new pairs per chain, oriented to balance A/B positions."""
    if count <= 0 or hist.n_items < 2:
        return []
    blocked = unjudgeable(hist, per_item(judged, hist.n_items))
    opening = design.opening(_covered(hist, judged) | blocked, m=count, rng=rng)
    if opening is not None:
        return _planned(*opening)
    if judged is None or not design.has_every_chain(judged.chain):
        return []  # the opening is all in flight: each chain adapts from its first verdicts
    pending, pending_chain = _pending(hist, retries)
    fits = judged.fits or design.refit_chains(judged.comps, judged.chain)
    a, b, c = design.plan(
        judged.comps,
        judged.chain,
        fits,
        m=count,
        rng=rng,
        pending=pending,
        pending_chain=pending_chain,
        blocked=blocked,
    )
    return _planned(a, b, c)


def _planned(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> list[PlannedPair]:
    return [PlannedPair(int(i), int(j), 1, int(h)) for i, j, h in zip(a, b, c, strict=True)]


def _covered(hist: History, judged: Judged | None) -> np.ndarray:
    """(chain, essay): the essay has had a pair in the chain (judged, in flight, to be
    retried or spent). Spent pairs count only in a chain with something else: a chain whose
    every pair failed opens again, until a verdict comes or the judge-failure rule ends the
    batch, rather than the batch finishing with one chain empty."""
    live = [(s[0], s[1], s[3]) for s in hist.shown]
    live += [(p.idx_a, p.idx_b, p.chain) for _, p in hist.retry]
    if judged is not None:
        live += zip(judged.comps.idx_a, judged.comps.idx_b, judged.chain, strict=True)
    covered = _marked(live, hist.n_items)
    spent = _marked(hist.spent, hist.n_items)
    active = np.any(covered, axis=1, keepdims=True)
    return covered | (spent & active)


def _marked(rows, n_items: int) -> np.ndarray:
    arr = np.array(list(rows), dtype=np.int64).reshape(-1, 3)
    a, b, c = arr[:, 0], arr[:, 1], arr[:, 2]
    out = np.zeros((design.CHAINS, n_items), dtype=bool)
    keep = c < design.CHAINS
    out[c[keep], a[keep]] = True
    out[c[keep], b[keep]] = True
    return out


def _pending(
    hist: History, retries: Sequence[PlannedPair]
) -> tuple[pairing.PairHistory, np.ndarray]:
    """In-flight pairs and the retries being planned, with their chains, and the spent pairs
    (not busy: made, so the selector does not ask them again before fresh ones)."""
    rows = [(s[0], s[1], s[3], True) for s in hist.shown if s[2]]
    rows += [(p.idx_a, p.idx_b, p.chain, True) for p in retries]
    rows += [(a, b, c, False) for a, b, c in hist.spent]
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return pairing.PairHistory(arr[:, 0], arr[:, 1], arr[:, 3].astype(bool)), arr[:, 2]
