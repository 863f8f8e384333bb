"""The answers of the assistant tools, from the published copy of the marts: each tool checks its
arguments, asks the named queries of outputs/marts.py and shapes the JSON, with notes. Each call
opens its own read-only connection (file and network access off, settings locked) and closes it,
so a copy published meanwhile is what the next call reads. One deadline covers the whole call (the
queries, fetching the rows and turning them into JSON) and one byte budget its rows."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb

from ingestion.outputs.assistant.sql_guard import (
    RefusedQuery,
    UnboundQuery,
    check_plan,
    check_select,
    describe_error,
)
from ingestion.outputs.clarity_links import NO_ID, clarity_links, page_links
from ingestion.outputs.marts import (
    DEFAULT_DAYS,
    DEFAULT_SITE_METRICS,
    SEGMENT_DAYS,
    SEGMENT_DIMENSIONS,
    SITE_METRICS,
    TOP_LIST_SIZE,
    TOP_LISTS,
    MartsReader,
)
from ingestion.outputs.periods import Completeness

log = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 500
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_BYTES = 1_000_000  # 1 MB of JSON rows per answer
MAX_DAYS = 366  # dates per call of site_daily, segment_breakdown, collection_health
MAX_WEEKS = 104
MAX_PAGES = 100
MAX_SEGMENT_VALUES = 100
MAX_TOP_ITEMS = 50  # items top_list returns at most (recombined days can list more than 10)
# what the alerts tool tells of an alert, in this order
ALERT_FIELDS = (
    "activity_date", "scope", "metric", "page_url", "observed", "expected", "strength",
    "sessions", "baseline_sessions", "rule",
)  # fmt: skip

# Set when the database opens and locked there: a query cannot read files or URLs, attach,
# copy, load extensions, scan Python variables, or change any of this with SET.
CONNECTION_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "python_enable_replacements": False,
    "memory_limit": "1GB",
    "lock_configuration": True,
}
MISSING_COPY = (
    "the published copy of the marts does not exist yet: run `clarity publish` (or the daily "
    "`clarity run`), then ask again"
)


class AnswerError(Exception):
    """A failure the client may read: it names no file path and carries no stack trace."""


@dataclass(frozen=True)
class Limits:
    max_rows: int = DEFAULT_MAX_ROWS  # rows `query` returns at most
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS  # wall time of one call, fetching included
    max_bytes: int = DEFAULT_MAX_BYTES  # bytes of the rows of one answer, as UTF-8 JSON


class PublishedMarts:
    """The marts of one published copy (a DuckDB file written by `clarity publish`)."""

    def __init__(self, path: Path, limits: Limits | None = None) -> None:
        self.path = path
        self.limits = limits or Limits()

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[_Call]:
        """A read-only connection with the call's deadline and byte budget; the time limit
        interrupts it, and DuckDB errors become AnswerError. (Calls that overlap share one open
        database; once none is open, the next call opens the file anew and so reads a copy
        published meanwhile.)"""
        started = time.monotonic()
        if not self.path.is_file():
            raise AnswerError(MISSING_COPY)
        try:
            con = duckdb.connect(str(self.path), read_only=True, config=CONNECTION_CONFIG)
        except duckdb.Error as exc:
            log.warning("cannot open the published copy %s: %s", self.path, exc)
            raise AnswerError(
                "the published copy of the marts cannot be opened right now (being replaced, or "
                "not a DuckDB file): ask again in a moment, or run `clarity publish`"
            ) from None
        limit = self.limits.timeout_seconds
        timer = threading.Timer(max(0.0, started + limit - time.monotonic()), _interrupt, [con])
        timer.daemon = True
        timer.start()
        try:
            con.execute("use marts")
            yield _Call(con, self.limits, started)
        except duckdb.InterruptException:
            raise AnswerError(_stopped(limit)) from None
        except duckdb.Error as exc:
            raise AnswerError(f"the query failed: {self._safe_message(exc)}") from None
        finally:
            timer.cancel()
            con.close()

    def _safe_message(self, exc: Exception) -> str:
        """DuckDB's message without any file path (the copy's or another one)."""
        text = describe_error(str(exc).strip())
        for known, label in ((self.path, "<published copy>"), (self.path.parent, "<data folder>")):
            text = text.replace(str(known), label)
        text = re.sub(r"(?<![\w:/.])/(?:[^\s\"'/]+/)+[^\s\"']*", "<path>", text)
        lines = text.splitlines()
        return "\n".join(lines[:6])

    def _project(self, call: _Call, project: str) -> tuple[str, date | None]:
        """The project's time zone and latest date with a daily site value; AnswerError naming
        the known projects when there is no such project."""
        found = call.marts.project(project)
        if found is None:
            known = call.marts.project_names()
            raise AnswerError(
                f"unknown project {project!r}; the projects are: "
                + (", ".join(known) if known else "none yet (nothing collected)")
            )
        return found.timezone, found.last_activity_date

    def _last_collection_date(self, call: _Call, project: str) -> date | None:
        """The latest date of the project's collection record (fct_collection_daily), None when
        nothing was collected yet; AnswerError for an unknown project."""
        self._project(call, project)
        return call.marts.dates(project, "collection")[1]

    # -- tools -------------------------------------------------------------------------------

    def list_projects(self) -> dict[str, Any]:
        with self._connection() as call:
            projects = call.marts.projects()
        now = datetime.now(timezone.utc)
        for project in projects:
            fetched = project["last_fetched_at"]
            project["hours_since_last_fetch"] = (
                round((now - datetime.fromisoformat(fetched)).total_seconds() / 3600, 1)
                if fetched
                else None
            )
        try:
            published = datetime.fromtimestamp(self.path.stat().st_mtime, timezone.utc)
        except OSError:  # removed since the call read it
            raise AnswerError(MISSING_COPY) from None
        return {
            "projects": projects,
            "published_at": published.isoformat(timespec="seconds"),
            "notes": (
                "Dates are calendar dates of each project's time zone. last_activity_date is "
                "the latest date with a daily site value; a date is normally collected just "
                "after it ends, so the current date is never there yet. "
                "hours_since_last_fetch is measured against the server's clock."
            ),
        }

    def site_daily(
        self,
        project: str,
        start: date | None = None,
        end: date | None = None,
        metrics: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        chosen = list(dict.fromkeys(metrics or DEFAULT_SITE_METRICS))
        unknown = [m for m in chosen if m not in SITE_METRICS]
        if unknown:
            raise AnswerError(
                f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(SITE_METRICS)}"
            )
        with self._connection() as call:
            zone, last = self._project(call, project)
            start, end = _period(last, start, end, DEFAULT_DAYS, project)
            days = call.marts.site_daily(project, start, end, chosen)
        with_value = [day for day in days if not day["is_missing"]]
        summary: dict[str, Any] = {
            "dates": len(days),
            "dates_with_value": len(with_value),
            "missing": [
                {"date": day["activity_date"], "reason": day["missing_reason"]}
                for day in days
                if day["is_missing"]
            ],
            "recovered_from_nested_windows": sum(
                day["value_source"] == "nested_difference" for day in with_value
            ),
            "solved_exact": sum(day["value_source"] == "solved_exact" for day in with_value),
            "solved_estimates": sum(day["value_source"] == "solved_estimate" for day in with_value),
            "lowest_day_coverage": min(
                (day["day_coverage"] for day in with_value if day["day_coverage"] is not None),
                default=None,
            ),
        }
        if "sessions" in chosen:
            summary["sessions_total"] = sum(day["sessions"] or 0 for day in with_value)
        return {
            "project": project,
            "timezone": zone,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "metrics": chosen,
            "days": days,
            "summary": summary,
            "notes": (
                "One row per date of the project's time zone; a date without a value has "
                "is_missing true and missing_reason says why (never invented). day_coverage is "
                "the share of the date the 24-hour period behind the value covers; value_source "
                "is one_day_window, nested_difference (a day recovered after a gap), "
                "solved_exact or solved_estimate (the window solver's split of multi-day "
                "windows; sessions_error is an estimate's stated error: the truth lies within "
                "sessions ± sessions_error for about 90 % of estimates; say so when you quote "
                "one). Distinct users and averages are null on recovered and solved days. "
                "Rates are fractions 0..1; frustration_score is 0..100. Never average rates "
                "over days: recombine counts (<signal>_sessions over sessions). See "
                "clarity://docs/clarity_day_coverage and clarity://docs/clarity_window_solver."
            ),
        }

    def pages_to_fix(self, project: str, on: date | None = None, limit: int = 10) -> dict[str, Any]:
        if not 1 <= limit <= MAX_PAGES:
            raise AnswerError(f"limit must be between 1 and {MAX_PAGES}, got {limit}")
        with self._connection() as call:
            self._project(call, project)
            clarity_id = call.marts.project(project).clarity_project_id
            first, last = call.marts.dates(project, "pages")
            if last is None:
                raise AnswerError(f"no page ranking for {project} yet (no URL data collected)")
            on = on or last
            pages = call.marts.pages_to_fix(project, on, limit)
            ranked = call.marts.pages_ranked(project, on)
            completeness = _completeness(call, project, on - timedelta(days=6), on)
        if not pages:
            raise AnswerError(
                f"no page ranking for {project} on {on.isoformat()}; rankings exist from "
                f"{first.isoformat()} to {last.isoformat()}"
            )
        for page in pages:
            page["clarity"] = page_links(clarity_id, page["page_url"], on).as_dict()
        return {
            "project": project,
            "date": on.isoformat(),
            "pages_ranked": ranked,
            "completeness": completeness,
            "pages": pages,
            "notes": (
                "Ranked by excess frustrated sessions over the 7 days ending on the date: "
                "sessions_7d x (shrunk_score_7d - site_score_7d) / 100, how many more weighted "
                "frustrated sessions the page produced than it would at the site's rates "
                "(negative: better than the site). Scores are 0..100; shrunk_score pulls "
                "low-traffic pages toward the site. Page sessions overlap (one session views "
                "several pages). See clarity://docs/clarity_excess_frustrated_sessions and "
                "clarity://docs/clarity_score_shrinkage. completeness: how many of the 7 dates "
                "have a daily value, exact or estimated (a score over fewer dates is weaker). "
                "Each page's `clarity` holds links to "
                "its recordings and heatmap in the Clarity dashboard over those 7 days "
                + (
                    "(Microsoft does not document these addresses: they may stop working)."
                    if clarity_id
                    else f"(none here: {NO_ID})."
                )
            ),
        }

    def page_trend(self, project: str, page_url: str, weeks: int = 8) -> dict[str, Any]:
        if not 1 <= weeks <= MAX_WEEKS:
            raise AnswerError(f"weeks must be between 1 and {MAX_WEEKS}, got {weeks}")
        with self._connection() as call:
            self._project(call, project)
            if not call.marts.page_known(project, page_url):
                candidates = call.marts.similar_pages(
                    project, page_url.strip().rstrip("/") or page_url
                )
                hint = (
                    f"; did you mean: {', '.join(candidates)}"
                    if candidates
                    else "; pages_to_fix or query over marts.dim_pages lists the page URLs"
                )
                raise AnswerError(
                    f"no page {page_url!r} in {project} (pages are keyed by the normalised URL: "
                    f"lower-case scheme and host, no query string or trailing slash){hint}"
                )
            weeks_found = call.marts.page_weeks(project, page_url, weeks)
        return {
            "project": project,
            "page_url": page_url,
            "weeks": weeks_found,
            "notes": (
                "ISO weeks (Monday to Sunday). score is the page's frustration score (0..100) "
                "of the week, recombined from its days; score_change is in points, "
                "*_change_relative a fraction (0.5 = half as much again), null for a first week "
                "or after a week without data. Partial weeks (is_complete_week false): compare "
                "scores, not sessions. See clarity://docs/clarity_week_over_week."
            ),
        }

    def segment_breakdown(
        self,
        project: str,
        dimension: str,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, Any]:
        if dimension not in SEGMENT_DIMENSIONS:
            raise AnswerError(
                f"unknown dimension {dimension!r}; choose from {', '.join(SEGMENT_DIMENSIONS)}"
            )
        with self._connection() as call:
            self._project(call, project)
            last = call.marts.dates(project, "segments", dimension)[1]
            if last is None:
                raise AnswerError(
                    f"no {dimension} breakdown collected for {project} (that dimension set is "
                    "not among the configured dimension_sets, or not fetched yet)"
                )
            start, end = _period(last, start, end, SEGMENT_DAYS, project)
            rows = call.marts.segments(
                project, [dimension], start, end, limit=MAX_SEGMENT_VALUES + 1
            )
            completeness = _completeness(call, project, start, end)
        segments = _by_segment(rows)
        truncated = len(segments) > MAX_SEGMENT_VALUES
        return {
            "project": project,
            "dimension": dimension,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "completeness": completeness,
            "segments": segments[:MAX_SEGMENT_VALUES],
            "truncated": truncated,
            "notes": (
                "Per segment, the period's sessions and, per signal, the sessions with it and "
                "its rate (a fraction 0..1) recombined from daily counts (sum of sessions with "
                "the signal over the sum of the sessions the signal's block counted), never "
                "an average of daily rates. Segment sessions need not add up exactly to the "
                "site's; days_with_data is each segment's dates with a value, completeness the "
                "site's (dates of the period with a daily value, exact or estimated). See "
                "clarity://docs/clarity_signal_rate."
                + (
                    f" Only the {MAX_SEGMENT_VALUES} largest segments are listed."
                    if truncated
                    else ""
                )
            ),
        }

    def top_list(
        self,
        project: str,
        list_name: str,
        start: date | None = None,
        end: date | None = None,
        by_host: bool = False,
        limit: int = TOP_LIST_SIZE,
    ) -> dict[str, Any]:
        if list_name not in TOP_LISTS:
            raise AnswerError(f"unknown list {list_name!r}; choose from {', '.join(TOP_LISTS)}")
        if by_host and list_name != "referrer":
            raise AnswerError("by_host groups referrers by site: use it with list 'referrer'")
        if not 1 <= limit <= MAX_TOP_ITEMS:
            raise AnswerError(f"limit must be between 1 and {MAX_TOP_ITEMS}, got {limit}")
        with self._connection() as call:
            self._project(call, project)
            last = call.marts.dates(project, "top_lists")[1]
            if last is None:
                raise AnswerError(
                    f"no daily top lists for {project} yet: they come from one-day site "
                    "windows, and none was chosen for a date"
                )
            start, end = _period(last, start, end, SEGMENT_DAYS, project)
            items = call.marts.top_list(
                project, list_name, start, end, by_host=by_host, limit=limit
            )
            completeness = _completeness(call, project, start, end)
        unit = "visits" if list_name == "popular_page" else "sessions"
        return {
            "project": project,
            "list": list_name,
            "by_host": by_host,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "days_with_lists": items[0]["days_with_lists"] if items else 0,
            "completeness": completeness,
            "items": [
                {
                    "item": row["item"],
                    unit: row[unit],
                    "days_listed": row["days_listed"],
                    "best_rank": row["best_rank"],
                    **({"page_id": row["page_id"]} if list_name == "popular_page" else {}),
                }
                for row in items
            ],
            "notes": (
                f"Recombined from the daily top-10 lists (one-day windows only): per item the "
                f"{unit} the days' lists hold and the days it was listed. A day it was not in "
                "the top 10 adds nothing: its count that day is unknown, not zero, so each sum "
                "is a lower bound, an item never in a daily top 10 is missing, and the items "
                "never add up to the site's total. '(not set)' is a referrer without a name "
                "(direct visits, bookmarks, apps). Popular pages are normalised page URLs "
                "(page_id joins dim_pages). days_with_lists: the period's dates with lists "
                "(only exact one-day windows have them), of completeness.dates. See "
                "clarity://docs/clarity_top_list."
            ),
        }

    def alerts(self, project: str, since: date | None = None) -> dict[str, Any]:
        with self._connection() as call:
            last = self._last_collection_date(call, project)
            if since is None:
                since = (last or date.today()) - timedelta(days=DEFAULT_DAYS - 1)
            found = call.marts.alerts(
                project, since, newest_first=True, limit=self.limits.max_rows + 1
            )
            periods = call.marts.period_completeness(since, last or since, project)
        rows = [{key: alert[key] for key in ALERT_FIELDS} for alert in found]
        truncated = len(rows) > self.limits.max_rows
        period = periods[0] if periods else {}
        return {
            "project": project,
            "since": since.isoformat(),
            "alert_count": min(len(rows), self.limits.max_rows),
            "truncated": truncated,
            "alerts": rows[: self.limits.max_rows],
            "days_tested": period.get("exact_days", 0),
            "days_estimated_not_tested": period.get("estimated_days", 0),
            "notes": (
                "Signal alerts test only days with an exact value (days_tested): an estimated "
                "day (days_estimated_not_tested) is never tested, so no alert on it means not "
                "tested, not fine. "
                "Signal alerts (scope page or site): observed = the day's rate (sessions with "
                "the signal / sessions, 0..1), expected = the rate of the trailing baseline days, "
                "strength = z of a two-proportion test on the arcsine scale; the rule fires "
                "when the rate rose, z >= the threshold and both sides have enough sessions "
                "(sessions, baseline_sessions); `rule` states the numbers used. Collection "
                "alerts (scope collection): observed = best day coverage found, expected = the "
                "coverage required, strength = consecutive missing days. See "
                "clarity://docs/clarity_alert_rule and clarity://docs/clarity_collection_alert. "
                "A lasting regression alerts on many days: the incidents tool gives one row per "
                "episode, open or resolved (clarity://docs/clarity_incident_rule)."
            ),
        }

    def incidents(self, project: str, since: date | None = None) -> dict[str, Any]:
        with self._connection() as call:
            last = self._last_collection_date(call, project)
            clarity_id = call.marts.project(project).clarity_project_id
            if since is None:
                since = (last or date.today()) - timedelta(days=DEFAULT_DAYS - 1)
            found = call.marts.incidents(project, since, limit=self.limits.max_rows + 1)
        rows = found[: self.limits.max_rows]
        for row in rows:
            row["clarity"] = (
                None
                if row["scope"] == "collection"
                else clarity_links(
                    clarity_id,
                    row["page_url"],
                    date.fromisoformat(row["opened_on"]),  # rows come as JSON has them
                    date.fromisoformat(row["last_seen_on"]),
                ).as_dict()
            )
        return {
            "project": project,
            "since": since.isoformat(),
            "open_count": sum(1 for row in rows if row["status"] == "open"),
            "incident_count": len(rows),
            "truncated": len(found) > self.limits.max_rows,
            "incidents": rows,
            "notes": (
                "One row per incident, the open first: an episode of daily signal alerts on one "
                "series (scope page or site, a page_url and metric), opened on its first alert, "
                "last_seen_on its last, resolved once the rate has been near the baseline of its "
                "alert on clarity_incident_resolve_days tested days in a row (3 by default); or "
                "a run of days without a daily value (scope collection), resolved when the next "
                "day has a value (resolution collecting_again) or every day of it got one later "
                "(recovered). peak_observed / peak_expected: the rates (0..1) on peak_on, the day "
                "of the largest z (peak_strength); for collection, peak_strength is the days and "
                "peak_observed the lowest day coverage. Listed: every open incident and those "
                "seen or resolved since the date. The daily rows are the alerts tool's "
                "(fct_alerts). See clarity://docs/clarity_incident_rule."
                + ("" if clarity_id else f" No links into Clarity here: {NO_ID}.")
            ),
        }

    def collection_health(self, project: str, days: int = 14) -> dict[str, Any]:
        if not 1 <= days <= MAX_DAYS:
            raise AnswerError(f"days must be between 1 and {MAX_DAYS}, got {days}")
        with self._connection() as call:
            last = self._last_collection_date(call, project)
            if last is None:
                raise AnswerError(f"no collection recorded for {project} yet")
            start = last - timedelta(days=days - 1)
            rows = call.marts.collection_health(project, start, last)
        totals = {
            key: sum(row[key] or 0 for row in rows)
            for key in (
                "requests",
                "failed_requests",
                "rate_limited_requests",
                "client_error_requests",
                "server_error_requests",
                "no_response_requests",
                "snapshots_fetched",
            )
        }
        return {
            "project": project,
            "start": start.isoformat(),
            "end": last.isoformat(),
            "totals": totals,
            "missing_days": [
                {"date": row["activity_date"], "reason": row["missing_reason"]}
                for row in rows
                if row["is_missing"]
            ],
            "recovered_days": [
                row["activity_date"]
                for row in rows
                if row["site_value_source"] == "nested_difference"
            ],
            "solved_days": [
                row["activity_date"]
                for row in rows
                if row["site_value_source"] in ("solved_exact", "solved_estimate")
            ],
            "days": rows,
            "notes": (
                "Requests are counted on the date (project's time zone) they were sent; the "
                "value of date D normally comes from a request sent on D + 1. A missing day's "
                "reason: request_failed, awaiting_collection (not ended at the last fetch: no "
                "anomaly), coverage_below_threshold, only_multi_day_window, not_collected. "
                "recovered_days got their value from nested windows after a gap, solved_days "
                "from the window solver (multi-day windows split into days: exact or an "
                "estimate with its stated error). See clarity://docs/clarity_missing_reason."
            ),
        }

    def query(self, sql: str) -> dict[str, Any]:
        limits = self.limits
        with self._connection() as call:
            tables = call.marts.tables()
            try:
                statement = check_select(sql, tables)
                check_plan(call.con, statement, tables)
            except RefusedQuery as exc:
                raise AnswerError(str(exc)) from None
            except UnboundQuery as exc:
                raise AnswerError(f"the query failed: {self._safe_message(exc)}") from None
            started = time.perf_counter()
            fetched = call.fetch(statement, max_rows=limits.max_rows)
            seconds = time.perf_counter() - started
        answer: dict[str, Any] = {
            "columns": fetched.columns,
            "rows": fetched.rows,
            "row_count": len(fetched.rows),
            "truncated": fetched.cut is not None,
            "max_rows": limits.max_rows,
            "max_bytes": limits.max_bytes,
            "seconds": round(seconds, 3),
        }
        if fetched.cut == "rows":
            answer["note"] = (
                f"capped: the query returns more than {limits.max_rows} rows and only the first "
                f"{limits.max_rows} are shown; aggregate, filter or add a LIMIT"
            )
        elif fetched.cut == "bytes":
            answer["note"] = (
                f"capped: the rows would pass {limits.max_bytes:,} bytes of JSON, so the answer "
                f"is cut after {len(fetched.rows)} rows; select fewer or shorter columns (left(), "
                "length()), aggregate or add a LIMIT"
            )
        return answer


@dataclass
class Fetched:
    """Rows of one query as JSON has them, and why there are fewer than the query gives."""

    columns: list[str]
    rows: list[Any]  # lists of values, or records (dicts by column)
    cut: str | None = None  # "rows" (past max_rows) or "bytes" (past the byte budget)


class _Call:
    """The connection of one tool call, with the call's deadline and its byte budget, which
    every fetch of the call shares. Rows come in growing batches (one row first), each turned
    into JSON and counted before the next: a huge answer is cut, not carried."""

    MAX_BATCH = 1024

    def __init__(self, con: duckdb.DuckDBPyConnection, limits: Limits, started: float) -> None:
        self.con = con
        self.limits = limits
        self.deadline = started + limits.timeout_seconds
        self.bytes_left = limits.max_bytes
        # the named queries, their row sets fetched within this call's limits
        self.marts = MartsReader(con, self.records)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, list(params))

    def records(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row as a record; AnswerError when they would pass the byte budget (a tool's
        summary over a part of its rows would mislead)."""
        fetched = self.fetch(sql, params, as_records=True)
        if fetched.cut:
            raise AnswerError(
                f"the answer would pass {self.limits.max_bytes:,} bytes of JSON (cut after "
                f"{len(fetched.rows)} rows); ask for less: fewer dates, metrics or pages"
            )
        return fetched.rows

    def fetch(
        self,
        sql: str,
        params: Sequence[Any] = (),
        *,
        max_rows: int | None = None,
        as_records: bool = False,
    ) -> Fetched:
        """The rows of `sql` while they fit `max_rows` and the byte budget; AnswerError at the
        deadline."""
        cursor = self.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        fetched = Fetched(columns, [])
        budget = self.bytes_left - _json_size(columns)
        size, batch = 0, 1
        while fetched.cut is None:
            self.check_deadline()
            wanted = batch if max_rows is None else min(batch, max_rows + 1 - len(fetched.rows))
            chunk = cursor.fetchmany(wanted)
            if not chunk:
                break
            for row in chunk:
                if max_rows is not None and len(fetched.rows) == max_rows:
                    fetched.cut = "rows"
                    break
                values = [plain(value) for value in row]
                item = dict(zip(columns, values, strict=True)) if as_records else values
                row_size = _json_size(item) + 1  # and the comma
                if size + row_size > budget:
                    fetched.cut = "bytes"
                    break
                fetched.rows.append(item)
                size += row_size
                self.check_deadline()
            batch = min(batch * 2, self.MAX_BATCH)
        self.bytes_left -= size
        return fetched

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            _interrupt(self.con)
            raise AnswerError(_stopped(self.limits.timeout_seconds))


def _by_segment(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The long rows of one dimension (one per segment value and signal) as one record per
    segment value: its sessions, share and days, then each signal's sessions and rate."""
    segments: dict[str, dict[str, Any]] = {}
    for row in rows:
        segment = segments.setdefault(
            row["dimension_value"],
            {
                "dimension_value": row["dimension_value"],
                "days_with_data": row["days_with_data"],
                "sessions": row["sessions"],
                "share_of_sessions": row["share_of_sessions"],
            },
        )
        segment[f"{row['signal']}_sessions"] = row["signal_sessions"]
        segment[f"{row['signal']}_rate"] = row["rate"]
    return list(segments.values())


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _stopped(limit: float) -> str:
    return (
        f"stopped: the call ran past the time limit of {limit:g} s; ask for less (one project, "
        "fewer dates, an aggregate or a LIMIT)"
    )


def _completeness(call: _Call, project: str, start: date, end: date) -> dict[str, Any]:
    """How many of the dates from `start` to `end` have a daily site value, and of which kind
    (exact: a one-day window, nested windows or an exact solution; estimated: a solved
    estimate), for an answer over those dates to state."""
    rows = call.marts.period_completeness(start, end, project)
    period = Completeness.of(rows[0] if rows else None, (end - start).days + 1)
    return {
        "dates": period.days,
        "dates_with_value": period.with_value,
        "exact": period.exact,
        "estimated": period.estimated,
    }


def _period(
    last: date | None, start: date | None, end: date | None, default_days: int, project: str
) -> tuple[date, date]:
    """The dates asked for; by default `default_days` ending on `last`, the latest date with
    data."""
    if end is None:
        if last is None:
            raise AnswerError(f"no daily values for {project} yet: nothing collected and built")
        if start is not None and start > last:
            raise AnswerError(
                f"start {start.isoformat()} is after the latest date with data for {project}, "
                f"{last.isoformat()}"
            )
        end = last
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise AnswerError(
            f"start {start.isoformat()} is after end {end.isoformat()}; give start <= end"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise AnswerError(
            f"{(end - start).days + 1} dates asked; at most {MAX_DAYS} per call (split the "
            "period, or aggregate with the query tool)"
        )
    return start, end


def _interrupt(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.interrupt()
    except duckdb.Error:  # closed meanwhile: the call has ended
        pass


def plain(value: Any) -> Any:
    """A value as JSON has it: ISO dates and times, floats for decimals, null for NaN."""
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int):
        return value
    return str(value)  # a type JSON has no form for
