"""Row-for-row comparison of a table between two warehouses (two DuckDB files, DuckDB and
PostgreSQL, or DuckDB and the Parquet export of Spark's marts), matched on a key: the one
comparison every equality test uses. The key of each mart comes from dbt's manifest
(ingestion.quality.coverage.mart_keys)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ingestion.quality.coverage import mart_keys

__all__ = [
    "ENGINE_ABS_TOL",
    "ENGINE_REL_TOL",
    "fetch_table",
    "mart_keys",
    "marts_differences",
    "table_differences",
    "type_family",
]

# Floats of two engines (DuckDB and PostgreSQL or Spark) are compared within rel 1e-9 or abs
# 1e-9: all compute in IEEE doubles, but they add up a group's values in different orders
# (DuckDB aggregates in parallel) and take asin() from different libraries (C's libm, Java's
# StrictMath), so a value may differ in its last bits (measured: 4e-16 relative at worst on
# Spark, ~1e-13 on PostgreSQL; almost every value bit-equal). 1e-9 leaves room for cancellation
# (excess sessions and z-scores are differences of near values) and still catches any real
# difference: counts are integers (compared exactly) and the smallest meaningful difference of a
# rate is one session in a million, 1e-6.
ENGINE_REL_TOL = 1e-9
ENGINE_ABS_TOL = 1e-9


def fetch_table(where: Path | str, table: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of `table` from a DuckDB file (a Path), a folder of Parquet files
    (a Path to a folder: `<table name>.parquet`, as clarity_tools.spark_build exports Spark's
    marts) or a PostgreSQL DSN."""
    sql = f"select * from {table}"
    if isinstance(where, Path) and where.is_dir():
        con = duckdb.connect()
        try:
            path = where / f"{table.split('.')[-1]}.parquet"
            cursor = con.execute("select * from read_parquet(?)", [str(path)])
            return [column[0] for column in cursor.description], cursor.fetchall()
        finally:
            con.close()
    if isinstance(where, Path):
        con = duckdb.connect(str(where), read_only=True)
        try:
            cursor = con.execute(sql)
            return [column[0] for column in cursor.description], cursor.fetchall()
        finally:
            con.close()
    import psycopg2

    with psycopg2.connect(where) as con, con.cursor() as cursor:
        cursor.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


def canonical(value) -> tuple[str, object]:
    """A value as (kind, comparable value): timestamps with a time zone in UTC, numbers as
    numbers (integer, decimal or float alike; SQL types are compared apart), the rest as is."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float | Decimal):
        return ("number", value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return ("timestamp", value)
        return ("timestamp with time zone", value.astimezone(UTC))
    if isinstance(value, date):
        return ("date", value)
    return (type(value).__name__, value)


def same(a: tuple[str, object], b: tuple[str, object], rel_tol: float, abs_tol: float) -> bool:
    """Equal canonical values; a float on either side within the tolerances."""
    (kind_a, value_a), (kind_b, value_b) = a, b
    if kind_a != kind_b:
        return False
    if kind_a != "number" or not (isinstance(value_a, float) or isinstance(value_b, float)):
        return value_a == value_b  # integers and decimals exactly
    value_a, value_b = float(value_a), float(value_b)
    if math.isnan(value_a) or math.isnan(value_b):
        return math.isnan(value_a) and math.isnan(value_b)
    return math.isclose(value_a, value_b, rel_tol=rel_tol, abs_tol=abs_tol)


def _keyed(
    columns: list[str], rows: list[tuple], key: Sequence[str], label: str
) -> dict[tuple, list[tuple[str, object]]]:
    positions = [columns.index(name) for name in key]
    keyed: dict[tuple, list[tuple[str, object]]] = {}
    for row in rows:
        values = [canonical(value) for value in row]
        row_key = tuple(values[i] for i in positions)
        if row_key in keyed:
            raise AssertionError(f"{label}: key {dict(zip(key, row_key, strict=True))} twice")
        keyed[row_key] = values
    return keyed


def table_differences(
    a: Path | str,
    b: Path | str,
    table: str,
    key: Sequence[str],
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
    limit: int = 5,
    labels: tuple[str, str] | None = None,
    any_column_order: bool = False,
) -> list[str]:
    """How `table` differs between warehouses `a` and `b`, rows matched on `key`: rows only in
    one of them and values that differ (floats within the tolerances: parallel sums of doubles
    differ in their last bits). Empty when equal; at most `limit` examples of each kind.
    `any_column_order`: the same columns in another order are matched by name (Spark puts a
    table's partition columns last)."""
    name_a, name_b = labels or (_label(a), _label(b))
    columns_a, rows_a = fetch_table(a, table)
    columns_b, rows_b = fetch_table(b, table)
    if any_column_order and columns_a != columns_b and sorted(columns_a) == sorted(columns_b):
        order = [columns_b.index(name) for name in columns_a]
        rows_b = [tuple(row[i] for i in order) for row in rows_b]
        columns_b = list(columns_a)
    if columns_a != columns_b:
        return [f"{table}: columns differ: {name_a} {columns_a} vs {name_b} {columns_b}"]
    keyed_a = _keyed(columns_a, rows_a, key, f"{name_a} {table}")
    keyed_b = _keyed(columns_b, rows_b, key, f"{name_b} {table}")
    differences = []
    for name, only in (
        (name_a, set(keyed_a) - set(keyed_b)),
        (name_b, set(keyed_b) - set(keyed_a)),
    ):
        for row_key in sorted(only, key=str)[:limit]:
            where = dict(zip(key, (k[1] for k in row_key), strict=True))
            differences.append(f"{table}: only in {name}: {where}")
        if len(only) > limit:
            differences.append(f"{table}: {len(only)} rows only in {name} in all")
    changed: dict[str, int] = {}
    for row_key in sorted(set(keyed_a) & set(keyed_b), key=str):
        for column, value_a, value_b in zip(
            columns_a, keyed_a[row_key], keyed_b[row_key], strict=True
        ):
            if not same(value_a, value_b, rel_tol, abs_tol):
                changed[column] = changed.get(column, 0) + 1
                if changed[column] <= limit:
                    where = dict(zip(key, (k[1] for k in row_key), strict=True))
                    differences.append(
                        f"{table} {where}: {column} = {value_a[1]!r} vs {value_b[1]!r}"
                    )
    for column, count in changed.items():
        if count > limit:
            differences.append(f"{table}.{column}: {count} differing values in all")
    return differences


def marts_differences(
    duckdb_file: Path,
    other: Path | str,
    keys: dict[str, Sequence[str]],
    *,
    schema: str,
    labels: tuple[str, str],
    any_column_order: bool = False,
) -> tuple[list[str], dict[str, int]]:
    """Every mart of `keys` (table -> key, from mart_keys) compared between a DuckDB file and
    another engine's marts within the engine tolerances: the differences, and the rows compared
    per table (DuckDB's count, so that an empty mart shows)."""
    differences: list[str] = []
    compared: dict[str, int] = {}
    for table, key in sorted(keys.items()):
        con = duckdb.connect(str(duckdb_file), read_only=True)
        try:
            compared[table] = con.execute(f"select count(*) from {schema}.{table}").fetchall()[0][0]
        finally:
            con.close()
        differences += table_differences(
            duckdb_file,
            other,
            f"{schema}.{table}",
            key,
            rel_tol=ENGINE_REL_TOL,
            abs_tol=ENGINE_ABS_TOL,
            labels=labels,
            any_column_order=any_column_order,
        )
    return differences, compared


def _label(where: Path | str) -> str:
    return where.name if isinstance(where, Path) else "postgres"


def type_family(data_type: str, engine: str = "duckdb") -> str:
    """An engine's type name as what a BI tool sees: integer, decimal, float, text, boolean,
    date, timestamp or timestamp with time zone (widths and lengths aside). On Spark a
    `timestamp` is an instant (shown in the session's zone) and `timestamp_ntz` a wall-clock
    time; elsewhere `timestamp` is the wall-clock one."""
    name = data_type.lower().split("(")[0].strip()
    if name in {"tinyint", "smallint", "integer", "int", "bigint", "hugeint"}:
        return "integer"
    if name in {"numeric", "decimal"}:
        return "decimal"
    if name in {"real", "float", "double", "double precision"}:
        return "float"
    if name in {"text", "varchar", "character varying", "character", "string"}:
        return "text"
    if name in {"timestamp", "timestamp without time zone", "timestamp_ntz"}:
        return (
            "timestamp with time zone" if (engine, name) == ("spark", "timestamp") else "timestamp"
        )
    if name in {"timestamptz", "timestamp with time zone"}:
        return "timestamp with time zone"
    return name  # boolean, date, and anything new stays as named
