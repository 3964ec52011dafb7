"""The batches coverage_bench runs: the service's design with a probit or logistic judge."""

from __future__ import annotations

import numpy as np
from quality_cases import SIX_BANDS, pick_anchors, true_bands
from scipy.stats import spearmanr

from cj_service.domain import bt_bootstrap, intervals
from cj_service.domain import design as cj_design
from cj_service.domain.bt import Comparisons, fit_bt, sigmoid
from cj_service.domain.bt_prior import fit_bt_evidence
from cj_service.domain.grading import project_grades

BETA = 0.3
PROBIT_SD = 1.7  # Phi(d / 1.7) ~ sigmoid(d): theta stays on the BT scale
LAPSE = 0.03
CALIBRATION_KS = (10, 20)


def judge(kind: str, theta, a, b, rng, *, soft: bool) -> np.ndarray:
    """Hard verdicts [z > 0] or soft P(A) = sigmoid(z) for a perceived difference z."""
    d = theta[a] - theta[b] + BETA
    if kind == "probit":
        z = d + rng.normal(0.0, PROBIT_SD, a.size)
    else:
        lapsed = rng.random(a.size) < LAPSE
        z = np.where(lapsed, 0.0, d) + rng.logistic(0.0, 1.0, a.size)
    return sigmoid(z) if soft else (z > 0).astype(float)


def service_batch(n, sigma, k, kind, soft, seed) -> tuple[np.ndarray, Comparisons, np.ndarray]:
    """One batch through the service's two-chain design: opening, then top-ups of at most
    one pair per two texts (the default window), each chain refitted on its own verdicts."""
    rng = np.random.default_rng([seed, n, int(10 * sigma), k, soft, kind == "probit"])
    theta = rng.normal(0.0, sigma, n)
    opened = cj_design.opening(np.zeros((cj_design.CHAINS, n), bool), m=n, rng=rng)
    assert opened is not None
    a, b, c = opened
    ys = [judge(kind, theta, a, b, rng, soft=soft)]
    aa, bb, cc = [a], [b], [c]
    total, window, fits = n * k // 2, max(2, min(20, n // 2)), None
    while sum(x.size for x in aa) < total:
        comps = Comparisons.build(
            np.concatenate(aa), np.concatenate(bb), np.concatenate(ys), n_items=n
        )
        chain = np.concatenate(cc)
        fits = cj_design.refit_chains(comps, chain, fits)
        m = min(window, total - comps.size)
        a, b, c = cj_design.plan(comps, chain, fits, m=m, rng=rng)
        aa, bb, cc = aa + [a], bb + [b], cc + [c]
        ys.append(judge(kind, theta, a, b, rng, soft=soft))
    comps = Comparisons.build(np.concatenate(aa), np.concatenate(bb), np.concatenate(ys), n_items=n)
    return theta, comps, np.concatenate(cc)


def _groups(comps: Comparisons, anchors: np.ndarray, soft: bool) -> dict[str, np.ndarray]:
    n = comps.n_items
    count = comps.per_item()
    won = np.bincount(comps.idx_a, comps.y > 0.5, n) + np.bincount(comps.idx_b, comps.y < 0.5, n)
    is_anchor = np.zeros(n, bool)
    is_anchor[anchors] = True
    every = np.ones(n, bool)
    return {
        "all": every,
        "k<=3": count <= 3,
        "all-won/lost": (count > 0) & ((won == count) | (won == 0)),
        "anchors": is_anchor,
        "hard": every & (not soft),
        "soft": every & soft,
    }


def run_case(case: tuple) -> dict:
    seed, n, sigma, k, kind, soft = case
    theta, comps, chain = service_batch(n, sigma, k, kind, soft, seed)
    summary = cj_design.summarise(comps, chain)
    fit, bias = summary.fit, summary.bias_fit or summary.fit
    truth = theta - theta.mean()
    ci = intervals.score_intervals(comps, fit)
    low, high = ci.low, ci.high
    boot = bt_bootstrap.bootstrap_ci(
        cj_design.fitted_form(comps, fit), fit, rng=np.random.default_rng(seed), rounds=100
    )
    b_low, b_high = intervals.bias_interval(float(bias.beta[0]), float(bias.beta_se[0]))
    anchors = np.argsort(theta)[np.linspace(0, n - 1, 10).round().astype(int)]  # across grades
    return {
        "judge": kind,
        "soft": soft,
        "groups": _groups(comps, anchors, soft),
        "product": (low <= truth) & (truth <= high),
        "bootstrap": (boot.lower <= truth) & (truth <= boot.upper),
        "laplace": np.abs(fit.scores - truth) <= intervals.Z95 * fit.se,
        "width_ratio": (high - low) / (2 * intervals.Z95 * ci.se),
        "inside": (low <= fit.scores) & (fit.scores <= high),
        "beta_hit": bool(b_low <= BETA <= b_high),
        "beta_err": float(bias.beta[0] - BETA),
    }


def nearequal_batch(n: int, k: int, sigma: float, seed: int, design: str):
    """ASAP-like sequential design: each step pairs the least-compared essay with the essay
    whose current estimate (fixed weak prior fit) is nearest, among partners not yet met."""
    rng = np.random.default_rng([seed, 99])
    theta = rng.normal(0.0, sigma, n)
    perm = rng.permutation(n)
    a, b = list(perm[0::2]), list(perm[1::2])
    y = list((rng.random(len(a)) < sigmoid(theta[a] - theta[b])).astype(float))
    while len(a) < n * k // 2:
        comps = Comparisons.build(np.array(a), np.array(b), np.array(y), n_items=n)
        scores = fit_bt(comps, prior_sd=3.0, estimate_bias=False).scores
        for i, j in _near_pairs(comps, scores, rng, random=design == "random"):
            a.append(i)
            b.append(j)
            y.append(float(rng.random() < sigmoid(theta[i] - theta[j])))
    return theta, Comparisons.build(np.array(a), np.array(b), np.array(y), n_items=n)


def _near_pairs(comps, scores, rng, *, random: bool, per_step: int = 4):
    count = comps.per_item() + rng.random(comps.n_items) * 0.1
    met = set(zip(comps.idx_a.tolist(), comps.idx_b.tolist(), strict=True))
    out = []
    for i in np.argsort(count)[:per_step]:
        gap = rng.random(scores.size) if random else np.abs(scores - scores[i])
        gap[i] = np.inf
        for j in np.argsort(gap):
            if (i, j) not in met and (j, i) not in met:
                out.append((int(i), int(j)))
                met.add((int(i), int(j)))
                break
    return out


def nearequal_case(case: tuple) -> tuple:
    design, seed = case
    sigma = 1.5 if seed % 2 == 0 else 3.0
    theta, comps = nearequal_batch(60, 10, sigma, seed, design)
    fixed = fit_bt(comps, prior_sd=sigma, estimate_bias=False)
    prod = fit_bt_evidence(comps)
    rho = [float(spearmanr(f.scores, theta)[0]) for f in (fixed, prod)]
    return design, rho[0], rho[1], prod.prior_sd / sigma


def calibration_case(seed: int) -> list[tuple]:
    """Mean P(primary grade) against exact agreement, quality_bench's grade set-up, at k = 10
    and 20 of one run (the stream up to k = 10 is the k = 10 run's). Projected as
    results._grades does: the fit's scores with its posterior SE (fit.se)."""
    from quality_sim import RunSpec, simulate  # the quality bench's own engine

    run = simulate(RunSpec(sigma=3.0, checkpoints=CALIBRATION_KS), seed)
    theta = run.theta
    bands = true_bands(theta, 3.0)
    anchors = pick_anchors(bands, np.random.default_rng([seed, 3]))
    mask = np.ones(theta.size, bool)
    mask[anchors] = False
    out = []
    for k in CALIBRATION_KS:
        snap = run.snapshots[200 * k // 2]
        se = intervals.score_intervals(snap.comps, snap.fit).se  # the reported (interval) SE
        post = _grade_figures(snap.fit.scores, snap.fit.se, anchors, bands, mask)
        rep = _grade_figures(snap.fit.scores, se, anchors, bands, mask)
        out.append((k, *post, *rep))
    return out


def _grade_figures(scores, ses, anchors, bands, mask) -> tuple[float, float]:
    """(mean P(primary), exact agreement) over the non-anchor essays."""
    proj = project_grades(
        scores,
        ses,
        anchor_index=anchors,
        anchor_grades=[str(g + 1) for g in bands[anchors]],
        scale=SIX_BANDS,
    )
    pred = np.array([int(g) - 1 for g in proj.primary_grades])
    return float(proj.confidence[mask].mean()), float(np.mean(pred[mask] == bands[mask]))
