"""Queries and small steps shared by the integration tests."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ingestion.api import contract
from ingestion.collect.landing import Landing
from ingestion.config import token_env_var
from ingestion.ingest import ingest, pipeline_for
from ingestion.load.loader import load_pending
from tests.child import CLARITY, run_python

BLOG = "fabrikam-blog"

# the API's metric block (as in the offline service's truth) -> the signal key of the marts
SIGNAL_KEYS = contract.SIGNAL_KEYS


def ingest_at(service, config, when, *, force: bool = False):
    """One `ingest` run with the offline service's clock set to `when`; its report."""
    service.clock.set(when)
    return ingest(config, clock=service.clock.now, force=force)


def load_landed(config, run_id: str):
    """Load what is in the landing folder, as the start of every `ingest` does; its report."""
    return load_pending(pipeline_for(config), Landing(config.data_dir), config.warehouse, run_id)


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


def import_bodies(folder: Path, bodies: dict[str, tuple[dict, list]]) -> tuple[Path, str]:
    """Write each body (`name -> (meta, blocks)`: the sidecar's fields, the JSON array; Python's
    json writes NaN, Infinity and integers of any size as given) with its `.meta.json` into
    `folder`/bodies, and load them with `clarity import` into `folder`/clarity.duckdb, as a
    person re-imports archived responses. The warehouse and the command's output."""
    source = folder / "bodies"
    source.mkdir(parents=True, exist_ok=True)
    for name, (meta, blocks) in bodies.items():
        (source / f"{name}.json").write_text(json.dumps(blocks))
        (source / f"{name}.meta.json").write_text(json.dumps({"origin": "api", **meta}))
    db = folder / "clarity.duckdb"
    result = run_python([*CLARITY, "import", str(source)], env={"CLARITY_DUCKDB_PATH": str(db)})
    loaded = f"{len(bodies)} file(s): {len(bodies)} new, 0 already loaded, 0 error(s)"
    assert loaded in result.stdout, result.stdout + result.stderr
    return db, result.stdout


def run_cli(
    service,
    folder: Path,
    *args: str,
    env_extra: dict | None = None,
    projects=(BLOG,),
    timeout: float = 300,
    program: Sequence[str] = CLARITY,
) -> subprocess.CompletedProcess:
    """The `clarity` command (or `program`, a wrapper of it) in a subprocess, as cron would run
    it, against `service`, in a project folder of its own (tests/child.py)."""
    env = {
        "CLARITY_DUCKDB_PATH": str(folder / "clarity.duckdb"),
        "SOURCES__CLARITY__PROJECT_NAMES": json.dumps(list(projects)),
        "SOURCES__CLARITY__BASE_URL": service.base_url,
        **{token_env_var(p): service.tokens[p] for p in projects},
        **(env_extra or {}),
    }
    return run_python([*program, *args], env=env, timeout=timeout)
