"""Linear algebra for the Bradley-Terry fit: the design matrix, the (negative) Hessian of the
log posterior, and solves with it -- dense Cholesky for small batches, Jacobi-preconditioned
conjugate gradients on a sparse matrix for large ones, so a 3,000-essay batch never builds an
N x N dense array.

Parameters are stacked as x = [theta (n_items), beta (n_judges)]; comparison c has linear
predictor theta[a] - theta[b] + beta[judge] (beta = advantage of the essay shown as "A").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

DENSE_MAX = 1500
_CG_TOL = 1e-9
_CG_MAX_ITER = 500


def design_matrix(
    idx_a: np.ndarray, idx_b: np.ndarray, judge: np.ndarray, *, n_items: int, n_judges: int
) -> sp.csr_matrix:
    """M x (n_items + n_judges) matrix whose row c maps parameters to comparison c's logit."""
    m = idx_a.size
    rows = np.repeat(np.arange(m), 3)
    cols = np.stack([idx_a, idx_b, n_items + judge], axis=1).ravel()
    vals = np.tile(np.array([1.0, -1.0, 1.0]), m)
    return sp.csr_matrix((vals, (rows, cols)), shape=(m, n_items + n_judges))


def hessian(
    x_design: sp.csr_matrix, curvature: np.ndarray, prior_prec: np.ndarray
) -> sp.csr_matrix:
    """Negative Hessian X' diag(curvature) X + diag(prior precision), sparse."""
    weighted = sp.diags(curvature) @ x_design
    return (x_design.T @ weighted + sp.diags(prior_prec)).tocsr()


def dense_hessian(
    cols: np.ndarray, signs: np.ndarray, curvature: np.ndarray, prior_prec: np.ndarray
) -> np.ndarray:
    """The same matrix built densely with one bincount (small batches: no sparse overhead).

    cols / signs: (M, 3) column indices and +-1 entries of the design rows."""
    n = prior_prec.size
    flat = (cols[:, :, None] * n + cols[:, None, :]).reshape(-1)
    vals = (signs[:, :, None] * signs[:, None, :] * curvature[:, None, None]).reshape(-1)
    # float even with no rows: an empty bincount is int64 and the prior would not add in
    h = np.bincount(flat, vals, minlength=n * n).astype(float, copy=False).reshape(n, n)
    h[np.diag_indices(n)] += prior_prec
    return h


@dataclass(frozen=True)
class Solver:
    """Solves H z = r for one or many right-hand sides (columns): a Cholesky factor for
    small batches, CG on the sparse matrix for large ones."""

    matrix: sp.csr_matrix | None
    chol: tuple[np.ndarray, bool] | None

    @classmethod
    def build(cls, matrix: sp.csr_matrix, *, dense_max: int = DENSE_MAX) -> Solver:
        if matrix.shape[0] <= dense_max:
            return cls.from_dense(matrix.toarray())
        return cls(matrix, None)

    @classmethod
    def from_dense(cls, h: np.ndarray) -> Solver:
        return cls(None, sla.cho_factor(h, lower=True, check_finite=False))

    @classmethod
    def for_fit(cls, x_design: sp.csr_matrix, curvature: np.ndarray, prior_prec: np.ndarray):
        """Posterior precision solver: dense via bincount when small, sparse CG otherwise."""
        n = prior_prec.size
        if n > DENSE_MAX:
            return cls(hessian(x_design, curvature, prior_prec), None)
        m = x_design.shape[0]
        cols = x_design.indices.reshape(m, 3)
        signs = x_design.data.reshape(m, 3)
        return cls.from_dense(dense_hessian(cols, signs, curvature, prior_prec))

    @property
    def is_dense(self) -> bool:
        return self.chol is not None

    @property
    def sparse(self) -> sp.csr_matrix:
        if self.matrix is None:
            raise ValueError("a dense solver keeps no sparse matrix")
        return self.matrix

    @property
    def size(self) -> int:
        return self.chol[0].shape[0] if self.chol is not None else self.sparse.shape[0]

    def solve(self, rhs: np.ndarray, *, tol: float = _CG_TOL) -> np.ndarray:
        if self.chol is not None:
            return sla.cho_solve(self.chol, rhs, check_finite=False)
        return block_cg(self.sparse, rhs, tol=tol)

    def logdet(self) -> float:
        """log det of the factorised matrix; only for the dense path (small batches)."""
        if self.chol is None:
            raise ValueError("log det refused for a large batch")
        return 2.0 * float(np.sum(np.log(np.diag(self.chol[0]))))

    def inverse(self) -> np.ndarray:
        """Dense inverse; only for the dense path (small batches)."""
        if self.chol is None:
            raise ValueError("dense inverse refused for a large batch")
        return sla.cho_solve(self.chol, np.eye(self.size), check_finite=False)


def block_cg(
    matrix: sp.csr_matrix,
    rhs: np.ndarray,
    *,
    x0: np.ndarray | None = None,
    tol: float = _CG_TOL,
) -> np.ndarray:
    """Jacobi-preconditioned CG run independently on every column of rhs at once.

    The information matrix of a connected comparison graph is close to its diagonal in the
    Jacobi sense (an expander-like Laplacian), so a few dozen iterations reach 1e-9.
    """
    b = rhs.reshape(rhs.shape[0], -1)
    x = batched_cg(lambda v: matrix @ v, matrix.diagonal()[:, None], b, x0=x0, tol=tol)
    return x.reshape(rhs.shape)


def batched_cg(
    apply: Callable[[np.ndarray], np.ndarray],
    diag: np.ndarray,
    b: np.ndarray,
    *,
    x0: np.ndarray | None = None,
    tol: float = _CG_TOL,
) -> np.ndarray:
    """CG on each column of b, where column j has its own SPD operator: apply(V)[:, j] =
    H_j V[:, j]. Lets bootstrap replicates, each with its own Hessian, share every product."""
    inv_diag = 1.0 / diag
    x = np.zeros_like(b) if x0 is None else x0.reshape(b.shape).copy()
    r = b - apply(x)
    z = inv_diag * r
    p = z.copy()
    rz = np.einsum("ij,ij->j", r, z)
    stop = tol**2 * np.maximum(np.einsum("ij,ij->j", b, b), 1e-300)
    for _ in range(_CG_MAX_ITER):
        if np.all(np.einsum("ij,ij->j", r, r) <= stop):
            break
        hp = apply(p)
        alpha = rz / np.maximum(np.einsum("ij,ij->j", p, hp), 1e-300)
        x += alpha * p
        r -= alpha * hp
        z = inv_diag * r
        rz_new = np.einsum("ij,ij->j", r, z)
        p = z + (rz_new / np.maximum(rz, 1e-300)) * p
        rz = rz_new
    return x


def centred_posterior(
    solver: Solver, *, n_items: int, rng: np.random.Generator | None = None, probes: int = 48
) -> tuple[np.ndarray, np.ndarray | None]:
    """Variances of theta - mean(theta) and, for small batches, their full covariance.

    Small batches: exact, from the dense inverse. Large batches: the exact diagonal would
    need n_items solves, so we estimate it as diag(M) + Hutchinson(K - M), where K is the
    centred covariance operator (applied through CG solves) and M the third-order Neumann
    expansion of the theta block's inverse. The Hutchinson term only has to catch what M
    misses, so its noise is ~1% with a few dozen probes (docs/statistics.md).
    """
    if solver.is_dense:
        cov = _centred(solver.inverse()[:n_items, :n_items])
        return np.diag(cov).copy(), cov
    rng = np.random.default_rng(0) if rng is None else rng
    return _probed_variances(solver.sparse, n_items=n_items, rng=rng, probes=probes), None


def _centred(cov: np.ndarray) -> np.ndarray:
    """P cov P with P = I - 11'/n, without forming P."""
    row_mean = cov.mean(axis=1)
    return cov - row_mean[:, None] - row_mean[None, :] + row_mean.mean()


def _probed_variances(
    matrix: sp.csr_matrix, *, n_items: int, rng: np.random.Generator, probes: int
) -> np.ndarray:
    n_total = matrix.shape[0]
    theta_block = matrix[:n_items, :n_items].tocsr()
    d_inv = 1.0 / theta_block.diagonal()
    off = sp.diags(theta_block.diagonal()) - theta_block  # positive "adjacency" weights
    u = rng.choice(np.array([-1.0, 1.0]), size=(n_items, probes))
    padded = np.zeros((n_total, probes), dtype=np.float32)
    padded[:n_items] = u - u.mean(axis=0)
    # float32 and 1e-5: the estimator's own noise (~1%) dwarfs the solve error
    ku = block_cg(matrix.astype(np.float32), padded, tol=1e-5)[:n_items].astype(float)
    ku -= ku.mean(axis=0)
    correction = np.mean(u * (ku - _neumann_apply(off, d_inv, u)), axis=1)
    return np.maximum(_neumann_diag(off, d_inv) + correction, 0.25 * d_inv)


def _neumann_apply(off: sp.csr_matrix, d_inv: np.ndarray, v: np.ndarray) -> np.ndarray:
    t0 = d_inv[:, None] * v
    t1 = d_inv[:, None] * (off @ t0)
    t2 = d_inv[:, None] * (off @ t1)
    return t0 + t1 + t2


def _neumann_diag(off: sp.csr_matrix, d_inv: np.ndarray) -> np.ndarray:
    sq = off.multiply(off).tocsr()
    return d_inv + d_inv**2 * (sq @ d_inv)
