"""The scenarios quality_bench runs for one seed (one seed = one set of true qualities)."""

from __future__ import annotations

import numpy as np
from quality_sim import RunSpec, Snapshot, simulate
from scipy.stats import norm, spearmanr
from sim_judge import SimJudge

from cj_service.domain.bt_firth import fit_bias_firth
from cj_service.domain.comparisons import Comparisons
from cj_service.domain.design import fit_scores
from cj_service.domain.grade_scales import GradeScale
from cj_service.domain.grading import project_grades

N = 200
BETA = 0.3
SOFT_NOISE = 1.0
Q5_CALLS = int(0.025 * N * (N - 1))
K_GRID = (2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 20)
K_QUICK = (2, 4, 6, 8, 10, 12, 14, 16, 18, 20)
SPEARMAN_RUNS = (
    "random_s1.5",
    "ours_s1.5",
    "random_s3",
    "ours_s3",
    "ours_s1.5_nobias",
    "both_orders_s1.5",
)
RELIABILITY_RUNS = ("ours_s1.5", "random_s1.5", "ours_s3", "random_s3")
COIN_GRID = (10, 20)  # the coin-toss judge is read at Q2's two points only
SIX_BANDS = GradeScale("bench_six_bands", "six equal bands", tuple("123456"), (1 / 6,) * 6)
ANCHORS_PER_BAND = (1, 2, 2, 2, 2, 1)


def run_seed(seed: int) -> dict:
    """All scenarios for one seed (the quick grid skips the odd k checkpoints)."""
    return _run_seed(seed, K_GRID)


def run_seed_quick(seed: int) -> dict:
    return _run_seed(seed, K_QUICK)


def _run_seed(seed: int, grid: tuple[int, ...]) -> dict:
    out: dict = {}
    short = tuple(k for k in grid if k <= 16)
    specs = {
        "random_s1.5": RunSpec(design="random", checkpoints=grid),
        "ours_s1.5": RunSpec(checkpoints=grid, extra_calls=(Q5_CALLS,)),
        "random_s3": RunSpec(design="random", sigma=3.0, checkpoints=grid),
        "ours_s3": RunSpec(sigma=3.0, checkpoints=grid),
        "ours_s1.5_nobias": RunSpec(beta=0.0, checkpoints=short),
        "both_orders_s1.5": RunSpec(design="both", checkpoints=short),
    }
    runs = {name: simulate(spec, seed) for name, spec in specs.items()}
    for name, run in runs.items():
        out[f"spearman_{name}"] = _curve(run.snapshots, grid)
    for name in RELIABILITY_RUNS:
        out[f"rel_{name}"] = _reliability_by_k(runs[name].snapshots, grid)
    coin = simulate(RunSpec(coin_toss=True, checkpoints=COIN_GRID), seed)
    out["rel_coin"] = _reliability_by_k(coin.snapshots, COIN_GRID)
    for name in ("ours_s1.5", "ours_s3"):  # two estimates per seed: a tighter bias figure
        k12 = fit_bias_firth(runs[name].snapshots[N * 12 // 2].comps)
        out[f"beta_{name}"] = (float(k12.beta[0]), float(k12.beta_se[0]))
    out.update(_grades(seed, runs["random_s3"], runs["ours_s3"], grid))
    out.update(_soft(seed, runs["ours_s1.5"]))
    return out


def _curve(snapshots: dict[int, Snapshot], grid: tuple[int, ...]) -> np.ndarray:
    values = [snapshots[N * k // 2].spearman for k in grid if N * k // 2 in snapshots]
    return np.array(values + [np.nan] * (len(grid) - len(values)))


def _reliability_by_k(
    snapshots: dict[int, Snapshot], grid: tuple[int, ...]
) -> dict[int, tuple[float, float, float]]:
    """(true, honest, SSR) at each k of the grid."""
    return {k: _rel(snapshots[N * k // 2]) for k in grid}


def _rel(s: Snapshot) -> tuple[float, float, float]:
    return (s.true_rel, s.honest_rel, s.ssr)


def true_bands(theta: np.ndarray, sigma: float) -> np.ndarray:
    cuts = sigma * norm.ppf(np.arange(1, 6) / 6.0)
    return np.searchsorted(cuts, theta)


def pick_anchors(bands: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    picks = [
        rng.choice(np.flatnonzero(bands == g), c, replace=False)
        for g, c in enumerate(ANCHORS_PER_BAND)
    ]
    return np.concatenate(picks)


def _agreement(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    diff = np.abs(pred[mask] - truth[mask])
    return float(np.mean(diff == 0)), float(np.mean(diff <= 1))


def _project(fit, anchors: np.ndarray, bands: np.ndarray) -> np.ndarray:
    proj = project_grades(
        fit.scores,
        fit.se,
        anchor_index=anchors,
        anchor_grades=[str(g + 1) for g in bands[anchors]],
        scale=SIX_BANDS,
    )
    return np.array([int(g) - 1 for g in proj.primary_grades])


def _grades(seed: int, random_run, ours_run, grid: tuple[int, ...]) -> dict:
    """Grades (sigma = 3) at every k from the service's own design (`ours` = the ours_s3 run:
    no grade-targeted weights -- weighting essays by grade uncertainty or by the density of
    boundaries around them moved exact agreement by less than its seed noise, +-0.01 over
    30 seeds, so the product does not use them) and random pairing; at k = 10 also with soft
    labels and random pairing cut by an oracle that knows the true band sizes."""
    bands, anchors, mask = _band_setup(seed)
    curves = {
        name: np.array(
            [
                _agreement(_project(run.snapshots[N * k // 2].fit, anchors, bands), bands, mask)
                for k in grid
            ]
        )
        for name, run in (("ours", ours_run), ("random", random_run))
    }
    soft_spec = RunSpec(sigma=3.0, checkpoints=(10,), soft_noise=SOFT_NOISE, use_soft=True)
    soft = simulate(soft_spec, seed).snapshots[N * 10 // 2]
    order = np.argsort(random_run.snapshots[N * 10 // 2].fit.scores)
    oracle = np.empty(N, int)
    oracle[order] = np.sort(bands)
    return {
        "gradesk_ours": curves["ours"],
        "gradesk_random": curves["random"],
        "grades_ours_soft": _agreement(_project(soft.fit, anchors, bands), bands, mask),
        "grades_oracle": _agreement(oracle, bands, mask),
    }


def _band_setup(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True bands of the sigma = 3 qualities, the anchors picked from them, non-anchor mask."""
    theta = np.random.default_rng(seed).normal(0.0, 3.0, N)  # same draw as simulate()
    bands = true_bands(theta, 3.0)
    anchors = pick_anchors(bands, np.random.default_rng([seed, 3]))
    mask = np.ones(N, bool)
    mask[anchors] = False
    return bands, anchors, mask


def _all_pairs_spearman(theta: np.ndarray, judge: SimJudge, soft: bool, seed: int) -> float:
    i, j = np.nonzero(~np.eye(N, dtype=bool))
    v = judge.judge(i, j, np.random.default_rng([seed, 5]))
    fit = fit_scores(Comparisons.build(i, j, v.p_a if soft else v.hard, n_items=N))
    return float(spearmanr(fit.scores, theta)[0])


def _soft(seed: int, hard_run) -> dict:
    spec = RunSpec(soft_noise=SOFT_NOISE, use_soft=True, checkpoints=(), extra_calls=(Q5_CALLS,))
    soft_run = simulate(spec, seed)
    theta = soft_run.theta
    soft_all = _all_pairs_spearman(theta, SimJudge(theta, BETA, 0.02, SOFT_NOISE), True, seed)
    hard_all = _all_pairs_spearman(theta, SimJudge(theta, BETA, 0.02), False, seed)
    return {
        "q5_soft": (soft_run.snapshots[Q5_CALLS].spearman, soft_all),
        "q5_hard": (hard_run.snapshots[Q5_CALLS].spearman, hard_all),
    }
