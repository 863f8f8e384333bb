"""Queries used by the integration tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from ingestion.config import token_env_var

BLOG = "fabrikam-blog"


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


def run_cli(service, folder: Path, *args: str, env_extra: dict | None = None, projects=(BLOG,)):
    """The `clarity` command in a subprocess, as cron would run it, against `service`."""
    env = {
        **os.environ,
        "CLARITY_DUCKDB_PATH": str(folder / "clarity.duckdb"),
        "SOURCES__CLARITY__PROJECT_NAMES": json.dumps(list(projects)),
        "SOURCES__CLARITY__BASE_URL": service.base_url,
        **{token_env_var(p): service.tokens[p] for p in projects},
        **(env_extra or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "ingestion.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
