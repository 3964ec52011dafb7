"""Drift bench: is a judge whose position bias drifts across a batch flagged, and a constant
one not? Drives the real cj_service.domain.drift on batches simulated like the service runs
them: the two-chain adaptive design (design.opening / refit_chains / plan, a window of N / 2
pairs planned before their verdicts are seen) or random pairs with random orientation, the
empirical-Bayes fit of all verdicts (design.fit_scores) as the scores held fixed.

Judge: P(A) = sigmoid(theta_a - theta_b + 0.3 + drift * (t - 1/2)), t = call / (calls - 1),
2% lapses, theta ~ N(0, 1.5^2). drift = 0 (constant bias) or +0.5 logits per batch.
Means and rates are over runs (seeds); `joint` = drift refitted jointly with the scores (the
default), `fixed` = scores held at the fit, `pred` = the power the mean SE predicts, Q4-Q1 =
last quarter's bias minus the first's (scores held fixed, as reported; the true difference
is 0.75 x drift). Last line: flag rates of the joint test per cell,
and the batch size (verdicts) at which a +0.5 drift is flagged in 80% of runs, extrapolated
from the largest adaptive cell's SE (it falls as 1/sqrt(verdicts)) and mean estimate.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: threads only contend

import argparse  # noqa: E402
import sys  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402

from cj_service.domain import design  # noqa: E402
from cj_service.domain.bt import Comparisons  # noqa: E402
from cj_service.domain.drift import Z_FLAG, bias_drift  # noqa: E402

SIGMA, BETA, LAPSE, DRIFT = 1.5, 0.3, 0.02, 0.5
# name: (design, essays, comparisons per essay, runs per condition, runs with --quick)
CELLS = {
    "ours_n30": ("ours", 30, 10, 100, 8),
    "ours_n50": ("ours", 50, 10, 100, 8),
    "ours_n100": ("ours", 100, 10, 100, 0),
    "random_n100": ("random", 100, 10, 100, 0),
    "ours_n100_k48": ("ours", 100, 48, 50, 0),
    "ours_n100_k64": ("ours", 100, 64, 50, 0),
}


class _Judge:
    """The simulated judge, its bias a function of the call's position in the batch."""

    def __init__(self, theta: np.ndarray, drift: float, total: int, rng) -> None:
        self.theta, self.drift, self.total, self.rng = theta, drift, total, rng
        self.calls = 0

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        t = (self.calls + np.arange(a.size)) / max(self.total - 1, 1)
        self.calls += a.size
        p = 1.0 / (1.0 + np.exp(-(self.theta[a] - self.theta[b] + BETA + self.drift * (t - 0.5))))
        p = np.where(self.rng.random(a.size) < LAPSE, 0.5, p)
        return (self.rng.random(a.size) < p).astype(float)


def simulate(kind: str, n: int, k: int, drift: float, seed: int) -> Comparisons:
    """One batch's verdicts in judging order."""
    rng = np.random.default_rng([seed, n, k, int(drift * 1000)])
    total = n * k // 2
    judge = _Judge(rng.normal(0.0, SIGMA, n), drift, total, rng)
    if kind == "random":
        a = rng.integers(0, n, total)
        b = (a + rng.integers(1, n, total)) % n
        return Comparisons.build(a, b, judge(a, b), n_items=n)
    return _adaptive(n, total, judge, rng)


def _adaptive(n: int, total: int, judge: _Judge, rng) -> Comparisons:
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for h in range(design.CHAINS):  # the opening: a random matching per chain
        covered = np.ones((design.CHAINS, n), dtype=bool)
        covered[h] = False
        opened = design.opening(covered, m=n, rng=rng)
        assert opened is not None  # n >= 2: every chain has a matching to open with
        a, b, _ = opened
        parts.append((a, b, judge(a, b), np.full(a.size, h)))
    fits = None
    while True:
        a, b, y, c = (np.concatenate(x) for x in zip(*parts, strict=True))
        comps = Comparisons.build(a, b, y, n_items=n)
        if comps.size >= total:
            return comps
        fits = design.refit_chains(comps, c, fits)
        m = min(max(n // 2, 2), total - comps.size)
        a, b, c = design.plan(comps, c, fits, m=m, rng=rng)
        parts.append((a, b, judge(a, b), c))


def run(job: tuple[str, float, int]) -> tuple[str, float, np.ndarray]:
    """(cell, true drift, [joint drift, se, flagged, fixed drift, se, flagged, Q4 - Q1])."""
    cell, drift, seed = job
    kind, n, k, _, _ = CELLS[cell]
    comps = simulate(kind, n, k, drift, seed)
    fit = design.fit_scores(comps)
    out = []
    for refit in (True, False):
        r = bias_drift(
            comps.idx_a,
            comps.idx_b,
            comps.y,
            None,
            fit.scores,
            prior_sd=fit.prior_sd,
            refit=refit,
        )
        out += [r.bias_drift, r.bias_drift_se, float(r.bias_drift_flagged)]
    quarters = r.bias_by_period
    out.append(quarters[-1].position_bias - quarters[0].position_bias)
    return cell, drift, np.array(out)


def power(se: float, drift: float = DRIFT) -> float:
    """P(|estimate| > 1.96 se) for a normal estimate centred on drift."""
    z = abs(drift) / se
    return float(norm.cdf(z - Z_FLAG) + norm.cdf(-z - Z_FLAG))


def report(results: list[tuple[str, float, np.ndarray]]) -> None:
    print(f"sigma={SIGMA} beta={BETA} lapse={LAPSE}; drift in logits per batch; window N/2")
    print(
        f"{'cell':<15}{'verdicts':>9}{'drift':>6}{'runs':>5}{'joint':>8}{'se':>7}{'flag':>6}"
        f"{'pred':>6}{'fixed':>8}{'se':>7}{'flag':>6}{'Q4-Q1':>7}"
    )
    figures: dict[str, float] = {}
    largest: tuple[float, float] = (0.0, 0.0)  # se x sqrt(verdicts), mean estimate
    for cell, (_, n, k, _, _) in CELLS.items():
        for drift in (0.0, DRIFT):
            rows = np.array([r for c, d, r in results if c == cell and d == drift])
            if rows.size == 0:
                continue
            m = rows.mean(axis=0)
            verdicts = n * k // 2
            print(
                f"{cell:<15}{verdicts:>9}{drift:>6.1f}{len(rows):>5}{m[0]:>8.3f}{m[1]:>7.3f}"
                f"{m[2]:>6.2f}{power(m[1], drift):>6.2f}{m[3]:>8.3f}{m[4]:>7.3f}{m[5]:>6.2f}"
                f"{m[6]:>7.3f}"
            )
            figures[f"{cell}_{'drift' if drift else 'const'}"] = float(m[2])
            if cell.startswith("ours") and drift:
                largest = (float(m[1] * np.sqrt(verdicts)), float(m[0]))
    needed = _verdicts_for_power(*largest)
    print(
        f"largest adaptive cell: joint se x sqrt(verdicts) {largest[0]:.2f}, mean estimate "
        f"{largest[1]:.3f} -> 80% power for a +{DRIFT} drift at ~{needed:.0f} verdicts"
    )
    figures["verdicts_for_80pct"] = needed
    print(
        " ".join(
            f"{k}={v:.3f}" if k != "verdicts_for_80pct" else f"{k}={v:.0f}"
            for k, v in figures.items()
        )
    )


def _verdicts_for_power(scale: float, estimate: float, target: float = 0.80) -> float:
    """Verdicts at which se = scale / sqrt(verdicts) flags an estimate centred on `estimate`
    (the measured mean, below the true drift: see the docs) with the target power."""
    se = estimate / (Z_FLAG + norm.ppf(target))
    return (scale / se) ** 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="8 runs of the small cells")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cells", nargs="*", choices=sorted(CELLS), help="only these cells")
    args = parser.parse_args()
    col = 4 if args.quick else 3
    jobs = [
        (cell, drift, seed)
        for cell, spec in CELLS.items()
        if not args.cells or cell in args.cells
        for drift in (0.0, DRIFT)
        for seed in range(int(spec[col]))
    ]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        report(list(pool.map(run, jobs, chunksize=4)))


if __name__ == "__main__":
    main()
