"""Which comparisons to create next: re-queued failures first, then the design's best new pairs.

Every comparison belongs to one of the design's two chains (domain/design.py); each chain picks
its pairs from a fit of its own verdicts so the split-half reliability between them is honest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.domain import bt, design, pairing
from cj_service.service.model import IN_FLIGHT, PlannedPair, Status

FIRST_WAVE_SD = 1.5  # prior spread of scores before any verdict


@dataclass(frozen=True)
class History:
    """The batch's comparison history as the pair selector needs it."""

    n_items: int
    shown: tuple[tuple[int, int, bool, int], ...]  # judged or in flight: (A, B, flying, chain)
    retry: tuple[tuple[str, PlannedPair], ...]  # (failed comparison id, its retry)

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
    shown, retry = [], []
    for i, r in enumerate(rows):
        chain = design.chain_of(r, i)
        if r.status in IN_FLIGHT or r.status == Status.JUDGED:
            shown.append((r.idx_a, r.idx_b, r.status in IN_FLIGHT, chain))
        elif _retryable(r, max_pair_attempts):
            # swap sides on the retry so a position-sensitive failure is not simply repeated
            retry.append((r.id, PlannedPair(r.idx_b, r.idx_a, r.pair_attempt + 1, chain)))
    return History(n_items, tuple(shown), tuple(retry))


def with_judged(hist: History, judged: Judged | None) -> History:
    """A history read from the open (not judged) rows, plus the judged pairs (never retried)
    when the first wave needs them; after it the design reads them from `judged` itself."""
    if judged is None or design.has_every_chain(judged.chain):
        return hist
    comps = judged.comps
    shown = zip(
        comps.idx_a.tolist(),
        comps.idx_b.tolist(),
        [False] * comps.size,
        judged.chain.tolist(),
        strict=True,
    )
    return History(hist.n_items, (*shown, *hist.shown), hist.retry)


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
    if judged is None or not design.has_every_chain(judged.chain):
        return _first_wave(hist, count=count, rng=rng, retries=retries)
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
    )
    return [PlannedPair(int(i), int(j), 1, int(h)) for i, j, h in zip(a, b, c, strict=True)]


def _first_wave(hist: History, *, count: int, rng, retries) -> list[PlannedPair]:
    """Before both chains have a verdict every pair is equally informative; a little noise
    makes the opening a random design instead of the index order. Chains alternate."""
    n = hist.n_items
    scores = rng.normal(0.0, 1e-3, n)
    a, b = pairing.select_pairs(
        scores, np.full(n, FIRST_WAVE_SD**2), history=pair_history(hist, retries), m=count, rng=rng
    )
    start = _emptier_chain(hist, retries)
    return [
        PlannedPair(int(i), int(j), 1, (start + k) % design.CHAINS)
        for k, (i, j) in enumerate(zip(a, b, strict=True))
    ]


def _emptier_chain(hist: History, retries: Sequence[PlannedPair]) -> int:
    chains = [s[3] for s in hist.shown] + [p.chain for p in retries]
    counts = np.bincount(np.asarray(chains, dtype=np.int64), minlength=design.CHAINS)
    return int(np.argmin(counts[: design.CHAINS]))


def _pending(
    hist: History, retries: Sequence[PlannedPair]
) -> tuple[pairing.PairHistory, np.ndarray]:
    """In-flight pairs and the retries being planned, with their chains."""
    rows = [(s[0], s[1], s[3]) for s in hist.shown if s[2]]
    rows += [(p.idx_a, p.idx_b, p.chain) for p in retries]
    arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
    busy = np.ones(arr.shape[0], dtype=bool)
    return pairing.PairHistory(arr[:, 0], arr[:, 1], busy), arr[:, 2]


def pair_history(hist: History, retries: Sequence[PlannedPair] = ()) -> pairing.PairHistory:
    """Judged and in-flight pairs as shown; retries being planned count as in flight."""
    shown = [s[:3] for s in hist.shown] + [(p.idx_a, p.idx_b, True) for p in retries]
    if not shown:
        return pairing.PairHistory.empty()
    arr = np.array(shown, dtype=np.int64)
    return pairing.PairHistory(arr[:, 0], arr[:, 1], arr[:, 2].astype(bool))
