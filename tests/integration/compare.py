"""Row-for-row comparison of a table between two DuckDB files, matched on a key, and the marts'
grains as declared by their tests in dbt's manifest (the key to compare them on)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb


def _keyed_rows(path: Path, table: str, key: tuple[str, ...]) -> tuple[list[str], dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(f"select * from {table}")
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.close()
    positions = [columns.index(name) for name in key]
    keyed: dict[tuple, tuple] = {}
    for row in rows:
        row_key = tuple(row[i] for i in positions)
        if row_key in keyed:
            raise AssertionError(f"{table} in {path.name}: key {row_key} occurs twice")
        keyed[row_key] = row
    return columns, keyed


def _same_value(a, b, rel_tol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(
            a, b, rel_tol=rel_tol, abs_tol=1e-12
        )
    return a == b


def table_differences(
    db_a: Path,
    db_b: Path,
    table: str,
    key: tuple[str, ...],
    *,
    rel_tol: float = 1e-9,
    limit: int = 5,
) -> list[str]:
    """How `table` differs between two DuckDB files, matched on `key`: rows only in one of them
    and columns whose values differ (floats within `rel_tol`, as parallel sums of doubles may
    differ in their last bits). Empty when the tables are equal; at most `limit` examples of
    each kind."""
    columns_a, rows_a = _keyed_rows(db_a, table, key)
    columns_b, rows_b = _keyed_rows(db_b, table, key)
    if columns_a != columns_b:
        return [f"{table}: columns differ: {columns_a} vs {columns_b}"]
    only_a = sorted(set(rows_a) - set(rows_b), key=str)
    only_b = sorted(set(rows_b) - set(rows_a), key=str)
    differences = [f"{table}: only in {db_a.name}: {k}" for k in only_a[:limit]]
    differences += [f"{table}: only in {db_b.name}: {k}" for k in only_b[:limit]]
    if len(only_a) + len(only_b) > 2 * limit:
        differences.append(f"{table}: {len(only_a)} + {len(only_b)} unmatched rows in all")
    changed = 0
    for row_key in sorted(set(rows_a) & set(rows_b), key=str):
        row_a, row_b = rows_a[row_key], rows_b[row_key]
        for name, a, b in zip(columns_a, row_a, row_b, strict=True):
            if not _same_value(a, b, rel_tol):
                changed += 1
                if changed <= limit:
                    differences.append(f"{table} {row_key}: {name} = {a!r} vs {b!r}")
    if changed > limit:
        differences.append(f"{table}: {changed} differing values in all")
    return differences


def mart_grains(target_dir: Path) -> dict[str, tuple[str, ...]]:
    """Each mart model's grain from the manifest of a dbt run in `target_dir`: the columns of its
    `unique_combination` test (the natural key), else the column of its `unique` test. Marts
    without either are left out (the caller decides whether that is an error)."""
    manifest = json.loads((Path(target_dir) / "manifest.json").read_text())
    marts = {
        unique_id: node["name"]
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    }
    combinations: dict[str, tuple[str, ...]] = {}
    single: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") if node["resource_type"] == "test" else None
        model = marts.get(node.get("attached_node") or "") if metadata else None
        if model is None:
            continue
        kwargs = metadata.get("kwargs", {})
        if metadata["name"] == "unique_combination":
            combinations[model] = tuple(kwargs["combination_of_columns"])
        elif metadata["name"] == "unique" and kwargs.get("column_name"):
            single.setdefault(model, (kwargs["column_name"],))
    return {model: combinations.get(model) or single[model] for model in {**single, **combinations}}
