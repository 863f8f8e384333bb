"""The frustration marts on the demo warehouse: the planted regression is alerted and ranked
first, nothing else raises a signal alert, and the recombined windows match the simulated truth."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest

from clarity_tools.offline.catalog import SIGNALS
from ingestion.outputs.highlights import print_highlights
from tests.integration.helpers import SIGNAL_KEYS, query, scalar

pytestmark = pytest.mark.integration

_COUNT_COLUMNS = [
    f"{signal}_{suffix}"
    for signal in SIGNAL_KEYS.values()
    for suffix in ("base_sessions", "sessions")
]
DETECTION_DAYS = 3  # the first alert comes on the from_date or at most this many days later
# the defaults of dbt_project.yml (clarity_alert_*)
BASELINE_DAYS = 28
MIN_SESSIONS = 100
Z_THRESHOLD = 5.0


@pytest.fixture(scope="module")
def planted(built_warehouse) -> list[dict]:
    regressions = built_warehouse.service.planted_regressions
    assert regressions, "the demo projects should plant at least one regression"
    return regressions


def test_planted_regression_raises_a_page_alert(built_warehouse, planted):
    for regression in planted:
        rows = query(
            built_warehouse.path,
            """
            select activity_date, observed, expected, strength, sessions, baseline_sessions
            from marts.fct_alerts
            where scope = 'page' and project = ? and page_url = ? and metric = ?
            order by activity_date
            """,
            [regression["project"], regression["page"], SIGNAL_KEYS[regression["signal"]]],
        )
        assert rows, f"no page alert for the planted regression {regression}"
        first_day, observed, expected, strength, sessions, baseline_sessions = rows[0]
        from_date = regression["from_date"]
        assert from_date <= first_day <= from_date + timedelta(days=DETECTION_DAYS)
        assert observed > regression["rate_before"] * 5
        assert expected < regression["rate_before"] * 2
        assert strength >= 5.0
        assert sessions >= 100 and baseline_sessions >= 100
        assert all(day >= from_date for day, *_ in rows), "an alert before the regression began"


def test_signal_keys_cover_the_api_blocks():
    assert set(SIGNAL_KEYS) == set(SIGNALS)


def test_no_other_signal_alert_fires(built_warehouse, planted):
    """The exact set of (scope, project, page, signal) with signal alerts: the planted page, and
    its site for the same signal (one page's jump from ~2 % to ~25 % triples the site's
    rage-click rate, a real rise). Stable pages and sites never fire."""
    alerted = set(
        query(
            built_warehouse.path,
            """
            select distinct scope, project, coalesce(page_url, ''), metric
            from marts.fct_alerts
            where scope in ('site', 'page')
            """,
        )
    )
    expected = set()
    for regression in planted:
        signal = SIGNAL_KEYS[regression["signal"]]
        expected.add(("page", regression["project"], regression["page"], signal))
        expected.add(("site", regression["project"], "", signal))
    assert alerted == expected


def _rule_z_scores(path) -> dict[tuple, float]:
    """The alert rule recomputed in Python from the daily marts (docs block clarity_alert_rule,
    default vars): z per (scope, project, page, signal, date) where both sides have 100
    sessions, for every rise. A solved estimate is neither tested nor part of a baseline."""
    rows = query(
        path,
        f"""
        select 'site', project, '', activity_date, {", ".join(_COUNT_COLUMNS)}
        from marts.fct_site_daily
        where value_source <> 'solved_estimate'
        union all
        select 'page', project, page_url, activity_date, {", ".join(_COUNT_COLUMNS)}
        from marts.fct_page_daily
        where value_source <> 'solved_estimate'
        """,
    )
    series: dict[tuple, dict] = {}
    for scope, project, page, day, *counts in rows:
        series.setdefault((scope, project, page), {})[day] = counts
    scores = {}
    for key, days in series.items():
        for day, counts in days.items():
            baseline = [days[d] for d in days if day - timedelta(days=BASELINE_DAYS) <= d < day]
            for k, signal in enumerate(SIGNAL_KEYS.values()):
                n, x = counts[2 * k], counts[2 * k + 1]
                n0 = sum(b[2 * k] for b in baseline)
                x0 = sum(b[2 * k + 1] for b in baseline)
                if n < MIN_SESSIONS or n0 < MIN_SESSIONS or x / n <= x0 / n0:
                    continue
                p1, p0 = (x + 0.375) / (n + 0.75), (x0 + 0.375) / (n0 + 0.75)
                z = 2 * (math.asin(math.sqrt(p1)) - math.asin(math.sqrt(p0)))
                scores[(*key, signal, day)] = z / math.sqrt(1 / n + 1 / n0)
    return scores


def test_alert_rule_matches_its_python_twin_with_a_wide_margin(built_warehouse, planted):
    """fct_alerts holds exactly the rises the rule finds when recomputed here, and every series
    that has no planted regression stays far below the threshold (the margin the default of
    clarity_alert_z_threshold relies on)."""
    scores = _rule_z_scores(built_warehouse.path)
    fired = {key for key, z in scores.items() if z >= Z_THRESHOLD}
    alerted = {
        (scope, project, page, metric, day): strength
        for scope, project, page, metric, day, strength in query(
            built_warehouse.path,
            """
            select scope, project, coalesce(page_url, ''), metric, activity_date, strength
            from marts.fct_alerts
            where scope in ('site', 'page')
            """,
        )
    }
    assert set(alerted) == fired
    for key, strength in alerted.items():
        assert strength == pytest.approx(scores[key], rel=1e-9)
    planted_series = {
        (scope, r["project"], page, SIGNAL_KEYS[r["signal"]])
        for r in planted
        for scope, page in (("page", r["page"]), ("site", ""))
    }
    stable = [z for key, z in scores.items() if key[:4] not in planted_series]
    assert len(stable) > 1000, "too few tests to say anything about false alarms"
    assert max(stable) < Z_THRESHOLD - 1.0


def test_regressed_page_ranks_first_after_the_jump(built_warehouse, planted):
    for regression in planted:
        rows = query(
            built_warehouse.path,
            """
            select activity_date, frustration_rank_7d, excess_frustrated_sessions_7d
            from marts.fct_page_frustration_daily
            where project = ? and page_url = ? and activity_date >= ?
            order by activity_date
            """,
            [
                regression["project"],
                regression["page"],
                regression["from_date"] + timedelta(days=3),
            ],
        )
        assert rows, "no frustration rows for the regressed page after the jump"
        assert all(rank == 1 for _, rank, _ in rows), rows
        assert all(excess > 0 for *_, excess in rows)
        before = scalar(
            built_warehouse.path,
            """
            select min(frustration_rank_28d) from marts.fct_page_frustration_daily
            where project = ? and page_url = ? and activity_date < ?
            """,
            [regression["project"], regression["page"], regression["from_date"]],
        )
        assert before > 1, "the page was not special before its regression"


def test_windows_recombine_the_truth(built_warehouse, planted):
    """The 7- and 28-day sessions and rates of the regressed page on the last date equal the
    simulated truth summed over the same days (rounded percentages: within 0.5 points)."""
    regression = planted[0]
    project, page = regression["project"], regression["page"]
    signal = SIGNAL_KEYS[regression["signal"]]
    last_day, days_7, sessions_7, rate_7, days_28, sessions_28, rate_28 = query(
        built_warehouse.path,
        f"""
        select activity_date, days_with_data_7d, sessions_7d, {signal}_rate_7d,
            days_with_data_28d, sessions_28d, {signal}_rate_28d
        from marts.fct_page_frustration_daily
        where project = ? and page_url = ?
        order by activity_date desc
        limit 1
        """,
        [project, page],
    )[0]
    page_days = {
        day
        for (day,) in query(
            built_warehouse.path,
            "select activity_date from marts.fct_page_daily where project = ? and page_url = ?",
            [project, page],
        )
    }
    for days, count, sessions, rate in (
        (7, days_7, sessions_7, rate_7),
        (28, days_28, sessions_28, rate_28),
    ):
        window = [last_day - timedelta(days=k) for k in range(days)]
        present = [day for day in window if day in page_days]
        assert count == len(present)
        truths = [built_warehouse.service.truth_page_daily(project, day)[page] for day in present]
        true_sessions = sum(t["sessions"] for t in truths)
        true_with = sum(t["sessions_with"][regression["signal"]] for t in truths)
        assert sessions == true_sessions
        assert rate == pytest.approx(true_with / true_sessions, abs=0.005)


def test_weekly_trend_shows_the_jump(built_warehouse, planted):
    regression = planted[0]
    rows = query(
        built_warehouse.path,
        """
        select week_start_date, score, score_change, score_change_relative
        from marts.fct_page_trends_weekly
        where project = ? and page_url = ?
        order by week_start_date
        """,
        [regression["project"], regression["page"]],
    )
    assert rows[0][2] is None, "the first week has no previous week"
    jump_week = regression["from_date"] - timedelta(days=regression["from_date"].weekday())
    by_week = {week: (score, change, relative) for week, score, change, relative in rows}
    score, change, relative = by_week[jump_week]
    assert change > 0 and relative > 0.5
    assert all(week.weekday() == 0 for week in by_week)


def test_highlights_name_the_regressed_page_and_the_alerts(built_warehouse, planted, capsys):
    regression = planted[0]
    print_highlights(built_warehouse.path, regression["project"])
    lines = capsys.readouterr().out.splitlines()
    first_page = next(line for line in lines if line.strip().startswith("1 "))
    assert first_page.endswith(regression["page"])
    # one line per episode, not per alert day: the regression is one open incident
    (incidents,) = [line for line in lines if line.startswith("Incidents: ")]
    assert re.match(r"Incidents: \d+ open, \d+ resolved", incidents), incidents
    regressed = [line for line in lines if line.endswith(")") and regression["page"] in line]
    assert len(regressed) == 1 and " open " in regressed[0], lines
    print_highlights(built_warehouse.path)  # every project, the busiest first
    out = capsys.readouterr().out
    shown = [
        line.split(" in ")[1].split(",")[0]
        for line in out.splitlines()
        if line.startswith("Pages to fix first in ")
    ]
    assert shown == ["northwind-shop", "contoso-docs", "fabrikam-blog"], out
