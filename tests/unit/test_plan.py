"""The planner: budget, reserve, order, numOfDays from the gap, no second fetch in a day."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

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
        policy=default_policy(daily_budget=8, reserve=2, recover_sets=0),
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
    "kwargs", [{"daily_budget": 11}, {"daily_budget": 5, "reserve": 6}, {"initial_num_days": 4}]
)
def test_policy_rejects_impossible_settings(kwargs):
    with pytest.raises(ValueError):
        default_policy(**kwargs)


def test_a_budget_of_zero_plans_nothing_and_says_collection_is_paused():
    policy = default_policy(daily_budget=0)
    assert policy.paused
    plan = plan_project(
        "shop", DEFAULT_DIMENSION_SETS, NOW, used_today=0, last_success={}, policy=policy
    )
    assert plan.requests == []
    assert len(plan.skipped) == len(DEFAULT_DIMENSION_SETS)
    assert all("collection is paused (daily_budget 0" in s.reason for s in plan.skipped)


def test_after_a_gap_every_set_gets_one_window_before_any_set_gets_nested_windows():
    last = last_all(NOW - timedelta(days=3))  # two daily runs missed
    plan = plan_project(
        "shop",
        DEFAULT_DIMENSION_SETS,
        NOW,
        used_today=0,
        last_success=last,
        policy=default_policy(),
    )
    # ten sets, ten requests: a 3-day window each (none skipped), nothing left for nesting
    assert [(r.dimensions, r.num_of_days) for r in plan.requests] == [
        (tuple(sorted(d)), 3) for d in DEFAULT_DIMENSION_SETS
    ]
    assert plan.skipped == []
    assert "one window over the gap" in plan.requests[0].reason
    assert plan.fallbacks == ["", "URL"]  # the two recovery sets wanted nested windows
    assert plan.set_days() == {"exact": 0, "estimated": 30, "lost": 0, "waiting": 0}


def test_budget_left_after_one_window_per_set_buys_nested_windows_in_order():
    last = last_all(NOW - timedelta(days=3))
    sets = [(), ("URL",), ("Device",)]
    plan = plan_project("shop", sets, NOW, used_today=0, last_success=last, policy=default_policy())
    # three windows, then 7 left: the site and URL sets get 1, 2 and 3 days back to back
    assert [(r.dimensions, r.num_of_days) for r in plan.requests] == [
        ((), 1),
        ((), 2),
        ((), 3),
        (("URL",), 1),
        (("URL",), 2),
        (("URL",), 3),
        (("Device",), 3),
    ]
    assert "nested window 2 of 3" in plan.requests[1].reason
    assert plan.fallbacks == []
    site, url, device = plan.forecasts
    gap_dates = (
        NOW.date() - timedelta(days=3),
        NOW.date() - timedelta(days=2),
        NOW.date() - timedelta(days=1),
    )
    assert site.exact == url.exact == gap_dates and site.estimated == ()
    assert device.exact == () and device.estimated == gap_dates
    assert plan.set_days() == {"exact": 6, "estimated": 3, "lost": 0, "waiting": 0}


def test_a_two_day_gap_needs_two_nested_windows_and_a_first_run_three():
    two_days = last_all(NOW - timedelta(days=2))
    plan = plan_project(
        "shop", [(), ("URL",)], NOW, used_today=0, last_success=two_days, policy=default_policy()
    )
    assert [r.num_of_days for r in plan.requests] == [1, 2, 1, 2]
    first = plan_project("shop", [()], NOW, used_today=0, last_success={}, policy=default_policy())
    assert [r.num_of_days for r in first.requests] == [1, 2, 3]
    assert "never fetched" in first.requests[0].reason


def test_a_budget_short_of_full_nesting_buys_the_shortest_window_first():
    last = last_all(NOW - timedelta(days=3))
    plan = plan_project(
        "shop",
        [(), ("URL",)],
        NOW,
        used_today=0,
        last_success=last,
        policy=default_policy(daily_budget=3),
    )
    # one window each, then one left: the site's 1-day window, whose day is exact
    assert [(r.dimensions, r.num_of_days) for r in plan.requests] == [
        ((), 1),
        ((), 3),
        (("URL",), 3),
    ]
    assert plan.fallbacks == ["", "URL"]
    assert "window 1 of 1, 3 days" in plan.requests[0].reason
    site = plan.forecasts[0]
    assert site.exact == (NOW.date() - timedelta(days=1),)
    assert site.estimated == (NOW.date() - timedelta(days=3), NOW.date() - timedelta(days=2))


def test_a_set_the_budget_cannot_reach_waits_and_loses_what_the_next_run_cannot_ask():
    last = last_all(NOW - timedelta(days=3))
    plan = plan_project(
        "shop",
        [(), ("URL",)],
        NOW,
        used_today=0,
        last_success=last,
        policy=default_policy(daily_budget=1),
    )
    assert [(r.dimensions, r.num_of_days) for r in plan.requests] == [((), 3)]
    url = plan.forecasts[1]
    # tomorrow's 3-day window reaches back to 2 days before today: the oldest day is lost
    assert url.lost == (NOW.date() - timedelta(days=3),)
    assert url.waiting == (NOW.date() - timedelta(days=2), NOW.date() - timedelta(days=1))
    assert plan.set_days() == {"exact": 0, "estimated": 3, "lost": 1, "waiting": 2}


def test_a_gap_longer_than_the_api_keeps_loses_its_oldest_days():
    last = last_all(NOW - timedelta(days=5))
    plan = plan_project("shop", [()], NOW, used_today=0, last_success=last, policy=default_policy())
    assert [r.num_of_days for r in plan.requests] == [1, 2, 3]
    site = plan.forecasts[0]
    assert site.lost == (NOW.date() - timedelta(days=5), NOW.date() - timedelta(days=4))
    assert len(site.exact) == 3


def test_a_daily_run_asks_one_window_even_for_recovery_sets():
    plan = plan_project(
        "shop",
        DEFAULT_DIMENSION_SETS,
        NOW,
        used_today=0,
        last_success=last_all(NOW - timedelta(days=1)),
        policy=default_policy(),
    )
    assert [r.num_of_days for r in plan.requests] == [1] * 10
    assert plan.fallbacks == []
    assert {f.exact for f in plan.forecasts} == {(NOW.date() - timedelta(days=1),)}
    assert plan.set_days() == {"exact": 10, "estimated": 0, "lost": 0, "waiting": 0}


def test_today_is_the_projects_day():
    new_york = ZoneInfo("America/New_York")
    # 03:30 UTC on 2 Nov is 23:30 on 1 Nov in New York: a fetch at 05:00 UTC on 1 Nov (01:00
    # local, 1 Nov) was today there, though it was yesterday in UTC
    now = datetime(2026, 11, 2, 3, 30, tzinfo=timezone.utc)
    last = {dimensions_key(()): datetime(2026, 11, 1, 5, 0, tzinfo=timezone.utc)}
    kwargs = {"used_today": 0, "last_success": last, "policy": default_policy()}
    local = plan_project("shop", [()], now, zone=new_york, **kwargs)
    assert local.requests == []
    assert "already fetched today at 01:00 America/New_York" in local.skipped[0].reason
    utc = plan_project("shop", [()], now, **kwargs)
    assert [r.num_of_days for r in utc.requests] == [1]
    assert local.day == utc.day == now.date()  # the quota's day stays the UTC day
