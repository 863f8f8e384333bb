"""The questions every output asks of the marts (schema `marts`), each written once: which marts
are built, the projects and their dates, the site's days and how complete a period is, the pages
to fix, the segments and their engagement, the top-10 lists, the alerts, the incidents, the
collection record, and the annotations with their effects. The report, the highlights, the
notifications, the MCP server and `clarity run` ask here and only present the answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import duckdb

from ingestion.api.contract import SIGNALS

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_DAYS = 28  # the period of the report, and of the MCP's daily series and alerts
SEGMENT_DAYS = 7  # segments: the latest week
TOP_PAGES = 5  # the pages to fix the report and the highlights show
RANKING_WINDOWS = (7, 28)  # days fct_page_frustration_daily ranks the pages over
HISTORY_DAYS = 90  # the site's own history a score is placed against (score_percentile)

SIGNAL_KEYS = tuple(signal.key for signal in SIGNALS)
# the measures of fct_site_daily a caller may choose
SITE_METRICS = (
    "sessions",
    "bot_sessions",
    "distinct_users",
    "page_views",
    "pages_per_session",
    "avg_scroll_depth",
    "avg_total_time_seconds",
    "avg_active_time_seconds",
    "frustration_score",
    *(f"{key}_rate" for key in SIGNAL_KEYS),
    *(f"{key}_sessions" for key in SIGNAL_KEYS),
)
DEFAULT_SITE_METRICS = ("sessions", "frustration_score")
SEGMENT_DIMENSIONS = ("Device", "Browser", "OS", "Country", "Channel", "Campaign", "Source+Medium")
# the top-10 lists of fct_top_list_daily; popular_page counts visits, the others sessions
TOP_LISTS = ("referrer", "page_title", "popular_page", "browser", "device", "os", "country")
TOP_LIST_SIZE = 10
# engagement averages of fct_segment_daily, each recombined by sessions
ENGAGEMENT = (
    "avg_scroll_depth",
    "avg_total_time_seconds",
    "avg_active_time_seconds",
    "pages_per_session",
)
# the marts the outputs read: `clarity run` builds them when one is missing
OUTPUT_MARTS = (
    "dim_projects",
    "dim_pages",
    "fct_site_daily",
    "fct_collection_daily",
    "fct_page_frustration_daily",
    "fct_page_trends_weekly",
    "fct_segment_daily",
    "fct_top_list_daily",
    "fct_alerts",
    "fct_incidents",
    "fct_annotation_effects",
)
# the columns `incidents` gives, in order
INCIDENT_COLUMNS = (
    "incident_id", "project", "scope", "page_url", "metric", "opened_on", "last_seen_on",
    "resolved_on", "status", "resolution", "alert_days", "peak_on", "peak_strength",
    "peak_observed", "peak_expected", "triage_status", "snoozed_until", "triage_note",
    "effective_status",
)  # fmt: skip
# the daily marts whose dates `dates` gives
_DATED = {
    "site": "fct_site_daily",
    "collection": "fct_collection_daily",
    "pages": "fct_page_frustration_daily",
    "segments": "fct_segment_daily",
    "top_lists": "fct_top_list_daily",
}

Rows = TypeVar("Rows")


class NoMartsError(RuntimeError):
    """The warehouse has no (complete) marts to read."""


@dataclass(frozen=True)
class Project:
    name: str
    timezone: str
    last_activity_date: date | None  # its latest date with a daily site value
    clarity_project_id: str | None = None  # its id in the Clarity dashboard, when configured


@contextmanager
def connect(
    duckdb_path: str | Path, require: Sequence[str] = ()
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse at `duckdb_path`, closed on leaving; NoMartsError
    when the file or one of the `require`d marts is not there."""
    path = Path(duckdb_path)
    if not path.exists():
        raise NoMartsError(f"{path} does not exist: run ingestion and dbt build first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        missing = records(con).missing(require)
        if missing:
            raise NoMartsError(f"{path} lacks marts {', '.join(missing)}: run `dbt build` first")
        yield con
    finally:
        con.close()


def missing_marts(duckdb_path: str | Path, required: Sequence[str] = OUTPUT_MARTS) -> list[str]:
    """Which of the `required` marts the warehouse at `duckdb_path` lacks (all of them when the
    file does not exist)."""
    if not Path(duckdb_path).exists():
        return list(required)
    with connect(duckdb_path) as con:
        return records(con).missing(required)


def records(con: duckdb.DuckDBPyConnection) -> MartsReader[list[dict[str, Any]]]:
    """The marts of `con`, row sets as records (dicts by column, Python values)."""
    return MartsReader(con, _records(con))


def frames(con: duckdb.DuckDBPyConnection) -> MartsReader[pd.DataFrame]:
    """The marts of `con`, row sets as DataFrames (pandas is imported by the first one)."""
    return MartsReader(con, lambda sql, params: con.execute(sql, params).df())


def _records(con: duckdb.DuckDBPyConnection) -> Callable[[str, list[Any]], list[dict[str, Any]]]:
    def fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cursor = con.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    return fetch


class MartsReader(Generic[Rows]):
    """The named queries over the marts of one DuckDB connection, read-only. Row sets come back
    through `fetch(sql, params)`: records, DataFrames, or the MCP's rows under its deadline and
    byte budget; single values and lookups come back as Python values."""

    def __init__(self, con: duckdb.DuckDBPyConnection, fetch: Callable[[str, list[Any]], Rows]):
        self.con = con
        self.fetch = fetch

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.con.execute(sql, list(params)).fetchone()
        return row[0] if row else None

    # -- are the marts built -----------------------------------------------------------------

    def tables(self) -> list[str]:
        """The tables and views of schema marts."""
        rows = self.con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by table_name"
        ).fetchall()
        return [name for (name,) in rows]

    def missing(self, required: Sequence[str] = OUTPUT_MARTS) -> list[str]:
        """Which of the `required` marts are not built, in the order given."""
        if not required:
            return []
        found = set(self.tables())
        return [mart for mart in required if mart not in found]

    # -- projects and their dates ------------------------------------------------------------

    def project(self, name: str) -> Project | None:
        row = self.con.execute(
            "select project, timezone, last_activity_date, clarity_project_id "
            "from marts.dim_projects where project = ?",
            [name],
        ).fetchone()
        return Project(*row) if row else None

    def project_names(self) -> list[str]:
        rows = self.con.execute("select project from marts.dim_projects order by 1").fetchall()
        return [name for (name,) in rows]

    def projects_with_data(self) -> list[Project]:
        """The projects with at least one daily site value, by name."""
        rows = self.con.execute(
            "select project, timezone, last_activity_date, clarity_project_id "
            "from marts.dim_projects where last_activity_date is not null order by project"
        ).fetchall()
        return [Project(*row) for row in rows]

    def busiest_project(self) -> str | None:
        """The project with the most sessions over all its days."""
        return self._one(
            "select project from marts.fct_site_daily group by project "
            "order by sum(sessions) desc, project limit 1"
        )

    def dates(
        self, project: str, of: str, dimension: str | None = None
    ) -> tuple[date | None, date | None]:
        """The first and latest date of `project` in a daily mart: `of` is site, collection,
        pages (the page rankings), segments (of one `dimension`, or any) or top_lists."""
        table = _DATED[of]
        sql = f"select min(activity_date), max(activity_date) from marts.{table} where project = ?"
        params: list[Any] = [project]
        if dimension is not None:
            sql += " and dimension = ?"
            params.append(dimension)
        first, last = self.con.execute(sql, params).fetchone()
        return first, last

    def projects(self) -> Rows:
        """One row per project: its time zone, the span of its daily site values, days and pages
        known, snapshots and requests stored, when it was last asked and fetched, its latest
        collection with requests (date, requests, failures) and its missing days in its latest
        DEFAULT_DAYS dates (days still awaiting collection are not missing)."""
        return self.fetch(
            f"""
            with latest_collection as (
                select
                    project, activity_date, requests, failed_requests,
                    row_number() over (
                        partition by project order by activity_date desc
                    ) as row_num
                from marts.fct_collection_daily
                where requests > 0
            ),

            last_dates as (
                select project, max(activity_date) as last_date
                from marts.fct_collection_daily
                group by project
            ),

            missing as (
                select
                    c.project,
                    count(*) filter (
                        where c.is_missing and c.missing_reason <> 'awaiting_collection'
                    ) as missing_days
                from marts.fct_collection_daily as c
                inner join last_dates as l on c.project = l.project
                where c.activity_date > l.last_date - {DEFAULT_DAYS}
                group by c.project
            )

            select
                p.project, p.timezone, p.clarity_project_id,
                p.first_activity_date, p.last_activity_date,
                p.site_day_count, p.page_count, p.snapshot_count, p.request_count,
                p.last_requested_at, p.last_fetched_at,
                lc.activity_date as last_collection_date,
                lc.requests as last_collection_requests,
                lc.failed_requests as last_collection_failed_requests,
                coalesce(m.missing_days, 0) as missing_days_{DEFAULT_DAYS}d
            from marts.dim_projects as p
            left join latest_collection as lc on p.project = lc.project and lc.row_num = 1
            left join missing as m on p.project = m.project
            order by p.project
            """,
            [],
        )

    # -- the site ----------------------------------------------------------------------------

    def site_daily(
        self,
        project: str,
        start: date,
        end: date,
        metrics: Sequence[str] = DEFAULT_SITE_METRICS,
    ) -> Rows:
        """One row per date of the collection record from `start` to `end`: its day coverage,
        value source and the stated error of a solved value's sessions (null for a measured
        one), whether it is missing and why, and the chosen `metrics` of the site (null on a
        missing date)."""
        unknown = [metric for metric in metrics if metric not in SITE_METRICS]
        if unknown:
            raise ValueError(f"not measures of fct_site_daily: {', '.join(unknown)}")
        columns = "".join(f", d.{metric}" for metric in metrics)
        return self.fetch(
            f"""
            select
                c.activity_date, d.day_coverage, d.value_source, d.sessions_error,
                c.is_missing, c.missing_reason{columns}
            from marts.fct_collection_daily as c
            left join marts.fct_site_daily as d
                on c.project = d.project and c.activity_date = d.activity_date
            where c.project = ? and c.activity_date between ? and ?
            order by c.activity_date
            """,
            [project, start, end],
        )

    def period_completeness(self, start: date, end: date, project: str | None = None) -> Rows:
        """One row per project (or only `project`) of its collection record from `start` to
        `end`: the dates recorded, those with a daily site value by kind (`exact_days`: a
        one-day window, nested difference or exact solution; `estimated_days`: a solved
        estimate, which alerts never test), the first and last date with a value, the
        sessions of those dates and, of the estimated ones, their sessions and the sum of their
        stated errors (`sessions_error`: a bound of the error of their sum)."""
        params: list[Any] = [start, end]
        only = ""
        if project is not None:
            only = "and c.project = ?"
            params.append(project)
        return self.fetch(
            f"""
            select
                c.project,
                count(*) as days,
                count(d.value_source) as days_with_value,
                count(*) filter (where d.value_source in (
                    'one_day_window', 'nested_difference', 'solved_exact'
                )) as exact_days,
                count(*) filter (where d.value_source = 'solved_estimate') as estimated_days,
                min(d.activity_date) as first_value_date,
                max(d.activity_date) as last_value_date,
                coalesce(sum(d.sessions), 0) as sessions,
                coalesce(sum(d.sessions) filter (
                    where d.value_source = 'solved_estimate'
                ), 0) as estimated_sessions,
                coalesce(sum(d.sessions_error) filter (
                    where d.value_source = 'solved_estimate'
                ), 0) as sessions_error
            from marts.fct_collection_daily as c
            left join marts.fct_site_daily as d
                on c.project = d.project and c.activity_date = d.activity_date
            where c.activity_date between ? and ? {only}
            group by c.project
            order by c.project
            """,
            params,
        )

    def score_percentile(
        self, project: str, score: float, end: date, days: int = HISTORY_DAYS
    ) -> dict[str, Any]:
        """Where a 7-day frustration score `score` (sessions-weighted, as the report's summary
        gives it) stands in the project's own history, like for like: of its `days` dates
        ending on `end`, those with a daily site score (`days_with_score`, of them
        `estimated_days` solved estimates), each with the sessions-weighted score of the 7 days
        ending on it; those lower than `score` (`days_below`) and `percentile`, the share of
        them lower in percent (null without a day). A 7-day score varies less than a day's, so
        it is placed among 7-day scores, not among single days."""
        row = self.con.execute(
            """
            with days as (
                select activity_date, value_source, frustration_score, sessions
                from marts.fct_site_daily
                where project = ? and activity_date between ? and ?
            ),

            weekly as (
                select
                    activity_date,
                    value_source,
                    frustration_score,
                    sum(frustration_score * sessions) over seven / nullif(sum(
                        case when frustration_score is not null then sessions end
                    ) over seven, 0) as week_score
                from days
                window seven as (
                    order by activity_date
                    range between interval 6 days preceding and current row
                )
            )

            select
                count(week_score) as days_with_score,
                count(week_score) filter (
                    where value_source = 'solved_estimate'
                ) as estimated_days,
                count(*) filter (where week_score < ?) as days_below
            from weekly
            where activity_date >= ? and frustration_score is not null
            """,
            [
                project,
                end - timedelta(days=days - 1 + 6),
                end,
                score,
                end - timedelta(days=days - 1),
            ],
        ).fetchall()[0]
        with_score, estimated, below = (int(value) for value in row)
        return {
            "days": days,
            "days_with_score": with_score,
            "estimated_days": estimated,
            "days_below": below,
            "percentile": 100.0 * below / with_score if with_score else None,
        }

    # -- the pages ---------------------------------------------------------------------------

    def pages_to_fix(
        self, project: str, on: date | None = None, limit: int = TOP_PAGES, window: int = 7
    ) -> Rows:
        """The `limit` pages ranked first by excess frustrated sessions over the `window` days
        (7 or 28) ending on `on` (default: the latest ranked date): rank, page, the date
        ranked and the measures of both windows."""
        if window not in RANKING_WINDOWS:
            raise ValueError(f"window must be one of {RANKING_WINDOWS}, got {window}")
        return self.fetch(
            f"""
            select
                frustration_rank_{window}d as rank, page_url, activity_date,
                excess_frustrated_sessions_7d, shrunk_score_7d, score_7d, site_score_7d,
                sessions_7d, days_with_data_7d, estimated_days_7d,
                frustration_rank_28d, excess_frustrated_sessions_28d, shrunk_score_28d,
                sessions_28d
            from marts.fct_page_frustration_daily
            where project = ? and activity_date = coalesce(cast(? as date), (
                select max(activity_date) from marts.fct_page_frustration_daily where project = ?
            ))
            order by frustration_rank_{window}d, page_url
            limit ?
            """,
            [project, on, project, limit],
        )

    def pages_ranked(self, project: str, on: date) -> int:
        """How many pages the ranking of `on` has."""
        return self._one(
            "select count(*) from marts.fct_page_frustration_daily "
            "where project = ? and activity_date = ?",
            [project, on],
        )

    def page_scores(self, project: str, pages: Sequence[str], start: date, end: date) -> Rows:
        """The 7-day shrunk score of each of `pages` on each date from `start` to `end`."""
        return self.fetch(
            """
            select page_url, activity_date, shrunk_score_7d
            from marts.fct_page_frustration_daily
            where project = ? and activity_date between ? and ? and page_url in (
                select unnest(?)
            )
            order by page_url, activity_date
            """,
            [project, start, end, list(pages)],
        )

    def page_known(self, project: str, page_url: str) -> bool:
        return bool(
            self._one(
                "select count(*) from marts.dim_pages where project = ? and page_url = ?",
                [project, page_url],
            )
        )

    def similar_pages(self, project: str, text: str, limit: int = 5) -> list[str]:
        """Page URLs of `project` that contain `text` (any case), the most fetched first."""
        rows = self.con.execute(
            "select page_url from marts.dim_pages where project = ? "
            "and contains(lower(page_url), lower(?)) order by snapshot_count desc, page_url "
            "limit ?",
            [project, text, limit],
        ).fetchall()
        return [url for (url,) in rows]

    def page_weeks(self, project: str, page_url: str, weeks: int) -> Rows:
        """The page's latest `weeks` ISO weeks, oldest first: sessions, score, the previous
        week's and the changes."""
        return self.fetch(
            """
            with latest as (
                select
                    week_start_date, week_end_date, days_with_data, is_complete_week,
                    sessions, score, previous_week_sessions, previous_week_score,
                    sessions_change, sessions_change_relative, score_change,
                    score_change_relative
                from marts.fct_page_trends_weekly
                where project = ? and page_url = ?
                order by week_start_date desc
                limit ?
            )

            select * from latest order by week_start_date
            """,
            [project, page_url, weeks],
        )

    # -- the segments ------------------------------------------------------------------------

    def segments(
        self,
        project: str,
        dimensions: Sequence[str],
        start: date,
        end: date,
        limit: int | None = None,
    ) -> Rows:
        """One row per segment value and signal from `start` to `end`, the largest segments of
        each dimension first (at most `limit` of them): the period's sessions, days with data,
        share of the dimension's sessions, and the signal's sessions, base and rate recombined
        from the daily counts (sum of sessions with it over the sum its block counted)."""
        sums = ",\n".join(
            f"sum({key}_sessions) as {key}_sessions, "
            f"sum({key}_base_sessions) as {key}_base_sessions"
            for key in SIGNAL_KEYS
        )
        signals = ", ".join(f"({order}, '{key}')" for order, key in enumerate(SIGNAL_KEYS))

        def picked(suffix: str) -> str:
            whens = " ".join(f"when '{key}' then segments.{key}{suffix}" for key in SIGNAL_KEYS)
            return f"case signals.signal {whens} end"

        params: list[Any] = [project, list(dimensions), start, end]
        ranked = ""
        if limit is not None:
            ranked = "where segments.segment_rank <= ?"
            params.append(limit)
        return self.fetch(
            f"""
            with segments as (
                select
                    dimension,
                    dimension_value,
                    count(distinct activity_date) as days_with_data,
                    sum(sessions) as sessions,
                    sum(sessions) / nullif(
                        sum(sum(sessions)) over (partition by dimension), 0
                    ) as share_of_sessions,
                    row_number() over (
                        partition by dimension
                        order by sum(sessions) desc nulls last, dimension_value
                    ) as segment_rank,
                    {sums}
                from marts.fct_segment_daily
                where project = ? and dimension in (select unnest(?))
                    and activity_date between ? and ?
                group by dimension, dimension_value
            ),

            signals as (
                select signal_order, signal
                from (values {signals}) as listed (signal_order, signal)
            ),

            long_rows as (
                select
                    segments.dimension,
                    segments.dimension_value,
                    segments.segment_rank,
                    segments.days_with_data,
                    segments.sessions,
                    segments.share_of_sessions,
                    signals.signal_order,
                    signals.signal,
                    {picked("_sessions")} as signal_sessions,
                    {picked("_base_sessions")} as base_sessions
                from segments
                cross join signals
                {ranked}
            )

            select
                dimension, dimension_value, days_with_data, sessions, share_of_sessions, signal,
                signal_sessions, base_sessions,
                signal_sessions / nullif(base_sessions, 0) as rate
            from long_rows
            order by dimension, segment_rank, signal_order
            """,
            params,
        )

    def engagement_by_segment(self, project: str, dimension: str, start: date, end: date) -> Rows:
        """One row per value of `dimension` from `start` to `end`, the largest first: the
        period's sessions, and each engagement average (scroll depth, total and active time,
        pages per session) recombined over the dates that have it, weighted by their sessions
        (sum of average x sessions over the sum of those sessions: never an average of daily
        averages), with `measured_sessions` and `days_measured` (the one-day-window dates: a
        nested slice or a solved period has no averages)."""
        averages = ",\n".join(
            f"sum({name} * sessions) / nullif(sum(case when {name} is not null "
            f"then sessions end), 0) as {name}"
            for name in ENGAGEMENT
        )
        return self.fetch(
            f"""
            select
                dimension_value,
                sum(sessions) as sessions,
                sum(case when avg_scroll_depth is not null then sessions end)
                    as measured_sessions,
                count(avg_scroll_depth) as days_measured,
                {averages}
            from marts.fct_segment_daily
            where project = ? and dimension = ? and activity_date between ? and ?
            group by dimension_value
            order by sum(sessions) desc nulls last, dimension_value
            """,
            [project, dimension, start, end],
        )

    # -- the top lists -----------------------------------------------------------------------

    @staticmethod
    def _top_list_key(list_name: str, by_host: bool) -> str:
        """What one row of a recombined list is: the referring site (by_host), the page of a
        popular page (its URL variants of one list are disjoint visits), else the item."""
        if list_name not in TOP_LISTS:
            raise ValueError(f"list must be one of {', '.join(TOP_LISTS)}, got {list_name!r}")
        if by_host and list_name != "referrer":
            raise ValueError("by_host applies to the referrer list only")
        if by_host:
            return "coalesce(referrer_host, item)"
        return "item_url" if list_name == "popular_page" else "item"

    def top_list(
        self,
        project: str,
        list_name: str,
        start: date,
        end: date,
        *,
        by_host: bool = False,
        limit: int = TOP_LIST_SIZE,
    ) -> Rows:
        """The `limit` items of one top list (TOP_LISTS) recombined from the daily lists of
        `start` to `end`, most counted first: per item (a referrer URL, or its host with
        `by_host`; a popular page by its normalised URL) the sessions (visits for popular
        pages) the days' lists hold, `days_listed` (dates whose list holds it) of
        `days_with_lists` (dates with that list), and its best rank. Only what the lists hold
        is added: a day the item was not in the top 10 adds nothing (unknown, not zero), so
        each sum is a lower bound of the item's sessions over the period, and an item never
        in a daily top 10 is missing. Never a total of the site."""
        key = self._top_list_key(list_name, by_host)
        return self.fetch(
            f"""
            with listed as (
                select activity_date, item_rank, {key} as item, page_id, sessions, visits
                from marts.fct_top_list_daily
                where project = ? and list_name = ? and activity_date between ? and ?
            ),

            days as (
                select count(distinct activity_date) as days_with_lists from listed
            ),

            items as (
                select
                    item,
                    min(page_id) as page_id,
                    sum(sessions) as sessions,
                    sum(visits) as visits,
                    count(distinct activity_date) as days_listed,
                    min(item_rank) as best_rank
                from listed
                group by item
            )

            select
                items.item, items.page_id, items.sessions, items.visits, items.days_listed,
                days.days_with_lists, items.best_rank
            from items
            cross join days
            order by coalesce(items.sessions, items.visits) desc, items.item
            limit ?
            """,
            [project, list_name, start, end, limit],
        )

    def top_list_days(
        self,
        project: str,
        list_name: str,
        items: Sequence[str],
        start: date,
        end: date,
        *,
        by_host: bool = False,
    ) -> Rows:
        """One row per date from `start` to `end` and each of `items` (as top_list names them)
        that the date's list holds: its sessions (visits for popular pages) and rank. A date
        whose list does not hold an item has no row for it: its count is unknown, not 0."""
        key = self._top_list_key(list_name, by_host)
        return self.fetch(
            f"""
            select
                activity_date, {key} as item, min(item_rank) as best_rank,
                sum(sessions) as sessions, sum(visits) as visits
            from marts.fct_top_list_daily
            where project = ? and list_name = ? and activity_date between ? and ?
                and {key} in (select unnest(?))
            group by activity_date, {key}
            order by activity_date, item
            """,
            [project, list_name, start, end, list(items)],
        )

    # -- the alerts --------------------------------------------------------------------------

    def alerts(
        self,
        project: str | None = None,
        since: date | None = None,
        until: date | None = None,
        *,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> Rows:
        """The alerts of `project` (default: every project) dated from `since` to `until`
        (each open when None), by date (the newest first if asked), project, scope, page (the
        site's first), metric."""
        where, params = [], []
        for condition, value in (
            ("project = ?", project),
            ("activity_date >= ?", since),
            ("activity_date <= ?", until),
        ):
            if value is not None:
                where.append(condition)
                params.append(value)
        sql = f"""
            select
                alert_id, project, activity_date, scope, metric, page_url, observed, expected,
                strength, sessions, baseline_sessions, rule
            from marts.fct_alerts
            {"where " + " and ".join(where) if where else ""}
            order by activity_date {"desc" if newest_first else "asc"}, project, scope,
                page_url nulls first, metric, alert_id
            """
        if limit is not None:
            sql += "limit ?"
            params.append(limit)
        return self.fetch(sql, params)

    # -- the incidents -----------------------------------------------------------------------

    def incidents(
        self,
        project: str | None = None,
        since: date | None = None,
        *,
        limit: int | None = None,
    ) -> Rows:
        """The incidents of `project` (default: every project): every open one, and those seen
        or resolved from `since` on (every one when None); the open first, then by the last day
        seen (the newest first), project, scope, page (the site's first), metric."""
        where, params = [], []
        if project is not None:
            where.append("project = ?")
            params.append(project)
        if since is not None:
            where.append("(status = 'open' or last_seen_on >= ? or resolved_on >= ?)")
            params += [since, since]
        sql = f"""
            select
                {", ".join(INCIDENT_COLUMNS)}
            from marts.fct_incidents
            {"where " + " and ".join(where) if where else ""}
            order by case when status = 'open' then 0 else 1 end, last_seen_on desc, project,
                scope, page_url nulls first, metric, opened_on desc, incident_id
            """
        if limit is not None:
            sql += "limit ?"
            params.append(limit)
        return self.fetch(sql, params)

    # -- collection --------------------------------------------------------------------------

    def collection_health(self, project: str, start: date, end: date) -> Rows:
        """One row per date of the collection record from `start` to `end`: requests by
        outcome, quota used, snapshots fetched, whether the date got a daily value (if not,
        why), its source and day coverage."""
        return self.fetch(
            """
            select
                activity_date, requests, failed_requests, rate_limited_requests,
                client_error_requests, server_error_requests, no_response_requests,
                quota_used, snapshots_fetched, is_missing, missing_reason,
                site_value_source, day_coverage
            from marts.fct_collection_daily
            where project = ? and activity_date between ? and ?
            order by activity_date
            """,
            [project, start, end],
        )

    # -- annotations and their effects ---------------------------------------------------------

    def _effects_source(self) -> str:
        """fct_annotation_effects, or no row of its columns on a warehouse built before it."""
        return (
            "marts.fct_annotation_effects"
            if "fct_annotation_effects" in self.tables()
            else _NO_EFFECTS
        )

    def annotations(self, project: str, start: date, end: date) -> Rows:
        """The annotations of `project` dated from `start` to `end` (marks on the charts), by
        date and when recorded; none while fct_annotation_effects is not built (a warehouse
        built before it existed)."""
        source = self._effects_source()
        return self.fetch(
            f"""
            select distinct
                annotation_id, annotation_date, kind, text, scope, page_url, incident_id
            from {source}
            where project = ? and annotation_date between ? and ?
            order by annotation_date, annotation_id
            """,
            [project, start, end],
        )

    def annotation_effects(self, project: str, start: date, end: date) -> Rows:
        """Each signal's rate before and after each annotation of `project` dated from `start`
        to `end`, with the two-proportion z test of fct_annotation_effects, by annotation date,
        annotation and the largest |z| first (a null z last)."""
        source = self._effects_source()
        return self.fetch(
            f"""
            select
                annotation_id, annotation_date, kind, text, scope, page_url, incident_id,
                signal, effect_days, after_end_date, days_before, estimated_days_before,
                days_after, estimated_days_after, after_window_complete, sessions_before,
                sessions_with_signal_before, sessions_after, sessions_with_signal_after,
                rate_before, rate_after, z, enough_sessions_before, enough_sessions_after,
                outcome
            from {source}
            where project = ? and annotation_date between ? and ?
            order by annotation_date, annotation_id, abs(z) desc nulls last, signal
            """,
            [project, start, end],
        )


# fct_annotation_effects's columns with no row: what a warehouse built before it reads as
_EFFECT_COLUMNS = {
    "varchar": ("project", "annotation_id", "kind", "text", "scope", "page_url", "incident_id",
                "signal", "outcome"),
    "date": ("annotation_date", "after_end_date"),
    "bigint": ("effect_days", "days_before", "estimated_days_before", "days_after",
               "estimated_days_after", "sessions_before", "sessions_with_signal_before",
               "sessions_after", "sessions_with_signal_after"),
    "double": ("rate_before", "rate_after", "z"),
    "boolean": ("after_window_complete", "enough_sessions_before", "enough_sessions_after"),
}  # fmt: skip
_NO_EFFECTS = "(select {} where false) as no_effects".format(
    ", ".join(
        f"cast(null as {kind}) as {name}"
        for kind, names in _EFFECT_COLUMNS.items()
        for name in names
    )
)
