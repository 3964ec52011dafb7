"""The adaptive design as the service runs it: two independent chains, one scoring.

Every comparison belongs to chain 0 or 1. Chain h chooses its next pairs from a fit of
chain h's verdicts only, so given the true qualities the chains' verdicts are independent and
the split-half reliability between them is honest under adaptive pairing (reliability.py).
The reported scores come from one fit of all verdicts. Soft verdicts are re-weighted by their
estimated dispersion (soft.py); the position bias is reported from the Firth fit (bt_firth).

Typical use per top-up: fits = refit_chains(comps, chain, fits); a, b, c = plan(...);
and at a checkpoint or the end: summary = summarise(comps, chain, fits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cj_service.domain.bt import BTFit, Comparisons, fit_bt
from cj_service.domain.bt_firth import fit_bias_firth
from cj_service.domain.bt_linalg import DENSE_MAX
from cj_service.domain.bt_prior import fit_bt_eb, fit_bt_evidence
from cj_service.domain.pairing import PairHistory, SelectionConfig, select_pairs
from cj_service.domain.reliability import split_half_reliability, ssr
from cj_service.domain.soft import (
    efficient_weights,
    is_soft,
    logit_dispersion,
    soft_dispersion,
)
from cj_service.domain.soft_ls import censored, fit_logit_ls, working_form

CHAINS = 2
DEFAULT_SELECTION = SelectionConfig()
_START_SD = 3.0
_IRLS_ROUNDS = 3
NAIVE_PRIOR_SD = 3.0  # the fixed weak prior of the SSR fit
_MAX_CENSORED = 0.25  # share of soft verdicts beyond soft_ls's logit clip it accepts


@dataclass(frozen=True)
class Summary:
    fit: BTFit  # empirical-Bayes fit of all verdicts: scores, SEs, infit/outfit
    honest_reliability: float
    ssr: float
    bias_fit: BTFit | None  # Firth fit: beta and beta_se to report
    dispersion: float


def has_every_chain(chain: np.ndarray) -> bool:
    """True once each chain has a verdict; before that there is no honest split half."""
    return bool(np.all(np.bincount(chain, minlength=CHAINS)[:CHAINS] > 0))


def chain_of(row, position: int) -> int:
    """A stored comparison's chain; rows planned before chains existed alternate."""
    chain = getattr(row, "chain", None)
    return int(chain) if chain is not None else position % CHAINS


def subset(comps: Comparisons, mask: np.ndarray) -> Comparisons:
    return Comparisons(
        comps.idx_a[mask],
        comps.idx_b[mask],
        comps.y[mask],
        comps.weight[mask],
        comps.judge[mask],
        comps.n_items,
        comps.n_judges,
    )


def fit_scores(
    comps: Comparisons,
    *,
    prior_sd: float = _START_SD,
    init: np.ndarray | None = None,
    quick_rounds: int | None = None,
) -> BTFit:
    """Empirical-Bayes fit with soft verdicts weighted by their dispersion.

    By default the prior sd maximises the Laplace evidence (bt_prior.fit_bt_evidence);
    `quick_rounds` instead runs that many of MacKay's cheap fixed-point updates from
    `prior_sd`, the planner's strongly shrunk refit (refit_chains). A batch of soft
    verdicts only is fitted by least squares on the logit scale (soft_ls)."""
    if quick_rounds is None and _least_squares(comps):
        return fit_logit_ls(comps)
    fit = _fit_once(comps, prior_sd, init, quick_rounds)
    if not is_soft(comps.y).any():
        return fit
    for _ in range(_IRLS_ROUNDS):
        weighted = comps.reweighted(efficient_weights(comps, fit))
        fit = _fit_once(weighted, fit.prior_sd, fit.params, quick_rounds)
    return fit


def fitted_form(comps: Comparisons, fit: BTFit) -> Comparisons:
    """The comparisons in the form `fit_scores` fitted them, for the bootstrap to resample."""
    if not is_soft(comps.y).any():
        return comps
    if _least_squares(comps):
        return working_form(comps, fit)
    return comps.reweighted(efficient_weights(comps, fit))


def naive_fit(comps: Comparisons) -> BTFit:
    """The batch's model under a fixed weak prior: what the naive SSR is read from."""
    if _least_squares(comps):
        return fit_logit_ls(comps, prior_sd=NAIVE_PRIOR_SD)
    return fit_bt(comps, prior_sd=NAIVE_PRIOR_SD)


def refit_at(comps: Comparisons, fit: BTFit, prior_sd: float) -> BTFit:
    """The model `fit_scores` chose for these comparisons, refitted (warm, from `fit`) under a
    fixed prior sd: what the wider interval of intervals.score_intervals is read from."""
    if _least_squares(comps):
        return fit_logit_ls(comps, prior_sd=prior_sd)
    return fit_bt(fitted_form(comps, fit), prior_sd=prior_sd, init=fit.params)


def _least_squares(comps: Comparisons) -> bool:
    """Graded soft verdicts only, and small enough for a dense factor: soft_ls fits them.

    A judge whose P(A) often sits at the extremes (overconfident logprobs) has its logits
    censored at the clip, which the Gaussian model does not describe; beyond a quarter of the
    verdicts its verdicts are read as fractional outcomes instead."""
    dense = comps.n_items + comps.n_judges <= DENSE_MAX
    if not dense or comps.size == 0 or not bool(is_soft(comps.y).all()):
        return False
    return float(np.mean(censored(comps.y))) <= _MAX_CENSORED


def _fit_once(comps, prior_sd, init, quick_rounds) -> BTFit:
    if quick_rounds is None:
        return fit_bt_evidence(comps, init=init)
    return fit_bt_eb(comps, prior_sd=prior_sd, init=init, max_rounds=quick_rounds)


def refit_chains(
    comps: Comparisons, chain: np.ndarray, previous: tuple[BTFit | None, ...] | None = None
) -> tuple[BTFit, ...]:
    """Cheap warm-started refit of each chain (two prior updates from max(previous, 0.5)).

    The chains' prior width settles near 0.5 whatever the true spread (1.5 or 3), so their
    scores are strongly shrunk and the selector leans on Var(difference) (linking) more than
    on closeness. Measured (issue 10): correctly scaled chain fits (fixed sd 3, or a full EB
    fit from above) rank no better (within +-0.01 Spearman at k = 6-12), and one chain with a
    correctly scaled fit pairs near-equals until the scale unlinks (0.84 at k = 12)."""
    previous = previous or (None,) * CHAINS
    fits = []
    for h, prev in enumerate(previous):
        part = subset(comps, chain == h)
        if prev is None:
            fits.append(fit_scores(part, quick_rounds=3))
        else:
            start = max(prev.prior_sd, 0.5)
            fits.append(fit_scores(part, prior_sd=start, init=prev.params, quick_rounds=2))
    return tuple(fits)


def opening(
    covered: np.ndarray, *, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The design's first pairs: one random perfect matching of the essays per chain, so
    that each chain's fit links every essay before the chain adapts on it.

    covered: (CHAINS, n) bool, essay already shown in the chain (judged or in flight). Up
    to m pairs, shared between the chains, among each chain's uncovered essays; None once
    every chain covers all but at most one essay (n odd), when `plan` takes over."""
    gaps = [np.flatnonzero(~row) for row in covered[:CHAINS]]
    if all(g.size < 2 for g in gaps):
        return None
    perms = [rng.permutation(g)[: g.size // 2 * 2] for g in gaps]
    take = _shares([p.size // 2 for p in perms], m)
    a = np.concatenate([p[0::2][:t] for p, t in zip(perms, take, strict=True)])
    b = np.concatenate([p[1::2][:t] for p, t in zip(perms, take, strict=True)])
    return a, b, np.repeat(np.arange(len(take)), take)


def _shares(sizes: list[int], m: int) -> list[int]:
    """m slots dealt round-robin to parts of the given sizes."""
    take = [0] * len(sizes)
    while m > 0 and any(t < s for t, s in zip(take, sizes, strict=True)):
        for h, s in enumerate(sizes):
            if m > 0 and take[h] < s:
                take[h] += 1
                m -= 1
    return take


def plan(
    comps: Comparisons,
    chain: np.ndarray,
    fits: tuple[BTFit, ...],
    *,
    m: int,
    rng: np.random.Generator,
    pending: PairHistory | None = None,
    pending_chain: np.ndarray | None = None,
    item_weight: np.ndarray | None = None,
    config: SelectionConfig = DEFAULT_SELECTION,
    blocked: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to m new pairs split between the chains: (idx_a, idx_b, chain of each pair); none
    with an essay marked in `blocked`."""
    out_a, out_b, out_c = [], [], []
    shares = [m // CHAINS + (1 if h < m % CHAINS else 0) for h in range(CHAINS)]
    for h, share in enumerate(shares):
        if share == 0:
            continue
        history = _chain_history(comps, chain == h, pending, pending_chain, h)
        a, b = select_pairs(
            fits[h].scores,
            fits[h].se ** 2,
            history=history,
            m=share,
            rng=rng,
            cov=fits[h].cov,
            item_weight=item_weight,
            constant_info=_constant_info(subset(comps, chain == h), fits[h]),
            config=config,
            blocked=blocked,
        )
        out_a.append(a)
        out_b.append(b)
        out_c.append(np.full(a.size, h))
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_c)


def _constant_info(comps: Comparisons, fit: BTFit) -> float | None:
    """Soft verdicts weighted efficiently carry 1/phi2 whatever the pair (soft.py)."""
    if not is_soft(comps.y).any():
        return None
    return 1.0 / logit_dispersion(comps, fit)


def _chain_history(comps, mask, pending, pending_chain, h) -> PairHistory:
    a, b = comps.idx_a[mask], comps.idx_b[mask]
    busy = np.zeros(a.size, dtype=bool)
    if pending is not None and pending.idx_a.size:
        own = pending_chain == h if pending_chain is not None else np.ones(pending.idx_a.size, bool)
        a = np.concatenate([a, pending.idx_a[own]])
        b = np.concatenate([b, pending.idx_b[own]])
        busy = np.concatenate([busy, pending.pending[own]])
    return PairHistory(a, b, busy)


def summarise(
    comps: Comparisons,
    chain: np.ndarray,
    fits: tuple[BTFit, ...] | None = None,
    *,
    with_bias: bool = True,
) -> Summary:
    """Full-data scores, the honest reliability (0 until every chain has a verdict), naive SSR
    and (optionally) the bias fit."""
    honest = 0.0
    if has_every_chain(chain):
        fits = fits or tuple(fit_scores(subset(comps, chain == h)) for h in range(CHAINS))
        honest = split_half_reliability(fits[0].scores, fits[1].scores)
    fit = fit_scores(comps)
    return Summary(
        fit=fit,
        honest_reliability=honest,
        ssr=ssr(naive_fit(comps)),
        bias_fit=fit_bias_firth(comps) if with_bias else None,
        dispersion=soft_dispersion(comps, fit),
    )
