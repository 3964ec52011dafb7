"""One simulated assessment driven by the real cj_service domain code (quality_bench's engine).

A run pairs essays (random baseline, or our selection: the live service's select_pairs),
asks the simulated judge in batches of `batch` (the in-flight window), refits the BT model
with the empirical-Bayes prior after every batch and records metrics at checkpoints of
k = 2 * calls / N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import spearmanr
from sim_judge import SimJudge

from cj_service.domain.bt import BTFit, Comparisons, fit_bt
from cj_service.domain.bt_prior import fit_bt_eb
from cj_service.domain.pairing import PairHistory, SelectionConfig, select_pairs
from cj_service.domain.reliability import split_half_reliability, ssr
from cj_service.domain.soft import is_soft, soft_dispersion, weighted_for_dispersion


@dataclass(frozen=True)
class RunSpec:
    n: int = 200
    sigma: float = 1.5
    design: str = "ours"  # ours | random | both (ours, every pair asked in both orders)
    beta: float = 0.3
    lapse: float = 0.02
    soft_noise: float | None = None
    use_soft: bool = False
    coin_toss: bool = False
    batch: int = 20
    checkpoints: tuple[int, ...] = (2, 4, 6, 8, 10, 12, 14, 16, 18, 20)  # k values
    extra_calls: tuple[int, ...] = ()  # further checkpoints given as call counts
    config: SelectionConfig = SelectionConfig()


@dataclass
class Snapshot:
    calls: int
    fit: BTFit
    comps: Comparisons
    spearman: float
    true_rel: float
    honest_rel: float
    ssr: float


@dataclass
class RunResult:
    theta: np.ndarray
    snapshots: dict[int, Snapshot] = field(default_factory=dict)  # keyed by calls


Hook = Callable[[BTFit], np.ndarray | None]


class _Log:
    """Growing arrays of judged comparisons."""

    def __init__(self) -> None:
        self.a: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        self.y: list[np.ndarray] = []

    def add(self, a: np.ndarray, b: np.ndarray, y: np.ndarray) -> None:
        self.a.append(a)
        self.b.append(b)
        self.y.append(y)

    def comps(self, n: int, upto: int | None = None) -> Comparisons:
        a, b, y = (np.concatenate(x)[:upto] for x in (self.a, self.b, self.y))
        return Comparisons.build(a, b, y, n_items=n)


def simulate(spec: RunSpec, seed: int, *, weight_hook: Hook | None = None) -> RunResult:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, spec.sigma, spec.n)
    judge = SimJudge(theta, spec.beta, spec.lapse, spec.soft_noise, spec.coin_toss)
    targets = sorted({spec.n * k // 2 for k in spec.checkpoints} | set(spec.extra_calls))
    result = RunResult(theta)
    log = _Log()
    if spec.design == "random":
        _random_design(spec, judge, log, rng, total=targets[-1])
        for calls in targets:
            comps = log.comps(spec.n, calls)
            half = rng.permutation(calls) < calls // 2
            _snapshot(result, [_subset(comps, half), _subset(comps, ~half)], theta, calls)
        return result
    _adaptive(spec, judge, log, rng, targets, result, weight_hook)
    return result


def _subset(c: Comparisons, mask: np.ndarray) -> Comparisons:
    return Comparisons.build(c.idx_a[mask], c.idx_b[mask], c.y[mask], n_items=c.n_items)


def _verdicts(spec: RunSpec, judge: SimJudge, a, b, rng) -> np.ndarray:
    v = judge.judge(a, b, rng)
    return v.p_a if spec.use_soft else v.hard


def _random_design(spec: RunSpec, judge: SimJudge, log: _Log, rng, *, total: int) -> None:
    n = spec.n
    keys = rng.permutation(n * n)
    i, j = keys // n, keys % n
    keep = i < j
    i, j = i[keep][:total], j[keep][:total]
    flip = rng.random(i.size) < 0.5
    a, b = np.where(flip, j, i), np.where(flip, i, j)
    log.add(a, b, _verdicts(spec, judge, a, b, rng))


def _adaptive(spec, judge, log: _Log, rng, targets, result: RunResult, hook) -> None:
    """Two independent adaptive chains (each chooses its pairs from its own fit only), so
    the split-half correlation between them stays honest; the scores use both."""
    n = spec.n
    chains = [_Log(), _Log()]
    for chain in chains:
        perm = rng.permutation(n)
        a, b = perm[0::2][: n // 2], perm[1::2][: n // 2]
        chain.add(a, b, _verdicts(spec, judge, a, b, rng))
    calls, fits = 2 * (n // 2), [None, None]
    while True:
        halves = [chain.comps(n) for chain in chains]
        fits = [_refit(c, f) for c, f in zip(halves, fits, strict=True)]
        if calls in targets:
            _snapshot(result, halves, result.theta, calls, chain_fits=fits)
        if calls >= targets[-1]:
            return
        m = min(spec.batch, min(t for t in targets if t > calls) - calls)
        for h, share in enumerate((m // 2, m - m // 2)):
            a, b = _next_pairs(spec, halves[h], fits[h], share, rng, hook)
            chains[h].add(a, b, _verdicts(spec, judge, a, b, rng))
            calls += a.size


def _refit(comps: Comparisons, prev: BTFit | None) -> BTFit:
    if prev is None:
        return _eb(comps, prior_sd=3.0, init=None, max_rounds=3)
    start = max(prev.prior_sd, 0.5)  # never let an early collapse of tau stick
    return _eb(comps, prior_sd=start, init=prev.params, max_rounds=2)


def _eb(comps: Comparisons, *, prior_sd: float, init, max_rounds: int) -> BTFit:
    """EB fit; soft verdicts re-weighted by their estimated dispersion (soft.py)."""
    fit = fit_bt_eb(comps, prior_sd=prior_sd, init=init, max_rounds=max_rounds)
    if not is_soft(comps.y).any():
        return fit
    weighted = weighted_for_dispersion(comps, soft_dispersion(comps, fit))
    return fit_bt_eb(weighted, prior_sd=fit.prior_sd, init=fit.params, max_rounds=max_rounds)


def _next_pairs(spec: RunSpec, comps, fit: BTFit, m: int, rng, hook):
    history = PairHistory(comps.idx_a, comps.idx_b, np.zeros(comps.size, dtype=bool))
    weight = hook(fit) if hook else None
    want = m // 2 if spec.design == "both" else m
    a, b = select_pairs(
        fit.scores,
        fit.se**2,
        history=history,
        m=max(want, 1),
        rng=rng,
        cov=fit.cov,
        item_weight=weight,
        info_scale=1.0 / soft_dispersion(comps, fit),
        config=spec.config,
    )
    if spec.design == "both":
        return np.concatenate([a, b]), np.concatenate([b, a])
    return a, b


def _snapshot(result: RunResult, halves, theta, calls: int, *, chain_fits=None) -> None:
    """Metrics at a checkpoint. halves: the two independent half-designs' comparisons."""
    comps = _merge(halves)
    fit = _eb(comps, prior_sd=3.0, init=None, max_rounds=80)  # converged: grades need it
    halves_fit = chain_fits or [_eb(h, prior_sd=3.0, init=None, max_rounds=80) for h in halves]
    weak = fit_bt(comps, prior_sd=3.0)
    rho = float(spearmanr(fit.scores, theta)[0])
    r = float(np.corrcoef(fit.scores, theta)[0, 1])
    result.snapshots[calls] = Snapshot(
        calls=calls,
        fit=fit,
        comps=comps,
        spearman=rho,
        true_rel=r * r,
        honest_rel=split_half_reliability(halves_fit[0].scores, halves_fit[1].scores),
        ssr=ssr(weak),
    )


def _merge(halves) -> Comparisons:
    a, b = halves
    return Comparisons.build(
        np.concatenate([a.idx_a, b.idx_a]),
        np.concatenate([a.idx_b, b.idx_b]),
        np.concatenate([a.y, b.y]),
        n_items=a.n_items,
    )
