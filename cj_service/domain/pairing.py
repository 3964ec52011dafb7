"""Pair selection: which comparisons to ask the judge next.

For a candidate pair (a, b) let u = e_a - e_b, C the posterior covariance of the scores, and
I = pbar(1 - pbar) the expected Fisher information of one verdict, with pbar the win
probability averaged over the uncertainty of the difference (probit approximation). One
verdict reduces the weighted posterior variance sum_i w_i Var(theta_i) by

    gain(a, b) = I * u'C W C u / (1 + I * u'C u)            (weighted A-optimality)

u'Cu = Var(theta_a - theta_b) is what links the scale: two essays already tied together by
earlier comparisons have a small variance of their difference and gain little, however close
their scores -- pairing by closeness alone leaves the scale unlinked. The weights w target
the ranking: a score error moves an essay's rank in proportion to how many essays are near
it, so w_i = density(score_i)^2 (the rank-error variance), times optional caller weights
(e.g. closeness to a grade boundary). Pairs are taken greedily by gain with at most
`max_per_item` new pairs per essay per batch, fresh pairs before repeats, and each essay's
A/B positions balanced. Small batches score every pair exactly; large ones score a sampled
candidate set (a few dozen partners per essay drawn near its score), so N = 1,000 stays fast.

Failed comparisons are the caller's to re-queue: pass them as `pending` (they count as made
and in flight) and ask for `m` = free slots minus the retries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cj_service.domain.bt import sigmoid


@dataclass(frozen=True)
class SelectionConfig:
    max_per_item: int = 1
    rank_weight_power: float = 2.0
    full_search_max: int = 400
    candidates_per_item: int = 32


@dataclass(frozen=True)
class PairHistory:
    """Every pair already judged or in flight, in the orientation shown (A = idx_a)."""

    idx_a: np.ndarray
    idx_b: np.ndarray
    pending: np.ndarray  # bool: still in flight

    @classmethod
    def empty(cls) -> PairHistory:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, np.zeros(0, dtype=bool))


def select_pairs(
    scores: np.ndarray,
    variances: np.ndarray,
    *,
    history: PairHistory,
    m: int,
    rng: np.random.Generator,
    cov: np.ndarray | None = None,
    item_weight: np.ndarray | None = None,
    info_scale: float = 1.0,
    constant_info: float | None = None,
    config: SelectionConfig = SelectionConfig(),
    blocked: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose up to m new (idx_a, idx_b) pairs; idx_a is the essay to show as "Essay A".
    No pair includes an essay marked in `blocked` (bool, one per essay).

    info_scale: information of one verdict relative to a coin flip's (1/phi for a judge
    whose soft verdicts have dispersion phi, see soft.py); constant_info: information of one
    verdict when it does not depend on the pair (efficiently weighted soft verdicts)."""
    n = scores.size
    if m <= 0 or n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    weights = rank_weights(scores, variances, power=config.rank_weight_power)
    if item_weight is not None:
        weights = weights * item_weight
    a, b = _candidates(scores, variances, rng=rng, config=config)
    gain = pair_gain(
        a, b, scores, variances, cov, weights, info_scale=info_scale, constant_info=constant_info
    )
    if blocked is not None:
        gain[blocked[a] | blocked[b]] = np.nan  # _greedy takes finite gains only
    repeats = _repeat_counts(a, b, history, n=n)
    cap = max(config.max_per_item, -(-2 * m // n))
    busy = np.bincount(history.idx_a[history.pending], minlength=n) + np.bincount(
        history.idx_b[history.pending], minlength=n
    )
    chosen = _greedy(gain, a, b, repeats, m=m, cap=np.maximum(cap - busy, 0))
    return orient(a[chosen], b[chosen], history=history, n=n, rng=rng)


def rank_weights(scores: np.ndarray, variances: np.ndarray, *, power: float) -> np.ndarray:
    """density(score)^power under a normal fit to the batch, scaled to max 1."""
    spread2 = float(np.var(scores) + np.mean(variances))
    z2 = (scores - scores.mean()) ** 2 / max(spread2, 1e-12)
    return np.exp(-0.5 * power * z2)


def pair_gain(
    a: np.ndarray,
    b: np.ndarray,
    scores: np.ndarray,
    variances: np.ndarray,
    cov: np.ndarray | None,
    weights: np.ndarray,
    *,
    info_scale: float = 1.0,
    constant_info: float | None = None,
) -> np.ndarray:
    """Expected reduction of sum_i w_i Var(theta_i) from one verdict on each pair."""
    if cov is None:
        var_diff = variances[a] + variances[b]
        spill = weights[a] * variances[a] ** 2 + weights[b] * variances[b] ** 2
    else:
        var_diff = np.maximum(variances[a] + variances[b] - 2.0 * cov[a, b], 1e-12)
        spill = _weighted_spill(a, b, cov, weights)
    pbar = sigmoid((scores[a] - scores[b]) / np.sqrt(1.0 + np.pi * var_diff / 8.0))
    info = info_scale * pbar * (1.0 - pbar) if constant_info is None else constant_info
    return info * spill / (1.0 + info * var_diff)


def _weighted_spill(a: np.ndarray, b: np.ndarray, cov: np.ndarray, w: np.ndarray) -> np.ndarray:
    """u'C W C u = S_aa + S_bb - 2 S_ab with S = C W C (one BLAS product; float32 for
    large batches, ample for ranking candidate pairs)."""
    if cov.shape[0] > 400:
        c32 = cov.astype(np.float32)
        s = ((c32 * w.astype(np.float32)) @ c32).astype(float)
    else:
        s = (cov * w) @ cov
    d = np.diag(s)
    return d[a] + d[b] - 2.0 * s[a, b]


def _candidates(
    scores: np.ndarray, variances: np.ndarray, *, rng: np.random.Generator, config: SelectionConfig
) -> tuple[np.ndarray, np.ndarray]:
    n = scores.size
    if n <= config.full_search_max:
        a, b = np.triu_indices(n, k=1)
        return a.astype(np.int64), b.astype(np.int64)
    return _sampled_candidates(scores, variances, rng=rng, k=config.candidates_per_item)


def _sampled_candidates(scores, variances, *, rng, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k partners per essay drawn around its score (sd = 1 logit + both uncertainties)."""
    n = scores.size
    order = np.argsort(scores)
    sorted_scores = scores[order]
    a = np.repeat(np.arange(n), k)
    spread = np.sqrt(1.0 + variances[a] + float(np.mean(variances)))
    target = scores[a] + rng.normal(0.0, 1.0, a.size) * spread
    pos = np.clip(np.searchsorted(sorted_scores, target), 0, n - 1)
    b = order[pos]
    keep = a != b
    lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    keys = np.unique(lo * n + hi)
    return keys // n, keys % n


def _pair_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(a, b) * n + np.maximum(a, b)


def _repeat_counts(a, b, history: PairHistory, *, n: int) -> np.ndarray:
    if history.idx_a.size == 0:
        return np.zeros(a.size, dtype=np.int64)
    made, times = np.unique(_pair_keys(history.idx_a, history.idx_b, n), return_counts=True)
    keys = _pair_keys(a, b, n)
    pos = np.clip(np.searchsorted(made, keys), 0, made.size - 1)
    return np.where(made[pos] == keys, times[pos], 0)


def _greedy(gain, a, b, repeats, *, m: int, cap: np.ndarray) -> np.ndarray:
    """Best pairs first, in tiers: fresh pairs within the per-essay cap; fresh pairs with one
    more per essay; only then repeats (least-made first). Coverage, not gain, decides when a
    pair may be asked again."""
    used = np.zeros(cap.size, dtype=np.int64)
    chosen: list[int] = []
    tiers = [(repeats == 0, cap), (repeats == 0, cap + 1), (repeats > 0, cap + 1)]
    for mask, limit in tiers:
        ranked = np.flatnonzero(mask & np.isfinite(gain))
        score = gain[ranked] / (1.0 + repeats[ranked])
        taken = set(chosen)
        for idx in ranked[np.argsort(-score, kind="stable")]:
            if len(chosen) == m:
                return np.asarray(chosen, dtype=np.int64)
            i, j = a[idx], b[idx]
            if idx not in taken and used[i] < limit[i] and used[j] < limit[j]:
                chosen.append(int(idx))
                used[i] += 1
                used[j] += 1
    return np.asarray(chosen, dtype=np.int64)


def orient(
    a: np.ndarray, b: np.ndarray, *, history: PairHistory, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Show as A the essay that has been A less often (ties: coin flip), so every essay's
    A/B counts stay within two of each other and the bias estimate is not confounded."""
    balance = np.bincount(history.idx_a, minlength=n) - np.bincount(history.idx_b, minlength=n)
    out_a, out_b = a.copy(), b.copy()
    for k in range(a.size):
        i, j = a[k], b[k]
        swap = balance[i] > balance[j] or (balance[i] == balance[j] and rng.random() < 0.5)
        if swap:
            i, j = j, i
        out_a[k], out_b[k] = i, j
        balance[i] += 1
        balance[j] -= 1
    return out_a, out_b
