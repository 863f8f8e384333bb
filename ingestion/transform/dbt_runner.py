"""Run dbt (the project in dbt_project/, profiles in profiles/) against a given DuckDB file, and
summarise a build from its run_results.json (so a cron mail carries counts, not every node)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
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
    log_file: Path | None = None,
) -> tuple[int, float]:
    """Run `dbt <args>`; returns (exit code, wall seconds). Output goes to this process's, or
    (stdout and stderr) to `log_file` when given, replacing what it held.

    `target_path` keeps dbt's artifacts and logs out of dbt_project/ (tests use a temp folder);
    `raw_parquet` is the raw tables' Parquet folder (CLARITY_RAW_PARQUET) when the raw history is
    in a bucket."""
    root = PROJECT_ROOT
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    if log_file is not None:  # a file, not a terminal: no colour codes
        env["DBT_USE_COLORS"] = "false"
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
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "w", encoding="utf-8") as handle:
            result = subprocess.run(
                command, env=env, cwd=root, stdout=handle, stderr=subprocess.STDOUT, check=False
            )
    else:
        result = subprocess.run(
            command,
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL if quiet else None,
            check=False,
        )
    return result.returncode, time.perf_counter() - started


# run_results.json statuses -> the words of dbt's own "Done." line
_OUTCOMES = {
    "success": "passed",
    "pass": "passed",
    "warn": "warned",
    "error": "errored",
    "fail": "errored",
    "runtime error": "errored",
    "skipped": "skipped",
    "no-op": "no-op",
}
_MESSAGE_CHARS = 240


@dataclass(frozen=True)
class NodeOutcome:
    """A node that did not pass: `model fct_alerts`, its status and dbt's message."""

    node: str
    status: str
    message: str


@dataclass
class BuildSummary:
    """One dbt invocation in a few figures: counts per outcome (passed, warned, errored, skipped,
    no-op), the nodes that errored or warned, and the file with dbt's full per-node log.
    `counts` is empty when dbt stopped before running any node (a parse or connection error:
    the log says why)."""

    code: int
    seconds: float
    log_file: Path
    counts: Counter = field(default_factory=Counter)
    problems: list[NodeOutcome] = field(default_factory=list)

    @property
    def nodes(self) -> int:
        return sum(self.counts.values())

    @property
    def errored(self) -> list[NodeOutcome]:
        return [p for p in self.problems if p.status == "errored"]


def run_dbt_summarised(
    args: list[str],
    duckdb_path: Path | None,
    log_file: Path,
    *,
    target_path: Path | None = None,
    raw_parquet: str | None = None,
) -> BuildSummary:
    """Run `dbt <args>` with its output in `log_file`; the summary of its run_results.json."""
    target = target_path or _target_dir()
    results = target / "run_results.json"
    before = results.stat().st_mtime_ns if results.exists() else None
    code, seconds = run_dbt(
        args, duckdb_path, target_path=target_path, raw_parquet=raw_parquet, log_file=log_file
    )
    summary = BuildSummary(code, seconds, log_file)
    if results.exists() and results.stat().st_mtime_ns != before:  # written by this run
        try:
            _read_results(summary, json.loads(results.read_text(encoding="utf-8")))
        except ValueError:  # cut short (dbt killed while writing): the log is all there is
            log.warning("%s is not valid JSON: see %s", results, log_file)
    return summary


def _target_dir() -> Path:
    """Where dbt writes its artifacts when run_dbt is given no target path."""
    project = PROJECT_ROOT / "dbt_project"
    configured = os.environ.get("DBT_TARGET_PATH")
    return project / configured if configured else project / "target"  # relative: to project


def _read_results(summary: BuildSummary, run_results: dict) -> None:
    for result in run_results.get("results", []):
        outcome = _OUTCOMES.get(str(result.get("status")).lower(), "errored")
        summary.counts[outcome] += 1
        if outcome in ("errored", "warned"):
            summary.problems.append(
                NodeOutcome(_node_name(result.get("unique_id", "?")), outcome, _message(result))
            )


def _node_name(unique_id: str) -> str:
    """`model.clarity.fct_alerts` -> `model fct_alerts`; a test's hash suffix is dropped."""
    parts = unique_id.split(".")
    return f"{parts[0]} {parts[2]}" if len(parts) >= 3 else unique_id


def _message(result: dict) -> str:
    text = " ".join(str(result.get("message") or result.get("status") or "").split())
    failures = result.get("failures")
    if failures and str(failures) not in text:
        text = f"{failures} failing row(s): {text}"
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"
