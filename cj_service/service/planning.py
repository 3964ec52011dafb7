"""Which comparisons to create next: re-queued failures first, then the domain's best new pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cj_service.service.model import IN_FLIGHT, PlannedPair, Status


@dataclass(frozen=True)
class History:
    """The batch's comparison history as the pair selector needs it."""

    n_items: int
    pair_counts: dict[tuple[int, int], int]  # unordered pair -> comparisons judged or in flight
    in_flight: frozenset[tuple[int, int]]  # unordered pairs being judged now
    times_a: np.ndarray
    times_b: np.ndarray
    retry: tuple[tuple[str, PlannedPair], ...]  # (failed comparison id, its retry)


def history(n_items: int, rows: Sequence, *, max_pair_attempts: int) -> History:
    """rows: (id, idx_a, idx_b, status, pair_attempt, requeued, error_retryable)."""
    counts: dict[tuple[int, int], int] = {}
    flying: set[tuple[int, int]] = set()
    times_a = np.zeros(n_items, dtype=int)
    times_b = np.zeros(n_items, dtype=int)
    retry = []
    for r in rows:
        key = (min(r.idx_a, r.idx_b), max(r.idx_a, r.idx_b))
        if r.status in IN_FLIGHT:
            flying.add(key)
        if r.status != Status.ABANDONED:
            times_a[r.idx_a] += 1
            times_b[r.idx_b] += 1
        if r.status != Status.ABANDONED:  # failures count too: fresh pairs come before them
            counts[key] = counts.get(key, 0) + 1
        if _retryable(r, max_pair_attempts):
            # swap sides on the retry so a position-sensitive failure is not simply repeated
            retry.append((r.id, PlannedPair(r.idx_b, r.idx_a, r.pair_attempt + 1)))
    return History(n_items, counts, frozenset(flying), times_a, times_b, tuple(retry))


def _retryable(row, max_pair_attempts: int) -> bool:
    return (row.status == Status.FAILED and row.error_retryable and not row.requeued
            and row.pair_attempt < max_pair_attempts)


def plan(
    hist: History, *, count: int, scores: np.ndarray | None, ses: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[list[PlannedPair], list[str]]:
    """Up to `count` comparisons: retries first; returns (pairs, ids of re-queued failures)."""
    retries = [r for r in hist.retry if _pair(r[1]) not in hist.in_flight][:count]
    taken = {_pair(p) for _, p in retries}
    fresh = select_pairs(hist, count=count - len(retries), scores=scores, ses=ses, rng=rng,
                         exclude=taken)
    return [p for _, p in retries] + fresh, [cid for cid, _ in retries]


def _pair(p: PlannedPair) -> tuple[int, int]:
    return (min(p.idx_a, p.idx_b), max(p.idx_a, p.idx_b))


def select_pairs(
    hist: History, *, count: int, scores: np.ndarray | None, ses: np.ndarray | None,
    rng: np.random.Generator, exclude: set[tuple[int, int]],
) -> list[PlannedPair]:
    # TODO(domain): delegate to cj_service.domain.pairing once it lands.
    n = hist.n_items
    if count <= 0 or n < 2:
        return []
    s = np.zeros(n) if scores is None else np.asarray(scores, float)
    se = np.full(n, 3.0) if ses is None else np.asarray(ses, float)
    i, j = np.triu_indices(n, k=1)
    p = 1.0 / (1.0 + np.exp(-(s[i] - s[j])))
    info = p * (1 - p) * (se[i] ** 2 + se[j] ** 2)
    seen = np.array([hist.pair_counts.get((int(a), int(b)), 0) for a, b in zip(i, j, strict=True)])
    blocked = np.array([(int(a), int(b)) in hist.in_flight or (int(a), int(b)) in exclude
                        for a, b in zip(i, j, strict=True)])
    key = np.where(blocked, -np.inf, info / (1.0 + seen) * (1 + 1e-6 * rng.random(i.size)))
    order = np.argsort(-key)
    load = np.zeros(n, dtype=int)
    cap = max(1, int(np.ceil(2 * count / n)))
    out: list[PlannedPair] = []
    for k in order:
        if len(out) >= count or not np.isfinite(key[k]):
            break
        a, b = int(i[k]), int(j[k])
        if load[a] >= cap or load[b] >= cap:
            continue
        load[a] += 1
        load[b] += 1
        out.append(_oriented(a, b, hist))
    return out


def _oriented(a: int, b: int, hist: History) -> PlannedPair:
    """Show as A the essay that has been A less often (relative to its B showings)."""
    lean_a = hist.times_a[a] - hist.times_b[a]
    lean_b = hist.times_a[b] - hist.times_b[b]
    return PlannedPair(a, b) if lean_a <= lean_b else PlannedPair(b, a)
