"""Print what the frustration marts found in a warehouse: the pages to fix first in one project
and the alerts; the last words of the demo."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingestion.outputs import marts
from ingestion.outputs.clarity_links import NO_ID, page_links
from ingestion.outputs.marts import TOP_PAGES
from ingestion.outputs.periods import Completeness

MAX_ALERT_LINES = 20
WEEK = 7  # the days the pages are ranked over, whose completeness is said
REQUIRED_MARTS = ("fct_page_frustration_daily", "fct_alerts", "fct_site_daily")
Rows = list[dict[str, Any]]


def print_highlights(duckdb_path: str | Path, project: str | None = None) -> None:
    """Print the top pages by excess frustrated sessions (7 days) of ``project`` on its latest
    date (default: the project with the most sessions), how complete those 7 days are and how
    many were tested for alerts, then the alerts of all projects.

    Opens ``duckdb_path`` read-only and closes it before returning."""
    try:
        with marts.connect(duckdb_path, require=REQUIRED_MARTS) as con:
            reader = marts.records(con)
            project = project or reader.busiest_project()
            if project is None:
                print("No page data yet: nothing to rank.")
            else:
                latest = reader.dates(project, "pages")[1]
                _print_week(reader, project, latest or reader.dates(project, "site")[1])
                _print_top_pages(
                    project,
                    reader.pages_to_fix(project, limit=TOP_PAGES),
                    latest,
                    reader.project(project).clarity_project_id,
                )
            _print_alerts(reader.alerts())
    except marts.NoMartsError as exc:
        print(exc)


def _print_week(reader: marts.MartsReader[Rows], project: str, end: date | None) -> None:
    """The site's days of the 7 ending `end`: with values, of which kind, tested for alerts."""
    if end is None:
        print(f"No daily value yet for project {project!r}: nothing to count or test.")
        return
    start = end - timedelta(days=WEEK - 1)
    rows = reader.period_completeness(start, end, project)
    week = Completeness.of(rows[0] if rows else None, WEEK)
    signals = [
        alert for alert in reader.alerts(project, start, end) if alert["scope"] in ("page", "site")
    ]
    print(f"{project}, 7 days to {end}: {week.sessions_sentence()}")
    print(f"  {week.alerts_sentence(len(signals))}")


def _print_top_pages(project: str, rows: Rows, latest: date | None, clarity_id: str | None) -> None:
    if not rows:
        print(
            f"No page ranked yet for project {project!r}: pages are ranked once a page has a "
            "daily value, and none has one yet."
        )
        return
    print(
        f"Pages to fix first in {project}, 7 days to {latest} "
        f"(site score {rows[0]['site_score_7d']:.2f}; ranked by excess frustrated sessions):"
    )
    print(f"  {'rank':>4} {'excess':>7} {'score':>6} {'shrunk':>6} {'sessions':>8}  page")
    for row in rows:
        print(
            f"  {row['rank']:>4} {row['excess_frustrated_sessions_7d']:>7.1f} "
            f"{_number(row['score_7d'], 6)} {row['shrunk_score_7d']:>6.2f} "
            f"{row['sessions_7d']:>8}  {row['page_url']}"
        )
        links = page_links(clarity_id, row["page_url"], row["activity_date"])
        if links.recordings:
            print(f"       recordings: {links.recordings}")
            print(f"       heatmap:    {links.heatmap}")
    if not clarity_id:
        print(f"  ({NO_ID})")


def _print_alerts(alerts: Rows) -> None:
    counts = Counter(alert["scope"] for alert in alerts)
    by_scope = ", ".join(f"{scope} {counts[scope]}" for scope in ("page", "site", "collection"))
    print(f"Alerts: {len(alerts)} ({by_scope})")
    signals = [alert for alert in alerts if alert["scope"] in ("page", "site")]
    for alert in signals[:MAX_ALERT_LINES]:
        print(
            f"  {alert['activity_date']} {alert['project']} {alert['scope']:<4} "
            f"{alert['metric']:<16} {alert['observed']:6.1%} vs {alert['expected']:6.1%}"
            f"  z {alert['strength']:5.1f}  {alert['page_url'] or '(site)'}"
        )
    if len(signals) > MAX_ALERT_LINES:
        print(f"  ... and {len(signals) - MAX_ALERT_LINES} more signal alerts in marts.fct_alerts")


def _number(value: float | None, width: int) -> str:
    return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"
