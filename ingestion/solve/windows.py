"""The window solver: from every snapshot of one window layout, the values of target periods for
many additive series at once; exact where the windows determine a period, estimated elsewhere
(non-negative, smooth relative to a shape) with a stated error.

Pure numpy/scipy: no warehouse, no dlt, no dbt. See ``ingestion/solve/__init__.py`` for the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ingestion.solve.partition import (
    DAY_SECONDS,
    DEFAULT_SNAP_SECONDS,
    Partition,
    as_seconds,
    build_partition,
)
from ingestion.solve.shape import FLAT_DAY, Shape, WeekProfile, weekday_factors
from ingestion.solve.system import ESTIMATE, EXACT, NONE, NormalSystem

KIND_NAMES = {NONE: "none", ESTIMATE: "estimate", EXACT: "exact"}
# chosen by measurement against the simulated truth (clarity_tools/solver_check.py)
DEFAULT_DEVIATION = 3.0
DEFAULT_SMOOTHING = 1e-6
# stated error = COVERAGE_FACTOR x the standard deviation of the miss (>= 90 % cover), where a
# part of a day may leave the day's rate by SHAPE_SPREAD (relative) and counts are Poisson
COVERAGE_FACTOR = 1.645
SHAPE_SPREAD = 0.6
# the days of the week are measured (six more parameters) only over this many days of windows
MIN_DAYS_FOR_WEEKDAYS = 21
Moment = datetime | float | int
Intervals = Sequence[tuple[Moment, Moment]] | np.ndarray


@dataclass(frozen=True)
class PeriodEstimate:
    """One target period of one series: its value, how it is known and how sure it is."""

    target: int
    series: int
    start: float
    end: float
    value: float
    kind: str
    error: float


@dataclass(frozen=True)
class Solution:
    """Per target (rows) and series (columns): ``value`` (NaN where NONE), ``kind`` (NONE,
    ESTIMATE, EXACT) and the stated ``error`` (an absolute half-width: the truth lies in
    value ± error; input rounding only where EXACT); ``intervals`` holds the solved elementary
    intervals that ``partition.nodes`` cut, ``shape`` the shape the prior followed."""

    partition: Partition
    targets: np.ndarray
    value: np.ndarray
    kind: np.ndarray
    error: np.ndarray
    intervals: np.ndarray
    shape: Shape

    def records(self) -> list[PeriodEstimate]:
        """Every (target, series) as a PeriodEstimate, target-major."""
        return [
            PeriodEstimate(
                k,
                s,
                float(self.targets[k, 0]),
                float(self.targets[k, 1]),
                float(self.value[k, s]),
                KIND_NAMES[int(self.kind[k, s])],
                float(self.error[k, s]),
            )
            for k in range(self.targets.shape[0])
            for s in range(self.value.shape[1])
        ]


def as_intervals(intervals: Intervals) -> np.ndarray:
    """An (n, 2) float array of [start, end) epoch seconds from pairs of datetimes or numbers."""
    if isinstance(intervals, np.ndarray):
        return intervals.astype(np.float64).reshape(-1, 2)
    pairs = list(intervals)
    if not pairs:
        return np.zeros((0, 2))
    return np.column_stack([as_seconds([p[0] for p in pairs]), as_seconds([p[1] for p in pairs])])


def as_values(values: np.ndarray, windows: int) -> np.ndarray:
    """``values`` as a (windows, series) float array (a vector is one series)."""
    y = np.asarray(values, dtype=np.float64)
    y = y[:, None] if y.ndim == 1 else y
    if y.ndim != 2 or y.shape[0] != windows:
        raise ValueError(f"values need one row per window ({windows}), got shape {y.shape}")
    return y


def solve(
    windows: Intervals,
    values: np.ndarray,
    targets: Intervals,
    *,
    mask: np.ndarray | None = None,
    shape: Shape | None = None,
    profile: WeekProfile = FLAT_DAY,
    root: int | None = None,
    rounding: float | np.ndarray = 0.0,
    deviation: float = DEFAULT_DEVIATION,
    smoothing: float = DEFAULT_SMOOTHING,
    snap_seconds: float = DEFAULT_SNAP_SECONDS,
) -> Solution:
    """Solve every series of one window layout for the ``targets``.

    ``windows``: (n, 2) [start, end) of the snapshots (epoch seconds or datetimes); ``values``:
    (n, series), one column per additive series (a missing row is 0 when the snapshot is
    complete); ``mask[i, s]`` False: snapshot i gives no equation for series s (it may be
    truncated and the series is absent). ``shape``: what the prior follows (a related series'
    solution as ``Reference``, a ``WeekProfile``); by default ``profile`` (flat hours unless
    the caller knows better) with the days of the week measured on series ``root`` (by default
    the largest).
    ``rounding``: the inputs' rounding half-width (scalar or per series), carried into errors.
    """
    window_array, target_array = as_intervals(windows), as_intervals(targets)
    y = as_values(values, window_array.shape[0])
    if window_array.shape[0] == 0:
        shape = shape or profile
    if shape is None:
        root = int(np.argmax(np.abs(y).sum(axis=0))) if root is None else root
        first = solve_with_shape(
            window_array,
            y[:, [root]],
            target_array,
            profile,
            _column(mask, root),
            0.0,
            deviation,
            smoothing,
            snap_seconds,
        )
        shape = _measured_week(first, profile)
    return solve_with_shape(
        window_array, y, target_array, shape, mask, rounding, deviation, smoothing, snap_seconds
    )


def _measured_week(first: Solution, profile: WeekProfile) -> WeekProfile:
    """``profile`` with the days of the week as the first pass found them, once the windows
    span enough weeks to tell them from the day-to-day noise."""
    nodes = first.partition.nodes
    if nodes.size < 2 or nodes[-1] - nodes[0] < MIN_DAYS_FOR_WEEKDAYS * DAY_SECONDS:
        return profile
    return profile.with_weekdays(weekday_factors(nodes, first.intervals[:, 0], profile))


def _column(mask: np.ndarray | None, column: int) -> np.ndarray | None:
    return None if mask is None else np.asarray(mask, dtype=bool)[:, [column]]


def solve_with_shape(
    windows: np.ndarray,
    y: np.ndarray,
    targets: np.ndarray,
    shape: Shape,
    mask: np.ndarray | None = None,
    rounding: float | np.ndarray = 0.0,
    deviation: float = DEFAULT_DEVIATION,
    smoothing: float = DEFAULT_SMOOTHING,
    snap_seconds: float = DEFAULT_SNAP_SECONDS,
    errors: bool = True,
) -> Solution:
    """One pass of the solver with a given shape (``solve`` without measuring the week);
    ``errors=False`` skips the stated errors (NaN), for a first pass."""
    rows = np.ones(y.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    partition = build_partition(
        windows[:, 0], windows[:, 1], targets[:, 0], targets[:, 1], snap_seconds
    )
    masses = np.maximum(shape.mass(partition.nodes[:-1], partition.nodes[1:]), 1e-9)
    result = _Result.empty(partition.size, targets.shape[0], y.shape[1])
    half_widths = np.broadcast_to(np.asarray(rounding, dtype=np.float64), (y.shape[1],))
    for pattern, columns in mask_groups(rows):
        if not pattern.any():
            continue
        system = NormalSystem(partition, masses, pattern, smoothing, deviation)
        intervals, level, irregularity = system.solve(y[pattern][:, columns])
        result.fill(system, columns, intervals, (level, irregularity), half_widths[columns], errors)
    return Solution(
        partition, targets, result.value, result.kind, result.error, result.intervals, shape
    )


def mask_groups(rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Series that share the same rows of equations, solved together."""
    patterns, inverse = np.unique(rows.T, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [(patterns[g], np.flatnonzero(inverse == g)) for g in range(patterns.shape[0])]


@dataclass
class _Result:
    value: np.ndarray
    kind: np.ndarray
    error: np.ndarray
    intervals: np.ndarray

    @classmethod
    def empty(cls, size: int, targets: int, series: int) -> _Result:
        return cls(
            value=np.full((targets, series), np.nan),
            kind=np.zeros((targets, series), dtype=np.int8),
            error=np.full((targets, series), np.nan),
            intervals=np.zeros((size, series)),
        )

    def fill(
        self,
        system: NormalSystem,
        columns: np.ndarray,
        intervals: np.ndarray,
        spread: tuple[np.ndarray, np.ndarray],
        rounding: np.ndarray,
        errors: bool,
    ) -> None:
        p = system.partition
        cumulative = np.vstack([np.zeros((1, intervals.shape[1])), np.cumsum(intervals, axis=0)])
        value = cumulative[p.target_stop] - cumulative[p.target_first]
        kind = system.kinds()
        known = (kind != NONE)[:, None]
        error = _stated_errors(system, kind, *spread, rounding) if errors else np.nan
        self.intervals[:, columns] = intervals
        self.value[:, columns] = np.where(known, value, np.nan)
        self.kind[:, columns] = kind[:, None]
        self.error[:, columns] = np.where(known, error, np.nan)


def _stated_errors(
    system: NormalSystem,
    kind: np.ndarray,
    level: np.ndarray,
    irregularity: np.ndarray,
    rounding: np.ndarray,
) -> np.ndarray:
    """COVERAGE_FACTOR standard deviations of the miss, where a part of a day may leave the
    day's rate by SHAPE_SPREAD, a day may leave a smooth week as much as the series' windows
    do, and counts are Poisson; plus the inputs' rounding carried through (alone where the
    target is EXACT)."""
    terms = system.error_terms()
    variance = np.outer(terms.shape, (SHAPE_SPREAD * level) ** 2)
    variance += np.outer(terms.daily, irregularity * level**2)
    variance += np.outer(terms.counting, level)
    carried = np.outer(terms.rounding, rounding)
    spread = COVERAGE_FACTOR * np.sqrt(variance) + carried
    return np.where((kind == EXACT)[:, None], carried, spread)
