"""The window solver: every snapshot of a series, whatever its length and fetch time, turned into
the values of target periods (the 24-hour periods between fetches, or calendar days), each
``exact`` or ``estimate`` (with a stated error) or ``none``.

The rules, in one place (the numbers behind them: ``python -m clarity_tools.solver_check``):

- Model. A snapshot is the sum of an additive series over ``[fetched_at - 24h * N, fetched_at)``.
  Every window edge and target edge cuts time into elementary intervals (edges of different
  windows closer than ``snap_seconds`` are one moment: requests asked back to back); a window is
  the sum of the intervals it covers. One window layout (a project and dimension set) gives one
  matrix for all its series, factorised once (banded: a window spans a handful of intervals).
- Exactness. A window fixes the difference of the cumulative total between its two edges, so a
  target [a, b) is determined exactly when a chain of windows links a and b: a and b fall in the
  same connected component of the graph whose nodes are the edges and whose links are the
  windows. This is the same as the target's indicator lying in the row space of the window
  matrix, decided without floating-point tolerance, so integer rounding of the inputs cannot
  flip it. Exact values are the least-squares fit of the windows (rounding averages out).
- Estimation. Elsewhere the prior picks, among the non-negative solutions that fit the windows,
  the one whose rate relative to a shape is smoothest, letting parts of a day deviate: windows of
  24, 48 or 72 hours are blind to the hours of the day, not to whole days. The shape is flat
  hours times the days of the week measured on a root series (or a related series' solution,
  or a profile the caller knows). Non-additive measures are never solved.
- Error. A target's miss is gᵀx, g = t - AᵀMᵀt for the linear estimator M; its stated error is
  1.645 standard deviations when parts of a day may deviate from the day's rate by 60 % and
  counts are Poisson, plus the inputs' rounding carried through.
- Incremental use. See ``ingestion.solve.incremental``.
"""

from ingestion.solve.partition import DEFAULT_SNAP_SECONDS, Partition
from ingestion.solve.shape import FLAT_DAY, Flat, Reference, Shape, WeekProfile, weekday_factors
from ingestion.solve.system import ESTIMATE, EXACT, NONE
from ingestion.solve.targets import (
    DateChoice,
    best_covering,
    calendar_days,
    day_bounds,
    days_touched,
    fetch_periods,
)
from ingestion.solve.windows import KIND_NAMES, PeriodEstimate, Solution, solve, solve_with_shape

__all__ = [
    "DEFAULT_SNAP_SECONDS",
    "ESTIMATE",
    "EXACT",
    "FLAT_DAY",
    "KIND_NAMES",
    "NONE",
    "DateChoice",
    "Flat",
    "Partition",
    "PeriodEstimate",
    "Reference",
    "Shape",
    "Solution",
    "WeekProfile",
    "best_covering",
    "calendar_days",
    "day_bounds",
    "days_touched",
    "fetch_periods",
    "solve",
    "solve_with_shape",
    "weekday_factors",
]
