"""The planner: budget, reserve, order, numOfDays from the gap, no second fetch in a day."""

from datetime import datetime, timedelta, timezone

import pytest

from ingestion.api.snapshot import dimensions_key
from ingestion.collect.plan import num_days_for_gap, plan_project
from ingestion.config import DEFAULT_DIMENSION_SETS, default_policy

NOW = datetime(2026, 11, 2, 0, 10, tzinfo=timezone.utc)


def last_all(at: datetime) -> dict:
    return {dimensions_key(d): at for d in DEFAULT_DIMENSION_SETS}


def test_daily_run_asks_every_set_once_with_one_day():
    plan = plan_project(
        "shop",
        DEFAULT_DIMENSION_SETS,
        NOW,
        used_today=0,
        last_success=last_all(NOW - timedelta(days=1)),
        policy=default_policy(),
    )
    assert [r.dimensions for r in plan.requests] == [
        tuple(sorted(d)) for d in DEFAULT_DIMENSION_SETS
    ]
    assert {r.num_of_days for r in plan.requests} == {1}
    assert plan.quota_left_after == 0


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (timedelta(hours=24), 1),
        (timedelta(hours=26), 1),  # cron jitter within the slack
        (timedelta(hours=28), 2),
        (timedelta(days=2), 2),
        (timedelta(days=3), 3),
        (timedelta(days=9), 3),  # the API has no more than 72 hours
        (timedelta(hours=1), 1),
    ],
)
def test_num_days_closes_the_gap(gap, expected):
    assert num_days_for_gap(NOW - gap, NOW, default_policy()) == expected


def test_never_fetched_takes_what_the_api_still_has():
    assert num_days_for_gap(None, NOW, default_policy()) == 3
    assert num_days_for_gap(None, NOW, default_policy(initial_num_days=1)) == 1


def test_budget_reserve_and_used_limit_the_plan_in_config_order():
    plan = plan_project(
        "shop",
        DEFAULT_DIMENSION_SETS,
        NOW,
        used_today=3,
        last_success={},
        policy=default_policy(budget=8, reserve=2),
    )
    assert len(plan.requests) == 3
    assert [r.dimensions for r in plan.requests] == [(), ("URL",), ("Device", "URL")]
    assert len(plan.skipped) == len(DEFAULT_DIMENSION_SETS) - 3
    assert all("no budget left" in s.reason for s in plan.skipped)


def test_sets_fetched_today_are_skipped_unless_forced():
    earlier_today = NOW.replace(hour=0, minute=5)
    last = {dimensions_key(()): earlier_today, dimensions_key(("URL",)): NOW - timedelta(days=1)}
    plan = plan_project(
        "shop", [(), ("URL",)], NOW, used_today=1, last_success=last, policy=default_policy()
    )
    assert [r.dimensions for r in plan.requests] == [("URL",)]
    assert "already fetched today" in plan.skipped[0].reason
    forced = plan_project(
        "shop",
        [(), ("URL",)],
        NOW,
        used_today=1,
        last_success=last,
        policy=default_policy(),
        force=True,
    )
    assert [r.dimensions for r in forced.requests] == [(), ("URL",)]
    assert forced.requests[0].num_of_days == 1


def test_a_429_today_stops_all_spending():
    plan = plan_project(
        "shop",
        DEFAULT_DIMENSION_SETS,
        NOW,
        used_today=2,
        last_success={},
        policy=default_policy(),
        quota_exhausted_today=True,
    )
    assert plan.requests == []
    assert all("429" in s.reason for s in plan.skipped)


def test_used_beyond_budget_plans_nothing():
    plan = plan_project(
        "shop", DEFAULT_DIMENSION_SETS, NOW, used_today=12, last_success={}, policy=default_policy()
    )
    assert plan.requests == [] and plan.spendable == 0


@pytest.mark.parametrize(
    "kwargs", [{"budget": 11}, {"budget": 5, "reserve": 6}, {"initial_num_days": 4}]
)
def test_policy_rejects_impossible_settings(kwargs):
    with pytest.raises(ValueError):
        default_policy(**kwargs)


def test_a_budget_of_zero_plans_nothing_and_says_collection_is_paused():
    policy = default_policy(budget=0)
    assert policy.paused
    plan = plan_project(
        "shop", DEFAULT_DIMENSION_SETS, NOW, used_today=0, last_success={}, policy=policy
    )
    assert plan.requests == []
    assert len(plan.skipped) == len(DEFAULT_DIMENSION_SETS)
    assert all("collection is paused (daily_budget 0" in s.reason for s in plan.skipped)
