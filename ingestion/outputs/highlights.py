"""Print what the frustration marts found in a warehouse: the pages to fix first in one project
and the alerts; the last words of the demo."""

from __future__ import annotations

from pathlib import Path

import duckdb

TOP_PAGES = 5
MAX_ALERT_LINES = 20


def print_highlights(duckdb_path: str | Path, project: str | None = None) -> None:
    """Print the top pages by excess frustrated sessions (7 days) of ``project`` on its latest
    date (default: the project with the most sessions), then the alerts of all projects.

    Opens ``duckdb_path`` read-only and closes it before returning."""
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        if not _has_marts(con):
            print(f"No frustration marts in {duckdb_path}: run `dbt build` first.")
            return
        project = project or _busiest_project(con)
        if project is None:
            print("No page data yet: nothing to rank.")
        else:
            _print_top_pages(con, project)
        _print_alerts(con)
    finally:
        con.close()


def _has_marts(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' "
        "and table_name in ('fct_page_frustration_daily', 'fct_alerts', 'fct_site_daily')"
    ).fetchone()
    return found is not None and found[0] == 3


def _busiest_project(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "select project from marts.fct_site_daily group by project "
        "order by sum(sessions) desc, project limit 1"
    ).fetchone()
    return row[0] if row else None


def _print_top_pages(con: duckdb.DuckDBPyConnection, project: str) -> None:
    rows = con.execute(
        """
        select
            activity_date, frustration_rank_7d, page_url, sessions_7d, score_7d,
            shrunk_score_7d, site_score_7d, excess_frustrated_sessions_7d
        from marts.fct_page_frustration_daily
        where project = ?
            and activity_date = (
                select max(activity_date) from marts.fct_page_frustration_daily where project = ?
            )
            and frustration_rank_7d <= ?
        order by frustration_rank_7d
        """,
        [project, project, TOP_PAGES],
    ).fetchall()
    if not rows:
        print(f"No page frustration rows for project {project!r}.")
        return
    latest, site_score = rows[0][0], rows[0][6]
    print(
        f"Pages to fix first in {project}, 7 days to {latest} "
        f"(site score {site_score:.2f}; ranked by excess frustrated sessions):"
    )
    print(f"  {'rank':>4} {'excess':>7} {'score':>6} {'shrunk':>6} {'sessions':>8}  page")
    for _, rank, page, sessions, score, shrunk, _, excess in rows:
        print(
            f"  {rank:>4} {excess:>7.1f} {_number(score, 6)} {shrunk:>6.2f} {sessions:>8}  {page}"
        )


def _print_alerts(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        con.execute("select scope, count(*) from marts.fct_alerts group by scope").fetchall()
    )
    total = sum(counts.values())
    by_scope = ", ".join(
        f"{scope} {counts.get(scope, 0)}" for scope in ("page", "site", "collection")
    )
    print(f"Alerts: {total} ({by_scope})")
    rows = con.execute(
        """
        select activity_date, project, scope, metric, observed, expected, strength,
            coalesce(page_url, '(site)')
        from marts.fct_alerts
        where scope in ('page', 'site')
        order by activity_date, project, scope, page_url, metric
        """
    ).fetchall()
    for day, project, scope, metric, observed, expected, strength, where in rows[:MAX_ALERT_LINES]:
        print(
            f"  {day} {project} {scope:<4} {metric:<16} {observed:6.1%} vs {expected:6.1%}"
            f"  z {strength:5.1f}  {where}"
        )
    if len(rows) > MAX_ALERT_LINES:
        print(f"  ... and {len(rows) - MAX_ALERT_LINES} more signal alerts in marts.fct_alerts")


def _number(value: float | None, width: int) -> str:
    return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"
