"""The solved store: where the solved periods are kept for dbt, beside the raw layer and never in
it (raw is append-only history; solved periods are derived, and a block is replaced whenever a
new snapshot reaches it). One writer per warehouse kind, each replacing whole blocks of one
layout at a time:

- DuckDB and PostgreSQL: table `clarity_solved.solved_periods` in the same database (dbt's
  source `clarity_solved`);
- a bucket: Parquet files `<bucket>/clarity_solved/solved_periods/<layout>__<block>.parquet`
  (a block replaced is a file overwritten), plus one empty file that holds the schema so the
  folder is never empty for the engines that read it (dbt's clarity_raw_parquet declaration)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.solve.periods import SOLVED_SCHEMA, Replacement
from ingestion.warehouse.destination import Warehouse

log = logging.getLogger(__name__)

SCHEMA = "clarity_solved"
TABLE = "solved_periods"
SCHEMA_FILE = "_schema.parquet"


def write_replacements(warehouse: Warehouse, replacements: Sequence[Replacement]) -> int:
    """Write every replacement (and create the empty store when there is none yet); the rows
    written."""
    if warehouse.kind == "duckdb":
        return _duckdb(warehouse, replacements)
    if warehouse.kind == "postgres":
        return _postgres(warehouse, replacements)
    return _bucket(warehouse, replacements)


def _sql_type(field: pa.Field, kind: str) -> str:
    if pa.types.is_timestamp(field.type):
        return "timestamp with time zone"
    if pa.types.is_int64(field.type):
        return "bigint"
    if pa.types.is_floating(field.type):
        return "double precision"
    return "varchar" if kind == "duckdb" else "text"


def _create_sql(kind: str) -> list[str]:
    columns = ",\n    ".join(
        f"{f.name} {_sql_type(f, kind)}{'' if f.nullable else ' not null'}" for f in SOLVED_SCHEMA
    )
    return [
        f"create schema if not exists {SCHEMA}",
        f"create table if not exists {SCHEMA}.{TABLE} (\n    {columns}\n)",
    ]


def _duckdb(warehouse: Warehouse, replacements: Sequence[Replacement]) -> int:
    import duckdb

    config = {"memory_limit": warehouse.memory_limit} if warehouse.memory_limit else {}
    con = duckdb.connect(str(warehouse.duckdb_path), config=config)
    written = 0
    try:
        con.execute("begin transaction")
        for statement in _create_sql("duckdb"):
            con.execute(statement)
        for item in replacements:
            con.execute(
                f"delete from {SCHEMA}.{TABLE} where project = ? and dimensions = ? "
                "and block in (select unnest(?))",
                [item.project, item.dimensions, list(item.blocks)],
            )
            if item.rows.num_rows:
                rows = item.rows  # noqa: F841 - read by name in the statement below
                con.execute(f"insert into {SCHEMA}.{TABLE} by name select * from rows")
                written += item.rows.num_rows
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.close()
    return written


def _postgres(warehouse: Warehouse, replacements: Sequence[Replacement]) -> int:
    import psycopg2
    from psycopg2.extras import execute_values

    names = SOLVED_SCHEMA.names
    written = 0
    with psycopg2.connect(warehouse.postgres.dsn()) as con, con.cursor() as cursor:
        for statement in _create_sql("postgres"):
            cursor.execute(statement)
        for item in replacements:
            cursor.execute(
                f"delete from {SCHEMA}.{TABLE} where project = %s and dimensions = %s "
                "and block = any(%s)",
                (item.project, item.dimensions, list(item.blocks)),
            )
            if item.rows.num_rows:
                columns = item.rows.to_pydict()
                values = list(zip(*(columns[n] for n in names), strict=True))
                execute_values(
                    cursor,
                    f"insert into {SCHEMA}.{TABLE} ({', '.join(names)}) values %s",
                    values,
                    page_size=5000,
                )
                written += item.rows.num_rows
    return written


def bucket_folder(warehouse: Warehouse) -> str:
    """The store's folder in the bucket, as the engines read it (a local path for file://)."""
    return warehouse.parquet_location().rsplit("/", 1)[0] + f"/{SCHEMA}/{TABLE}"


def _bucket(warehouse: Warehouse, replacements: Sequence[Replacement]) -> int:
    fs, folder = _filesystem(warehouse)
    fs.makedirs(folder, exist_ok=True)
    schema_file = f"{folder}/{SCHEMA_FILE}"
    if not fs.exists(schema_file):
        _write(fs, schema_file, SOLVED_SCHEMA.empty_table())
    written = 0
    for item in replacements:
        layout = _layout_name(item.project, item.dimensions)
        for block in item.blocks:
            path = f"{folder}/{layout}__{block}.parquet"
            block_rows = item.rows.filter(pc.equal(item.rows["block"], block))
            if block_rows.num_rows:
                _write(fs, path, block_rows)
                written += block_rows.num_rows
            elif fs.exists(path):
                fs.rm(path)
    return written


def _layout_name(project: str, dimensions: str) -> str:
    """A file-name-safe, collision-free name of a layout."""
    digest = hashlib.sha256(f"{project}|{dimensions}".encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in f"{project}_{dimensions}")
    return f"{safe[:60]}_{digest}"


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
    return fs, f"{path.rstrip('/')}/{SCHEMA}/{TABLE}"


def store_exists(warehouse: Warehouse) -> bool:
    """Whether the solved store was ever written (if not, the first solve takes all history)."""
    if warehouse.kind == "filesystem":
        fs, folder = _filesystem(warehouse)
        return bool(fs.exists(f"{folder}/{SCHEMA_FILE}"))
    from ingestion.warehouse.raw import raw_reader

    with raw_reader(warehouse) as reader:
        return reader is not None and TABLE in reader.tables(SCHEMA)
