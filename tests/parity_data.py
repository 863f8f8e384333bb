"""The engine parity data set (test data, not shipped in the wheel): what the parity tests
(DuckDB against PostgreSQL, DuckDB against Spark) and the Spark benchmark build from. Daily
collection at 00:10 UTC from the offline service, 3 projects x 12 days, two projects in time
zones away from UTC (one with a half-hour offset), one project down for 4 days (the run after the
outage recovers days with nested windows, one date stays missing)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.config import DEFAULT_DIMENSION_SETS, IngestConfig, ProjectConfig, default_policy
from ingestion.ingest import ingest
from ingestion.warehouse.destination import Warehouse
from ingestion.warehouse.journal import Annotation, append

# 12 days give the 7-day frustration windows full weeks, a complete ISO week for the weekly
# trends, and multi-day (3-day) first windows.
DAYS = 12
SEED = 7
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
# Project time zones away from UTC (one with a half-hour offset): dates, day lengths and day
# boundaries come from each engine's time-zone conversion.
PROJECT_ZONES = {"fabrikam-blog": "Asia/Kolkata", "contoso-docs": "America/Los_Angeles"}
# Four days of 500s for one project: the run after them recovers three days with nested windows
# (slices on every engine), one date stays missing (a collection alert).
# Seven of the ten default sets (OS, Channel and Campaign left out): after one window per set the
# budget buys nested windows for the site (1, 2, 3 days) and URL (1 and 3 days) on the first run
# and after the outage, so nested slices, solved exact and solved estimated periods are all on
# every engine (with all ten sets, ten windows spend the budget and nothing is nested).
PARITY_DIMENSION_SETS = tuple(
    dims for dims in DEFAULT_DIMENSION_SETS if dims not in (("OS",), ("Channel",), ("Campaign",))
)
OUTAGE_PROJECT, OUTAGE_FIRST_DAY, OUTAGE_DAYS = "northwind-shop", 5, 4
# A low alert threshold, so that fct_alerts holds signal alerts (its z-scores: asin, sqrt) and
# not only collection alerts; the planted regressions start after these 12 days.
# Effects of annotations over 3 days each side, so that the 12 days hold complete windows.
BUILD_VARS = '{"clarity_alert_z_threshold": 1.0, "clarity_annotation_effect_days": 3}'
# What people record (the journal), the same rows (ids, times) in every warehouse: a release of
# one page and a fix of a whole site, so that fct_annotation_effects has rows to compare.
ANNOTATIONS = (
    Annotation(
        "contoso-docs", date(2026, 10, 6), "release", "new sign-in form",
        page_url="https://docs.contoso.example/docs/api/authentication",
        annotation_id="0" * 31 + "1", recorded_at=START + timedelta(days=6), recorded_by="parity",
    ),
    Annotation(
        "fabrikam-blog", date(2026, 10, 7), "fix", "lighter images", incident_id="incident-1",
        annotation_id="0" * 31 + "2", recorded_at=START + timedelta(days=7), recorded_by="parity",
    ),
)  # fmt: skip


def snapshot_count(days: int) -> int:
    """The snapshots of `days` days of runs: ten on each project's first run and on the run after
    the outage (one window per set, nested windows with the rest of the budget), one per set on
    the other runs, none from the runs of the outage."""
    projects = len(default_projects())
    catch_ups = projects + 1
    runs = days * projects - OUTAGE_DAYS
    return catch_ups * 10 + (runs - catch_ups) * len(PARITY_DIMENSION_SETS)


def collection_time(day: int) -> datetime:
    """00:10 UTC on simulated day `day` (day 1 = the day after START)."""
    return START + timedelta(days=day, minutes=10)


def is_outage_day(day: int) -> bool:
    return OUTAGE_FIRST_DAY <= day < OUTAGE_FIRST_DAY + OUTAGE_DAYS


def parity_service(days: int = DAYS) -> OfflineClarity:
    """The offline service of the data set (not started), with its outage; it simulates two
    days more than `days`, so that a day can be added after the first build."""
    service = OfflineClarity(projects=default_projects(), seed=SEED, start=START, days=days + 2)
    service.add_outage(OUTAGE_PROJECT, collection_time(OUTAGE_FIRST_DAY).date(), OUTAGE_DAYS)
    return service


def with_project_zones(config: IngestConfig) -> IngestConfig:
    """`config` with the projects' time zones of PROJECT_ZONES (the others UTC)."""
    config.projects = [
        dataclasses.replace(project, timezone=PROJECT_ZONES.get(project.name, "UTC"))
        for project in config.projects
    ]
    return config


def parity_config(service: OfflineClarity, folder: Path, warehouse: Warehouse) -> IngestConfig:
    """A config of the service's projects (with their zones), its data folder `folder`."""
    config = IngestConfig(
        projects=[ProjectConfig(name, token) for name, token in service.tokens.items()],
        base_url=service.base_url,
        origin="offline",
        warehouse=warehouse,
        data_dir=folder,
        policy=default_policy(),
        dimension_sets=PARITY_DIMENSION_SETS,
        retry_delay=0.01,
        request_timeout=10,
    )
    return with_project_zones(config)


def collect(
    services: Mapping[str, OfflineClarity],
    configs: Mapping[str, IngestConfig],
    days: range,
) -> None:
    """Each simulated day of `days` at 00:10 UTC: one `ingest` per warehouse.

    Several warehouses need one service each (same seed: the same bytes at the same clock); one
    service would answer the second run of a day with 429s (10 requests per project and day)."""
    logging.getLogger("ingestion.collect.fetch").setLevel(logging.CRITICAL)  # the outage's 500s
    for day in days:
        for name, service in services.items():
            service.clock.set(collection_time(day))
            report = ingest(configs[name], clock=service.clock.now)
            if report.had_errors != is_outage_day(day):
                raise AssertionError(
                    f"{name}: day {day}: errors {report.had_errors}, outage {is_outage_day(day)}"
                )


def record_annotations(warehouse: Warehouse) -> None:
    """The data set's annotations, appended to the journal of `warehouse`."""
    append(warehouse, *ANNOTATIONS)


def collect_parquet(folder: Path, days: int = DAYS) -> str:
    """The data set collected into a bucket (dlt's filesystem destination) under `folder`; the
    raw tables' Parquet folder (`<bucket>/clarity_raw`)."""
    bucket = folder / "bucket"
    bucket.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse("filesystem", bucket_url=bucket.resolve().as_uri())
    with parity_service(days) as service:
        config = parity_config(service, folder / "data", warehouse)
        collect({"parquet": service}, {"parquet": config}, range(1, days + 1))
    return warehouse.parquet_location()
