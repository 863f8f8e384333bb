"""`clarity demo` with its options, as a newcomer runs it: another collection hour and time zone,
an outage the next run recovers, and the offline truth beside the marts."""

from __future__ import annotations

import re

import pytest

from tests.child import CLARITY, run_python
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

EXACT_SOURCES = {"one_day_window", "nested_difference", "solved_exact"}


def test_the_demo_recovers_an_outage_and_compares_with_the_truth(tmp_path):
    env = {
        "CLARITY_DEMO_DIR": str(tmp_path / "demo"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    args = ["--days", "8", "--collect-at", "07:00", "--timezone", "Europe/Paris"]
    args += ["--outage", "fabrikam-blog:2026-10-04:2"]
    result = run_python([*CLARITY, "demo", *args], env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "collected daily at 07:00 Europe/Paris" in out
    assert "outage: fabrikam-blog answered 500 from 2026-10-04 for 2 days" in out
    recovered = re.search(
        r"(\d+) project-days in fct_site_daily, (\d+) of them from nested windows and (\d+) "
        r"from the window solver",
        out,
    )
    assert recovered, out
    db = tmp_path / "demo" / "clarity.duckdb"
    rows = query(
        db,
        "select project, activity_date from marts.fct_site_daily "
        "where value_source like 'solved%' order by 1, 2",
    )
    assert int(recovered.group(3)) == len(rows)
    nested = query(
        db, "select count(*) from marts.fct_site_daily where value_source = 'nested_difference'"
    )
    assert int(recovered.group(2)) == nested[0][0]
    blog = [day.isoformat() for project, day in rows if project == "fabrikam-blog"]
    # the runs of 4 and 5 October failed; the next one asked every set one 3-day window over
    # the gap, and the solver valued the dates the failed runs would have given
    assert {"2026-10-03", "2026-10-04"} <= set(blog)
    errors = re.search(r"median error ([0-9.]+)%, worst ([0-9.]+)%", out)
    assert errors and float(errors.group(1)) <= float(errors.group(2))
    # one-day windows (and any exact source) have no error against their own periods; the
    # solved estimates of the first runs and the outage are listed with their errors
    table = re.findall(r"^\s+(fct_site_daily|fct_page_daily)\s+(\w+)\s+\d+\s+(\S+)", out, re.M)
    sources = {(mart, source) for mart, source, _ in table}
    for mart in ("fct_site_daily", "fct_page_daily"):
        assert {(mart, "one_day_window"), (mart, "solved_estimate")} <= sources, out
    exact = [m for _, source, m in table if source in EXACT_SOURCES]
    assert exact and set(exact) == {"0.0%"}, out
    # the truth is in the warehouse, on the projects' own dates
    truth = query(
        db,
        "select count(*), count(distinct project) from offline_truth.site_daily as t "
        "inner join marts.fct_site_daily as m using (project, activity_date)",
    )[0]
    assert truth == (int(recovered.group(1)), 3)
    assert query(db, "select count(*) > 100 from offline_truth.page_daily") == [(True,)]
    assert query(db, "select distinct timezone from marts.dim_projects") == [("Europe/Paris",)]
