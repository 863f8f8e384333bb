"""The demo: the offline Clarity service on loopback, daily collection simulated for several
weeks and several projects through the real `ingest` path (at a chosen time of day and time zone,
with an outage the next run recovers with nested windows), then `dbt build` and docs. The
service's truth goes into the same DuckDB file (schema offline_truth), so the marts can be
compared with what really happened, in SQL."""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from ingestion import PROJECT_ROOT
from ingestion.api.contract import SIGNAL_KEYS
from ingestion.config import IngestConfig, ProjectConfig, duckdb_warehouse

log = logging.getLogger(__name__)

SIMULATION_START = datetime(2026, 10, 1, tzinfo=timezone.utc)
COLLECTION_TIME = clock_time(0, 10)  # cron shortly after midnight
TRUTH_SCHEMA = "offline_truth"


@dataclass(frozen=True)
class Outage:
    """The offline service answers 500 to `project` from `first_day` for `days` days."""

    project: str
    first_day: date
    days: int

    @classmethod
    def parse(cls, text: str) -> Outage:
        """PROJECT:YYYY-MM-DD:DAYS, e.g. northwind-shop:2026-10-15:2."""
        try:
            project, first_day, days = text.rsplit(":", 2)
            return cls(project, date.fromisoformat(first_day), int(days))
        except ValueError:
            raise ValueError(
                f"--outage {text!r}: write PROJECT:YYYY-MM-DD:DAYS, "
                "e.g. northwind-shop:2026-10-15:2"
            ) from None


# The default demo: two days of 500s for the shop; the next daily run recovers both days with
# nested windows (its first two dimension sets).
DEFAULT_OUTAGES = (Outage("northwind-shop", date(2026, 10, 15), 2),)


def demo_dir() -> Path:
    configured = os.environ.get("CLARITY_DEMO_DIR")
    return Path(configured).resolve() if configured else PROJECT_ROOT / "data" / "demo"


def collection_moment(day: int, at: clock_time = COLLECTION_TIME, zone=timezone.utc) -> datetime:
    """The moment of the daily collection on simulated day `day` (day 1 = the day after the
    simulation starts), at `at` in `zone`."""
    local_day = SIMULATION_START.date() + timedelta(days=day)
    return datetime.combine(local_day, at, tzinfo=zone).astimezone(timezone.utc)


def collect(
    service,
    config: IngestConfig,
    days: int,
    *,
    at: clock_time = COLLECTION_TIME,
    zone=timezone.utc,
    progress_every: int = 5,
) -> dict:
    """Run `ingest` once a simulated day at `at` (in `zone`); returns totals and the load ids."""
    from ingestion.ingest import ingest

    logging.getLogger("ingestion.collect.fetch").setLevel(logging.CRITICAL)  # lines below
    totals = {"snapshots": 0, "rows": 0, "requests": 0, "errors": 0, "load_ids": []}
    for day in range(1, days + 1):
        service.clock.set(collection_moment(day, at, zone))
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


def write_truth(service, duckdb_path: Path, first: date, last: date, zone) -> None:
    """The offline service's truth for the dates `first`..`last` of `zone`, in schema
    offline_truth of the warehouse file: site_daily (project, activity_date, sessions,
    <signal>_sessions) and page_daily (project, page_url in the marts' normal form,
    activity_date, sessions)."""
    import duckdb

    signals = list(SIGNAL_KEYS.items())
    site_rows, page_rows = [], []
    day = first
    while day <= last:
        for project in service.projects:
            truth = service.truth_site_daily(project, day, zone)
            with_signal = [truth["sessions_with"][block] for block, _ in signals]
            site_rows.append((project, day, truth["sessions"], *with_signal))
            for page, page_truth in service.truth_page_daily(project, day, zone).items():
                page_rows.append((project, page, day, page_truth["sessions"]))
        day += timedelta(days=1)
    import pyarrow as pa

    site = pa.table(
        list(zip(*site_rows, strict=True)),
        names=["project", "activity_date", "sessions", *(f"{key}_sessions" for _, key in signals)],
    )
    pages = pa.table(
        list(zip(*page_rows, strict=True)),
        names=["project", "page_url", "activity_date", "sessions"],
    )
    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute(f"create schema if not exists {TRUTH_SCHEMA}")
        con.register("site_truth", site)
        con.register("page_truth", pages)
        con.execute(f"create or replace table {TRUTH_SCHEMA}.site_daily as from site_truth")
        con.execute(f"create or replace table {TRUTH_SCHEMA}.page_daily as from page_truth")
    finally:
        con.close()


def truth_comparison(duckdb_path: Path) -> dict:
    """fct_site_daily.sessions against the truth of the same dates: relative errors, and how
    many dates the nested windows recovered."""
    import duckdb

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        rows = con.execute(
            f"""
            select m.sessions, t.sessions, m.value_source
            from marts.fct_site_daily as m
            inner join {TRUTH_SCHEMA}.site_daily as t
                on m.project = t.project and m.activity_date = t.activity_date
            """
        ).fetchall()
    finally:
        con.close()
    errors = [abs(mart - truth) / truth for mart, truth, _ in rows if truth]
    return {
        "dates": len(rows),
        "recovered": sum(1 for *_, source in rows if source == "nested_difference"),
        "median": statistics.median(errors) if errors else float("nan"),
        "worst": max(errors) if errors else float("nan"),
    }


def run_demo(
    *,
    days: int = 35,
    seed: int = 7,
    run_dbt: bool = True,
    collect_at: clock_time = COLLECTION_TIME,
    timezone_name: str = "UTC",
    outages: tuple[Outage, ...] = DEFAULT_OUTAGES,
) -> int:
    from clarity_tools.offline import OfflineClarity, default_projects
    from ingestion.quality.checkpoint import run_raw_checkpoint
    from ingestion.transform.dbt_runner import SCHEDULED_BUILD
    from ingestion.transform.dbt_runner import run_dbt as dbt

    started = time.perf_counter()
    zone = ZoneInfo(timezone_name)
    folder = demo_dir()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    duckdb_path = folder / "clarity.duckdb"
    with OfflineClarity(
        projects=default_projects(), seed=seed, start=SIMULATION_START, days=days + 2
    ) as service:
        for outage in outages:
            service.add_outage(outage.project, outage.first_day, outage.days)
        config = IngestConfig(
            projects=[
                ProjectConfig(name, token, timezone_name) for name, token in service.tokens.items()
            ],
            base_url=service.base_url,
            origin="offline",
            warehouse=duckdb_warehouse(duckdb_path),
            data_dir=folder,
            retry_delay=0.05,
        )
        log.info(
            "offline Clarity service at %s; %d projects; collecting %d days at %s %s%s",
            service.base_url,
            len(config.projects),
            days,
            collect_at.strftime("%H:%M"),
            timezone_name,
            "".join(
                f"; outage of {o.project} from {o.first_day} for {o.days} days" for o in outages
            ),
        )
        totals = collect(service, config, days, at=collect_at, zone=zone)
        first = SIMULATION_START.date() - timedelta(days=3)  # the service simulates these too
        last = collection_moment(days, collect_at, zone).astimezone(zone).date()
        write_truth(service, duckdb_path, first, last - timedelta(days=1), zone)
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
    compared = report = None
    if run_dbt and status == 0:
        from ingestion.outputs.highlights import print_highlights
        from ingestion.outputs.report import write_report

        print()
        print_highlights(duckdb_path)
        compared = truth_comparison(duckdb_path)
        report = write_report(duckdb_path, folder / "reports" / "clarity-report.html")
    print()
    print(
        f"Demo: {len(config.projects)} projects x {days} days from the offline service, "
        f"collected daily at {collect_at:%H:%M} {timezone_name}"
    )
    print(
        f"  loaded {totals['snapshots']} snapshots, {totals['rows']} metric rows, "
        f"{totals['requests']} request records ({totals['errors']} failed requests)"
    )
    for outage in outages:
        print(
            f"  outage: {outage.project} answered 500 from {outage.first_day} "
            f"for {outage.days} days"
        )
    if compared:
        print(
            f"  {compared['dates']} project-days in fct_site_daily, {compared['recovered']} of "
            "them recovered by nested windows (the days before each project's first run and "
            "the days lost to an outage)"
        )
        print(
            f"  fct_site_daily.sessions against the offline truth of the same dates "
            f"({TRUTH_SCHEMA}.site_daily): median error {compared['median']:.2%}, "
            f"worst {compared['worst']:.2%}"
        )
    print(f"  ingestion {ingest_seconds:.1f} s, dbt build {dbt_seconds:.1f} s")
    print(f"  DuckDB file: {duckdb_path}")
    print(f"  landed bodies (archive): {folder / 'landing' / 'loaded'}")
    if run_dbt:
        docs = PROJECT_ROOT / "dbt_project" / "target" / "index.html"
        print(f"  dbt docs: {docs}  (serve with: ./scripts/dbt docs serve)")
    print(f"  total {time.perf_counter() - started:.1f} s")
    if report is not None:
        print(
            f"The report ({report.projects} projects, {report.bytes / 1024:.0f} KiB, built in "
            f"{report.seconds:.1f} s; open it in a browser):\n  {report.path}"
        )
    return status
