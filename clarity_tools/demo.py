"""The demo: the offline Clarity service on loopback, daily collection simulated at 00:10 UTC for
several weeks and several projects through the real `ingest` path, then `dbt build` and docs."""

from __future__ import annotations

import logging
import os
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ingestion import PROJECT_ROOT
from ingestion.config import IngestConfig, ProjectConfig, duckdb_warehouse

log = logging.getLogger(__name__)

SIMULATION_START = datetime(2026, 10, 1, tzinfo=timezone.utc)
COLLECTION_TIME = timedelta(minutes=10)  # cron shortly after 00:00 UTC


def demo_dir() -> Path:
    configured = os.environ.get("CLARITY_DEMO_DIR")
    return Path(configured).resolve() if configured else PROJECT_ROOT / "data" / "demo"


def collect(service, config: IngestConfig, days: int, *, progress_every: int = 5) -> dict:
    """Run `ingest` once a simulated day at 00:10 UTC; returns totals and the load ids."""
    from ingestion.ingest import ingest

    logging.getLogger("ingestion.collect.fetch").setLevel(logging.WARNING)  # per-day lines below
    totals = {"snapshots": 0, "rows": 0, "requests": 0, "errors": 0, "load_ids": []}
    for day in range(1, days + 1):
        service.clock.set(SIMULATION_START + timedelta(days=day) + COLLECTION_TIME)
        report = ingest(config, clock=service.clock.now)
        totals["snapshots"] += report.load.snapshots_loaded
        totals["rows"] += report.load.rows_loaded
        totals["requests"] += report.load.requests_loaded
        totals["errors"] += sum(len(o.errors) for o in report.outcomes.values())
        totals["load_ids"].extend(report.load.load_ids)
        if day % progress_every == 0 or day == days:
            log.info(
                "day %d/%d (%s): %d snapshots, %d metric rows so far",
                day,
                days,
                service.clock.now().date(),
                totals["snapshots"],
                totals["rows"],
            )
    return totals


def run_demo(*, days: int = 35, seed: int = 7, run_dbt: bool = True) -> int:
    from clarity_tools.offline import OfflineClarity, default_projects
    from ingestion.quality.checkpoint import run_raw_checkpoint
    from ingestion.transform.dbt_runner import SCHEDULED_BUILD
    from ingestion.transform.dbt_runner import run_dbt as dbt

    started = time.perf_counter()
    folder = demo_dir()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    duckdb_path = folder / "clarity.duckdb"
    with OfflineClarity(
        projects=default_projects(), seed=seed, start=SIMULATION_START, days=days + 2
    ) as service:
        config = IngestConfig(
            projects=[ProjectConfig(name, token) for name, token in service.tokens.items()],
            base_url=service.base_url,
            origin="offline",
            warehouse=duckdb_warehouse(duckdb_path),
            data_dir=folder,
            retry_delay=0.05,
        )
        log.info(
            "offline Clarity service at %s; %d projects; collecting %d days",
            service.base_url,
            len(config.projects),
            days,
        )
        totals = collect(service, config, days)
    ingest_seconds = time.perf_counter() - started
    quality = run_raw_checkpoint(config.warehouse, totals["load_ids"])
    print(quality.summary())
    status = 0 if quality.success else 1
    dbt_seconds = 0.0
    if run_dbt:
        code, dbt_seconds = dbt(SCHEDULED_BUILD, duckdb_path)
        if code == 0:
            code, _ = dbt(["docs", "generate"], duckdb_path)
        status = status or code
    if run_dbt and status == 0:
        from ingestion.outputs.highlights import print_highlights

        print()
        print_highlights(duckdb_path)
    print()
    print(f"Demo: {len(config.projects)} projects x {days} days from the offline service")
    print(
        f"  loaded {totals['snapshots']} snapshots, {totals['rows']} metric rows, "
        f"{totals['requests']} request records ({totals['errors']} failed requests)"
    )
    print(f"  ingestion {ingest_seconds:.1f} s, dbt build {dbt_seconds:.1f} s")
    print(f"  DuckDB file: {duckdb_path}")
    print(f"  landed bodies (archive): {folder / 'landing' / 'loaded'}")
    if run_dbt:
        docs = PROJECT_ROOT / "dbt_project" / "target" / "index.html"
        print(f"  dbt docs: {docs}  (serve with: ./scripts/dbt docs serve)")
    print(f"  total {time.perf_counter() - started:.1f} s")
    return status
