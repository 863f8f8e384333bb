"""Queries used by the integration tests."""

from __future__ import annotations

from pathlib import Path

import duckdb


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def scalar(path: Path, sql: str, params: list | None = None):
    return query(path, sql, params)[0][0]


def table_counts(path: Path) -> dict[str, int]:
    return {
        table: scalar(path, f"select count(*) from clarity_raw.{table}")
        for table in ("snapshots", "metric_rows", "requests")
    }
