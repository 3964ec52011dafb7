"""Which comparisons to create next: re-queued failures first, then the domain's best new pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.domain import pairing
from cj_service.service.model import IN_FLIGHT, PlannedPair, Status

FIRST_WAVE_SD = 1.5  # prior spread of scores before any verdict


@dataclass(frozen=True)
class History:
    """The batch's comparison history as the pair selector needs it."""

    n_items: int
    shown: tuple[tuple[int, int, bool], ...]  # judged or in flight: (A, B, still in flight)
    retry: tuple[tuple[str, PlannedPair], ...]  # (failed comparison id, its retry)

    @property
    def in_flight(self) -> frozenset[tuple[int, int]]:
        return frozenset(_key(a, b) for a, b, flying in self.shown if flying)


def _key(a: int, b: int) -> tuple[int, int]:
    return (min(a, b), max(a, b))


def history(n_items: int, rows: Sequence, *, max_pair_attempts: int) -> History:
    """rows: (id, idx_a, idx_b, status, pair_attempt, requeued, error_retryable)."""
    shown, retry = [], []
    for r in rows:
        if r.status in IN_FLIGHT or r.status == Status.JUDGED:
            shown.append((r.idx_a, r.idx_b, r.status in IN_FLIGHT))
        elif _retryable(r, max_pair_attempts):
            # swap sides on the retry so a position-sensitive failure is not simply repeated
            retry.append((r.id, PlannedPair(r.idx_b, r.idx_a, r.pair_attempt + 1)))
    return History(n_items, tuple(shown), tuple(retry))


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
    scores: np.ndarray | None,
    ses: np.ndarray | None,
    rng: np.random.Generator,
    cov: np.ndarray | None = None,
) -> tuple[list[PlannedPair], list[str]]:
    """Up to `count` comparisons: retries first; returns (pairs, ids of re-queued failures)."""
    flying = hist.in_flight
    retries = [r for r in hist.retry if _key(r[1].idx_a, r[1].idx_b) not in flying][:count]
    fresh = select_pairs(
        hist,
        count=count - len(retries),
        scores=scores,
        ses=ses,
        rng=rng,
        cov=cov,
        retries=[p for _, p in retries],
    )
    return [p for _, p in retries] + fresh, [cid for cid, _ in retries]


def select_pairs(
    hist: History,
    *,
    count: int,
    scores: np.ndarray | None,
    ses: np.ndarray | None,
    rng: np.random.Generator,
    cov: np.ndarray | None = None,
    retries: Sequence[PlannedPair] = (),
) -> list[PlannedPair]:
    """The domain's most informative new pairs, oriented to balance A/B positions."""
    n = hist.n_items
    if count <= 0 or n < 2:
        return []
    if scores is None or ses is None:
        # Before the first fit every pair is equally informative; a little noise makes the
        # first wave a random design instead of the index order.
        scores = rng.normal(0.0, 1e-3, n)
        ses, cov = np.full(n, FIRST_WAVE_SD), None
    a, b = pairing.select_pairs(
        np.asarray(scores, float),
        np.asarray(ses, float) ** 2,
        history=pair_history(hist, retries),
        m=count,
        rng=rng,
        cov=cov,
    )
    return [PlannedPair(int(i), int(j)) for i, j in zip(a, b, strict=True)]


def pair_history(hist: History, retries: Sequence[PlannedPair] = ()) -> pairing.PairHistory:
    """Judged and in-flight pairs as shown; retries being planned count as in flight."""
    shown = list(hist.shown) + [(p.idx_a, p.idx_b, True) for p in retries]
    if not shown:
        return pairing.PairHistory.empty()
    arr = np.array(shown, dtype=np.int64)
    return pairing.PairHistory(arr[:, 0], arr[:, 1], arr[:, 2].astype(bool))
