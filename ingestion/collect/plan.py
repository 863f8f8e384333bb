"""Which requests to send today: per project and UTC day a budget (10 by default, lower if
configured, minus a reserve), an ordered list of dimension sets, and numOfDays chosen from the gap
since each set's last successful snapshot. Pure functions: no I/O, no clock."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from ingestion.api.contract import DAILY_QUOTA, VALID_NUM_DAYS
from ingestion.api.snapshot import dimensions_key, to_utc


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
    day: date
    budget: int
    reserve: int
    used_today: int
    requests: list[PlannedRequest] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def spendable(self) -> int:
        return max(0, self.budget - self.reserve - self.used_today)

    @property
    def quota_left_after(self) -> int:
        return max(0, self.budget - self.used_today - len(self.requests))


@dataclass(frozen=True)
class PlanPolicy:
    """How the quota is spent (defaults and user settings: ingestion/config.py)."""

    # requests per project and UTC day this pipeline may spend; 0 pauses collection
    budget: int
    # requests per day kept back for manual calls
    reserve: int
    # a gap shorter than N*24h + slack still counts as N days (cron jitter, slow runs)
    gap_slack_hours: float
    # numOfDays for a set never fetched before: the API still holds 72 hours
    initial_num_days: int

    def __post_init__(self) -> None:
        if not 0 <= self.budget <= DAILY_QUOTA:
            raise ValueError(f"daily_budget must be 0..{DAILY_QUOTA}, got {self.budget}")
        if not 0 <= self.reserve <= self.budget:
            raise ValueError(f"reserve must be 0..daily_budget ({self.budget}), got {self.reserve}")
        if self.initial_num_days not in VALID_NUM_DAYS:
            raise ValueError(f"initial_num_days must be 1, 2 or 3, got {self.initial_num_days}")
        if self.gap_slack_hours < 0:
            raise ValueError(f"gap_slack_hours must be >= 0, got {self.gap_slack_hours}")

    @property
    def paused(self) -> bool:
        """A budget of 0 (or all of it reserved): nothing is asked."""
        return self.budget - self.reserve <= 0


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
) -> ProjectPlan:
    """The requests for one project today.

    `last_success` maps a dimension key (see snapshots.dimensions_key) to the fetch time of the
    set's latest successful snapshot. `quota_exhausted_today` is set when the API already answered
    429 today: nothing more is spent until the next UTC day.
    """
    now = to_utc(now)
    today = now.date()
    plan = ProjectPlan(
        project=project,
        day=today,
        budget=policy.budget,
        reserve=policy.reserve,
        used_today=used_today,
    )
    left = 0 if quota_exhausted_today else plan.spendable
    for dims in dimension_sets:
        dims = tuple(sorted(dims))
        key = dimensions_key(dims)
        last = last_success.get(key)
        if last is not None and to_utc(last).date() == today and not force:
            plan.skipped.append(Skipped(dims, f"already fetched today at {to_utc(last):%H:%M} UTC"))
            continue
        if left <= 0:
            if quota_exhausted_today:
                reason = "the API answered 429 today"
            elif policy.paused:
                reason = (
                    f"collection is paused (daily_budget {policy.budget}, reserve {policy.reserve})"
                )
            else:
                reason = (
                    f"no budget left today ({used_today} used, daily_budget {policy.budget}, "
                    f"reserve {policy.reserve})"
                )
            plan.skipped.append(Skipped(dims, reason))
            continue
        days = num_days_for_gap(last, now, policy)
        if last is None:
            reason = f"never fetched: numOfDays={days}"
        else:
            hours = (now - to_utc(last)).total_seconds() / 3600
            reason = f"last success {hours:.1f} h ago: numOfDays={days}"
        plan.requests.append(PlannedRequest(project, dims, days, reason))
        left -= 1
    return plan
