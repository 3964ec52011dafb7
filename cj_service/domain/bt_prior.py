"""Empirical-Bayes prior width for the Bradley-Terry fit.

`fit_bt_evidence` (the fit a batch reports) picks the prior sd tau that maximises the
Laplace-approximated marginal likelihood itself. MacKay's fixed point below (`fit_bt_eb`)
treats the Hessian at the mode as if it did not depend on tau; for binary verdicts it does
(a wider prior spreads the scores, which lowers p(1 - p) and det H), and the fixed point
lands far below the evidence maximum -- measured at N = 200 under adaptive pairing: 0.6 for
a true spread of 1.5 at k = 10 and 0.5 for a true 3 at k = 6, where the evidence peaks at
1.3 and 2.0-2.4. `fit_bt_eb` stays for the planner's cheap few-round refits, whose strong
shrinkage the pair selector is tuned for (design.refit_chains), and for batches too large
for a dense Cholesky factor (no log det), where it is the fallback.

Why an empirical-Bayes prior at all: a fixed weak prior (sd 3) keeps every score finite,
but it is the wrong prior for a batch whose true spread is 1.5 logits: essays with few or
lopsided comparisons are then shrunk too little, which costs ranking accuracy. Both fitters
clip tau to [MIN_SD, MAX_SD] so it stays a proper, finite prior even on coin tosses (where it
goes towards MIN_SD, as it should). The fixed point is
    tau^2 <- sum_i score_i^2 / gamma,   gamma = sum_i (1 - se_i^2 / tau^2)
(gamma = number of scores the data determine), with an Aitken jump.
"""

from __future__ import annotations

import numpy as np

from cj_service.domain import bt_linalg
from cj_service.domain.bt import BTFit, Comparisons, fit_bt, log_evidence

MIN_SD = 0.05
MAX_SD = 5.0
_MAX_ROUNDS = 80
_TOL = 1e-3
_GRID = 9  # log-spaced prior sds scanned before the local search
FLOOR_FIT_SD = 3.0  # the weak prior of the floor's fit (design.NAIVE_PRIOR_SD)


def next_prior_sd(fit: BTFit) -> float:
    """One fixed-point update of the prior sd from a fit's centred scores and SEs."""
    gamma = float(np.sum(1.0 - fit.se**2 / fit.prior_sd**2))
    if gamma <= 0.0:
        return MIN_SD
    tau2 = float(np.sum(fit.scores**2)) / gamma
    return float(np.clip(np.sqrt(tau2), MIN_SD, MAX_SD))


def fit_bt_eb(
    comps: Comparisons,
    *,
    prior_sd: float = 3.0,
    lapse: float = 0.0,
    estimate_bias: bool = True,
    init: np.ndarray | None = None,
    max_rounds: int = _MAX_ROUNDS,
    rng: np.random.Generator | None = None,
) -> BTFit:
    """Alternate MAP fits and prior updates until the prior sd settles.

    `prior_sd` is the starting value. The approximate marginal likelihood can have a spurious
    fixed point at tau -> 0 (few comparisons per essay), so start from above (the default)
    to land on the largest fixed point; a cheap refit may start from the previous fit's
    value with a small max_rounds. The returned fit records the prior it used."""
    tau = float(np.clip(prior_sd, MIN_SD, MAX_SD))
    fit = _fit(comps, tau, lapse, estimate_bias, init, rng)
    rounds = 1
    while rounds < max_rounds:
        t1 = next_prior_sd(fit)
        if abs(t1 - tau) < _TOL:
            break
        fit1 = _fit(comps, t1, lapse, estimate_bias, fit.params, rng)
        rounds += 1
        t2 = next_prior_sd(fit1)
        jump = _aitken(tau, t1, t2) if rounds < max_rounds else None
        if jump is None:
            tau, fit = t1, fit1
            continue
        tau, fit = jump, _fit(comps, jump, lapse, estimate_bias, fit1.params, rng)
        rounds += 1
    return fit


def fit_bt_evidence(comps: Comparisons, *, init: np.ndarray | None = None) -> BTFit:
    """MAP fit at the prior sd that maximises the Laplace evidence (a log grid over
    [MIN_SD, MAX_SD], refined by a parabola through the best point and its neighbours)."""
    if comps.n_items + comps.n_judges > bt_linalg.DENSE_MAX:
        return fit_bt_eb(comps, init=init)
    search = _EvidenceSearch(comps, init)
    tau = max(search.argmax(), spread_floor(comps))
    return fit_bt(comps, prior_sd=tau, init=search.mode)


def spread_floor(comps: Comparisons) -> float:
    """A design-robust lower bound for the prior sd: the spread of a weak-prior fit's scores
    less their error variance, sqrt(var(scores) - mean(se^2)) (method of moments).

    The Laplace evidence reads low for binary verdicts and collapses when the design pairs
    near-equal essays (ASAP-like: the verdicts then look like coin tosses at every tau, and
    the approximation tilts towards tau -> 0). The weak-prior fit keeps the spread the
    verdicts show, which such a design inflates rather than hides, so the floor holds the
    prior up there and stays near zero on coin tosses under random pairing
    (docs/statistics.md section 9)."""
    weak = fit_bt(comps, prior_sd=FLOOR_FIT_SD)
    spread = float(np.var(weak.scores) - np.mean(weak.se**2))
    return float(np.clip(np.sqrt(max(spread, 0.0)), MIN_SD, MAX_SD))


class _EvidenceSearch:
    """Evaluates the evidence at log prior sds, each Newton run warm-started at the last mode."""

    def __init__(self, comps: Comparisons, init: np.ndarray | None) -> None:
        self.comps, self.mode = comps, init

    def __call__(self, log_sd: float) -> float:
        value, self.mode = log_evidence(
            self.comps, prior_sd=float(np.exp(log_sd)), init=self.mode
        )
        return value

    def argmax(self) -> float:
        """The scan's best point, refined by the vertex of the parabola through it and its
        neighbours (the evidence is near quadratic in log tau around its peak)."""
        grid, values = self._scan()
        best = int(np.argmax(values))
        if best == 0 or best == len(values) - 1:
            return float(np.exp(grid[best]))
        vertex = _vertex(grid[best - 1 : best + 2], values[best - 1 : best + 2])
        return float(np.exp(vertex if self(vertex) >= values[best] else grid[best]))

    def _scan(self) -> tuple[np.ndarray, list[float]]:
        """The grid from wide to narrow, stopped two points past a peak (the evidence in
        log tau has one maximum in every batch we have looked at; the scan still reaches
        the narrow end on coin tosses, whose peak sits there)."""
        grid = np.linspace(np.log(MAX_SD), np.log(MIN_SD), _GRID)
        values: list[float] = []
        for g in grid:
            values.append(self(g))
            if len(values) - 1 - int(np.argmax(values)) >= 2:
                break
        return grid[: len(values)], values


def _vertex(x: np.ndarray, y: list[float]) -> float:
    """Abscissa of the maximum of the parabola through three points (x ascending or not)."""
    d1, d2 = (y[0] - y[1]) * (x[1] - x[2]), (y[1] - y[2]) * (x[0] - x[1])
    num = d1 * (x[1] + x[2]) - d2 * (x[0] + x[1])
    den = 2.0 * (d1 - d2)
    if den == 0.0:
        return float(x[1])
    return float(np.clip(num / den, min(x[0], x[2]), max(x[0], x[2])))


def _fit(comps, tau, lapse, estimate_bias, init, rng) -> BTFit:
    return fit_bt(comps, prior_sd=tau, lapse=lapse, estimate_bias=estimate_bias, init=init, rng=rng)


def _aitken(t0: float, t1: float, t2: float) -> float | None:
    """Aitken's delta-squared jump for a linearly converging fixed point, if it is sane."""
    denom = t2 - 2.0 * t1 + t0
    if abs(denom) < 1e-12:
        return None
    jump = t0 - (t1 - t0) ** 2 / denom
    if not (MIN_SD <= jump <= MAX_SD) or (t2 - t1) * (jump - t2) < 0:
        return None  # only extrapolate in the direction the iteration is going
    return float(jump)
