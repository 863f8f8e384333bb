"""The regularised normal equations of one window layout and one set of equation rows: factorised
once, solved for every series at once, with the posterior variance of every target.

Unknowns, per elementary interval j of mass ``masses[j]`` (the shape's expectation): a smooth
relative rate v[j] and the interval's own relative rate w[j] = x[j] / masses[j]. The prior
penalises the first differences of v (weighted by the inverse distance, in days, between the
intervals' centres) and the deviation w[j] - v[j] at a scale of ``deviation`` times the part of
the interval that is not whole days, over its length: the hours of the day are unknown to every
window (24, 48 and 72 hours each cover every hour alike), whole days are not. The prior weighs
``smoothing`` against the windows, so the windows are fitted all but exactly and the prior only
chooses among the solutions that fit them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.solve.banded import BandCholesky, gram_band, nonnegative_solve, to_sparse
from ingestion.solve.partition import DAY_SECONDS, Partition, components

NONE, ESTIMATE, EXACT = 0, 1, 2
# whole-day intervals may still leave the smooth rate this much (relative)
MIN_DEVIATION = 1e-3
NEGATIVE = -1e-9
# series whose largest window holds fewer than this are clipped at zero rather than solved
# non-negatively (the difference is within their Poisson noise; clarity_tools/solver_check.py)
NONNEGATIVE_MIN_COUNT = 30.0
# the span of the running mean that irregularity is measured against, and the least
# expectation of a window that takes part
IRREGULARITY_SPAN = 7 * DAY_SECONDS
MIN_EXPECTED = 5.0


def _partial_day(lengths: np.ndarray) -> np.ndarray:
    """The share of each interval that is not whole days (0 for 24 h, 1 for an hour)."""
    partial = np.mod(lengths, DAY_SECONDS)
    return np.minimum(partial, DAY_SECONDS - partial) / np.maximum(lengths, 1.0)


def _deviation_precision(lengths: np.ndarray, deviation: float) -> np.ndarray:
    return 1.0 / np.maximum(deviation * _partial_day(lengths), MIN_DEVIATION) ** 2


@dataclass(frozen=True)
class ErrorTerms:
    """Per target: the sums that a series' level turns into its error (``NormalSystem``)."""

    shape: np.ndarray
    daily: np.ndarray
    counting: np.ndarray
    rounding: np.ndarray


class NormalSystem:
    """The solver for the series that share equation rows ``pattern`` of a partition."""

    def __init__(
        self,
        partition: Partition,
        masses: np.ndarray,
        pattern: np.ndarray,
        smoothing: float,
        deviation: float,
    ) -> None:
        self.partition = partition
        self.masses = masses
        self.pattern = pattern
        self.smoothing = smoothing
        self.first = partition.window_first[pattern]
        self.stop = partition.window_stop[pattern]
        self.prior = self._prior_band(deviation)
        gram = gram_band(
            self.first, self.stop, np.ones(self.first.size), masses, partition.bandwidth
        )
        self.band = self.prior * smoothing
        self.band[0::2, 1::2][: gram.shape[0]] += gram
        self.factor = BandCholesky(self.band)
        self.bounded = np.zeros(2 * partition.size, dtype=bool)
        self.bounded[1::2] = True

    def _prior_band(self, deviation: float) -> np.ndarray:
        """The prior's precision P over z (z[2j] = v[j], z[2j + 1] = w[j]), in band form."""
        p = self.partition
        m = p.size
        width = max(2 * p.bandwidth + 1, 3)
        centres = (p.nodes[:-1] + p.nodes[1:]) / 2
        adjacency = DAY_SECONDS / np.maximum(np.diff(centres), 1.0)
        tightness = _deviation_precision(p.lengths, deviation)
        band = np.zeros((width, 2 * m))
        band[0, 0:-2:2] += adjacency
        band[0, 2::2] += adjacency
        band[2, 0:-2:2] -= adjacency
        band[0, 0::2] += tightness
        band[0, 1::2] += tightness
        band[1, 0::2] -= tightness
        return band

    def _lift(self, per_interval: np.ndarray) -> np.ndarray:
        """A right-hand side on the intervals' own rates w (zeros on v)."""
        lifted = np.zeros((2 * self.partition.size, per_interval.shape[1]))
        lifted[1::2] = per_interval
        return lifted

    def solve(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The elementary intervals (m, series) of the series ``y`` (rows: this system's
        windows), non-negative; each series' level (its mass per unit of shape) and its
        irregularity (the relative variance of a day around a smooth week)."""
        rhs = self._data_side(y)
        z = self.factor.solve(rhs)
        # one step of iterated Tikhonov: towards the limit where the windows fit exactly
        fitted = _window_sums(self.first, self.stop, z[1::2] * self.masses[:, None])
        z += self.factor.solve(self._data_side(y - fitted))
        # a series that went negative gets the non-negative solve when it is large enough for
        # its shape to matter; a small one (a rare URL variant) is clipped at zero below
        large = np.abs(y).max(axis=0, initial=0.0) >= NONNEGATIVE_MIN_COUNT
        negative = np.flatnonzero((z[self.bounded] < NEGATIVE).any(axis=0) & large)
        if negative.size:
            product = to_sparse(self.band)
            zeros = self._forced_zeros(y[:, negative])
        for k, column in enumerate(negative):
            z[:, column] = nonnegative_solve(
                self.band, rhs[:, column], z[:, column], self.bounded, product, zeros[:, k]
            )
        intervals = np.maximum(z[1::2], 0.0) * self.masses[:, None]
        covered = covering_sums(self.first, self.stop, np.ones((self.first.size, 1)), self.size)
        inside = covered[:, 0] > 0
        level = intervals[inside].sum(axis=0) / max(float(self.masses[inside].sum()), 1e-12)
        return intervals, level, self._irregularity(intervals, y)

    def _irregularity(self, intervals: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per series, the relative variance of a day's total around the shape's expectation
        (the series' rate averaged over a week around it), beyond Poisson counting: how far
        windows stray from a smooth week, scaled to one day."""
        p = self.partition
        totals = np.vstack([np.zeros((1, y.shape[1])), np.cumsum(intervals, axis=0)])
        shape_totals = np.concatenate([[0.0], np.cumsum(self.masses)])
        centres = (p.nodes[:-1] + p.nodes[1:]) / 2
        low, high = centres - IRREGULARITY_SPAN / 2, centres + IRREGULARITY_SPAN / 2
        local_mass = np.interp(high, p.nodes, shape_totals) - np.interp(low, p.nodes, shape_totals)
        local = np.column_stack(
            [np.interp(high, p.nodes, totals[:, s]) - np.interp(low, p.nodes, totals[:, s])
             for s in range(y.shape[1])]
        ) / np.maximum(local_mass, 1e-12)[:, None]  # fmt: skip
        expected = _window_sums(self.first, self.stop, local * self.masses[:, None])
        days = (p.nodes[self.stop] - p.nodes[self.first]) / DAY_SECONDS
        judged = expected > MIN_EXPECTED
        excess = (y / np.where(judged, expected, 1.0) - 1.0) ** 2 - 1.0 / np.maximum(
            expected, 1e-12
        )
        excess = np.where(judged, excess * days[:, None], 0.0)
        count = np.maximum(judged.sum(axis=0), 1)
        return np.maximum(excess.sum(axis=0) / count, 0.0)

    def _data_side(self, y: np.ndarray) -> np.ndarray:
        """A_zᵀy: the windows' values spread on the intervals' own rates."""
        return self._lift(self.masses[:, None] * covering_sums(self.first, self.stop, y, self.size))

    def _forced_zeros(self, y: np.ndarray) -> np.ndarray:
        """Per series, the unknowns that must be 0: the own rates of intervals inside a window
        that counted nothing (a sum of non-negative parts is 0 only if each part is)."""
        empty = (y <= 0).astype(np.float64)
        inside_empty = covering_sums(self.first, self.stop, empty, self.size) > 0
        zeros = np.zeros((2 * self.size, y.shape[1]), dtype=bool)
        zeros[1::2] = inside_empty
        return zeros

    @property
    def size(self) -> int:
        return self.partition.size

    def error_terms(self) -> ErrorTerms:
        """How each target's estimate misses its truth, as three sums over the intervals.

        The estimate is linear in the windows, x̂ = M y = M A x, so a target's error is
        gᵀx with g = t - AᵀMᵀt (zero where the windows fix the target). Its variance under
        independent deviations of the intervals is Σ g² Var(x_j): ``shape`` sums g² (mass x
        part of the interval that is not whole days)² for the unknown hours of the day,
        ``daily`` sums g² mass² / days for days that stray from a smooth week, ``counting``
        sums g² mass for Poisson counting noise; ``rounding`` is Σ|Mᵀt| over the
        windows, the reach of a unit of rounding in every input.
        """
        p = self.partition
        weights = np.zeros((self.size, p.target_first.size))
        for k, (first, stop) in enumerate(zip(p.target_first, p.target_stop, strict=True)):
            weights[first:stop, k] = 1.0
        solved = self.factor.solve(self._lift(self.masses[:, None] * weights))
        coefficients = _window_sums(self.first, self.stop, solved[1::2] * self.masses[:, None])
        missed = weights - covering_sums(self.first, self.stop, coefficients, self.size)
        partial = _partial_day(p.lengths)
        days = np.maximum(p.lengths / DAY_SECONDS, 1.0)
        return ErrorTerms(
            shape=((self.masses * partial)[:, None] ** 2 * missed**2).sum(axis=0),
            daily=((self.masses**2 / days)[:, None] * missed**2).sum(axis=0),
            counting=(self.masses[:, None] * missed**2).sum(axis=0),
            rounding=np.abs(coefficients).sum(axis=0),
        )

    def kinds(self) -> np.ndarray:
        return target_kinds(self.partition, self.pattern)


def target_kinds(partition: Partition, pattern: np.ndarray) -> np.ndarray:
    """Per target: EXACT where a chain of the windows in ``pattern`` links the target's edges,
    NONE where none of them covers any of it, ESTIMATE otherwise."""
    p = partition
    first, stop = p.window_first[pattern], p.window_stop[pattern]
    component = components(p, pattern)
    covered = covering_sums(first, stop, np.ones((first.size, 1)), p.size)[:, 0] > 0
    touched = np.concatenate([[0], np.cumsum(covered)])
    any_cover = touched[p.target_stop] - touched[p.target_first] > 0
    exact = component[p.target_first] == component[p.target_stop]
    return np.where(exact, EXACT, np.where(any_cover, ESTIMATE, NONE)).astype(np.int8)


def _window_sums(first: np.ndarray, stop: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """Ay: each window's sum of the intervals it covers."""
    totals = np.vstack([np.zeros((1, intervals.shape[1])), np.cumsum(intervals, axis=0)])
    return totals[stop] - totals[first]


def covering_sums(first: np.ndarray, stop: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    """Aᵀy: for each interval, the sum of the values of the windows covering it."""
    delta = np.zeros((size + 1, y.shape[1]))
    np.add.at(delta, first, y)
    np.add.at(delta, stop, -y)
    return np.cumsum(delta, axis=0)[:size]
