"""`clarity publish`: a read-only copy of the marts for BI tools. DuckDB allows one writer and a
reader in another process blocks it, so BI tools read this copy instead of the warehouse file: it
is written to a temporary file and renamed over the previous copy in one atomic step, so a reader
keeps the snapshot it opened and the pipeline never waits for it. The copy keeps the table and
column comments dbt wrote from the models' descriptions (persist_docs), which BI tools show."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

DEFAULT_SCHEMAS = ("marts",)
STORAGE_VERSION = "v1.1.0"


@dataclass
class PublishReport:
    path: Path
    tables: int
    rows: int
    seconds: float
    comments: int = 0


def published_path(duckdb_path: Path) -> Path:
    """Where the copy of `duckdb_path` goes unless CLARITY_PUBLISHED_PATH says otherwise (read
    by ingestion/config.py)."""
    return duckdb_path.with_name(f"{duckdb_path.stem}_published.duckdb")


def _relations(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'warehouse' and table_schema in (select unnest(?)) "
        "order by 1, 2",
        [list(schemas)],
    ).fetchall()
    return [(schema, name) for schema, name in rows]


def publish(
    duckdb_path: Path, target: Path | None = None, schemas: tuple[str, ...] = DEFAULT_SCHEMAS
) -> PublishReport:
    """Copy the tables and views of `schemas` (as tables) into a fresh file, then rename it."""
    started = time.perf_counter()
    target = target or published_path(duckdb_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    tables = rows = 0
    if not duckdb_path.exists():
        raise RuntimeError(f"{duckdb_path} does not exist: run ingestion and dbt build first")
    # BI drivers often embed an older DuckDB: write a storage format DuckDB 1.1 and later read
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": STORAGE_VERSION})
    try:
        try:
            con.execute(f"attach '{duckdb_path}' as warehouse (read_only)")
        except duckdb.IOException as exc:
            raise RuntimeError(
                f"Cannot read {duckdb_path}: {exc}. A writer (ingest, dbt) holds it; publish "
                "after it finishes."
            ) from None
        relations = _relations(con, schemas)
        if not relations:
            raise RuntimeError(
                f"{duckdb_path} has no tables in schema(s) {', '.join(schemas)}: "
                "run dbt build first"
            )
        for schema in sorted({schema for schema, _ in relations}):
            con.execute(f'create schema "{schema}"')
        for schema, name in relations:
            con.execute(
                f'create table "{schema}"."{name}" as select * from warehouse."{schema}"."{name}"'
            )
            rows += con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
            tables += 1
        comments = _copy_comments(con, schemas)
        con.execute("detach warehouse")
        con.execute("checkpoint")
    finally:
        con.close()
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    seconds = time.perf_counter() - started
    log.info(
        "published %d tables (%d rows, %d comments) to %s in %.1f s",
        tables,
        rows,
        comments,
        target,
        seconds,
    )
    return PublishReport(target, tables, rows, seconds, comments)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_comments(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> int:
    """Put the warehouse's table and column comments (dbt's rendered descriptions, written by
    persist_docs in dbt_project.yml) on the copied tables; how many. `create table as` does not
    carry them."""
    found = con.execute(
        "select schema_name, table_name, null as column_name, comment from duckdb_tables() "
        "where database_name = 'warehouse' and schema_name in (select unnest($1)) "
        "and coalesce(comment, '') <> '' "
        "union all "
        "select schema_name, view_name, null, comment from duckdb_views() "
        "where database_name = 'warehouse' and schema_name in (select unnest($1)) "
        "and coalesce(comment, '') <> '' "
        "union all "
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = 'warehouse' and schema_name in (select unnest($1)) "
        "and coalesce(comment, '') <> '' "
        "order by 1, 2, 3 nulls first",
        [list(schemas)],
    ).fetchall()
    statements = [
        f'comment on table "{schema}"."{table}" is {_sql_string(comment)}'
        if column is None
        else f'comment on column "{schema}"."{table}"."{column}" is {_sql_string(comment)}'
        for schema, table, column, comment in found
    ]
    if statements:
        con.execute("begin; " + ";\n".join(statements) + "; commit")
    return len(statements)
