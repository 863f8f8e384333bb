"""The demo: the offline Clarity service on loopback, daily collection simulated for several
weeks and several projects through the real `ingest` path (at a chosen time of day and time zone,
with an outage whose days the next run asks again, one window per set) or, as another collector
does it, nightly 3-day windows imported with `clarity import` (the window solver values the
days), then `dbt build` and docs. The service's truth goes into the same DuckDB file (schema
offline_truth), so the marts can be compared with what really happened, in SQL."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import statistics
import time
from collections.abc import Sequence
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
# How the demo collects: `daily` runs `clarity ingest` (one-day windows; after a gap the planner's
# choice: one window over the gap per set, nested windows with the budget left);
# `nightly-3day` is another collector's way (every set as a 3-day window each night), its bodies
# imported with their sidecars (`clarity import`), the days valued by the window solver.
WINDOW_SHAPES = ("daily", "nightly-3day")
NIGHTLY_NUM_DAYS = 3


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


# The default demo: two days of 500s for the shop; the next daily run asks every set one 3-day
# window over the gap (ten sets spend the whole budget), whose days the window solver estimates.
DEFAULT_OUTAGES = (Outage("northwind-shop", date(2026, 10, 15), 2),)


def demo_dir() -> Path:
    configured = os.environ.get("CLARITY_DEMO_DIR")
    return Path(configured).resolve() if configured else PROJECT_ROOT / "data" / "demo"


def collection_moment(day: int, at: clock_time = COLLECTION_TIME, zone=timezone.utc) -> datetime:
    """The moment of the daily collection on simulated day `day` (day 1 = the day after the
    simulation starts), at `at` in `zone`."""
    local_day = SIMULATION_START.date() + timedelta(days=day)
    return datetime.combine(local_day, at, tzinfo=zone).astimezone(timezone.utc)


def collection_moments(
    days: int,
    at: clock_time = COLLECTION_TIME,
    zone=timezone.utc,
    *,
    jitter_minutes: int = 0,
    seed: int = 7,
) -> list[datetime]:
    """The moments of the collections of days 1..`days`: at `at` in `zone`, each plus 0 to
    `jitter_minutes` minutes of random delay (whole seconds, the same for the same `seed`)."""
    jitter = random.Random(f"demo-jitter-{seed}")
    return [
        collection_moment(day, at, zone) + timedelta(seconds=jitter.randint(0, jitter_minutes * 60))
        for day in range(1, days + 1)
    ]


def collect(
    service,
    config: IngestConfig,
    days: int,
    *,
    at: clock_time = COLLECTION_TIME,
    zone=timezone.utc,
    moments: Sequence[datetime] | None = None,
    progress_every: int = 5,
) -> dict:
    """Run `ingest` once a simulated day at `at` (in `zone`), or at the given `moments` (one a
    day); returns totals and the load ids."""
    from ingestion.ingest import ingest

    logging.getLogger("ingestion.collect.fetch").setLevel(logging.CRITICAL)  # lines below
    totals = {"snapshots": 0, "rows": 0, "requests": 0, "errors": 0, "load_ids": []}
    if moments is None:
        moments = [collection_moment(day, at, zone) for day in range(1, days + 1)]
    for day, moment in enumerate(moments, start=1):
        service.clock.set(moment)
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


def collect_nightly(
    service,
    config: IngestConfig,
    moments: Sequence[datetime],
    archive: Path,
    *,
    progress_every: int = 5,
) -> dict:
    """Another collector's way: each night (`moments`) every dimension set of every project as a
    3-day window over HTTP, each body saved in `archive` with its sidecar (`.meta.json`); then
    the archive imported by `clarity import` (whose load runs the window solver). A failed
    request (an outage) loses that night's body; the next nights' windows still cover its days.
    Returns totals and the load ids.

    One import of all nights, not one a night: the windows overlap, so every import re-solves
    the series' whole history, and a nightly import of 35 nights took minutes."""
    from ingestion.api.client import ClarityClient
    from ingestion.api.errors import ClarityError
    from ingestion.api.snapshot import SnapshotMeta
    from ingestion.ingest import import_files
    from ingestion.load.archive import ArchiveDefaults

    logging.getLogger("ingestion.load.archive").setLevel(logging.WARNING)  # a line a body
    totals = {"snapshots": 0, "rows": 0, "requests": 0, "errors": 0, "load_ids": []}
    bodies = 0
    for night, moment in enumerate(moments, start=1):
        service.clock.set(moment)
        folder = archive / f"night-{night:03d}"
        folder.mkdir(parents=True)
        for project in config.projects:
            client = ClarityClient(
                project.name,
                project.token,
                base_url=config.base_url,
                timeout=config.request_timeout,
                clock=service.clock.now,
            )
            for dimensions in config.dimension_sets:
                totals["requests"] += 1
                try:
                    response = client.fetch(NIGHTLY_NUM_DAYS, dimensions, may_retry=False)
                except ClarityError as exc:
                    totals["errors"] += 1
                    log.warning("night %d, %s %s: %s", night, project.name, dimensions, exc)
                    continue
                meta = SnapshotMeta(
                    project.name,
                    response.dimensions,
                    NIGHTLY_NUM_DAYS,
                    response.fetched_at,
                    "archive",
                )
                (folder / f"{meta.snapshot_id}.json").write_bytes(response.body)
                sidecar = folder / f"{meta.snapshot_id}.meta.json"
                sidecar.write_text(json.dumps(meta.to_json()))
                bodies += 1
        if night % progress_every == 0 or night == len(moments):
            log.info(
                "night %d/%d (%s): %d bodies so far",
                night,
                len(moments),
                moment.isoformat(timespec="minutes"),
                bodies,
            )
    imported = import_files(config, [archive], ArchiveDefaults())
    for error in imported.errors:
        log.error("import of %s: %s", archive, error)
    totals["errors"] += len(imported.errors)
    totals["snapshots"] = imported.load.snapshots_loaded
    totals["rows"] = imported.load.rows_loaded
    totals["load_ids"] = list(imported.load.load_ids)
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


# the daily marts compared period by period: their truth table and the key beside the period
PERIOD_MARTS = {
    "fct_site_daily": ("site_periods", ()),
    "fct_page_daily": ("page_periods", ("page_url",)),
}


_EDGES = ("window_start_at", "window_end_at")


def write_period_truth(service, duckdb_path: Path) -> None:
    """The truth of every period the daily marts took their values from (each row's
    window_start_at..window_end_at), in schema offline_truth: site_periods (project,
    window_start_at, window_end_at, sessions) and page_periods (the same per page_url; pages
    with no session in a period have no row); the edges are timestamps with time zone, as in
    the marts."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(str(duckdb_path))
    try:
        periods = con.execute(
            "select distinct project, window_start_at, window_end_at from marts.fct_site_daily "
            "union select distinct project, window_start_at, window_end_at "
            "from marts.fct_page_daily order by 1, 2, 3"
        ).fetchall()
        site_rows, page_rows = [], []
        for project, start, end in periods:
            start, end = _utc(start), _utc(end)
            truth = service.truth_site_window(project, start, end)
            site_rows.append((project, start, end, truth["sessions"]))
            for page, truth in service.truth_page_window(project, start, end).items():
                page_rows.append((project, page, start, end, truth["sessions"]))
        edges = [pa.field(name, pa.timestamp("us", tz="UTC")) for name in _EDGES]
        site = pa.Table.from_pylist(
            [dict(zip(("project", *_EDGES, "sessions"), row, strict=True)) for row in site_rows],
            schema=pa.schema([("project", pa.string()), *edges, ("sessions", pa.int64())]),
        )
        pages = pa.Table.from_pylist(
            [
                dict(zip(("project", "page_url", *_EDGES, "sessions"), row, strict=True))
                for row in page_rows
            ],
            schema=pa.schema(
                [
                    ("project", pa.string()),
                    ("page_url", pa.string()),
                    *edges,
                    ("sessions", pa.int64()),
                ]
            ),
        )
        con.execute(f"create schema if not exists {TRUTH_SCHEMA}")
        con.register("site_period_truth", site)
        con.register("page_period_truth", pages)
        con.execute(
            f"create or replace table {TRUTH_SCHEMA}.site_periods as from site_period_truth"
        )
        con.execute(
            f"create or replace table {TRUTH_SCHEMA}.page_periods as from page_period_truth"
        )
    finally:
        con.close()


def _utc(moment: datetime) -> datetime:
    """A warehouse timestamp (naive UTC, or aware) as an aware UTC datetime."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def solver_comparison(duckdb_path: Path) -> list[dict]:
    """Per daily mart and value_source: rows, the median and 90th percentile of the relative
    sessions error against the truth of each row's own period (rows whose truth is 0 left out),
    and, for solved values, the share whose truth lies within sessions ± sessions_error + 0.5."""
    import duckdb

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        out = []
        for mart, (table, key) in PERIOD_MARTS.items():
            on = " and ".join(
                f"m.{column} = t.{column}"
                for column in ("project", *key, "window_start_at", "window_end_at")
            )
            rows = con.execute(
                f"""
                with compared as (
                    select
                        m.value_source,
                        m.sessions,
                        m.sessions_error,
                        coalesce(t.sessions, 0) as truth
                    from marts.{mart} as m
                    left join {TRUTH_SCHEMA}.{table} as t on {on}
                )
                select
                    value_source,
                    count(*),
                    median(abs(sessions - truth) / truth) filter (where truth > 0),
                    quantile_cont(abs(sessions - truth) / truth, 0.9) filter (where truth > 0),
                    avg(
                        case
                            when abs(sessions - truth) <= coalesce(sessions_error, 0) + 0.5
                                then 1.0
                            else 0.0
                        end
                    ) filter (where value_source like 'solved%')
                from compared
                group by value_source
                order by value_source
                """
            ).fetchall()
            for source, count, median, p90, within in rows:
                out.append(
                    {
                        "mart": mart,
                        "value_source": source,
                        "rows": count,
                        "median": median,
                        "p90": p90,
                        "within": within,
                    }
                )
        return out
    finally:
        con.close()


def format_solver_comparison(compared: list[dict]) -> list[str]:
    """The lines of the error table (one per mart and value_source)."""

    def share(value) -> str:
        return "-" if value is None else f"{value:.1%}"

    lines = [
        f"  {'mart':<16} {'value_source':<18} {'rows':>7} {'median':>8} {'p90':>8} "
        f"{'within error':>12}"
    ]
    for row in compared:
        lines.append(
            f"  {row['mart']:<16} {row['value_source']:<18} {row['rows']:>7} "
            f"{share(row['median']):>8} {share(row['p90']):>8} {share(row['within']):>12}"
        )
    return lines


def truth_comparison(duckdb_path: Path) -> dict:
    """fct_site_daily.sessions against the truth of the same dates: relative errors, and how
    many dates nested windows and the window solver gave."""
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
        "solved": sum(1 for *_, source in rows if source.startswith("solved")),
        "median": statistics.median(errors) if errors else float("nan"),
        "worst": max(errors) if errors else float("nan"),
    }


def _schedule(windows: str, at: clock_time, zone_name: str, jitter_minutes: int) -> str:
    """How the demo collects, in words."""
    shape = "daily" if windows == "daily" else "as nightly 3-day windows (clarity import)"
    jitter = f" + 0..{jitter_minutes} min" if jitter_minutes else ""
    return f"{shape} at {at:%H:%M}{jitter} {zone_name}"


def run_demo(
    *,
    days: int = 35,
    seed: int = 7,
    run_dbt: bool = True,
    collect_at: clock_time = COLLECTION_TIME,
    timezone_name: str = "UTC",
    outages: tuple[Outage, ...] = DEFAULT_OUTAGES,
    windows: str = "daily",
    jitter_minutes: int = 0,
) -> int:
    if windows not in WINDOW_SHAPES:
        raise ValueError(f"windows must be one of {', '.join(WINDOW_SHAPES)}, got {windows!r}")
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
        schedule = _schedule(windows, collect_at, timezone_name, jitter_minutes)
        log.info(
            "offline Clarity service at %s; %d projects; collecting %d days, %s%s",
            service.base_url,
            len(config.projects),
            days,
            schedule,
            "".join(
                f"; outage of {o.project} from {o.first_day} for {o.days} days" for o in outages
            ),
        )
        moments = collection_moments(
            days, collect_at, zone, jitter_minutes=jitter_minutes, seed=seed
        )
        if windows == "daily":
            totals = collect(service, config, days, moments=moments)
        else:
            totals = collect_nightly(service, config, moments, folder / "nightly-collector")
        first = SIMULATION_START.date() - timedelta(days=3)  # the service simulates these too
        last = moments[-1].astimezone(zone).date()
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
    by_source: list[dict] = []
    if run_dbt and status == 0:
        from ingestion.outputs.highlights import print_highlights
        from ingestion.outputs.report import write_report

        print()
        print_highlights(duckdb_path)
        compared = truth_comparison(duckdb_path)
        write_period_truth(service, duckdb_path)
        by_source = solver_comparison(duckdb_path)
        report = write_report(duckdb_path, folder / "reports" / "clarity-report.html")
    print()
    print(
        f"Demo: {len(config.projects)} projects x {days} days from the offline service, "
        f"collected {schedule}"
    )
    if windows == "daily":
        print(
            f"  loaded {totals['snapshots']} snapshots, {totals['rows']} metric rows, "
            f"{totals['requests']} request records ({totals['errors']} failed requests)"
        )
    else:
        print(
            f"  imported {totals['snapshots']} snapshots of 3-day windows, {totals['rows']} "
            f"metric rows ({totals['requests']} requests, {totals['errors']} failed)"
        )
    for outage in outages:
        print(
            f"  outage: {outage.project} answered 500 from {outage.first_day} "
            f"for {outage.days} days"
        )
    if compared and windows == "daily":
        print(
            f"  {compared['dates']} project-days in fct_site_daily, {compared['recovered']} of "
            f"them from nested windows and {compared['solved']} from the window solver (the "
            "days a first run or the run after an outage reached back to)"
        )
    elif compared:
        print(
            f"  {compared['dates']} project-days in fct_site_daily, "
            f"{compared['solved']} of them valued by the window solver"
        )
    if compared:
        print(
            f"  fct_site_daily.sessions against the offline truth of the same dates "
            f"({TRUTH_SCHEMA}.site_daily): median error {compared['median']:.2%}, "
            f"worst {compared['worst']:.2%}"
        )
    if by_source:
        print(
            "  sessions against the truth of each row's own period "
            f"({TRUTH_SCHEMA}.site_periods, page_periods), per value_source; within error = "
            "solved rows whose truth is within sessions ± sessions_error + 0.5:"
        )
        for line in format_solver_comparison(by_source):
            print(line)
    print(f"  ingestion {ingest_seconds:.1f} s, dbt build {dbt_seconds:.1f} s")
    print(f"  DuckDB file: {duckdb_path}")
    if windows != "daily":
        print(
            f"  the other collector's files (bodies and sidecars): {folder / 'nightly-collector'}"
        )
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
