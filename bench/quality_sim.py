"""One simulated assessment driven by the real cj_service domain code (quality_bench's engine).

A run pairs essays (random baseline, or the service's two-chain design from design.py), asks
the simulated judge in batches of `batch` (the in-flight window), refits after every batch
and records metrics at checkpoints of k = 2 * calls / N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import spearmanr
from sim_judge import SimJudge

from cj_service.domain import design as cj_design
from cj_service.domain.bt import BTFit, Comparisons
from cj_service.domain.pairing import SelectionConfig


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
# Called after every refit with (verdicts so far, their chains, calls); True ends the run.
Observer = Callable[[Comparisons, np.ndarray, int], bool]


class _Log:
    """Growing arrays of judged comparisons and their chains."""

    def __init__(self) -> None:
        self.a: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        self.y: list[np.ndarray] = []
        self.c: list[np.ndarray] = []

    def add(self, a: np.ndarray, b: np.ndarray, y: np.ndarray, chain=0) -> None:
        self.a.append(a)
        self.b.append(b)
        self.y.append(y)
        self.c.append(np.broadcast_to(np.asarray(chain, dtype=np.int64), a.shape))

    def chains(self) -> np.ndarray:
        return np.concatenate(self.c)

    def comps(self, n: int, upto: int | None = None) -> Comparisons:
        a, b, y = (np.concatenate(x)[:upto] for x in (self.a, self.b, self.y))
        return Comparisons.build(a, b, y, n_items=n)


def simulate(
    spec: RunSpec,
    seed: int,
    *,
    weight_hook: Hook | None = None,
    observer: Observer | None = None,
) -> RunResult:
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
            chain = (rng.permutation(calls) < calls // 2).astype(np.int64)
            _snapshot(result, comps, chain, theta, calls)
        return result
    _adaptive(spec, judge, log, rng, targets, result, weight_hook, observer)
    return result


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


def _adaptive(spec, judge, log: _Log, rng, targets, result: RunResult, hook, observer) -> None:
    """The service's two-chain design (design.py): each chain adapts on its own verdicts."""
    n = spec.n
    for h in range(cj_design.CHAINS):
        # the service's opening, one chain at a time so that each matching's verdicts are
        # drawn right after it (the random stream of earlier runs, so their seeds reproduce)
        covered = np.ones((cj_design.CHAINS, n), dtype=bool)
        covered[h] = False
        a, b, _ = cj_design.opening(covered, m=n, rng=rng)
        log.add(a, b, _verdicts(spec, judge, a, b, rng), chain=h)
    calls, fits = cj_design.CHAINS * (n // 2), None
    while True:
        comps, chain = log.comps(n), log.chains()
        fits = cj_design.refit_chains(comps, chain, fits)
        if observer is not None and observer(comps, chain, calls):
            return
        if calls in targets:
            _snapshot(result, comps, chain, result.theta, calls, fits=fits)
        if calls >= targets[-1]:
            return
        m = min(spec.batch, min(t for t in targets if t > calls) - calls)
        want = m // 2 if spec.design == "both" else m
        weight = hook(fits[0]) if hook else None
        a, b, c = cj_design.plan(
            comps, chain, fits, m=want, rng=rng, item_weight=weight, config=spec.config
        )
        if spec.design == "both":
            a, b, c = np.r_[a, b], np.r_[b, a], np.r_[c, c]
        log.add(a, b, _verdicts(spec, judge, a, b, rng), chain=c)
        calls += a.size


def _snapshot(result: RunResult, comps, chain, theta, calls: int, *, fits=None) -> None:
    """Metrics at a checkpoint (chain: each comparison's half-design)."""
    summary = cj_design.summarise(comps, chain, fits, with_bias=False)
    rho = float(spearmanr(summary.fit.scores, theta)[0])
    r = float(np.corrcoef(summary.fit.scores, theta)[0, 1])
    result.snapshots[calls] = Snapshot(
        calls=calls,
        fit=summary.fit,
        comps=comps,
        spearman=rho,
        true_rel=r * r,
        honest_rel=summary.honest_reliability,
        ssr=summary.ssr,
    )
