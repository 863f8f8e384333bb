"""The numbers of the report, per project, read from the marts of a DuckDB warehouse (read-only):
the daily series, the pages to fix first and their trends, the signals by device and browser of
the latest week, alerts and collection health over the period, and a short summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.api.contract import SIGNALS

if TYPE_CHECKING:
    import pandas as pd

TOP_PAGES = 5
LOW_COVERAGE = 0.9  # a daily value whose 24 hours cover less of the date is marked
REQUIRED_MARTS = (
    "fct_site_daily",
    "fct_collection_daily",
    "fct_page_frustration_daily",
    "fct_segment_daily",
    "fct_alerts",
    "dim_projects",
)


class NoMartsError(RuntimeError):
    """The warehouse has no (complete) marts to report on."""


@dataclass
class Summary:
    sessions_week: int
    sessions_previous_week: int | None
    score_week: float | None
    score_previous_week: float | None
    top_pages: list[tuple[str, float]]  # (page, excess frustrated sessions, 7 days)
    open_alerts: int  # signal alerts of the latest 7 days
    missing_days: int  # dates of the period without a daily value

    @property
    def sessions_change(self) -> float | None:
        if not self.sessions_previous_week:
            return None
        return self.sessions_week / self.sessions_previous_week - 1


@dataclass
class ProjectReport:
    project: str
    timezone: str
    start: date
    end: date
    daily: pd.DataFrame
    pages: pd.DataFrame
    page_trends: pd.DataFrame
    segments: pd.DataFrame
    alerts: pd.DataFrame
    collection: pd.DataFrame
    summary: Summary = field(init=False)


def read_reports(duckdb_path: Path, days: int, project: str | None = None) -> list[ProjectReport]:
    """One ProjectReport per project (or only `project`), each over its latest `days` dates."""
    import duckdb  # noqa: PLC0415

    if not Path(duckdb_path).exists():
        raise NoMartsError(f"{duckdb_path} does not exist: run ingestion and dbt build first")
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        found = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        missing = [mart for mart in REQUIRED_MARTS if mart not in found]
        if missing:
            raise NoMartsError(
                f"{duckdb_path} lacks marts {', '.join(missing)}: run `dbt build` first"
            )
        projects = con.execute(
            "select p.project, p.timezone, max(d.activity_date) from marts.dim_projects as p "
            "inner join marts.fct_site_daily as d using (project) group by all order by 1"
        ).fetchall()
        if project is not None:
            projects = [row for row in projects if row[0] == project]
            if not projects:
                raise NoMartsError(f"no daily values for project {project!r} in {duckdb_path}")
        return [_project(con, name, zone, end, days) for name, zone, end in projects]
    finally:
        con.close()


def _df(con, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def _project(con, project: str, timezone: str, end: date, days: int) -> ProjectReport:
    start = end - timedelta(days=days - 1)
    window = [project, start, end]
    daily = _df(
        con,
        """
        select c.activity_date, d.sessions, d.frustration_score, d.day_coverage, d.value_source,
            c.is_missing, c.missing_reason
        from marts.fct_collection_daily as c
        left join marts.fct_site_daily as d using (project, activity_date)
        where c.project = ? and c.activity_date between ? and ?
        order by c.activity_date
        """,
        window,
    )
    pages = _df(
        con,
        """
        select frustration_rank_7d as rank, page_url, excess_frustrated_sessions_7d as excess,
            shrunk_score_7d as score, site_score_7d as site_score, sessions_7d as sessions
        from marts.fct_page_frustration_daily
        where project = ? and activity_date = (
            select max(activity_date) from marts.fct_page_frustration_daily where project = ?
        ) and frustration_rank_7d <= ?
        order by frustration_rank_7d
        """,
        [project, project, TOP_PAGES],
    )
    page_trends = _df(
        con,
        """
        select page_url, activity_date, shrunk_score_7d as score
        from marts.fct_page_frustration_daily
        where project = ? and activity_date between ? and ? and page_url in (
            select unnest(?)
        )
        order by page_url, activity_date
        """,
        [*window, list(pages["page_url"])],
    )
    week_start = end - timedelta(days=6)
    signal_sums = ", ".join(
        f"sum({s.key}_sessions) as {s.key}_sessions, sum({s.key}_base_sessions) as {s.key}_base"
        for s in SIGNALS
    )
    segments_wide = _df(
        con,
        f"""
        select dimension, dimension_value, sum(sessions) as sessions, {signal_sums}
        from marts.fct_segment_daily
        where project = ? and dimension in ('Device', 'Browser') and activity_date between ? and ?
        group by dimension, dimension_value
        order by dimension, sessions desc
        """,
        [project, week_start, end],
    )
    alerts = _df(
        con,
        """
        select activity_date, scope, metric, coalesce(page_url, '(site)') as page_url, observed,
            expected, strength, rule
        from marts.fct_alerts
        where project = ? and activity_date between ? and ?
        order by activity_date, scope, page_url, metric
        """,
        window,
    )
    collection = _df(
        con,
        """
        select activity_date, requests, failed_requests, quota_used, is_missing, missing_reason
        from marts.fct_collection_daily
        where project = ? and activity_date between ? and ?
        order by activity_date
        """,
        window,
    )
    report = ProjectReport(
        project=project,
        timezone=timezone,
        start=start,
        end=end,
        daily=daily,
        pages=pages,
        page_trends=page_trends,
        segments=_signal_rates(segments_wide),
        alerts=alerts,
        collection=collection,
    )
    report.summary = _summary(report)
    return report


def _signal_rates(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per segment and signal: the week's recombined rate (sum of sessions with the
    signal over the sum of the sessions its block counted)."""
    import pandas as pd  # noqa: PLC0415

    rows = []
    for record in wide.to_dict("records"):
        for signal in SIGNALS:
            base = record[f"{signal.key}_base"] or 0
            rows.append(
                {
                    "dimension": record["dimension"],
                    "value": record["dimension_value"],
                    "signal": signal.key.replace("_", " "),
                    "rate": (record[f"{signal.key}_sessions"] / base) if base else None,
                    "sessions": int(record["sessions"] or 0),
                }
            )
    return pd.DataFrame(rows, columns=["dimension", "value", "signal", "rate", "sessions"])


def _weekly(daily: pd.DataFrame, first: date, last: date) -> tuple[int, float | None, int]:
    """Sessions, the sessions-weighted frustration score and the days with data of a week (the
    score is linear in the rates, so weighting the days by sessions recombines the counts)."""
    import pandas as pd  # noqa: PLC0415

    dates = daily["activity_date"]
    week = daily[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))]
    week = week[week["sessions"].notna()]
    sessions = int(week["sessions"].sum())
    scored = week[week["frustration_score"].notna()]
    weight = scored["sessions"].sum()
    score = (
        float((scored["frustration_score"] * scored["sessions"]).sum() / weight) if weight else None
    )
    return sessions, score, len(week)


def _summary(report: ProjectReport) -> Summary:
    end = report.end
    this_week = _weekly(report.daily, end - timedelta(days=6), end)
    previous = _weekly(report.daily, end - timedelta(days=13), end - timedelta(days=7))
    import pandas as pd  # noqa: PLC0415

    recent = report.alerts[
        (report.alerts["activity_date"] >= pd.Timestamp(end - timedelta(days=6)))
        & (report.alerts["scope"] != "collection")
    ]
    return Summary(
        sessions_week=this_week[0],
        sessions_previous_week=previous[0] if previous[2] else None,
        score_week=this_week[1],
        score_previous_week=previous[1] if previous[2] else None,
        top_pages=[
            (row["page_url"], float(row["excess"]))
            for row in report.pages.head(3).to_dict("records")
        ],
        open_alerts=len(recent),
        missing_days=int(report.daily["is_missing"].sum()),
    )
