"""The questions asked of the raw tables (what is already loaded, what was spent today, when each
dimension set last succeeded, what `clarity status` shows), through dlt's own dataset access: one
SQL text with `%s` parameters runs on every destination dlt supports (on a bucket, dlt's DuckDB
views over the Parquet files). Each question opens a short read-only connection and closes it
again, so dlt (the single writer) never waits on it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ingestion.api.snapshot import to_utc
from ingestion.errors import RunFailedError
from ingestion.warehouse.destination import PIPELINE_NAME, RAW_DATASET, Warehouse

log = logging.getLogger(__name__)

RAW = RAW_DATASET


class WarehouseBusyError(RunFailedError):
    """The warehouse cannot be opened for reading (a DuckDB writer holds the file)."""


class RawReader:
    """Queries written once, with `%s` parameters (`= any(%s)` takes a list on every engine).

    `stored_schema`: on a bucket, dlt's schema as stored beside the files; its tables and columns
    are the ones that exist (dlt's views over the files are created when a query names them, so
    the bucket's information_schema is empty)."""

    def __init__(self, sql_client: Any, stored_schema: Any = None) -> None:
        self._client = sql_client
        self._schema = stored_schema

    def fetchall(self, sql: str, *params: Any) -> list[tuple]:
        return list(self._client.execute_sql(sql, *params) or [])

    def fetchall_with_names(self, sql: str, *params: Any) -> tuple[list[str], list[tuple]]:
        """The column names and the rows of a query."""
        with self._client.execute_query(sql, *params) as cursor:
            names = [column[0] for column in cursor.description]
            return names, list(cursor.fetchall())

    def tables(self, schema: str = RAW) -> set[str]:
        if self._schema is not None:
            return {
                name
                for name, table in self._schema.tables.items()
                if table.get("columns") and schema == RAW
            }
        rows = self.fetchall(
            "select table_name from information_schema.tables where table_schema = %s", schema
        )
        return {row[0] for row in rows}

    def columns(self, table: str, schema: str = RAW) -> set[str]:
        if self._schema is not None:
            if schema != RAW or table not in self._schema.tables:
                return set()
            return set(self._schema.get_table_columns(table))
        rows = self.fetchall(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            schema,
            table,
        )
        return {row[0] for row in rows}


@contextmanager
def raw_reader(warehouse: Warehouse) -> Iterator[RawReader | None]:
    """A short read-only connection to the raw layer, or None while the warehouse does not exist
    yet (nothing loaded)."""
    if not warehouse.exists:
        yield None
        return
    import dlt
    from dlt.destinations.exceptions import DestinationConnectionError

    stored_schema = None
    if warehouse.kind == "filesystem":
        # dlt's stored schema says which tables the bucket holds (its views need it)
        dataset = dlt.dataset(warehouse.dlt_destination(read_only=True), RAW)
        stored_schema = dataset.schema
    else:
        # an empty schema: the questions are plain SQL, nothing is looked up in dlt's schemas
        dataset = dlt.dataset(
            warehouse.dlt_destination(read_only=True), RAW, schema=dlt.Schema(PIPELINE_NAME)
        )
    client = dataset.sql_client
    try:
        client.open_connection()
    except DestinationConnectionError as exc:
        raise WarehouseBusyError(
            f"Cannot open {warehouse.label} for reading: {_reason(exc)}. Another connection "
            "holds the DuckDB file (DuckDB allows one writer, and a writer blocks readers): stop "
            "it (a BI tool, a dbt run, another `clarity` command), or point BI tools at a "
            "published copy (`clarity publish`)."
        ) from None
    try:
        yield RawReader(client, stored_schema)
    finally:
        client.close_connection()


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return str(cause or exc).splitlines()[0]


def existing_ids(
    warehouse: Warehouse, table: str, column: str, candidates: Iterable[str]
) -> set[str]:
    """Which of `candidates` already exist in clarity_raw.<table>.<column>."""
    candidates = list(candidates)
    if not candidates:
        return set()
    with raw_reader(warehouse) as reader:
        if reader is None or table not in reader.tables():
            return set()
        rows = reader.fetchall(
            f"select distinct {column} from {RAW}.{table} where {column} = any(%s)", candidates
        )
    return {row[0] for row in rows}


def body_hashes(warehouse: Warehouse, snapshot_ids: Iterable[str]) -> dict[str, str]:
    """body_sha256 of those snapshots already loaded."""
    snapshot_ids = list(snapshot_ids)
    if not snapshot_ids:
        return {}
    with raw_reader(warehouse) as reader:
        if reader is None or "snapshots" not in reader.tables():
            return {}
        rows = reader.fetchall(
            f"select snapshot_id, body_sha256 from {RAW}.snapshots where snapshot_id = any(%s)",
            snapshot_ids,
        )
    return dict(rows)


def project_settings(warehouse: Warehouse) -> dict[str, dict[str, str | None]] | None:
    """The settings each project's latest row holds (raw table `projects`): its time zone and
    Clarity project id (None in a table written before that column existed); None while that
    table does not exist."""
    with raw_reader(warehouse) as reader:
        if reader is None or "projects" not in reader.tables():
            return None
        has_id = "clarity_project_id" in reader.columns("projects")
        rows = reader.fetchall(
            "select project, timezone, configured_at, _dlt_load_id, "
            f"{'clarity_project_id' if has_id else 'null'} from {RAW}.projects"
        )
    latest: dict[str, tuple] = {}
    for project, timezone_name, configured_at, load_id, clarity_id in rows:
        key = (configured_at, load_id)
        if project not in latest or key > latest[project][0]:
            latest[project] = (key, {"timezone": timezone_name, "clarity_project_id": clarity_id})
    return {project: value[1] for project, value in latest.items()}


def recent_daily_fetches(warehouse: Warehouse, since: datetime) -> dict[str, list[datetime]]:
    """Per project, the fetch times of one-day, no-dimension snapshots since `since` (UTC): when
    the daily collection ran."""
    with raw_reader(warehouse) as reader:
        if reader is None or "snapshots" not in reader.tables():
            return {}
        rows = reader.fetchall(
            f"select distinct project, fetched_at from {RAW}.snapshots "
            "where num_of_days = 1 and dimensions = '' and fetched_at >= %s",
            since,
        )
    found: dict[str, list[datetime]] = {}
    for project, fetched_at in rows:
        found.setdefault(project, []).append(to_utc(fetched_at))
    return found


def request_outcomes(
    warehouse: Warehouse, since: datetime
) -> list[tuple[str, str, datetime, bool]]:
    """(project, dimension set, requested_at UTC, succeeded) of every request since `since`."""
    with raw_reader(warehouse) as reader:
        if reader is None or "requests" not in reader.tables():
            return []
        rows = reader.fetchall(
            f"select project, coalesce(dimensions, ''), requested_at, "
            f"status = 200 and error_class is null from {RAW}.requests "
            "where requested_at >= %s order by requested_at",
            since,
        )
    return [(project, dims, to_utc(at), bool(ok)) for project, dims, at, ok in rows]


@dataclass
class ProjectFacts:
    """What the raw tables know about one project for planning today."""

    request_ids_today: set[str] = field(default_factory=set)
    quota_exhausted_today: bool = False
    last_success: dict[str, datetime] = field(default_factory=dict)


def _utc_day(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def project_facts(warehouse: Warehouse, day: date) -> dict[str, ProjectFacts]:
    """Per project: request ids spent on `day` (UTC), a 429 seen that day, last success per set."""
    facts: dict[str, ProjectFacts] = {}
    start, end = _utc_day(day)
    with raw_reader(warehouse) as reader:
        if reader is None:
            return facts
        tables = reader.tables()
        if "requests" in tables:
            rows = reader.fetchall(
                f"select project, request_id, status from {RAW}.requests "
                "where requested_at >= %s and requested_at < %s and counted_against_quota",
                start,
                end,
            )
            for project, request_id, status in rows:
                entry = facts.setdefault(project, ProjectFacts())
                entry.request_ids_today.add(request_id)
                entry.quota_exhausted_today |= status == 429
        if "snapshots" in tables:
            rows = reader.fetchall(
                "select project, dimensions, max(fetched_at) "
                f"from {RAW}.snapshots group by project, dimensions"
            )
            for project, dimensions, fetched_at in rows:
                facts.setdefault(project, ProjectFacts()).last_success[dimensions] = to_utc(
                    fetched_at
                )
    return facts


@dataclass
class ProjectStatus:
    """One line of `clarity status`."""

    project: str
    snapshots: int
    metric_rows: int
    last_fetched_at: datetime | None
    requests_today: int
    errors_today: int
    last_loaded_at: datetime | None

    def freshness_hours(self, now: datetime) -> float | None:
        if self.last_fetched_at is None:
            return None
        return (now - self.last_fetched_at).total_seconds() / 3600


def project_statuses(warehouse: Warehouse, now: datetime) -> list[ProjectStatus]:
    """Per project: snapshots and rows loaded, last fetch and load, requests spent today (UTC)."""
    start, end = _utc_day(to_utc(now).date())
    with raw_reader(warehouse) as reader:
        if reader is None or "snapshots" not in reader.tables():
            return []
        tables = reader.tables()
        params: Sequence[Any] = ()
        if "requests" in tables:
            requests_sql = f"""select project,
                count(case when counted_against_quota then 1 end) as spent,
                count(case when error_class is not null then 1 end) as errors
              from {RAW}.requests where requested_at >= %s and requested_at < %s
              group by project"""
            params = (start, end)
        else:
            requests_sql = "select null as project, 0 as spent, 0 as errors where false"
        metric_sql = (
            f"select project, count(*) as metric_rows from {RAW}.metric_rows group by project"
            if "metric_rows" in tables
            else "select null as project, 0 as metric_rows where false"
        )
        rows = reader.fetchall(
            f"""
            with snaps as (
                select project, count(*) as snapshots, max(fetched_at) as last_fetched_at,
                       max(_dlt_load_id) as last_load_id
                from {RAW}.snapshots group by project
            ),
            metric as ({metric_sql}),
            req as ({requests_sql})
            select s.project, s.snapshots, coalesce(m.metric_rows, 0), s.last_fetched_at,
                   coalesce(r.spent, 0), coalesce(r.errors, 0), l.inserted_at
            from snaps as s
            left join metric as m on m.project = s.project
            left join req as r on r.project = s.project
            left join {RAW}._dlt_loads as l on l.load_id = s.last_load_id
            order by s.project
            """,
            *params,
        )
    return [
        ProjectStatus(
            project=row[0],
            snapshots=row[1],
            metric_rows=row[2],
            last_fetched_at=_utc(row[3]),
            requests_today=row[4],
            errors_today=row[5],
            last_loaded_at=_utc(row[6]),
        )
        for row in rows
    ]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
