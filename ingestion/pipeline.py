"""Run the ingestion: finish anything pending, plan today's requests per project, fetch them
(landing every attempt on disk first), then load everything landed with dlt into clarity_raw."""

from __future__ import annotations

import logging
import os
import signal
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion import settings, warehouse
from ingestion.client import ClarityClient, utc_now
from ingestion.config import IngestConfig, use_project_settings_dir
from ingestion.errors import (
    ClarityAuthError,
    ClarityBadRequestError,
    ClarityError,
    ClarityForbiddenError,
    ClarityQuotaError,
)
from ingestion.landing import Landing, PendingSnapshot
from ingestion.lock import data_folder_lock
from ingestion.plan import ProjectPlan, plan_project
from ingestion.snapshots import dimensions_key, to_utc
from ingestion.source import clarity_source, ledger_count

log = logging.getLogger(__name__)

# For fault tests: kill this process right after dlt's extract step, before normalize/load.
CRASH_AFTER_EXTRACT_ENV = "CLARITY_TEST_CRASH_AFTER_EXTRACT"


# A large import (a year of archived bodies) is loaded oldest first in dlt loads of about this
# many body bytes (~1.3M metric rows): a stopped run keeps the loads it finished, DuckDB's
# working set per load stays small, and the raw tables end up in fetch order, so the newest
# rows sit together and a daily build's scan of recent snapshots skips the older row groups.
# A daily run (~100 bodies, ~15 MB) is one load.
LOAD_CHUNK_BYTES = 256 * 1024 * 1024


def make_pipeline(config: IngestConfig) -> dlt.Pipeline:
    use_project_settings_dir()
    # every raw row carries its load id (dlt leaves it out of Arrow loads by default): dbt reads
    # it for lineage, de-duplication order and to skip old loads; .dlt/config.toml says the same,
    # but a run started with another settings folder must not lose it
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    data_dir = config.data_dir
    return dlt.pipeline(
        pipeline_name=settings.PIPELINE_NAME,
        destination=config.warehouse.dlt_destination(),
        dataset_name=settings.DATASET_NAME,
        pipelines_dir=str(data_dir / ".dlt_pipelines"),
    )


@dataclass
class LoadReport:
    load_ids: list[str] = field(default_factory=list)
    snapshots_loaded: int = 0
    rows_loaded: int = 0
    requests_loaded: int = 0
    duplicates_skipped: int = 0
    finished_pending_package: bool = False


@dataclass
class ProjectOutcome:
    plan: ProjectPlan
    fetched: int = 0
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    stopped_because: str | None = None


@dataclass
class IngestReport:
    run_id: str
    outcomes: dict[str, ProjectOutcome] = field(default_factory=dict)
    load: LoadReport = field(default_factory=LoadReport)

    @property
    def had_errors(self) -> bool:
        return any(o.errors for o in self.outcomes.values())


def finish_pending_package(pipeline: dlt.Pipeline) -> list[str]:
    """Load packages an earlier run extracted but did not load (no API call is made).

    Returns their load ids."""
    if not pipeline.has_pending_data:
        return []
    log.warning("Finishing a load package left pending by an earlier run (no API call needed)")
    pipeline.normalize()
    info = pipeline.load()
    info.raise_on_failed_jobs()
    return list(info.loads_ids)


def load_pending(
    config: IngestConfig, run_id: str, *, pipeline: dlt.Pipeline | None = None
) -> LoadReport:
    """Load every landed body and request record that is not in the warehouse yet."""
    report = LoadReport()
    pipeline = pipeline or make_pipeline(config)
    landing = Landing(config.data_dir)
    finished = finish_pending_package(pipeline)
    report.finished_pending_package = bool(finished)
    report.load_ids.extend(finished)
    pending = landing.pending_snapshots()
    records = landing.pending_request_records()
    loaded_sids = warehouse.existing_ids(
        config.warehouse, "snapshots", "snapshot_id", [p.snapshot_id for p in pending]
    )
    loaded_rids = warehouse.existing_ids(
        config.warehouse, "requests", "request_id", [r["request_id"] for r in records]
    )
    new_pending: list[PendingSnapshot] = []
    for item in pending:
        if item.snapshot_id in loaded_sids:
            _settle_already_loaded(landing, item)
            report.duplicates_skipped += 1
        else:
            new_pending.append(item)
    landing.forget_requests(loaded_rids)
    new_records = [r for r in records if r["request_id"] not in loaded_rids]
    if not new_pending and not new_records:
        return report
    # oldest first, in loads of bounded size: see LOAD_CHUNK_BYTES
    new_pending.sort(key=lambda item: (item.meta.fetched_at, item.snapshot_id))
    for index, chunk in enumerate(_chunks(new_pending, LOAD_CHUNK_BYTES) or [[]]):
        _load_chunk(
            config, pipeline, landing, chunk, new_records if index == 0 else [], run_id, report
        )
    return report


def _chunks(items: list[PendingSnapshot], limit_bytes: int) -> list[list[PendingSnapshot]]:
    """Consecutive groups of `items` whose bodies add up to about `limit_bytes` each."""
    chunks: list[list[PendingSnapshot]] = []
    size = 0
    for item in items:
        body_bytes = item.body_path.stat().st_size if item.body_path.exists() else 0
        if not chunks or size + body_bytes > limit_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += body_bytes
    return chunks


def _load_chunk(
    config: IngestConfig,
    pipeline: dlt.Pipeline,
    landing: Landing,
    pending: list[PendingSnapshot],
    records: list[dict],
    run_id: str,
    report: LoadReport,
) -> None:
    """One dlt load (extract, normalize, load) of some landed bodies and request records; the
    bodies move to the archive only once their load is complete."""
    source = clarity_source(pending, records, run_id, on_bad_body=landing.quarantine_pending)
    try:
        pipeline.extract(source)
        if os.environ.get(CRASH_AFTER_EXTRACT_ENV) == "1":
            log.error("%s=1: killing the process after extract", CRASH_AFTER_EXTRACT_ENV)
            os.kill(os.getpid(), signal.SIGKILL)
        pipeline.normalize()
        info = pipeline.load()
        info.raise_on_failed_jobs()
    except PipelineStepFailed as exc:
        raise LoadFailedError(
            f"Loading into {config.warehouse.label} failed at dlt's {exc.step} step: "
            f"{_root_cause(exc)}. Nothing was lost: the responses stay in "
            f"{landing.pending} and the next run loads them without calling the API."
        ) from exc
    report.load_ids.extend(info.loads_ids)
    counts = _row_counts(pipeline)
    report.snapshots_loaded += counts.get("snapshots", 0)
    report.rows_loaded += counts.get("metric_rows", 0)
    report.requests_loaded += counts.get("requests", 0)
    for item in pending:
        if item.body_path.exists():  # not quarantined during extract
            landing.archive_loaded(item)
    landing.forget_requests({r["request_id"] for r in records})


class LoadFailedError(RuntimeError):
    """dlt could not load what was landed; the landed files are kept for the next run."""


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    return f"{exc.__class__.__name__}: {exc}"


def _row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    trace = pipeline.last_trace
    if trace is None or trace.last_normalize_info is None:
        return {}
    return dict(trace.last_normalize_info.row_counts)


def _settle_already_loaded(landing: Landing, item: PendingSnapshot) -> None:
    if item.archive_path.exists():
        landing.discard_duplicate(item)
    else:
        landing.archive_loaded(item)


@dataclass
class QuotaView:
    used_today: int
    quota_exhausted_today: bool
    last_success: dict[str, datetime]


def quota_views(
    config: IngestConfig, now: datetime, pipeline: dlt.Pipeline
) -> dict[str, QuotaView]:
    """Requests spent today per project: the warehouse's requests table and the landed records not
    loaded yet, cross-checked with the quota ledger in dlt's state (the larger count wins)."""
    today = to_utc(now).date()
    facts = warehouse.project_facts(config.warehouse, today)
    landing = Landing(config.data_dir)
    pending_ids: dict[str, set[str]] = {}
    pending_429: set[str] = set()
    for record in landing.pending_request_records():
        if to_utc(record["requested_at"]).date() != today:
            continue
        pending_ids.setdefault(record["project"], set()).add(record["request_id"])
        if record.get("status") == 429:
            pending_429.add(record["project"])
    pending_last: dict[tuple[str, str], datetime] = {}
    for item in landing.pending_snapshots():
        key = (item.meta.project, dimensions_key(item.meta.dimensions))
        fetched = to_utc(item.meta.fetched_at)
        if key not in pending_last or fetched > pending_last[key]:
            pending_last[key] = fetched
    try:
        state = pipeline.state.get("sources", {}).get("clarity", {})
    except Exception:  # noqa: BLE001 - a fresh pipeline has no state yet
        state = {}
    views = {}
    for project in config.project_names:
        fact = facts.get(project, warehouse.ProjectFacts())
        spent = len(fact.request_ids_today | pending_ids.get(project, set()))
        ledger = ledger_count(state, project, today)
        if ledger > spent:
            log.warning(
                "%s: dlt state's quota ledger counts %d requests today, the warehouse and landing "
                "folder %d; planning with %d",
                project,
                ledger,
                spent,
                ledger,
            )
        last = dict(fact.last_success)
        for (proj, key), fetched in pending_last.items():
            if proj == project and (key not in last or fetched > last[key]):
                last[key] = fetched
        views[project] = QuotaView(
            used_today=max(spent, ledger),
            quota_exhausted_today=fact.quota_exhausted_today or project in pending_429,
            last_success=last,
        )
    return views


def make_plans(
    config: IngestConfig,
    now: datetime,
    *,
    pipeline: dlt.Pipeline | None = None,
    force: bool = False,
    projects: Sequence[str] | None = None,
) -> list[ProjectPlan]:
    pipeline = pipeline or make_pipeline(config)
    views = quota_views(config, now, pipeline)
    plans = []
    for name in projects or config.project_names:
        config.project(name)  # raises on an unknown name
        view = views[name]
        plans.append(
            plan_project(
                name,
                config.dimension_sets,
                now,
                used_today=view.used_today,
                last_success=view.last_success,
                policy=config.policy,
                quota_exhausted_today=view.quota_exhausted_today,
                force=force,
            )
        )
    return plans


def ingest(
    config: IngestConfig,
    *,
    clock: Callable[[], datetime] = utc_now,
    force: bool = False,
    projects: Sequence[str] | None = None,
) -> IngestReport:
    """The daily job: finish pending work, fetch what today's plan allows, load it all."""
    with data_folder_lock(config.data_dir, "ingest"):
        return _ingest(config, clock=clock, force=force, projects=projects)


def _ingest(
    config: IngestConfig,
    *,
    clock: Callable[[], datetime],
    force: bool,
    projects: Sequence[str] | None,
) -> IngestReport:
    report = IngestReport(run_id=uuid.uuid4().hex)
    pipeline = make_pipeline(config)
    # anything an earlier run left behind is loaded first, so planning sees it
    early = load_pending(config, report.run_id, pipeline=pipeline)
    plans = make_plans(config, clock(), pipeline=pipeline, force=force, projects=projects)
    landing = Landing(config.data_dir)
    for plan in plans:
        outcome = ProjectOutcome(plan=plan)
        report.outcomes[plan.project] = outcome
        _fetch_project(config, plan, outcome, landing, clock)
    late = load_pending(config, report.run_id, pipeline=pipeline)
    report.load = _merge_loads(early, late)
    return report


def _fetch_project(
    config: IngestConfig,
    plan: ProjectPlan,
    outcome: ProjectOutcome,
    landing: Landing,
    clock: Callable[[], datetime],
) -> None:
    project = config.project(plan.project)
    log.debug(
        "%s: %d request(s) planned, %d used today, budget %d",
        plan.project,
        len(plan.requests),
        plan.used_today,
        plan.budget,
    )
    if not plan.requests:
        return
    try:
        _fetch_planned(config, plan, outcome, landing, clock, project.token)
    finally:
        log.info(
            "%s: %d/%d fetched, %d rows, %d used today before this run%s",
            plan.project,
            outcome.fetched,
            len(plan.requests),
            outcome.rows,
            plan.used_today,
            f", stopped: {outcome.stopped_because}" if outcome.stopped_because else "",
        )


def _fetch_planned(
    config: IngestConfig,
    plan: ProjectPlan,
    outcome: ProjectOutcome,
    landing: Landing,
    clock: Callable[[], datetime],
    token: str,
) -> None:
    client = ClarityClient(
        plan.project,
        token,
        base_url=config.base_url,
        timeout=config.request_timeout,
        clock=clock,
        on_attempt=lambda attempt: landing.record_attempt(attempt, origin=config.origin),
        retry_delay=config.retry_delay,
        origin=config.origin,
    )
    for index, request in enumerate(plan.requests, start=1):
        label = (
            f"[{', '.join(request.dimensions) or 'no dimension'}] numOfDays={request.num_of_days}"
        )
        try:
            response = client.fetch(request.num_of_days, request.dimensions)
        except (ClarityAuthError, ClarityForbiddenError, ClarityQuotaError) as exc:
            outcome.errors.append(str(exc))
            outcome.stopped_because = exc.error_class
            log.error("%s %s: %s Stopping this project for today.", plan.project, label, exc)
            return
        except ClarityBadRequestError as exc:
            outcome.errors.append(str(exc))
            log.error("%s %s: %s", plan.project, label, exc)
            continue
        except ClarityError as exc:
            outcome.errors.append(str(exc))
            log.error("%s %s: %s", plan.project, label, exc)
            continue
        outcome.fetched += 1
        rows = sum(len(block["information"]) for block in response.blocks)
        outcome.rows += rows
        log.debug(
            "%s (%d/%d) %s: %d blocks, %d rows",
            plan.project,
            index,
            len(plan.requests),
            label,
            len(response.blocks),
            rows,
        )


def _merge_loads(first: LoadReport, second: LoadReport) -> LoadReport:
    return LoadReport(
        load_ids=first.load_ids + second.load_ids,
        snapshots_loaded=first.snapshots_loaded + second.snapshots_loaded,
        rows_loaded=first.rows_loaded + second.rows_loaded,
        requests_loaded=first.requests_loaded + second.requests_loaded,
        duplicates_skipped=first.duplicates_skipped + second.duplicates_skipped,
        finished_pending_package=first.finished_pending_package or second.finished_pending_package,
    )
