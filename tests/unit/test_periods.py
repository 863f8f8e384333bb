"""The completeness of a period (marts.period_completeness) over a hand-built warehouse, and the
sentences the report's summary and the highlights make of it."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from ingestion.outputs import marts
from ingestion.outputs.periods import MIN_COMMON_DAYS, Comparison, Completeness

DAY = date(2026, 10, 1)
# project -> (date offset, value source or None when missing, sessions, stated error)
DAYS = {
    "first-day": [
        (0, "solved_estimate", 145, 16.0),
        (1, "solved_estimate", 145, 16.0),
        (2, "solved_estimate", 145, 17.0),
        (3, None, None, None),  # awaiting collection
    ],
    "settled": [
        (0, "one_day_window", 100, None),
        (1, "nested_difference", 110, None),
        (2, "solved_exact", 120, None),
        (3, "solved_estimate", 130, 13.0),
        (4, None, None, None),
    ],
}


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "clarity.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_collection_daily (project varchar, activity_date date, "
        "is_missing boolean)"
    )
    con.execute(
        "create table marts.fct_site_daily (project varchar, activity_date date, "
        "value_source varchar, sessions bigint, sessions_error double)"
    )
    for project, days in DAYS.items():
        for offset, source, sessions, error in days:
            day = DAY + timedelta(days=offset)
            con.execute(
                "insert into marts.fct_collection_daily values (?, ?, ?)",
                [project, day, source is None],
            )
            if source is not None:
                con.execute(
                    "insert into marts.fct_site_daily values (?, ?, ?, ?, ?)",
                    [project, day, source, sessions, error],
                )
    con.close()
    return path


def test_the_period_counts_its_days_by_kind_per_project(warehouse):
    with marts.connect(warehouse) as con:
        rows = marts.records(con).period_completeness(DAY, DAY + timedelta(days=6))
    by_project = {row.pop("project"): row for row in rows}
    assert by_project["first-day"] == {
        "days": 4,
        "days_with_value": 3,
        "exact_days": 0,
        "estimated_days": 3,
        "first_value_date": DAY,
        "last_value_date": DAY + timedelta(days=2),
        "sessions": 435,
        "estimated_sessions": 435,
        "sessions_error": 49.0,
    }
    settled = by_project["settled"]
    assert (settled["days_with_value"], settled["exact_days"], settled["estimated_days"]) == (
        4,
        3,
        1,
    )
    assert (settled["sessions"], settled["estimated_sessions"]) == (460, 130)
    with marts.connect(warehouse) as con:
        only = marts.records(con).period_completeness(DAY + timedelta(days=1), DAY, "settled")
    assert only == []  # an empty range: no row, not a row of zeros


def test_the_sentences_say_how_many_days_and_of_which_kind(warehouse):
    with marts.connect(warehouse) as con:
        reader = marts.records(con)
        first, settled = (
            Completeness.of(row, 7)
            for row in reader.period_completeness(DAY, DAY + timedelta(days=6))
        )
    assert first.sessions_sentence() == (
        "435 sessions over 3 of the last 7 days (all 3 estimated, up to ±11%)."
    )
    assert first.alerts_sentence(0) == (
        "No day of the last 7 tested for signal alerts: its 3 day(s) with a value are "
        "estimates, which alerts never test."
    )
    assert settled.sessions_sentence() == (
        "460 sessions over 4 of the last 7 days (3 exact, 1 estimated, up to ±3%)."
    )
    assert settled.alerts_sentence(0) == (
        "No signal alert on the 3 tested day(s); 1 estimated day(s) are not tested."
    )
    assert settled.alerts_sentence(2).startswith("2 signal alert(s) on the 3 tested day(s)")
    empty = Completeness.of(None, 7)
    assert empty.sessions_sentence().startswith("No daily value in the last 7 days")
    assert (
        "nan"
        not in " ".join(
            [empty.sessions_sentence(), empty.alerts_sentence(0), empty.kinds()]
        ).lower()
    )


def test_a_comparison_needs_enough_common_dates():
    few = Comparison(MIN_COMMON_DAYS - 1, 300, 200)
    assert few.sessions_change is None
    assert few.sentence() == (
        f"No comparison with the week before: {MIN_COMMON_DAYS - 1} date(s) have a value in "
        f"both (at least {MIN_COMMON_DAYS} needed)."
    )
    made = Comparison(MIN_COMMON_DAYS, 330, 300, 2.5, 2.0)
    assert made.sentence() == (
        f"On the {MIN_COMMON_DAYS} dates with a value in both this week and the one before: "
        "330 sessions against 300 (+10%); frustration score +0.50."
    )
    assert "(-0.3%)" in Comparison(MIN_COMMON_DAYS, 997, 1000).sentence()  # never "-0%"
