"""The journal: rows people enter themselves (annotations of releases and fixes, actions on
incidents), kept append-only in schema `clarity_journal` beside the raw history (a later row
supersedes an earlier one; none is updated or deleted). One writer per warehouse kind, as for
the solved store (ingestion/solve/store.py):

- DuckDB and PostgreSQL: tables `clarity_journal.annotations` and
  `clarity_journal.incident_actions`, created when missing (dbt's source `clarity_journal`);
- a bucket: one Parquet file per row, `<bucket>/clarity_journal/<table>/<recorded>_<id>.parquet`,
  plus one file without rows holding the schema (`schema.parquet`), so that the folder is
  never empty for the engines that read it (dbt's clarity_raw_parquet declaration)."""

from __future__ import annotations

import getpass
import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.warehouse.destination import Warehouse

log = logging.getLogger(__name__)

SCHEMA = "clarity_journal"
ANNOTATIONS = "annotations"
INCIDENT_ACTIONS = "incident_actions"
# no leading underscore: Spark skips such files, and a folder of hidden files has no schema
SCHEMA_FILE = "schema.parquet"

ANNOTATION_KINDS = ("release", "fix", "note")
INCIDENT_ACTION_KINDS = ("fixed", "wont_fix", "snoozed", "reopened")

_TIMESTAMP = pa.timestamp("us", tz="UTC")

TABLE_SCHEMAS: dict[str, pa.Schema] = {
    ANNOTATIONS: pa.schema(
        [
            pa.field("annotation_id", pa.string(), nullable=False),
            pa.field("project", pa.string(), nullable=False),
            pa.field("annotation_date", pa.date32(), nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("text", pa.string(), nullable=False),
            pa.field("page_url", pa.string()),
            pa.field("incident_id", pa.string()),
            pa.field("recorded_at", _TIMESTAMP, nullable=False),
            pa.field("recorded_by", pa.string()),
        ]
    ),
    INCIDENT_ACTIONS: pa.schema(
        [
            pa.field("action_id", pa.string(), nullable=False),
            pa.field("project", pa.string(), nullable=False),
            pa.field("incident_id", pa.string(), nullable=False),
            pa.field("action", pa.string(), nullable=False),
            pa.field("snoozed_until", pa.date32()),
            pa.field("note", pa.string()),
            pa.field("recorded_at", _TIMESTAMP, nullable=False),
            pa.field("recorded_by", pa.string()),
        ]
    ),
}


def _new_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _user() -> str | None:
    try:
        return getpass.getuser() or None
    except (KeyError, OSError):  # no $USER and no passwd entry (a bare container)
        return None


@dataclass(frozen=True)
class Annotation:
    """A release, a fix or a note on one date of a project (the project's own zone), for the
    site or one page."""

    project: str
    annotation_date: date
    kind: str
    text: str
    page_url: str | None = None
    incident_id: str | None = None
    annotation_id: str = field(default_factory=_new_id)
    recorded_at: datetime = field(default_factory=_now)
    recorded_by: str | None = field(default_factory=_user)

    table = ANNOTATIONS

    def __post_init__(self) -> None:
        if self.kind not in ANNOTATION_KINDS:
            raise ValueError(f"annotation kind {self.kind!r} is not one of {ANNOTATION_KINDS}")


@dataclass(frozen=True)
class IncidentAction:
    """What a person decided about an incident of fct_incidents."""

    project: str
    incident_id: str
    action: str
    snoozed_until: date | None = None
    note: str | None = None
    action_id: str = field(default_factory=_new_id)
    recorded_at: datetime = field(default_factory=_now)
    recorded_by: str | None = field(default_factory=_user)

    table = INCIDENT_ACTIONS

    def __post_init__(self) -> None:
        if self.action not in INCIDENT_ACTION_KINDS:
            raise ValueError(
                f"incident action {self.action!r} is not one of {INCIDENT_ACTION_KINDS}"
            )
        if (self.action == "snoozed") != (self.snoozed_until is not None):
            raise ValueError("snoozed_until is set for a snoozed incident, and only then")


Entry = Annotation | IncidentAction


def append(warehouse: Warehouse, *entries: Entry) -> int:
    """Append `entries` (each to its table, created when missing), in one transaction on a
    database; the rows written."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_table.setdefault(entry.table, []).append(_row(entry))
    if warehouse.kind == "duckdb":
        _duckdb(warehouse, by_table)
    elif warehouse.kind == "postgres":
        _postgres(warehouse, by_table)
    else:
        _bucket(warehouse, by_table)
    return len(entries)


def _row(entry: Entry) -> dict[str, Any]:
    row = asdict(entry)
    return {name: row[name] for name in TABLE_SCHEMAS[entry.table].names}


def _sql_type(data_type: pa.DataType, kind: str) -> str:
    if pa.types.is_timestamp(data_type):
        return "timestamp with time zone"
    if pa.types.is_date(data_type):
        return "date"
    return "varchar" if kind == "duckdb" else "text"


def create_sql(table: str, kind: str) -> list[str]:
    """The statements that create the schema and `table` when they are missing."""
    columns = ",\n    ".join(
        f"{f.name} {_sql_type(f.type, kind)}{'' if f.nullable else ' not null'}"
        for f in TABLE_SCHEMAS[table]
    )
    return [
        f"create schema if not exists {SCHEMA}",
        f"create table if not exists {SCHEMA}.{table} (\n    {columns}\n)",
    ]


def _insert_sql(table: str, placeholder: str) -> str:
    names = TABLE_SCHEMAS[table].names
    marks = ", ".join(placeholder for _ in names)
    return f"insert into {SCHEMA}.{table} ({', '.join(names)}) values ({marks})"


def _values(table: str, row: dict[str, Any]) -> tuple:
    return tuple(row[name] for name in TABLE_SCHEMAS[table].names)


def _duckdb(warehouse: Warehouse, by_table: dict[str, list[dict[str, Any]]]) -> None:
    import duckdb

    from ingestion.warehouse.raw import WarehouseBusyError

    warehouse.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(warehouse.duckdb_path))
    except duckdb.IOException as exc:
        raise WarehouseBusyError(
            f"Cannot write to {warehouse.label}: {str(exc).splitlines()[0]}. Another process "
            "holds the DuckDB file (DuckDB allows one writer): nothing was recorded; run the "
            "command again once it has finished (a `clarity run`, a dbt build, a BI tool)."
        ) from None
    try:
        con.execute("begin transaction")
        for table, rows in by_table.items():
            for statement in create_sql(table, "duckdb"):
                con.execute(statement)
            con.executemany(_insert_sql(table, "?"), [_values(table, row) for row in rows])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.close()


def _postgres(warehouse: Warehouse, by_table: dict[str, list[dict[str, Any]]]) -> None:
    import psycopg2

    with psycopg2.connect(warehouse.postgres.dsn()) as con, con.cursor() as cursor:
        for table, rows in by_table.items():
            for statement in create_sql(table, "postgres"):
                cursor.execute(statement)
            cursor.executemany(_insert_sql(table, "%s"), [_values(table, row) for row in rows])


def _bucket(warehouse: Warehouse, by_table: dict[str, list[dict[str, Any]]]) -> None:
    fs, root = _filesystem(warehouse)
    ensure_bucket_folders(warehouse)
    for table, rows in by_table.items():
        for row in rows:
            id_column = TABLE_SCHEMAS[table].names[0]
            stamp = row["recorded_at"].strftime("%Y%m%dT%H%M%S%fZ")
            path = f"{root}/{table}/{stamp}_{row[id_column]}.parquet"
            _write(fs, path, pa.Table.from_pylist([row], schema=TABLE_SCHEMAS[table]))


def ensure_bucket_folders(warehouse: Warehouse) -> None:
    """On a bucket: both journal folders with their empty schema file (the engines that read a
    folder of Parquet files need one file at least)."""
    fs, root = _filesystem(warehouse)
    for table, schema in TABLE_SCHEMAS.items():
        folder = f"{root}/{table}"
        fs.makedirs(folder, exist_ok=True)
        if not fs.exists(f"{folder}/{SCHEMA_FILE}"):
            _write(fs, f"{folder}/{SCHEMA_FILE}", schema.empty_table())


def _write(fs: Any, path: str, table: pa.Table) -> None:
    tmp = f"{path}.tmp"
    with fs.open(tmp, "wb") as handle:
        pq.write_table(table, handle)
    fs.mv(tmp, path)


def _filesystem(warehouse: Warehouse) -> tuple[Any, str]:
    from dlt.common.configuration import resolve_configuration
    from dlt.common.storages.configuration import FilesystemConfiguration
    from dlt.common.storages.fsspec_filesystem import fsspec_from_config

    config = resolve_configuration(
        FilesystemConfiguration(bucket_url=warehouse.bucket_url),
        sections=("destination", "filesystem"),
    )
    fs, path = fsspec_from_config(config)
    return fs, f"{path.rstrip('/')}/{SCHEMA}"


def read(warehouse: Warehouse, table: str) -> list[dict[str, Any]]:
    """Every row of `table` in the order recorded (none while the table does not exist)."""
    names = TABLE_SCHEMAS[table].names
    if warehouse.kind == "filesystem":
        fs, root = _filesystem(warehouse)
        folder = f"{root}/{table}"
        if not fs.exists(folder):
            return []
        rows: list[dict[str, Any]] = []
        for path in sorted(fs.ls(folder, detail=False)):
            if path.endswith(".parquet"):
                with fs.open(path, "rb") as handle:
                    rows.extend(pq.read_table(handle).to_pylist())
        return sorted(rows, key=lambda row: (row["recorded_at"], row[names[0]]))
    from ingestion.warehouse.raw import raw_reader

    with raw_reader(warehouse) as reader:
        if reader is None or table not in reader.tables(SCHEMA):
            return []
        found = reader.fetchall(
            f"select {', '.join(names)} from {SCHEMA}.{table} order by recorded_at, {names[0]}"
        )
    return [dict(zip(names, row, strict=True)) for row in found]
