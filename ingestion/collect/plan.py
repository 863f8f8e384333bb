"""Which requests to send today. Per project and UTC day (the API's quota resets at 00:00 UTC) a
budget (10 by default, lower if configured, minus a reserve); an ordered list of dimension sets,
each asked once per day of the project's own time zone; numOfDays from the gap since the set's
last successful snapshot.

After a gap (an outage, a stopped cron, a first run) every due set first gets one window as long
as the gap (3 days at most): a set left unasked loses the days that fall out of the API's reach
before the next run, and the window solver turns one window into estimated days. Only then does
the budget left buy nested windows (1, 2 and 3 days asked back to back, ending at one moment,
whose differences are the exact days of the gap) for the first `recover_sets` sets, as deep as
the gap and as far as the budget goes. `Forecast` says per set which days the plan makes exact,
estimated or lost. Pure functions: no I/O, no clock."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from ingestion.api.contract import DAILY_QUOTA, VALID_NUM_DAYS
from ingestion.api.snapshot import dimensions_key, to_utc
from ingestion.collect.schedule import collection

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class PlannedRequest:
    project: str
    dimensions: tuple[str, ...]
    num_of_days: int
    reason: str


@dataclass(frozen=True)
class Skipped:
    dimensions: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Forecast:
    """What one set's requests today do for its days (dates of the project's zone): `exact`
    where two of today's windows start a day apart (or one window of one day), `estimated` where
    only a longer window covers the day (the window solver estimates it, exact in sum), `lost`
    where the gap reaches further back than the API keeps (3 days) or further than the next run
    can still ask, `waiting` for a set not asked today whose days the next run can still reach."""

    dimensions: tuple[str, ...]
    exact: tuple[date, ...] = ()
    estimated: tuple[date, ...] = ()
    lost: tuple[date, ...] = ()
    waiting: tuple[date, ...] = ()


@dataclass
class ProjectPlan:
    project: str
    day: date  # the UTC day whose quota is spent
    budget: int
    reserve: int
    used_today: int
    requests: list[PlannedRequest] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # recovery sets whose gap wanted nested windows that the budget left after one window per
    # set could not buy (all of them, or all but the shortest)
    fallbacks: list[str] = field(default_factory=list)
    # per set due today (asked or not), what the plan does for the days since its last success
    forecasts: list[Forecast] = field(default_factory=list)

    def set_days(self) -> dict[str, int]:
        """Days of every set due today, by what the plan makes of them."""
        kinds = ("exact", "estimated", "lost", "waiting")
        return {kind: sum(len(getattr(f, kind)) for f in self.forecasts) for kind in kinds}

    @property
    def spendable(self) -> int:
        return max(0, self.budget - self.reserve - self.used_today)

    @property
    def quota_left_after(self) -> int:
        return max(0, self.budget - self.used_today - len(self.requests))


@dataclass(frozen=True)
class PlanPolicy:
    """How the quota is spent: each field is the setting of the same name (documented, with its
    default and range, in ingestion/config.py, ClaritySettings). The checks below are the
    planner's own invariants, for a policy built by hand."""

    daily_budget: int
    reserve: int
    gap_slack_hours: float
    initial_num_days: int
    recover_sets: int

    def __post_init__(self) -> None:
        if not 0 <= self.daily_budget <= DAILY_QUOTA:
            raise ValueError(f"daily_budget must be 0..{DAILY_QUOTA}, got {self.daily_budget}")
        if not 0 <= self.reserve <= self.daily_budget:
            raise ValueError(
                f"reserve must be 0..daily_budget ({self.daily_budget}), got {self.reserve}"
            )
        if self.initial_num_days not in VALID_NUM_DAYS:
            raise ValueError(f"initial_num_days must be 1, 2 or 3, got {self.initial_num_days}")
        if self.gap_slack_hours < 0:
            raise ValueError(f"gap_slack_hours must be >= 0, got {self.gap_slack_hours}")
        if self.recover_sets < 0:
            raise ValueError(f"recover_sets must be >= 0, got {self.recover_sets}")

    @property
    def paused(self) -> bool:
        """A budget of 0 (or all of it reserved): nothing is asked."""
        return self.daily_budget - self.reserve <= 0


def num_days_for_gap(last_success: datetime | None, now: datetime, policy: PlanPolicy) -> int:
    """1 when run daily, 2 or 3 to close a gap (3 is all the API still has)."""
    return min(_gap_days(last_success, now, policy), max(VALID_NUM_DAYS))


def _gap_days(last: datetime | None, now: datetime, policy: PlanPolicy) -> int:
    """The 24-hour periods since the last success (uncapped: beyond 3 they are out of reach);
    a gap under N x 24 h + `gap_slack_hours` is N."""
    if last is None:
        return policy.initial_num_days
    gap_hours = (to_utc(now) - to_utc(last)).total_seconds() / 3600
    return max(math.ceil((gap_hours - policy.gap_slack_hours) / 24), 1)


def _period_date(now: datetime, ago: int, zone: tzinfo) -> date:
    """The date of the 24-hour period that ends `ago - 1` days before `now` (the date a one-day
    window fetched then would give)."""
    return collection(now - timedelta(days=ago - 1), zone).serves


def forecast(
    dims: tuple[str, ...],
    lengths: Sequence[int],
    last: datetime | None,
    now: datetime,
    policy: PlanPolicy,
    zone: tzinfo = UTC,
) -> Forecast:
    """What windows of `lengths` days, all ending at `now`, make of a set's days since `last`
    (no lengths: the set is not asked today). Period k (the 24 hours ending k - 1 days before
    `now`) is exact when windows start at both of its edges (`now` is the edge of every window),
    so that it is one window or the difference of two; else estimated if a window covers it."""
    gap = _gap_days(last, now, policy)
    reach = max(VALID_NUM_DAYS)
    days = {k: _period_date(now, k, zone) for k in range(1, gap + 1)}
    if not lengths:
        # the next run (a day later) reaches the periods that are then at most `reach` days old
        waiting = tuple(days[k] for k in sorted(days) if k + 1 <= reach)
        lost = tuple(days[k] for k in sorted(days) if k + 1 > reach)
        return Forecast(dims, lost=lost[::-1], waiting=waiting[::-1])
    edges = {0, *lengths}
    exact, estimated, lost = [], [], []
    for k in sorted(days, reverse=True):
        if k > max(lengths):
            lost.append(days[k])
        elif k - 1 in edges and k in edges:
            exact.append(days[k])
        else:
            estimated.append(days[k])
    return Forecast(dims, tuple(exact), tuple(estimated), tuple(lost))


def plan_project(
    project: str,
    dimension_sets: Sequence[Sequence[str]],
    now: datetime,
    *,
    used_today: int,
    last_success: Mapping[str, datetime],
    policy: PlanPolicy,
    quota_exhausted_today: bool = False,
    force: bool = False,
    zone: tzinfo = UTC,
) -> ProjectPlan:
    """The requests for one project today.

    `last_success` maps a dimension key (see api.snapshot.dimensions_key) to the fetch time of
    the set's latest successful snapshot; a set fetched on the project's current day (in `zone`)
    is not asked again unless `force`. `quota_exhausted_today` is set when the API already
    answered 429 this UTC day: nothing more is spent until the next one.
    """
    now = to_utc(now)
    local_today = now.astimezone(zone).date()
    plan = ProjectPlan(
        project=project,
        day=now.date(),
        budget=policy.daily_budget,
        reserve=policy.reserve,
        used_today=used_today,
    )
    left = 0 if quota_exhausted_today else plan.spendable
    # first pass: one window per due set, in the configured order, while the budget lasts
    due: list[tuple[int, tuple[str, ...], datetime | None, int]] = []
    lengths: dict[tuple[str, ...], list[int]] = {}
    for position, dims in enumerate(dimension_sets):
        dims = tuple(sorted(dims))
        last = last_success.get(dimensions_key(dims))
        if last is not None and to_utc(last).astimezone(zone).date() == local_today and not force:
            local = to_utc(last).astimezone(zone)
            plan.skipped.append(
                Skipped(dims, f"already fetched today at {local:%H:%M} {_zone_name(zone)}")
            )
            continue
        due.append((position, dims, last, num_days_for_gap(last, now, policy)))
        if left <= 0:
            reason = _no_budget_reason(plan, policy, quota_exhausted_today)
            plan.skipped.append(Skipped(dims, reason))
            continue
        lengths[dims] = [due[-1][3]]
        left -= 1
    # second pass: the budget left buys nested windows for the first `recover_sets` sets
    for position, dims, _last, days in due:
        if dims not in lengths or days == 1 or position >= policy.recover_sets:
            continue
        extra = min(days - 1, left)
        lengths[dims] = [*range(1, extra + 1), days]
        left -= extra
        if extra < days - 1:
            plan.fallbacks.append(dimensions_key(dims))
    for _position, dims, last, days in due:
        asked = lengths.get(dims, [])
        plan.forecasts.append(forecast(dims, asked, last, now, policy, zone))
        for length in asked:
            plan.requests.append(
                PlannedRequest(project, dims, length, _reason(last, now, days, length, asked))
            )
    return plan


def _reason(
    last: datetime | None, now: datetime, days: int, length: int, asked: Sequence[int]
) -> str:
    gap = "never fetched" if last is None else f"last success {_hours(now, last):.1f} h ago"
    if len(asked) == days and days > 1:
        return (
            f"{gap}: nested window {length} of {days} (asked back to back; their differences "
            "are the days of the gap)"
        )
    if len(asked) > 1:
        return (
            f"{gap}: window {length} of {', '.join(map(str, asked))} days (asked back to back; "
            f"nested windows of all {days} lengths need {days - len(asked)} more requests than "
            "today's budget left after one window per set)"
        )
    if days > 1:
        return (
            f"{gap}: numOfDays={days}, one window over the gap (the window solver estimates "
            "its days, exact in sum)"
        )
    return f"{gap}: numOfDays={days}"


def _hours(now: datetime, last: datetime) -> float:
    return (now - to_utc(last)).total_seconds() / 3600


def _zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def _no_budget_reason(plan: ProjectPlan, policy: PlanPolicy, quota_exhausted: bool) -> str:
    if quota_exhausted:
        return "the API answered 429 today"
    if policy.paused:
        return (
            f"collection is paused (daily_budget {policy.daily_budget}, reserve {policy.reserve})"
        )
    return (
        f"no budget left today ({plan.used_today} used, daily_budget {policy.daily_budget}, "
        f"reserve {policy.reserve})"
    )
