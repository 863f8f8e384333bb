"""Run dbt (the project in dbt_project/, profiles in profiles/) against a given DuckDB file."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ingestion import PROJECT_ROOT
from ingestion.errors import RunFailedError

log = logging.getLogger(__name__)

# The scheduled build: models, seeds and data tests; dbt unit tests check the models' logic, not
# the data, and run in the test suite (once) instead of every day.
SCHEDULED_BUILD = ["build", "--exclude-resource-type", "unit_test"]


def dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise RunFailedError(
            "dbt is not installed in this environment: run ./scripts/test or "
            "`pip install -e .` first"
        )
    return found


def run_dbt(
    args: list[str],
    duckdb_path: Path | None,
    *,
    quiet: bool = False,
    target_path: Path | None = None,
    raw_parquet: str | None = None,
) -> tuple[int, float]:
    """Run `dbt <args>`; returns (exit code, wall seconds). Output goes to this process's.

    `target_path` keeps dbt's artifacts and logs out of dbt_project/ (tests use a temp folder);
    `raw_parquet` is the raw tables' Parquet folder (CLARITY_RAW_PARQUET) when the raw history is
    in a bucket."""
    root = PROJECT_ROOT
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    if raw_parquet is not None:
        env["CLARITY_RAW_PARQUET"] = raw_parquet
    if duckdb_path is not None:  # the warehouse file of the duckdb target
        env["CLARITY_DUCKDB_PATH"] = str(Path(duckdb_path).resolve())
    if target_path is not None:
        env["DBT_TARGET_PATH"] = str(target_path)
        env["DBT_LOG_PATH"] = str(target_path / "logs")
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(root / "dbt_project"),
        "--profiles-dir",
        str(root / "profiles"),
    ]
    started = time.perf_counter()
    result = subprocess.run(
        command,
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL if quiet else None,
        check=False,
    )
    return result.returncode, time.perf_counter() - started
