"""Missed and late collection, as a cron would leave them, with nested-window recovery switched
off (`recover_sets = 0`): two skipped runs closed by one 3-day catch-up, then a run three hours
late. One-day windows give their dates as fetched; the dates only the catch-up (or the first
run's 3-day window) covers get the window solver's estimates, labelled `solved_estimate`, with a
stated error that holds the truth, and are no longer missing collection days; the catch-up stays
the 72-hour window it is in fct_site_windows; the late run's window still gives its date a
value (it covers 21 of its 24 hours). test_schedules.py covers recovery."""

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


def test_every_date_the_windows_reach_has_a_value_labelled_by_its_source(warehouse):
    db, service = warehouse
    measured = _dates(1, 2, 3, 7, 8, 9, 10)
    solved = _dates(-2, -1, 0, 4, 5, 6)
    for mart in ("fct_site_daily", "fct_page_daily", "fct_page_frustration_daily"):
        dates = query(db, f"select distinct activity_date from marts.{mart} order by 1")
        assert [d for (d,) in dates] == sorted(measured + solved), mart
    sources = dict(
        query(
            db,
            "select activity_date, value_source from marts.fct_site_daily where project = ?",
            [PROJECT],
        )
    )
    assert {d for d, source in sources.items() if source == "one_day_window"} == set(measured)
    assert {d for d, source in sources.items() if source == "solved_estimate"} == set(solved)
    # each estimate's stated error holds the truth of its 24-hour period
    for day, sessions, error, start, end in query(
        db,
        "select activity_date, sessions, sessions_error, window_start_at, window_end_at "
        "from marts.fct_site_daily where value_source = 'solved_estimate' and project = ?",
        [PROJECT],
    ):
        truth = service.truth_site_window(PROJECT, start, end)["sessions"]
        assert error > 0 and abs(sessions - truth) <= error + 1, (day, sessions, truth, error)


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
    # the solver gives every date a window reaches; only the current date waits
    assert missing == {_date(11): "awaiting_collection"}
    # the first period between the last daily fetch and the catch-up covers date 4 from 00:10
    assert by_date[_date(4)][2] == pytest.approx(1430 / 1440)
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


def test_one_day_windows_keep_their_own_values(warehouse):
    db, service = warehouse
    rows = query(
        db,
        "select d.activity_date, w.num_of_days, w.chosen_for_date, w.fetched_at, d.sessions, "
        "w.sessions, d.rage_click_rate, w.rage_click_rate, d.day_coverage "
        "from marts.fct_site_daily as d "
        "inner join marts.fct_site_windows as w on d.snapshot_id = w.snapshot_id "
        "where d.project = ? and d.value_source = 'one_day_window' order by 1",
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


def test_no_collection_alert_for_a_date_with_a_solved_value(warehouse):
    db, _ = warehouse
    alerts = query(
        db,
        "select activity_date from marts.fct_alerts where scope = 'collection' and project = ?",
        [PROJECT],
    )
    assert alerts == []


def test_the_missed_days_are_one_collection_incident_recovered(warehouse):
    """The dates the skipped runs left to the catch-up (4 to 6) had no day of their own: one
    incident, resolved as recovered on the day after (their values are estimates now); the
    first run's earlier dates (-2 to 0) were never missed (nothing was collected before)."""
    db, _ = warehouse
    rows = query(
        db,
        "select opened_on, last_seen_on, resolved_on, status, resolution, alert_days "
        "from marts.fct_incidents where project = ?",
        [PROJECT],
    )
    assert rows == [(_date(4), _date(6), _date(7), "resolved", "recovered", 3)]
