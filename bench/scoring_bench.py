"""Scoring bench (issue 6): full BT refit + 100-round bootstrap CIs for N = 3,000 essays /
30,000 comparisons, and next-batch pair selection for N = 1,000, printed beside choix
`ilsr_pairwise` on the same data in the same run. Peak memory is traced (tracemalloc) over
our refit + bootstrap: no dense N x N matrix is built for N = 3,000.

Last line: refit_bootstrap_s=... selection_ms=... choix_ilsr_s=... peak_mib=...
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: threads only contend

import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import choix  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sim_judge import SimJudge  # noqa: E402

from cj_service.domain.bt import Comparisons, fit_bt  # noqa: E402
from cj_service.domain.bt_bootstrap import bootstrap_ci  # noqa: E402
from cj_service.domain.pairing import PairHistory, select_pairs  # noqa: E402


def make_data(n: int, m: int, seed: int) -> tuple[np.ndarray, Comparisons]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.5, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    y = SimJudge(theta, beta=0.3, lapse=0.02).judge(a, b, rng).hard
    return theta, Comparisons.build(a, b, y, n_items=n)


def bench_refit(theta: np.ndarray, comps: Comparisons) -> tuple[float, float, float]:
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    fit = fit_bt(comps)
    ci = bootstrap_ci(comps, fit, rng=np.random.default_rng(1), rounds=100)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    centred = theta - theta.mean()
    cover = np.mean((ci.lower <= centred) & (centred <= ci.upper))
    print(f"ours: fit {fit.iterations} Newton steps, converged={fit.converged}")
    print(f"  Spearman with truth {spearmanr(fit.scores, theta)[0]:.4f}; beta={fit.beta[0]:.3f}")
    print(f"  bootstrap 95% CI coverage of the centred truth {cover:.3f}")
    print(
        f"  refit + 100-round bootstrap: {elapsed:.3f} s wall, {cpu:.3f} s CPU "
        f"(a wall far above CPU means a busy machine), peak traced memory {peak:.1f} MiB"
    )
    return elapsed, peak, float(spearmanr(fit.scores, theta)[0])


def bench_choix(theta: np.ndarray, comps: Comparisons) -> float:
    won = comps.y > 0.5
    winners = np.where(won, comps.idx_a, comps.idx_b)
    losers = np.where(won, comps.idx_b, comps.idx_a)
    data = list(zip(winners.tolist(), losers.tolist(), strict=True))
    t0 = time.perf_counter()
    params = choix.ilsr_pairwise(comps.n_items, data, alpha=0.01)
    elapsed = time.perf_counter() - t0
    rho = spearmanr(params, theta)[0]
    print(f"choix.ilsr_pairwise (fit only, no SEs/CIs): {elapsed:.3f} s, Spearman {rho:.4f}")
    return elapsed


def bench_selection(n: int = 1000, m: int = 50) -> float:
    _, comps = make_data(n, 5 * n, seed=2)
    fit = fit_bt(comps)
    history = PairHistory(comps.idx_a, comps.idx_b, np.zeros(comps.size, dtype=bool))
    times = []
    for rep in range(5):
        t0 = time.perf_counter()
        a, _ = select_pairs(
            fit.scores,
            fit.se**2,
            history=history,
            m=m,
            rng=np.random.default_rng(rep),
            cov=fit.cov,
        )
        times.append(time.perf_counter() - t0)
        assert a.size == m
    best = 1000 * float(np.median(times))
    print(f"selection N={n}, {comps.size} comparisons made, {m} new pairs: {best:.1f} ms (median)")
    return best


def main() -> None:
    theta, comps = make_data(3000, 30_000, seed=1)
    refit_s, peak, _ = bench_refit(theta, comps)
    choix_s = bench_choix(theta, comps)
    print(f"ratio ours(refit+100 bootstraps) / choix(fit only) = {refit_s / choix_s:.3f}")
    selection_ms = bench_selection()
    print(
        f"refit_bootstrap_s={refit_s:.3f} selection_ms={selection_ms:.1f} "
        f"choix_ilsr_s={choix_s:.3f} peak_mib={peak:.1f}"
    )


if __name__ == "__main__":
    main()
