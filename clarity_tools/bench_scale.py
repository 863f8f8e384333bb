"""Benchmarks of the scale-out paths, called by clarity_tools/bench.py: `clarity ingest` over many
projects with API latency at two pool sizes (`max_parallel_projects`), and `clarity import` of
the benchmark archive into a bucket (dlt's filesystem destination, Parquet) beside the DuckDB
file's import of the same archive."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ingestion.config import token_env_var

log = logging.getLogger(__name__)

# projects x requests each (the daily budget) x latency per request, and the two pool sizes
CONCURRENCY = {
    "smoke": (4, 3, 50, (1, 4)),
    "quick": (40, 10, 300, (1, 16)),
    "default": (200, 10, 300, (1, 16)),
}
CONCURRENCY_START = datetime(2026, 10, 1, tzinfo=timezone.utc)


@dataclass
class ConcurrencyResult:
    projects: int
    requests_per_project: int
    latency_ms: float
    requests_served: dict[int, int]  # pool size -> API requests the service answered
    max_in_flight: dict[int, int]  # pool size -> most requests answered at the same time


def concurrency(work: Path, preset: str, timed) -> tuple[ConcurrencyResult, dict]:
    """`clarity ingest --no-checks` of the same plan (every project's first day: its daily budget
    of requests) with each pool size, against one offline service with `latency_ms` per answer.
    Each run gets a fresh data folder and its own service day, so both start from nothing and
    have the whole quota. Returns the result and the timed steps by pool size."""
    from clarity_tools.bench import bench_projects
    from clarity_tools.offline import OfflineClarity

    projects, budget, latency, pools = CONCURRENCY[preset]
    specs = bench_projects(projects)
    names = [spec.name for spec in specs]
    log.info("concurrency: %d projects x %d requests, %d ms latency", projects, budget, latency)
    service = OfflineClarity(
        projects=specs, seed=5, start=CONCURRENCY_START, days=len(pools) + 2, latency_ms=latency
    )
    result = ConcurrencyResult(projects, budget, latency, {}, {})
    steps = {}
    with service:
        for day, pool in enumerate(pools, start=1):
            now = CONCURRENCY_START + timedelta(days=day, minutes=10)
            service.clock.set(now)
            served_before = len(service.request_log)
            service.max_in_flight = 0
            env = {
                "RUNTIME__DLTHUB_TELEMETRY": "false",
                "CLARITY_DUCKDB_PATH": str(work / f"parallel-{pool}" / "clarity.duckdb"),
                "SOURCES__CLARITY__PROJECT_NAMES": json.dumps(names),
                "SOURCES__CLARITY__BASE_URL": service.base_url,
                "SOURCES__CLARITY__DAILY_BUDGET": str(budget),
                "SOURCES__CLARITY__MAX_PARALLEL_PROJECTS": str(pool),
                **{token_env_var(name): service.tokens[name] for name in names},
            }
            steps[pool] = timed(
                f"ingest {projects} projects, {pool} at a time",
                # without the landing checkpoint: the same few seconds in both runs, not what
                # the pool changes
                [
                    *(sys.executable, "-m", "ingestion.cli", "ingest"),
                    *("--now", now.isoformat(), "--no-checks"),
                ],
                env,
            )
            result.requests_served[pool] = len(service.request_log) - served_before
            result.max_in_flight[pool] = service.max_in_flight
    return result, steps


def filesystem_import(work: Path, dirs: list[Path], rows: int, timed):
    """`clarity import` of `dirs` into a bucket folder (Parquet), checks on as users run it."""
    bucket = work / "bucket"
    bucket.mkdir(parents=True, exist_ok=True)
    env = {
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "CLARITY_DESTINATION": "filesystem",
        "DESTINATION__FILESYSTEM__BUCKET_URL": bucket.as_uri(),
        # the data folder (landing, dlt's working folder) beside the bucket
        "CLARITY_DATA_DIR": str(work / "filesystem-data"),
    }
    return timed(
        "ingest long: clarity import to a bucket (Parquet)",
        [sys.executable, "-m", "ingestion.cli", "import", *map(str, dirs)],
        env,
        rows=rows,
    )
