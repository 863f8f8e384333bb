"""Missed and late collection, as a cron would leave them, with nested-window recovery switched
off (`recover_sets = 0`): two skipped runs closed by one 3-day catch-up, then a run three hours
late. The marts must leave the skipped dates empty (never invent a day from a multi-day window),
say why in fct_collection_daily, keep the catch-up as the 72-hour window it is in
fct_site_windows, and raise a collection alert per missed date; the late run's window still
gives its date a value (it covers 21 of its 24 hours). test_schedules.py covers recovery."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.ingest import ingest
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.conftest import START, collection_time, make_config
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

PROJECT = "contoso-docs"
# collection_time(d) is 00:10 UTC on date START + d; a daily run then covers date START + d - 1.
# d=1 is the first run (3 days); d=5 and d=6 are skipped, so d=7 asks 3 days; d=9 runs at 03:00
RUNS = [
    *(collection_time(d) for d in (1, 2, 3, 4, 7, 8)),
    collection_time(9, minutes=180),
    *(collection_time(d) for d in (10, 11)),
]
CATCH_UP = collection_time(7)


def _date(day: int) -> date:
    return (START + timedelta(days=day)).date()


def _dates(*days: int) -> list[date]:
    return [_date(day) for day in days]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("missed-collection")
    specs = [spec for spec in default_projects() if spec.name == PROJECT]
    with OfflineClarity(projects=specs, seed=5, start=START, days=13) as service:
        config = dataclasses.replace(
            make_config(service, folder, recover_sets=0), dimension_sets=((), ("URL",))
        )
        for when in RUNS:
            service.clock.set(when)
            assert not ingest(config, clock=service.clock.now).had_errors, when
    code, _ = run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed"
    return config.duckdb_path, service


def test_the_planner_closed_the_gap_with_one_three_day_window(warehouse):
    db, _ = warehouse
    asked = query(
        db,
        "select fetched_at, num_of_days from clarity_raw.snapshots "
        "where dimensions = '' order by fetched_at",
    )
    assert asked == [(when, 3 if when in (RUNS[0], CATCH_UP) else 1) for when in RUNS]


def test_missed_dates_have_no_daily_rows_and_the_late_one_has(warehouse):
    db, _ = warehouse
    with_value = _dates(1, 2, 3, 7, 8, 9, 10)
    for mart in ("fct_site_daily", "fct_page_daily", "fct_page_frustration_daily"):
        dates = query(db, f"select distinct activity_date from marts.{mart} order by 1")
        assert [d for (d,) in dates] == with_value, mart


def test_collection_daily_marks_each_missing_date_with_its_reason(warehouse):
    db, _ = warehouse
    rows = query(
        db,
        "select activity_date, is_missing, missing_reason, day_coverage, requests, "
        "snapshots_fetched from marts.fct_collection_daily where project = ? order by 1",
        [PROJECT],
    )
    by_date = {row[0]: row[1:] for row in rows}
    assert list(by_date) == _dates(*range(-2, 12))
    missing = {day: reason for day, (is_missing, reason, *_) in by_date.items() if is_missing}
    assert missing == {
        # before the first run: only its initial 3-day window
        **dict.fromkeys(_dates(-2, -1, 0), "only_multi_day_window"),
        # the first skipped date: the last daily window reaches 10 minutes into it
        _date(4): "coverage_below_threshold",
        **dict.fromkeys(_dates(5, 6), "only_multi_day_window"),
        # the current date at the last fetch
        _date(11): "awaiting_collection",
    }
    assert by_date[_date(4)][2] == pytest.approx(10 / 1440)
    assert by_date[_date(5)][2] is None and by_date[_date(6)][2] is None
    # the late run (03:00) covered 21 of its 24 hours: enough for a value
    assert by_date[_date(8)][:2] == (False, None)
    assert by_date[_date(8)][2] == pytest.approx(21 / 24)
    # no request and no snapshot on the UTC days the cron skipped; both sets on the catch-up day
    assert [by_date[d][3:] for d in _dates(5, 6, 7)] == [(0, 0), (0, 0), (2, 2)]


def test_the_catch_up_is_kept_as_a_72_hour_window(warehouse):
    db, service = warehouse
    [(num_of_days, chosen, start, end, sessions)] = query(
        db,
        "select num_of_days, chosen_for_date, window_start_at, window_end_at, sessions "
        "from marts.fct_site_windows where fetched_at = ?",
        [CATCH_UP],
    )
    assert (num_of_days, chosen) == (3, None)
    assert (start, end) == (CATCH_UP - timedelta(hours=72), CATCH_UP)
    # the window holds three days of sessions (shifted by the 10 minutes after midnight)
    true_three_days = sum(service.truth_site_daily(PROJECT, d)["sessions"] for d in _dates(4, 5, 6))
    assert sessions == pytest.approx(true_three_days, rel=0.02)


def test_daily_values_are_single_one_day_windows_never_window_arithmetic(warehouse):
    db, service = warehouse
    rows = query(
        db,
        "select d.activity_date, w.num_of_days, w.chosen_for_date, w.fetched_at, d.sessions, "
        "w.sessions, d.rage_click_rate, w.rage_click_rate, d.day_coverage "
        "from marts.fct_site_daily as d "
        "inner join marts.fct_site_windows as w on d.snapshot_id = w.snapshot_id "
        "where d.project = ? order by 1",
        [PROJECT],
    )
    assert len(rows) == 7
    for day, num_of_days, chosen, _, sessions, window_sessions, rate, window_rate, _ in rows:
        assert (num_of_days, chosen) == (1, day)
        assert (sessions, rate) == (window_sessions, window_rate)
    # the day after the gap comes from the next run's own one-day window, with its own sessions
    day_after = next(row for row in rows if row[0] == _date(7))
    assert day_after[3] == collection_time(8)
    assert day_after[8] == pytest.approx(1430 / 1440)
    truth = service.truth_site_daily(PROJECT, _date(7))["sessions"]
    assert day_after[4] == pytest.approx(truth, rel=0.02)
    [(catch_up_sessions,)] = query(
        db, "select sessions from marts.fct_site_windows where fetched_at = ?", [CATCH_UP]
    )
    assert day_after[4] < catch_up_sessions / 2  # one day's sessions, not the catch-up's


def test_each_missed_date_raises_a_collection_alert(warehouse):
    db, _ = warehouse
    alerts = query(
        db,
        "select activity_date, metric, observed, expected, strength, rule "
        "from marts.fct_alerts where scope = 'collection' and project = ? order by 1",
        [PROJECT],
    )
    assert [(day, metric, strength) for day, metric, _, _, strength, _ in alerts] == [
        (_date(-2), "collection", 1),
        (_date(-1), "collection", 2),
        (_date(0), "collection", 3),
        (_date(4), "collection", 1),
        (_date(5), "collection", 2),
        (_date(6), "collection", 3),
    ]
    by_date = {day: (observed, expected, rule) for day, _, observed, expected, _, rule in alerts}
    assert by_date[_date(4)] == (
        pytest.approx(10 / 1440),
        0.5,
        "collection day missing: coverage_below_threshold",
    )
    assert by_date[_date(5)] == (0, 0.5, "collection day missing: only_multi_day_window")
