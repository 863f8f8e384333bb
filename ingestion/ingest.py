"""`clarity ingest` and `clarity import`: the stages wired together under the data folder's lock.
Ingest finishes anything pending, plans today's requests per project, fetches them (landing every
attempt on disk first), then loads everything landed with dlt into clarity_raw. A load that fails
never stops the collection: the API forgets after 72 hours, the landing folder does not, and the
next run loads what stayed there."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dlt

from ingestion.api.client import utc_now
from ingestion.api.snapshot import InvalidSnapshotMeta
from ingestion.collect.fetch import FetchSettings, ProjectOutcome, fetch_project
from ingestion.collect.landing import Landing
from ingestion.collect.lock import data_folder_lock
from ingestion.collect.plan import ProjectPlan, plan_project
from ingestion.collect.quota import quota_views
from ingestion.config import IngestConfig, use_project_settings_dir
from ingestion.load.archive import ArchiveDefaults, ImportReport, import_archives
from ingestion.load.loader import (
    LoadFailedError,
    LoadReport,
    load_pending,
    make_pipeline,
    source_state,
)
from ingestion.solve.periods import SolveReport

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    run_id: str
    outcomes: dict[str, ProjectOutcome] = field(default_factory=dict)
    load: LoadReport = field(default_factory=LoadReport)
    # loads that failed (what they would have loaded stays landed for the next run)
    load_errors: list[str] = field(default_factory=list)
    solve: SolveReport | None = None  # the window solver's run over what was loaded
    solve_errors: list[str] = field(default_factory=list)

    @property
    def had_errors(self) -> bool:
        return (
            any(o.errors for o in self.outcomes.values())
            or bool(self.load_errors)
            or bool(self.solve_errors)
        )


def pipeline_for(config: IngestConfig) -> dlt.Pipeline:
    use_project_settings_dir()
    return make_pipeline(config.warehouse, config.data_dir)


def make_plans(
    config: IngestConfig,
    now: datetime,
    *,
    pipeline: dlt.Pipeline | None = None,
    force: bool = False,
    projects: Sequence[str] | None = None,
) -> list[ProjectPlan]:
    """Today's plan per project (no request is sent)."""
    pipeline = pipeline or pipeline_for(config)
    names = list(dict.fromkeys(projects or config.project_names))  # each project once
    for name in names:
        config.project(name)  # raises on an unknown name
    views = quota_views(
        config.warehouse, Landing(config.data_dir), source_state(pipeline), names, now
    )
    return [
        plan_project(
            name,
            config.dimension_sets,
            now,
            used_today=views[name].used_today,
            last_success=views[name].last_success,
            policy=config.policy,
            quota_exhausted_today=views[name].quota_exhausted_today,
            force=force,
            zone=config.project(name).zone,
        )
        for name in names
    ]


def ingest(
    config: IngestConfig,
    *,
    clock: Callable[[], datetime] = utc_now,
    force: bool = False,
    projects: Sequence[str] | None = None,
    lock: bool = True,
) -> IngestReport:
    """The daily job: finish pending work, fetch what today's plan allows, load it all. Under the
    data folder's lock (`lock=False`: the caller holds it, as `clarity run` does)."""
    if lock:
        with data_folder_lock(config.data_dir, "ingest"):
            return ingest(config, clock=clock, force=force, projects=projects, lock=False)
    landing = Landing(config.data_dir)
    # where answers are kept, and a bucket, must be writable: stop before any request
    landing.check_writable()
    config.warehouse.check_writable()
    report = IngestReport(run_id=uuid.uuid4().hex)
    pipeline = pipeline_for(config)
    # anything an earlier run left behind is loaded first, so planning sees it
    early = _load(report, pipeline, landing, config, clock(), with_settings=False)
    plans = make_plans(config, clock(), pipeline=pipeline, force=force, projects=projects)
    settings = FetchSettings(
        base_url=config.base_url,
        timeout=config.request_timeout,
        retry_delay=config.retry_delay,
        origin=config.origin,
    )
    report.outcomes = fetch_projects(config, plans, landing, settings, clock)
    late = _load(report, pipeline, landing, config, clock(), with_settings=True)
    report.load = early.add(late)
    report.solve = solve_loaded(config, report.load.load_ids, report.solve_errors)
    return report


def solve_loaded(
    config: IngestConfig,
    load_ids: Sequence[str],
    errors: list[str] | None = None,
    *,
    everything: bool = False,
) -> SolveReport | None:
    """The window solver over what these loads added (all history the first time, or with
    `everything`), written to the solved store; a failure is reported in `errors`, never raised
    (what is loaded stays)."""
    from ingestion.solve.periods import solve_warehouse
    from ingestion.solve.store import store_exists, write_replacements

    try:
        everything = everything or not store_exists(config.warehouse)
        if not load_ids and not everything:
            return None
        replacements, report = solve_warehouse(
            config.warehouse, load_ids=None if everything else load_ids
        )
        write_replacements(config.warehouse, replacements)
        if config.warehouse.kind == "filesystem":
            # the journal's folders exist beside the solved store, so that a build that declares
            # them over the bucket finds a file even before anyone annotated
            from ingestion.warehouse.journal import ensure_bucket_folders

            ensure_bucket_folders(config.warehouse)
        return report
    except Exception as exc:  # noqa: BLE001 - the raw layer is loaded; the next run solves again
        message = (
            f"Solving the windows failed ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'}); the raw layer is "
            "loaded and `clarity solve` solves every layout again"
        )
        log.error("%s", message)
        if errors is not None:
            errors.append(message)
        return None


def _load(
    report: IngestReport,
    pipeline: dlt.Pipeline,
    landing: Landing,
    config: IngestConfig,
    now: datetime,
    *,
    with_settings: bool,
) -> LoadReport:
    """One load of what is landed; a failure is reported, not raised (collection goes on)."""
    try:
        return load_pending(
            pipeline,
            landing,
            config.warehouse,
            report.run_id,
            config.project_settings if with_settings else None,
            now=now,
        )
    except LoadFailedError as exc:
        if str(exc) not in report.load_errors:
            report.load_errors.append(str(exc))
        log.error("%s", exc)
        return LoadReport()


def fetch_projects(
    config: IngestConfig,
    plans: Sequence[ProjectPlan],
    landing: Landing,
    settings: FetchSettings,
    clock: Callable[[], datetime],
) -> dict[str, ProjectOutcome]:
    """Each project's plan, up to `max_parallel_projects` projects at a time. A project's own
    requests stay one after another (its quota and its 429 stop are its own); every attempt lands
    in files named by its request and snapshot ids, so threads never write the same file."""
    workers = max(1, min(config.max_parallel_projects, len(plans)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        futures = [
            pool.submit(
                fetch_project, plan, config.project(plan.project).token, landing, settings, clock
            )
            for plan in plans
        ]
        # in plan order; an error in one project's thread is that project's outcome, never the
        # others' (what they landed is loaded by this run or the next)
        outcomes = {}
        for plan, future in zip(plans, futures, strict=True):
            try:
                outcomes[plan.project] = future.result()
            except Exception as exc:  # noqa: BLE001
                log.error("%s: %s", plan.project, exc)
                outcomes[plan.project] = ProjectOutcome(
                    plan=plan, errors=[str(exc)], stopped_because=type(exc).__name__
                )
        return outcomes


@dataclass
class RetryReport:
    released: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)  # (entry, why it stays)
    load: LoadReport = field(default_factory=LoadReport)


def retry_quarantined(config: IngestConfig, names: Sequence[str] | None = None) -> RetryReport:
    """`clarity quarantine --retry`: move quarantined bodies with a valid description back to
    pending and load them; what still cannot be loaded goes back to quarantine with the new
    reason. No request is sent."""
    with data_folder_lock(config.data_dir, "quarantine --retry"):
        landing = Landing(config.data_dir)
        report = RetryReport()
        for entry in landing.quarantined():
            if names and entry.name not in names:
                continue
            try:
                landing.release(entry)
                report.released += 1
            except InvalidSnapshotMeta as exc:
                report.kept.append((entry.name, str(exc)))
        report.load = load_pending(
            pipeline_for(config),
            landing,
            config.warehouse,
            uuid.uuid4().hex,
            config.project_settings,
        )
        errors: list[str] = []
        solve_loaded(config, report.load.load_ids, errors)
        report.kept.extend(("solve", error) for error in errors)
        return report


def import_files(
    config: IngestConfig, paths: Sequence[Path], defaults: ArchiveDefaults
) -> ImportReport:
    """`clarity import`: land the archived bodies not loaded yet and load them."""
    with data_folder_lock(config.data_dir, "import"):
        config.warehouse.check_writable()
        report = import_archives(
            pipeline_for(config),
            Landing(config.data_dir),
            config.warehouse,
            paths,
            defaults,
            uuid.uuid4().hex,
            config.project_settings,
        )
        report.solve = solve_loaded(config, report.load.load_ids, report.errors)
        return report
