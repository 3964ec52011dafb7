"""Judged comparisons as plain parallel arrays, validated once at the domain boundary."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Comparisons:
    """Judged comparisons as parallel arrays (one entry per comparison)."""

    idx_a: np.ndarray
    idx_b: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    judge: np.ndarray
    n_items: int
    n_judges: int = 1

    @classmethod
    def build(
        cls,
        idx_a: np.ndarray,
        idx_b: np.ndarray,
        y: np.ndarray,
        *,
        n_items: int,
        weight: np.ndarray | None = None,
        judge: np.ndarray | None = None,
        n_judges: int = 1,
    ) -> Comparisons:
        a = np.asarray(idx_a, dtype=np.int64)
        b = np.asarray(idx_b, dtype=np.int64)
        yy = np.asarray(y, dtype=float)
        w = np.ones(a.size) if weight is None else np.asarray(weight, dtype=float)
        j = np.zeros(a.size, dtype=np.int64) if judge is None else np.asarray(judge, np.int64)
        _validate(a, b, yy, w, j, n_items=n_items, n_judges=n_judges)
        return cls(a, b, yy, w, j, n_items, n_judges)

    def per_item(self) -> np.ndarray:
        """How many comparisons each item is in."""
        n = self.n_items
        return np.bincount(self.idx_a, minlength=n) + np.bincount(self.idx_b, minlength=n)

    @property
    def size(self) -> int:
        return int(self.idx_a.size)

    def reweighted(self, weight: np.ndarray) -> Comparisons:
        return replace(self, weight=weight)

    def working(self, y: np.ndarray, weight: np.ndarray) -> Comparisons:
        """Working responses and weights for a fitter only: a working response may leave
        [0, 1] (the log likelihood y eta - log(1 + e^eta) stays concave in eta)."""
        return replace(self, y=y, weight=weight)


def _validate(a, b, y, w, j, *, n_items: int, n_judges: int) -> None:
    if n_items < 1 or n_judges < 1:
        raise ValueError("n_items and n_judges must be >= 1")
    if not (a.shape == b.shape == y.shape == w.shape == j.shape) or a.ndim != 1:
        raise ValueError("comparison arrays must be 1-d and of equal length")
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n_items):
        raise ValueError("item index out of range")
    if np.any(a == b):
        raise ValueError("an essay cannot be compared with itself")
    if np.any((y < 0) | (y > 1)) or not np.all(np.isfinite(y)):
        raise ValueError("verdicts must lie in [0, 1]")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and >= 0")
    if j.size and (j.min() < 0 or j.max() >= n_judges):
        raise ValueError("judge index out of range")
