"""Simulated LLM judge for the benches: true qualities, position bias, lapses, soft P(A).

Hard verdicts: P(A wins) = sigmoid(theta[a] - theta[b] + beta), except that with probability
`lapse` the judge answers at random. Soft verdicts (logprobs): the judge perceives
z = kappa * (theta[a] - theta[b] + beta) + eta, eta ~ N(0, soft_noise^2), reports P(A) =
sigmoid(z) and samples its hard answer from it; kappa = sqrt(1 + pi * soft_noise^2 / 8)
undoes the probit-logit attenuation so the hard answers keep the same BT law as above, i.e.
the soft and hard judges are the same judge, one of them showing its confidence.
A coin-toss judge ignores the essays altogether.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass(frozen=True)
class Verdicts:
    hard: np.ndarray  # 1.0 = the essay shown as A won
    p_a: np.ndarray  # reported P(A); equals `hard` for a judge without logprobs


@dataclass(frozen=True)
class SimJudge:
    theta: np.ndarray
    beta: float = 0.3
    lapse: float = 0.02
    soft_noise: float | None = None
    coin_toss: bool = False

    def judge(self, idx_a: np.ndarray, idx_b: np.ndarray, rng: np.random.Generator) -> Verdicts:
        n = idx_a.size
        if self.coin_toss:
            hard = (rng.random(n) < 0.5).astype(float)
            return Verdicts(hard, hard.copy())
        d = self.theta[idx_a] - self.theta[idx_b] + self.beta
        lapsed = rng.random(n) < self.lapse
        if self.soft_noise is None:
            p = np.where(lapsed, 0.5, _sigmoid(d))
            hard = (rng.random(n) < p).astype(float)
            return Verdicts(hard, hard.copy())
        kappa = np.sqrt(1.0 + np.pi * self.soft_noise**2 / 8.0)
        z = np.where(lapsed, 0.0, kappa * d) + rng.normal(0.0, self.soft_noise, n)
        p_a = _sigmoid(z)
        return Verdicts((rng.random(n) < p_a).astype(float), p_a)


def true_qualities(n: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, sigma, n)
