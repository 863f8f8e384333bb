"""Shapes: the expected mass of any time interval up to a constant, which the solver's prior
follows when it splits what the windows leave undetermined (flat time, a profile of the hours of
the week, or the solved intervals of a related series)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol

import numpy as np

from ingestion.solve.partition import DAY_SECONDS

HOUR = 3600.0
WEEK_HOURS = 168
# epoch 0 (1970-01-01) was a Thursday: seconds from the Monday midnight before it
EPOCH_WEEK_OFFSET = 3 * DAY_SECONDS
# A reference never gives an interval less than this share of what a flat rate at its mean
# would: a related series with a zero somewhere must not pin a zero here.
SHAPE_FLOOR = 0.05


class Shape(Protocol):
    """Anything that gives the expected mass of intervals ``[starts, ends)`` (epoch seconds)."""

    def mass(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Flat:
    """Mass proportional to time: a constant rate (one unit a day)."""

    def mass(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return (ends - starts) / DAY_SECONDS


@dataclass(frozen=True)
class WeekProfile:
    """A rate that repeats every week: ``weights[h]`` for hour h of the local week of ``zone``
    (0 = Monday 00:00-01:00 ... 167 = Sunday 23:00-24:00); 24 weights repeat every day.

    Windows of 24, 48 or 72 hours are blind to the hours of the day (each covers every hour
    equally often), so that part is an assumption the caller brings; the days of the week show
    in the windows and can be measured (``weekday_factors``).
    """

    weights: tuple[float, ...]
    zone: tzinfo = UTC

    def __post_init__(self) -> None:
        if len(self.weights) not in (24, WEEK_HOURS) or min(self.weights) <= 0:
            raise ValueError("a profile needs 24 or 168 positive weights")

    @property
    def hourly(self) -> np.ndarray:
        """The 168 weights of the week, mean 1."""
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.size == 24:
            weights = np.tile(weights, 7)
        return weights / weights.mean()

    def mass(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return self.mass_by_weekday(starts, ends).sum(axis=1)

    def mass_by_weekday(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The mass of each interval that falls on each local day of the week (Monday first)."""
        local_start = starts + self._offsets(starts)
        local_end = ends + self._offsets(ends)
        stretch = (ends - starts) / np.maximum(local_end - local_start, 1e-9) / DAY_SECONDS
        weights = self.hourly
        out = np.empty((starts.size, 7))
        for day in range(7):
            only = np.zeros(WEEK_HOURS)
            hours = slice(24 * day, 24 * (day + 1))
            only[hours] = weights[hours]
            out[:, day] = (_cumulative(only, local_end) - _cumulative(only, local_start)) * stretch
        return out

    def with_weekdays(self, factors: np.ndarray) -> WeekProfile:
        """This profile with each day of the week (Monday first) scaled by ``factors``."""
        scaled = self.hourly * np.repeat(np.asarray(factors, dtype=np.float64), 24)
        return WeekProfile(tuple(scaled.tolist()), self.zone)

    def _offsets(self, moments: np.ndarray) -> np.ndarray:
        if self.zone is UTC:
            return np.zeros_like(moments)
        return np.array(
            [
                datetime.fromtimestamp(float(m), tz=self.zone).utcoffset().total_seconds()
                for m in moments
            ]
        )


FLAT_DAY = WeekProfile((1.0,) * 24)


def _cumulative(weights: np.ndarray, local: np.ndarray) -> np.ndarray:
    """∫ of hour-of-week ``weights`` from a local Monday midnight before epoch 0 to ``local``."""
    per_week = np.concatenate([[0.0], np.cumsum(weights)]) * HOUR
    weeks, rest = np.divmod(local + EPOCH_WEEK_OFFSET, WEEK_HOURS * HOUR)
    hour = np.minimum((rest // HOUR).astype(np.int64), WEEK_HOURS - 1)
    within = per_week[hour] + weights[hour] * (rest - hour * HOUR)
    return weeks * per_week[-1] + within


def weekday_factors(
    nodes: np.ndarray, masses: np.ndarray, profile: WeekProfile = FLAT_DAY
) -> np.ndarray:
    """The mean rate of each day of the week (Monday first, mean 1) in solved intervals: each
    interval's mass is shared among the days it spans as ``profile`` expects."""
    expected = profile.mass_by_weekday(nodes[:-1], nodes[1:])
    share = expected / np.maximum(expected.sum(axis=1, keepdims=True), 1e-12)
    observed = (share * masses[:, None]).sum(axis=0)
    seen = expected.sum(axis=0) > 0
    rates = observed / np.maximum(expected.sum(axis=0), 1e-12)
    if not seen.any() or rates[seen].mean() <= 0:
        return np.ones(7)
    rates = np.where(seen, rates, rates[seen].mean())
    return rates / rates.mean()


@dataclass(frozen=True)
class Reference:
    """The solved elementary intervals of a related series (``nodes``, m + 1 moments, and the
    ``masses`` of the m intervals between them): a page's or a segment's split of a period
    follows the site's. Outside the nodes, a flat rate at the reference's mean."""

    nodes: np.ndarray
    masses: np.ndarray

    def mass(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        lengths = np.diff(self.nodes)
        total = float(np.sum(self.masses))
        rate = total / float(np.sum(lengths)) if total > 0 else 1.0 / DAY_SECONDS
        floored = np.maximum(self.masses, SHAPE_FLOOR * rate * lengths)
        cumulative = np.concatenate([[0.0], np.cumsum(floored)])
        raw = self._at(ends, cumulative, rate) - self._at(starts, cumulative, rate)
        return np.maximum(raw, SHAPE_FLOOR * rate * (ends - starts)) / (rate * DAY_SECONDS)

    def _at(self, moments: np.ndarray, cumulative: np.ndarray, rate: float) -> np.ndarray:
        inside = np.interp(moments, self.nodes, cumulative)
        before = np.minimum(moments - self.nodes[0], 0.0) * rate
        after = np.maximum(moments - self.nodes[-1], 0.0) * rate
        return inside + before + after
