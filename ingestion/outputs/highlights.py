"""Print what the frustration marts found in a warehouse: the pages to fix first in each project
and the incidents; the last words of the demo."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingestion.outputs import marts
from ingestion.outputs.clarity_links import NO_ID, page_links
from ingestion.outputs.marts import DEFAULT_DAYS, TOP_PAGES
from ingestion.outputs.periods import Completeness

MAX_INCIDENT_LINES = 20
WEEK = 7  # the days the pages are ranked over, whose completeness is said
REQUIRED_MARTS = ("fct_page_frustration_daily", "fct_alerts", "fct_incidents", "fct_site_daily")
Rows = list[dict[str, Any]]


def print_highlights(duckdb_path: str | Path, project: str | None = None) -> None:
    """Print, for ``project`` (default: every project with data, the busiest first), how
    complete its latest 7 days are and how many were tested for alerts, and its top pages by
    excess frustrated sessions (7 days) on its latest date; then the incidents of those
    projects: the open ones, and those seen or resolved in the last DEFAULT_DAYS dates.

    Opens ``duckdb_path`` read-only and closes it before returning."""
    try:
        with marts.connect(duckdb_path, require=REQUIRED_MARTS) as con:
            reader = marts.records(con)
            names = [project] if project else _busiest_first(reader)
            if not names:
                print("No page data yet: nothing to rank.")
            ends = []
            for name in names:
                latest = reader.dates(name, "pages")[1]
                end = latest or reader.dates(name, "site")[1]
                ends += [end] if end else []
                _print_week(reader, name, end)
                _print_top_pages(
                    name,
                    reader.pages_to_fix(name, limit=TOP_PAGES),
                    latest,
                    reader.project(name).clarity_project_id,
                )
            # open ones, and those seen or resolved in the report's period (not every one ever)
            since = max(ends) - timedelta(days=DEFAULT_DAYS - 1) if ends else None
            _print_incidents(reader.incidents(project, since))
    except marts.NoMartsError as exc:
        print(exc)


def _busiest_first(reader: marts.MartsReader[Rows]) -> list[str]:
    """The projects with a daily value, the one with the most sessions first, then by name."""
    busiest = reader.busiest_project()
    names = sorted(p.name for p in reader.projects_with_data())
    return sorted(names, key=lambda name: name != busiest)


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


def _print_incidents(incidents: Rows) -> None:
    """One line per incident (the episodes of fct_incidents; fct_alerts has the daily rows)."""
    opened = sum(1 for row in incidents if row["status"] == "open")
    print(
        f"Incidents: {opened} open, {len(incidents) - opened} resolved (marts.fct_incidents; "
        "`clarity incident` records what you decide)"
    )
    for row in incidents[:MAX_INCIDENT_LINES]:
        if row["scope"] == "collection":
            what = f"missed collection, {int(row['peak_strength'])} day(s)"
        else:
            what = (
                f"{row['metric']:<16} {row['peak_observed']:6.1%} vs {row['peak_expected']:6.1%}"
                f"  z {row['peak_strength']:5.1f}  {row['page_url'] or '(site)'}"
            )
        until = f"resolved {row['resolved_on']}" if row["status"] == "resolved" else "open"
        print(
            f"  {row['opened_on']} to {row['last_seen_on']} {until:<19} {row['project']} "
            f"{row['scope']:<10} {what}  (id {row['incident_id']})"
        )
    if len(incidents) > MAX_INCIDENT_LINES:
        print(f"  ... and {len(incidents) - MAX_INCIDENT_LINES} more in marts.fct_incidents")


def _number(value: float | None, width: int) -> str:
    return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"
