"""Which requests to send today. Per project and UTC day (the API's quota resets at 00:00 UTC) a
budget (10 by default, lower if configured, minus a reserve); an ordered list of dimension sets,
each asked once per day of the project's own time zone; numOfDays from the gap since the set's
last successful snapshot. After a gap (an outage, a stopped cron, a first run) the first
`recover_sets` sets get nested windows (1, 2 and 3 days asked back to back, ending at the same
moment), whose differences are the exact days of the gap; the other sets one window.
Pure functions: no I/O, no clock."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from ingestion.api.contract import DAILY_QUOTA, VALID_NUM_DAYS
from ingestion.api.snapshot import dimensions_key, to_utc

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


@dataclass
class ProjectPlan:
    project: str
    day: date  # the UTC day whose quota is spent
    budget: int
    reserve: int
    used_today: int
    requests: list[PlannedRequest] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # sets that needed nested windows but got one window: the budget was too small
    fallbacks: list[str] = field(default_factory=list)

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
    if last_success is None:
        return policy.initial_num_days
    gap_hours = (to_utc(now) - to_utc(last_success)).total_seconds() / 3600
    days = math.ceil((gap_hours - policy.gap_slack_hours) / 24)
    return min(max(days, 1), max(VALID_NUM_DAYS))


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
    for position, dims in enumerate(dimension_sets):
        dims = tuple(sorted(dims))
        last = last_success.get(dimensions_key(dims))
        if last is not None and to_utc(last).astimezone(zone).date() == local_today and not force:
            local = to_utc(last).astimezone(zone)
            plan.skipped.append(
                Skipped(dims, f"already fetched today at {local:%H:%M} {_zone_name(zone)}")
            )
            continue
        if left <= 0:
            reason = _no_budget_reason(plan, policy, quota_exhausted_today)
            plan.skipped.append(Skipped(dims, reason))
            continue
        days = num_days_for_gap(last, now, policy)
        gap = "never fetched" if last is None else f"last success {_hours(now, last):.1f} h ago"
        if days > 1 and position < policy.recover_sets:
            if left >= days:
                for length in range(1, days + 1):
                    reason = (
                        f"{gap}: nested window {length} of {days} (asked back to back; their "
                        "differences are the days of the gap)"
                    )
                    plan.requests.append(PlannedRequest(project, dims, length, reason))
                left -= days
                continue
            plan.fallbacks.append(dimensions_key(dims))
            reason = (
                f"{gap}: numOfDays={days}, one window: nested windows need {days} requests "
                f"and {left} are left today"
            )
        else:
            reason = f"{gap}: numOfDays={days}"
        plan.requests.append(PlannedRequest(project, dims, days, reason))
        left -= 1
    return plan


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
