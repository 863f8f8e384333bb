"""Symmetric banded matrices in LAPACK's lower storage (``band[d, j] = H[j + d, j]``): the
normal equations of a window layout, their Cholesky solves and a non-negative solve."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.linalg import cho_solve_banded, cholesky_banded

MAX_PIVOT_ROUNDS = 200
# the diagonal spring that holds an index at zero, relative to the largest diagonal entry
PIN = 1e10


def gram_band(
    first: np.ndarray,
    stop: np.ndarray,
    weights: np.ndarray,
    scale: np.ndarray,
    bandwidth: int,
) -> np.ndarray:
    """AᵀWA in band form for the 0/1 matrix A whose row i is ones on ``first[i]:stop[i]``,
    with its columns multiplied by ``scale`` (so the unknowns are rates relative to it)."""
    size = scale.size
    band = np.zeros((bandwidth + 1, size))
    for d in range(bandwidth + 1):
        long_enough = (stop - first) > d
        delta = np.zeros(size + 1)
        np.add.at(delta, first[long_enough], weights[long_enough])
        np.add.at(delta, stop[long_enough] - d, -weights[long_enough])
        counts = np.cumsum(delta)[:size]
        band[d, : size - d] = counts[: size - d] * scale[: size - d] * scale[d:]
    return band


def difference_band(weights: np.ndarray, bandwidth: int) -> np.ndarray:
    """DᵀWD in band form for the first differences ``u[j + 1] - u[j]`` weighted by
    ``weights[j]`` (one weight per adjacent pair)."""
    size = weights.size + 1
    band = np.zeros((max(bandwidth, 1) + 1, size))
    band[0, :-1] += weights
    band[0, 1:] += weights
    band[1, :-1] = -weights
    return band


def add_bands(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The sum of two band matrices of the same size (the wider band kept)."""
    rows = max(left.shape[0], right.shape[0])
    total = np.zeros((rows, left.shape[1]))
    total[: left.shape[0]] += left
    total[: right.shape[0]] += right
    return total


def matvec(band: np.ndarray, x: np.ndarray) -> np.ndarray:
    """H @ x for a symmetric band matrix; ``x`` is a vector or a matrix of columns."""
    out = band[0].reshape(-1, *([1] * (x.ndim - 1))) * x
    for d in range(1, band.shape[0]):
        coefficient = band[d, :-d].reshape(-1, *([1] * (x.ndim - 1)))
        out[:-d] += coefficient * x[d:]
        out[d:] += coefficient * x[:-d]
    return out


class BandCholesky:
    """The Cholesky factor of a symmetric positive definite band matrix, to solve many
    right-hand sides."""

    def __init__(self, band: np.ndarray) -> None:
        self.band = band
        self.factor = cholesky_banded(band, lower=True, check_finite=False)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        return cho_solve_banded((self.factor, True), rhs, check_finite=False)


def to_sparse(band: np.ndarray) -> sparse.csr_matrix:
    """The full symmetric matrix of a band, as a sparse matrix (for fast products)."""
    size = band.shape[1]
    diagonals = [band[0]]
    offsets = [0]
    for d in range(1, band.shape[0]):
        diagonals += [band[d, : size - d], band[d, : size - d]]
        offsets += [-d, d]
    return sparse.diags(diagonals, offsets, shape=(size, size), format="csr")


def nonnegative_solve(
    band: np.ndarray,
    rhs: np.ndarray,
    start: np.ndarray,
    bounded: np.ndarray,
    product: sparse.csr_matrix | None = None,
    zero: np.ndarray | None = None,
) -> np.ndarray:
    """argmin ½xᵀHx - rhsᵀx subject to x[bounded] >= 0, by block principal pivoting (Júdice and
    Pires; Kim and Park's NNLS variant): swap every infeasible index at once, and one at a time
    once that stops reducing their number.

    ``start`` is the unconstrained solution; ``zero`` marks indices known to be 0 at the
    optimum (held there); ``product`` is H as a sparse matrix. An index at its bound is held
    there by a stiff spring on the diagonal, so every step factorises a band of the same shape.
    """
    zero = np.zeros(rhs.size, dtype=bool) if zero is None else zero & bounded
    product = to_sparse(band) if product is None else product
    stiff = PIN * max(1.0, float(np.max(np.abs(band[0]))))
    free = ((start > 0) | ~bounded) & ~zero
    best, chances = rhs.size + 1, 3
    x = start
    for _ in range(MAX_PIVOT_ROUNDS):
        pinned = band.copy()
        pinned[0, ~free] += stiff
        x = BandCholesky(pinned).solve(rhs)
        x[~free] = 0.0
        dual = product @ x - rhs
        scale = 1e-7 * (1.0 + np.abs(rhs))
        wrong = bounded & ~zero & ((free & (x < -1e-9)) | (~free & (dual < -scale)))
        count = int(wrong.sum())
        if count == 0:
            break
        if count < best:
            best, chances = count, 3
            free ^= wrong
        elif chances > 0:
            chances -= 1
            free ^= wrong
        else:
            last = np.flatnonzero(wrong)[-1]
            free[last] = not free[last]
    return np.where(bounded, np.maximum(x, 0.0), x)
