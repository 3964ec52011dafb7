"""Coverage bench: do the reported 95% intervals cover the true centred scores?

Simulates batches through the service's design (design.opening / refit_chains / plan, both
chains, the default window of at most N / 2 pairs) and reports them with the service's own
final fit and interval code (design.summarise, intervals.score_intervals), then counts how
often each essay's interval holds its true centred quality, overall and by subgroup.

Judges (z = perceived difference, d = theta_a - theta_b + beta, beta = 0.3):
* probit: z = d + N(0, 1.7^2) (Thurstone; Phi(d / 1.7) ~ sigmoid(d), so theta is on the BT
  scale); hard verdict [z > 0], soft verdict P(A) = sigmoid(z) (logit-normal).
* logistic: z = d + Logistic(0, 1) (BT exactly), 3% lapses (z = pure noise); hard [z > 0],
  soft sigmoid(z).
Batches: N in {30, 200}, sigma in {1.5, 3}, k = 2 * calls / N in {3, 6, 12}; 10 anchors
(grade bands as quality_bench) per batch. Also: the prior's collapse on a sequential
near-equal design (section 9) and grade calibration (mean P(primary) vs exact agreement).
Last line: key=value figures.
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
from coverage_cases import calibration_case, nearequal_case, run_case  # noqa: E402

GROUPS = ("all", "k<=3", "all-won/lost", "anchors", "hard", "soft")
KS = (3, 6, 12)


def cases(seeds: int) -> list[tuple]:
    out = []
    for seed in range(seeds):
        for n in (30, 200):
            for judge in ("probit", "logistic"):
                for soft in (False, True):
                    sigma = 1.5 if seed % 2 == 0 else 3.0
                    k = KS[(seed // 2) % len(KS)]
                    out.append((seed, n, sigma, k, judge, soft))
    return out


def _table(rows: list[dict], methods: tuple[str, ...]) -> dict[str, float]:
    print(f"{'judge':<10}{'group':<14}" + "".join(f"{m:>12}{'n':>7}" for m in methods))
    figures: dict[str, float] = {}
    for judge in ("probit", "logistic", "both"):
        part = [r for r in rows if judge == "both" or r["judge"] == judge]
        for g in GROUPS:
            cells = ""
            for m in methods:
                hit = np.concatenate([r[m][r["groups"][g]] for r in part])
                cells += f"{hit.mean():12.3f}{hit.size:7d}"
                if m == methods[0]:
                    figures[f"cover_{judge}_{g}"] = float(hit.mean()) if hit.size else np.nan
            print(f"{judge:<10}{g:<14}{cells}")
    return figures


def _beta_table(rows: list[dict]) -> dict[str, float]:
    print("\nPosition bias (true 0.3): interval coverage per batch")
    out = {}
    for kind in ("hard", "soft"):
        part = [r for r in rows if r["soft"] == (kind == "soft")]
        hit = np.mean([r["beta_hit"] for r in part])
        err = np.mean([r["beta_err"] for r in part])
        print(f"{kind:<6} batches={len(part):4d} coverage={hit:.3f} mean error={err:+.3f}")
        out[f"beta_cover_{kind}"] = float(hit)
    return out


def _width_check(rows: list[dict]) -> dict[str, float]:
    ratio = np.concatenate([r["width_ratio"] for r in rows])
    inside = np.concatenate([r["inside"] for r in rows])
    print(
        f"\ninterval width / (3.92 SE): min {ratio.min():.3f} max {ratio.max():.3f}; "
        f"point estimate inside its interval: {inside.mean():.3f} of {inside.size} essays"
    )
    return {"width_ratio_min": float(ratio.min()), "contains_point": float(inside.mean())}


def _nearequal_table(rows: list[tuple]) -> dict[str, float]:
    print("\nPrior under a sequential near-equal design (N=60, k=10) and random pairs")
    print(f"{'design':<12}{'fixed true sd':>14}{'product':>9}{'diff':>8}{'tau/sigma':>10}")
    out = {}
    for design in ("nearequal", "random"):
        part = np.array([r[1:] for r in rows if r[0] == design])
        fixed, prod, ratio = part.mean(axis=0)
        print(f"{design:<12}{fixed:14.4f}{prod:9.4f}{prod - fixed:+8.4f}{ratio:10.2f}")
        out[f"spearman_gap_{design}"] = float(prod - fixed)
    return out


def _calibration_table(rows: list[tuple]) -> dict[str, float]:
    print("\nGrades (quality bench set-up: N=200, sigma 3, 6 bands, 10 anchors, our design)")
    print("projected with the posterior SE as the service does (post), and with the reported")
    print("interval SE (rep); gap = mean P(primary) - exact agreement, +- its se over seeds")
    print(f"{'k':>4}{'seeds':>6}{'P(primary)':>11}{'exact':>8}{'gap':>8}{'se':>7}{'rep gap':>9}")
    out = {}
    for k in sorted({r[0] for r in rows}):
        part = np.array([r[1:] for r in rows if r[0] == k])
        gaps, gaps_rep = part[:, 0] - part[:, 1], part[:, 2] - part[:, 3]
        se = gaps.std(ddof=1) / np.sqrt(gaps.size)
        conf, exact = part[:, 0].mean(), part[:, 1].mean()
        print(
            f"{k:>4}{gaps.size:>6}{conf:11.3f}{exact:8.3f}{gaps.mean():+8.3f}{se:7.3f}"
            f"{gaps_rep.mean():+9.3f}"
        )
        out[f"grade_gap_k{k}"] = float(gaps.mean())
        out[f"grade_gap_se_k{k}"] = float(se)
        out[f"grade_gap_reported_se_k{k}"] = float(gaps_rep.mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 seeds")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--grade-seeds", type=int, default=None, help="default: --seeds")
    args = parser.parse_args()
    seeds = args.seeds or (2 if args.quick else 16)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(run_case, cases(seeds)))
        near = list(
            pool.map(
                nearequal_case,
                [(d, s) for d in ("nearequal", "random") for s in range(max(2, seeds // 2))],
            )
        )
        grade_runs = pool.map(calibration_case, range(args.grade_seeds or seeds))
        calib = [r for rs in grade_runs for r in rs]
    print(f"seeds={seeds}  batches={len(rows)}  (95% intervals; coverage of the centred truth)")
    figures = _table(rows, ("product", "laplace", "bootstrap"))
    figures.update(_beta_table(rows))
    figures.update(_width_check(rows))
    figures.update(_nearequal_table(near))
    figures.update(_calibration_table(calib))
    keep = ("cover_both_", "beta_cover", "width", "contains", "spearman_gap", "grade_gap")
    print(" ".join(f"{k}={v:.4f}" for k, v in figures.items() if k.startswith(keep)))


if __name__ == "__main__":
    main()
