"""Target periods to solve for: the 24-hour periods between fetches, the calendar days of a time
zone, and the choice of one period per date (the one that covers it best)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np

from ingestion.solve.partition import DAY_SECONDS, DEFAULT_SNAP_SECONDS, snap


def fetch_periods(windows: np.ndarray, snap_seconds: float = DEFAULT_SNAP_SECONDS) -> np.ndarray:
    """The 24-hour periods between fetches, as an (n, 2) array of epoch seconds.

    Between two consecutive fetch moments (window ends, snapped as the solver snaps them; before
    the first, back to the earliest window start) the gap is cut into round(gap / 24 h) periods
    (at least one) counted back 24 h at a time from the later fetch, the earliest taking what is
    left: so nested windows, asked at one moment, give their days, and a jittered daily fetch
    gives one period of about 24 h.
    """
    if windows.shape[0] == 0:
        return np.zeros((0, 2))
    edges = snap(np.concatenate([windows[:, 0], windows[:, 1]]), snap_seconds)
    n = windows.shape[0]
    ends = np.unique(edges[n:])
    boundaries = np.concatenate([[min(edges[:n].min(), ends[0] - DAY_SECONDS)], ends])
    periods = []
    for before, after in zip(boundaries[:-1], boundaries[1:], strict=True):
        count = max(1, int(round((after - before) / DAY_SECONDS)))
        cuts = [after - DAY_SECONDS * k for k in range(count)] + [before]
        periods.extend((cuts[k + 1], cuts[k]) for k in reversed(range(count)))
    return np.array(periods, dtype=np.float64)


def day_bounds(day: date, zone: tzinfo = UTC) -> tuple[float, float]:
    """[start, end) in epoch seconds of a calendar day of ``zone`` (23 or 25 h on DST days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return start.timestamp(), end.timestamp()


def calendar_days(first: date, last: date, zone: tzinfo = UTC) -> tuple[list[date], np.ndarray]:
    """The dates ``first..last`` and their [start, end) in epoch seconds."""
    dates = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    return dates, np.array([day_bounds(d, zone) for d in dates], dtype=np.float64)


def days_touched(intervals: np.ndarray, zone: tzinfo = UTC) -> tuple[date, date]:
    """The first and last calendar dates of ``zone`` that the intervals overlap."""
    first = datetime.fromtimestamp(float(intervals[:, 0].min()), tz=zone).date()
    last = datetime.fromtimestamp(float(intervals[:, 1].max()) - 1e-3, tz=zone).date()
    return first, last


@dataclass(frozen=True)
class DateChoice:
    """For each date: the index of the period that serves it (-1: none) and its coverage."""

    dates: list[date]
    period: np.ndarray
    day_coverage: np.ndarray


def best_covering(periods: np.ndarray, dates: list[date], zone: tzinfo = UTC) -> DateChoice:
    """Each period serves the date it overlaps most (ties: the earlier date); among the periods
    serving a date, the one covering most of it wins (ties: the later period), as the daily
    marts choose today."""
    bounds = np.array([day_bounds(d, zone) for d in dates], dtype=np.float64)
    overlap = np.clip(
        np.minimum(periods[:, None, 1], bounds[None, :, 1])
        - np.maximum(periods[:, None, 0], bounds[None, :, 0]),
        0.0,
        None,
    )
    served = np.argmax(overlap, axis=1)
    coverage = overlap / (bounds[:, 1] - bounds[:, 0])[None, :]
    period = np.full(len(dates), -1)
    best = np.zeros(len(dates))
    for k in range(periods.shape[0]):
        day = served[k]
        if overlap[k, day] > 0 and coverage[k, day] >= best[day]:
            period[day], best[day] = k, coverage[k, day]
    return DateChoice(dates, period, best)
