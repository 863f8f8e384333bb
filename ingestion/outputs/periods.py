"""How complete a period's daily values are, in words: the days with a value and of which kind,
the bound of the estimates' error, the like-for-like comparison with the period before and the
days the alerts tested. The report's summary and the highlights say their figures this way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# A period is compared with the one before only on the dates (same weekday, one period apart)
# with a value in both; below this many such dates, a majority of a week, the comparison would
# weigh a few days against each other, so it is not made and the sentence says so.
MIN_COMMON_DAYS = 4
# A score is placed among the site's own days (its percentile) only when at least this many of
# them have a score: four weeks hold every weekday four times (traffic and frustration follow
# the week), and with fewer days one day more or less moves the percentile by over 3.5 points.
MIN_HISTORY_DAYS = 28


@dataclass(frozen=True)
class Completeness:
    """The daily site values of `days` consecutive dates (a row of
    MartsReader.period_completeness)."""

    days: int
    with_value: int = 0
    exact: int = 0
    estimated: int = 0
    sessions: int = 0
    sessions_error: float = 0.0  # the sum of the estimated days' stated errors
    first: date | None = None  # the first and last date with a value
    last: date | None = None

    @classmethod
    def of(cls, row: dict[str, Any] | None, days: int) -> Completeness:
        if not row:
            return cls(days)
        return cls(
            days=days,
            with_value=int(row["days_with_value"]),
            exact=int(row["exact_days"]),
            estimated=int(row["estimated_days"]),
            sessions=int(row["sessions"]),
            sessions_error=float(row["sessions_error"] or 0.0),
            first=_day(row["first_value_date"]),
            last=_day(row["last_value_date"]),
        )

    @property
    def error_share(self) -> float | None:
        """The bound of the sessions' relative error (the estimates' stated errors added up,
        the worst case), None when no day is estimated."""
        if not self.estimated or not self.sessions:
            return None
        return self.sessions_error / self.sessions

    def kinds(self) -> str:
        """Of which kind the days with a value are: "all 3 estimated, up to ±11%"."""
        error = self.error_share
        bound = f", up to ±{error:.0%}" if error is not None and error >= 0.005 else ""
        if error is not None and not bound:
            bound = ", under ±1%"
        if self.estimated == self.with_value:
            return f"all {self.estimated} estimated{bound}"
        if not self.estimated:
            return f"all {self.exact} exact"
        return f"{self.exact} exact, {self.estimated} estimated{bound}"

    def sessions_sentence(self) -> str:
        """ "5,139 sessions over 3 of the last 7 days (all 3 estimated, up to ±4%)." """
        if not self.with_value:
            return f"No daily value in the last {self.days} days yet: no sessions to count."
        return (
            f"{self.sessions:,} sessions over {self.with_value} of the last {self.days} days "
            f"({self.kinds()})."
        )

    def alerts_sentence(self, alerts: int) -> str:
        """What the signal alerts of the period say, and on how many days they tested: alerts
        never test an estimated day, so no alert on estimates means not tested."""
        untested = f"; {self.estimated} estimated day(s) are not tested" if self.estimated else ""
        if not self.exact:
            if not self.with_value:
                return f"No day of the last {self.days} tested for signal alerts: no value yet."
            return (
                f"No day of the last {self.days} tested for signal alerts: its "
                f"{self.estimated} day(s) with a value are estimates, which alerts never test."
            )
        if alerts:
            return f"{alerts} signal alert(s) on the {self.exact} tested day(s){untested}."
        return f"No signal alert on the {self.exact} tested day(s){untested}."


@dataclass(frozen=True)
class Comparison:
    """Two periods on the dates with a value in both (`common_days` of them)."""

    common_days: int
    sessions: int = 0
    previous_sessions: int = 0
    score: float | None = None  # sessions-weighted frustration score over those dates
    previous_score: float | None = None

    @property
    def made(self) -> bool:
        return self.common_days >= MIN_COMMON_DAYS

    @property
    def sessions_change(self) -> float | None:
        if not self.made or not self.previous_sessions:
            return None
        return self.sessions / self.previous_sessions - 1

    def sentence(self, period: str = "week") -> str:
        if not self.made:
            return (
                f"No comparison with the {period} before: {self.common_days} date(s) have a "
                f"value in both (at least {MIN_COMMON_DAYS} needed)."
            )
        change = self.sessions_change
        text = (
            f"On the {self.common_days} dates with a value in both this {period} and the one "
            f"before: {self.sessions:,} sessions against {self.previous_sessions:,}"
        )
        if change is not None:
            text += f" ({change:+.0%})" if abs(change) >= 0.01 else f" ({change:+.1%})"
        if self.score is not None and self.previous_score is not None:
            text += f"; frustration score {self.score - self.previous_score:+.2f}"
        return text + "."


@dataclass(frozen=True)
class Placement:
    """A 7-day frustration score among the site's own 7-day scores ending on each of the last
    `days` dates with a score (a MartsReader.score_percentile answer)."""

    days: int
    days_with_score: int
    estimated_days: int
    days_below: int
    percentile: float | None

    @classmethod
    def of(cls, answer: dict[str, Any]) -> Placement:
        return cls(**{name: answer[name] for name in cls.__dataclass_fields__})

    @property
    def made(self) -> bool:
        return self.days_with_score >= MIN_HISTORY_DAYS

    def sentence(self) -> str:
        """ "That is higher than 64% of the site's 7-day scores ending on its 85 days with a
        score of the last 90 (lower is better)." """
        if not self.made:
            return (
                f"Not enough history to say whether that is high for this site: "
                f"{self.days_with_score} of its last {self.days} days have a score (at least "
                f"{MIN_HISTORY_DAYS} needed)."
            )
        estimated = f", {self.estimated_days} of them estimated" if self.estimated_days else ""
        return (
            f"That is higher than {self.percentile:.0f}% of the site's 7-day scores ending on "
            f"its {self.days_with_score} days with a score of the last {self.days}{estimated} "
            "(lower is better)."
        )


def _day(value: Any) -> date | None:
    """A date from a DuckDB record or a DataFrame cell (Timestamp, NaT)."""
    if value is None or value != value:
        return None
    return value.date() if hasattr(value, "date") and callable(value.date) else value
