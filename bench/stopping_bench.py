"""Stopping bench: the true reliability a batch has when the stopping rule stops it.

Drives the service's two-chain design (quality_sim) and the real `stopping.decide`. As in
the service, the rule is checked each time the verdicts grow by 10% (refit_fraction), on
the honest split-half of the chains' converged fits. A noisy figure checked again and again
is first seen above the target while its error is positive, so stopping on the bare figure
stops early; the service's rule asks the figure to clear the target by half its standard
error. Both rules read the same runs. Target 0.90, position bias 0.3, 2% lapses.

Last line: true reliability at the stop, mean over seeds, for the bare figure (`_bare`) and
the service's rule in each case, and the service's calls over the bare rule's.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: threads only contend

import argparse  # noqa: E402
import sys  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import numpy as np  # noqa: E402
from quality_sim import RunSpec, simulate  # noqa: E402

from cj_service.config import PipelineSettings  # noqa: E402
from cj_service.domain.design import CHAINS, fit_scores, subset  # noqa: E402
from cj_service.domain.reliability import split_half_reliability  # noqa: E402
from cj_service.domain.stopping import (  # noqa: E402
    REASON_RELIABILITY,
    Progress,
    StopPolicy,
    decide,
)

CASES = {"s2": (200, 2.0), "s3": (200, 3.0), "n30": (30, 3.0)}  # key: (essays, sigma)
POLICIES = {"bare": StopPolicy(margin_se=0.0), "service": StopPolicy()}
GROWTH = PipelineSettings().refit_fraction
K_MAX = 40  # comparisons per essay x 2; a run that has not stopped by then counts as not


def run(args: tuple[str, int]) -> tuple[str, dict]:
    case, seed = args
    n, sigma = CASES[case]
    theta = np.random.default_rng(seed).normal(0.0, sigma, n)  # the draw simulate() makes
    stops: dict[str, tuple[float, float, float]] = {}
    last = [0]

    def observe(comps, chain, calls: int) -> bool:
        if calls < last[0] * (1.0 + GROWTH):
            return False
        last[0] = calls
        own = [fit_scores(subset(comps, chain == h)) for h in range(CHAINS)]
        honest = split_half_reliability(own[0].scores, own[1].scores)
        fewest = int(comps.per_item().min())
        progress = Progress(n, calls, 0, 0, n * K_MAX, honest, fewest_per_essay=fewest)
        for name, policy in POLICIES.items():
            if name not in stops and decide(progress, policy).reason == REASON_RELIABILITY:
                r = float(np.corrcoef(fit_scores(comps).scores, theta)[0, 1])
                stops[name] = (2.0 * calls / n, honest, r * r)
        return len(stops) == len(POLICIES)

    simulate(RunSpec(n=n, sigma=sigma, checkpoints=(K_MAX,)), seed, observer=observe)
    return case, stops


def report(results: list[tuple[str, dict]], seeds: int) -> None:
    print(f"seeds={seeds}  target=0.90  checks at each +{GROWTH:.0%} of verdicts")
    print(f"{'case':<6}{'rule':<9}{'stopped':>8}{'k':>7}{'honest':>8}{'true':>8}{'<0.89':>7}")
    figures, calls = {}, {name: 0.0 for name in POLICIES}
    for case in CASES:
        for name in POLICIES:
            rows = np.array([s[name] for c, s in results if c == case and name in s])
            stopped = len(rows) / sum(c == case for c, _ in results)
            k, honest, true = rows.mean(axis=0)
            below = float(np.mean(rows[:, 2] < 0.89))
            print(f"{case:<6}{name:<9}{stopped:8.2f}{k:7.1f}{honest:8.3f}{true:8.3f}{below:7.2f}")
            figures[f"{case}_true" + ("_bare" if name == "bare" else "")] = true
            calls[name] += float(rows[:, 0].sum())
    figures["calls_ratio"] = calls["service"] / calls["bare"]
    print(" ".join(f"{k}={v:.3f}" for k, v in figures.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 seeds instead of 20")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    seeds = 5 if args.quick else 20
    jobs = [(case, seed) for case in CASES for seed in range(seeds)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        report(list(pool.map(run, jobs)), seeds)


if __name__ == "__main__":
    main()
