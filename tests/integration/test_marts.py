"""Each named query of ingestion/outputs/marts.py once, on the demo warehouse: its answer is the
marts' rows, or what Python recomputes from the daily rows (sums, rates, ranks, orders)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import duckdb
import pytest

from ingestion.outputs import marts
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

DOCS = "contoso-docs"  # its planted regression gives alerts and a clear top page
PAGE = "https://docs.contoso.example/docs/api/authentication"
WEEK = (date(2026, 10, 29), date(2026, 11, 4))


@pytest.fixture(scope="module")
def reader(built_warehouse) -> Iterator[marts.MartsReader]:
    with marts.connect(built_warehouse.path, require=marts.OUTPUT_MARTS) as con:
        yield marts.records(con)


def _records(path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _dates(path, sql: str) -> list[date]:
    return [day for (day,) in query(path, sql, [DOCS])]


def test_which_marts_are_built(reader, built_warehouse, tmp_path):
    assert reader.missing() == []
    assert reader.missing(("fct_nothing", "fct_alerts")) == ["fct_nothing"]
    assert set(marts.OUTPUT_MARTS) <= set(reader.tables())
    assert marts.missing_marts(built_warehouse.path) == []
    assert marts.missing_marts(tmp_path / "absent.duckdb") == list(marts.OUTPUT_MARTS)
    partial = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(partial))
    con.execute("create schema marts; create table marts.fct_alerts (alert_id varchar)")
    con.close()
    assert marts.missing_marts(partial, ("fct_alerts", "dim_projects")) == ["dim_projects"]
    with pytest.raises(marts.NoMartsError, match=r"lacks marts dim_projects: run `dbt build`"):
        with marts.connect(partial, require=("fct_alerts", "dim_projects")):
            pass
    with pytest.raises(marts.NoMartsError, match="does not exist"):
        with marts.connect(tmp_path / "absent.duckdb"):
            pass


def test_projects_and_their_dates(reader, built_warehouse):
    path = built_warehouse.path
    spans = query(
        path,
        "select project, timezone, last_activity_date from marts.dim_projects order by 1",
    )
    assert reader.project_names() == [row[0] for row in spans] and len(spans) == 3
    assert reader.project(DOCS) == marts.Project(*next(r for r in spans if r[0] == DOCS))
    assert reader.project("nope") is None
    assert reader.projects_with_data() == [marts.Project(*row) for row in spans]
    sessions: dict[str, int] = {}
    for project, day_sessions in query(path, "select project, sessions from marts.fct_site_daily"):
        sessions[project] = sessions.get(project, 0) + (day_sessions or 0)
    assert reader.busiest_project() == max(sessions, key=sessions.get)
    for of, table in (
        ("site", "fct_site_daily"),
        ("collection", "fct_collection_daily"),
        ("pages", "fct_page_frustration_daily"),
        ("segments", "fct_segment_daily"),
    ):
        days = _dates(path, f"select activity_date from marts.{table} where project = ?")
        assert reader.dates(DOCS, of) == (min(days), max(days)), of
    devices = _dates(
        path,
        "select activity_date from marts.fct_segment_daily "
        "where project = ? and dimension = 'Device'",
    )
    assert reader.dates(DOCS, "segments", "Device") == (min(devices), max(devices))
    assert reader.dates(DOCS, "segments", "Planet") == (None, None)


def test_the_projects_overview(reader, built_warehouse):
    rows = reader.projects()
    assert [row["project"] for row in rows] == reader.project_names()
    days = _records(built_warehouse.path, "select * from marts.fct_collection_daily")
    for row in rows:
        mine = [d for d in days if d["project"] == row["project"]]
        last = max(d["activity_date"] for d in mine)
        recent = [d for d in mine if d["activity_date"] > last - timedelta(days=28)]
        assert row["missing_days_28d"] == sum(
            d["is_missing"] and d["missing_reason"] != "awaiting_collection" for d in recent
        )
        latest = max((d for d in mine if d["requests"] > 0), key=lambda d: d["activity_date"])
        assert (
            row["last_collection_date"],
            row["last_collection_requests"],
            row["last_collection_failed_requests"],
        ) == (latest["activity_date"], latest["requests"], latest["failed_requests"])


def test_site_daily(reader, built_warehouse):
    start, end = date(2026, 10, 1), date(2026, 10, 31)
    rows = reader.site_daily(DOCS, start, end, ["sessions", "rage_click_rate"])
    collected = query(
        built_warehouse.path,
        "select activity_date, is_missing, missing_reason from marts.fct_collection_daily "
        "where project = ? and activity_date between ? and ? order by 1",
        [DOCS, start, end],
    )
    assert [(r["activity_date"], r["is_missing"], r["missing_reason"]) for r in rows] == collected
    site = {
        day: values
        for day, *values in query(
            built_warehouse.path,
            "select activity_date, sessions, rage_click_rate, day_coverage, value_source, "
            "sessions_error from marts.fct_site_daily where project = ?",
            [DOCS],
        )
    }
    for row in rows:
        expected = site.get(row["activity_date"], [None] * 5)
        got = [row[column] for column in (
            "sessions", "rage_click_rate", "day_coverage", "value_source", "sessions_error"
        )]  # fmt: skip
        assert got == expected
    assert list(rows[0]) == [
        "activity_date", "day_coverage", "value_source", "sessions_error", "is_missing",
        "missing_reason", "sessions", "rage_click_rate",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="drop table"):
        reader.site_daily(DOCS, start, end, ["sessions; drop table"])


def test_pages_to_fix_and_their_scores(reader, built_warehouse):
    path = built_warehouse.path
    latest = max(
        _dates(path, "select activity_date from marts.fct_page_frustration_daily where project = ?")
    )
    ranking = _records(
        path,
        "select * from marts.fct_page_frustration_daily where project = ? and activity_date = ?",
        [DOCS, latest],
    )
    by_7d = sorted(ranking, key=lambda r: (-r["excess_frustrated_sessions_7d"], r["page_url"]))
    top = reader.pages_to_fix(DOCS)
    assert len(top) == marts.TOP_PAGES
    assert [r["page_url"] for r in top] == [r["page_url"] for r in by_7d[: marts.TOP_PAGES]]
    assert [r["rank"] for r in top] == list(range(1, marts.TOP_PAGES + 1))
    assert top[0]["page_url"] == PAGE
    source = {r["page_url"]: r for r in ranking}
    for row in top:
        for column in ("excess_frustrated_sessions_7d", "sessions_7d", "frustration_rank_28d"):
            assert row[column] == source[row["page_url"]][column]
    by_28d = reader.pages_to_fix(DOCS, limit=3, window=28)
    assert [r["rank"] for r in by_28d] == [1, 2, 3] == [r["frustration_rank_28d"] for r in by_28d]
    assert [r["page_url"] for r in by_28d] == [
        r["page_url"] for r in sorted(ranking, key=lambda r: r["frustration_rank_28d"])[:3]
    ]
    earlier = reader.pages_to_fix(DOCS, on=date(2026, 10, 20), limit=100)
    assert len(earlier) == reader.pages_ranked(DOCS, date(2026, 10, 20)) > 0
    assert reader.pages_ranked(DOCS, latest) == len(ranking)
    with pytest.raises(ValueError, match="window"):
        reader.pages_to_fix(DOCS, window=14)
    scores = reader.page_scores(DOCS, [PAGE, "https://nowhere.example/"], *WEEK)
    assert [(r["page_url"], r["activity_date"], r["shrunk_score_7d"]) for r in scores] == query(
        path,
        "select page_url, activity_date, shrunk_score_7d from marts.fct_page_frustration_daily "
        "where project = ? and page_url = ? and activity_date between ? and ? order by 2",
        [DOCS, PAGE, *WEEK],
    )
    assert len(scores) == 7


def test_pages_known_similar_and_their_weeks(reader, built_warehouse):
    assert reader.page_known(DOCS, PAGE) and not reader.page_known(DOCS, "api/authentication")
    similar = reader.similar_pages(DOCS, "API/Auth")
    assert similar == [PAGE]
    assert len(reader.similar_pages(DOCS, "/docs/", limit=3)) == 3
    weeks = reader.page_weeks(DOCS, PAGE, 3)
    all_weeks = _records(
        built_warehouse.path,
        "select * from marts.fct_page_trends_weekly where project = ? and page_url = ? "
        "order by week_start_date",
        [DOCS, PAGE],
    )
    assert len(all_weeks) > 3
    assert [(w["week_start_date"], w["score"], w["score_change"]) for w in weeks] == [
        (w["week_start_date"], w["score"], w["score_change"]) for w in all_weeks[-3:]
    ]


def test_segments_recombine_the_daily_counts(reader, built_warehouse):
    keys = marts.SIGNAL_KEYS
    daily = _records(
        built_warehouse.path,
        "select * from marts.fct_segment_daily where project = ? and activity_date between ? "
        "and ? and dimension in ('Device', 'Browser')",
        [DOCS, *WEEK],
    )
    totals: dict[tuple[str, str], dict] = {}
    for row in daily:
        total = totals.setdefault(
            (row["dimension"], row["dimension_value"]),
            {"days": set(), "sessions": 0, **{f"{k}{s}": 0 for k in keys for s in ("", "_b")}},
        )
        total["days"].add(row["activity_date"])
        total["sessions"] += row["sessions"]
        for key in keys:
            total[key] += row[f"{key}_sessions"]
            total[f"{key}_b"] += row[f"{key}_base_sessions"]
    rows = reader.segments(DOCS, ["Device", "Browser"], *WEEK)
    assert len(rows) == len(totals) * len(keys)
    per_dimension: dict[str, int] = {}
    for (dimension, _), total in totals.items():
        per_dimension[dimension] = per_dimension.get(dimension, 0) + total["sessions"]
    for row in rows:
        total = totals[(row["dimension"], row["dimension_value"])]
        key = row["signal"]
        assert row["sessions"] == total["sessions"]
        assert row["days_with_data"] == len(total["days"])
        assert row["share_of_sessions"] == pytest.approx(
            total["sessions"] / per_dimension[row["dimension"]]
        )
        assert (row["signal_sessions"], row["base_sessions"]) == (total[key], total[f"{key}_b"])
        assert row["rate"] == pytest.approx(total[key] / total[f"{key}_b"])
    # long rows: each segment's signals in the contract's order, the largest segments first
    assert [row["signal"] for row in rows[: len(keys)]] == list(keys)
    order = list(dict.fromkeys((row["dimension"], row["dimension_value"]) for row in rows))
    assert order == sorted(totals, key=lambda seg: (seg[0], -totals[seg]["sessions"], seg[1]))
    two = reader.segments(DOCS, ["Device", "Browser"], *WEEK, limit=2)
    first_two = [seg for seg in order if [s for s in order if s[0] == seg[0]].index(seg) < 2]
    assert list(dict.fromkeys((r["dimension"], r["dimension_value"]) for r in two)) == first_two
    assert len(first_two) == 4
    assert reader.segments(DOCS, ["Planet"], *WEEK) == []


def test_alerts_filter_and_order(reader, built_warehouse):
    every = _records(built_warehouse.path, "select * from marts.fct_alerts")
    assert len(every) > 4

    def order(row):
        return (row["activity_date"], row["project"], row["scope"], row["page_url"] or "",
                row["metric"], row["alert_id"])  # fmt: skip

    got = reader.alerts()
    assert [r["alert_id"] for r in got] == [r["alert_id"] for r in sorted(every, key=order)]
    assert got[0] == next(r for r in every if r["alert_id"] == got[0]["alert_id"])
    since, until = date(2026, 10, 30), date(2026, 11, 3)
    window = reader.alerts(DOCS, since, until)
    assert {r["alert_id"] for r in window} == {
        r["alert_id"] for r in every
        if r["project"] == DOCS and since <= r["activity_date"] <= until
    }  # fmt: skip
    newest = reader.alerts(DOCS, newest_first=True, limit=3)
    mine = sorted((r for r in every if r["project"] == DOCS), key=order)
    assert [r["activity_date"] for r in newest] == sorted(
        (r["activity_date"] for r in mine), reverse=True
    )[:3]
    assert reader.alerts(since=date(2030, 1, 1)) == []


def test_incidents_filter_and_order(reader, built_warehouse):
    """Every open incident whatever `since`, the resolved ones seen or resolved since it; the
    open first, then the latest seen. The demo's page and site regressions are open (the
    planted rate stays up to the last day)."""
    every = _records(built_warehouse.path, "select * from marts.fct_incidents")
    got = reader.incidents()
    assert sorted(r["incident_id"] for r in got) == sorted(r["incident_id"] for r in every)
    assert list(got[0]) == list(marts.INCIDENT_COLUMNS)
    assert got[0] == {k: v for k, v in next(
        r for r in every if r["incident_id"] == got[0]["incident_id"]
    ).items() if k in marts.INCIDENT_COLUMNS}  # fmt: skip
    statuses = [r["status"] for r in got]
    assert statuses == sorted(statuses, key=lambda s: s != "open")
    opened = [r for r in got if r["status"] == "open"]
    assert {(r["project"], r["scope"]) for r in opened} >= {(DOCS, "page"), (DOCS, "site")}
    assert [r["last_seen_on"] for r in opened] == sorted(
        (r["last_seen_on"] for r in opened), reverse=True
    )
    late = reader.incidents(since=date(2030, 1, 1))
    assert {r["incident_id"] for r in late} == {r["incident_id"] for r in opened}
    assert [r["project"] for r in reader.incidents(DOCS)] == [DOCS] * len(
        [r for r in every if r["project"] == DOCS]
    )
    assert len(reader.incidents(limit=1)) == 1


def test_collection_health(reader, built_warehouse):
    start, end = date(2026, 10, 10), date(2026, 10, 20)
    rows = reader.collection_health("northwind-shop", start, end)
    expected = _records(
        built_warehouse.path,
        "select * from marts.fct_collection_daily where project = ? "
        "and activity_date between ? and ? order by activity_date",
        ["northwind-shop", start, end],
    )
    assert len(rows) == 11
    for row, mart in zip(rows, expected, strict=True):
        assert row == {column: mart[column] for column in row}
    assert "collection_day_id" not in rows[0] and "site_value_source" in rows[0]


def test_frames_give_the_same_rows_as_records(reader, built_warehouse):
    with marts.connect(built_warehouse.path) as con:
        frame = marts.frames(con).collection_health(DOCS, *WEEK)
    rows = reader.collection_health(DOCS, *WEEK)
    assert list(frame.columns) == list(rows[0])
    assert frame["requests"].tolist() == [row["requests"] for row in rows]
    assert [d.date() for d in frame["activity_date"]] == [row["activity_date"] for row in rows]
