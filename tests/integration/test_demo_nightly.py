"""`clarity demo --windows nightly-3day`: another collector's nightly 3-day windows, at a jittered
moment, imported with their sidecars; the window solver values every date, and the demo prints
how far each kind of value is from the truth of its own period."""

from __future__ import annotations

import re
from datetime import UTC, time, timedelta

import pytest

from clarity_tools.demo import collection_moments
from tests.child import CLARITY, run_python
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

DAYS = 8
# a line of the error table: mart, value_source, rows, median, p90, within error
TABLE_LINE = re.compile(
    r"^\s+(fct_site_daily|fct_page_daily)\s+(\w+)\s+(\d+)\s+([0-9.]+)%\s+([0-9.]+)%\s+"
    r"([0-9.]+%|-)\s*$",
    re.MULTILINE,
)


def test_the_demo_of_nightly_3_day_windows_values_every_date_within_its_error(tmp_path):
    env = {
        "CLARITY_DEMO_DIR": str(tmp_path / "demo"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    args = ["--days", str(DAYS), "--windows", "nightly-3day", "--jitter-minutes", "70"]
    args += ["--outage", "fabrikam-blog:2026-10-05:1"]
    result = run_python([*CLARITY, "demo", *args], env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "collected as nightly 3-day windows (clarity import) at 00:10 + 0..70 min UTC" in out
    db = tmp_path / "demo" / "clarity.duckdb"
    # every set of every project, each night, as a 3-day window at the seeded moment
    moments = collection_moments(DAYS, time(0, 10), UTC, jitter_minutes=70, seed=7)
    assert len(set(moments)) == DAYS
    assert all(
        timedelta(0) <= (m - m.replace(hour=0, minute=10)) <= timedelta(minutes=70) for m in moments
    )
    fetched = query(
        db,
        "select distinct fetched_at, num_of_days, origin from clarity_raw.snapshots order by 1",
    )
    assert [(at, days, origin) for at, days, origin in fetched] == [
        (moment, 3, "archive") for moment in moments
    ]
    # the night of the outage lost the blog's bodies; the nights around it cover its days
    assert f"({3 * 10 * DAYS} requests, 10 failed)" in out
    for project in ("contoso-docs", "fabrikam-blog", "northwind-shop"):
        rows = query(
            db,
            "select activity_date, value_source from marts.fct_site_daily where project = ? "
            "order by 1",
            [project],
        )
        dates = [day for day, _ in rows]
        first = (moments[0] - timedelta(days=3)).date()
        last = moments[-1].date() - timedelta(days=1)  # the last date awaiting collection
        assert dates == [first + timedelta(days=k) for k in range((last - first).days + 1)]
        assert {source for _, source in rows} <= {"solved_exact", "solved_estimate"}, project
    lines = TABLE_LINE.findall(out)
    assert {mart for mart, *_ in lines} == {"fct_site_daily", "fct_page_daily"}, out
    for mart, source, count, median, p90, within in lines:
        assert source.startswith("solved_"), (mart, source)
        assert int(count) > 0 and float(median) <= float(p90)
        assert within != "-" and float(within.rstrip("%")) >= 85, (mart, source, within)
    # the period truth it compared with is in the warehouse
    matched = query(
        db,
        "select count(*), count(t.sessions) from marts.fct_site_daily as m "
        "left join offline_truth.site_periods as t "
        "using (project, window_start_at, window_end_at)",
    )
    assert matched == [(3 * len(dates), 3 * len(dates))]
