"""Load what was landed with dlt: finish a package an earlier run left pending, skip what the
warehouse already holds, then load the rest oldest first in dlt loads of bounded size. A landed
body moves to the archive only once its load is complete, so a run killed anywhere loses
nothing and the next one loads it without calling the API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dlt
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.collect.landing import BadLanding, Landing, PendingSnapshot
from ingestion.errors import RunFailedError
from ingestion.load.source import clarity_source
from ingestion.warehouse import raw
from ingestion.warehouse.destination import PIPELINE_NAME, RAW_DATASET, Warehouse

log = logging.getLogger(__name__)

# A large import (a year of archived bodies) is loaded oldest first in dlt loads of about this
# many body bytes (~1.3M metric rows): a stopped run keeps the loads it finished, DuckDB's
# working set per load stays small, and the raw tables end up in fetch order, so the newest
# rows sit together and a daily build's scan of recent snapshots skips the older row groups.
# A daily run (~100 bodies, ~15 MB) is one load.
LOAD_CHUNK_BYTES = 256 * 1024 * 1024


def make_pipeline(warehouse: Warehouse, data_dir: Path) -> dlt.Pipeline:
    """The dlt pipeline of a data folder (its working folder is `<data>/.dlt_pipelines`)."""
    # every raw row carries its load id (dlt leaves it out of Arrow loads by default): dbt reads
    # it for lineage, de-duplication order and to skip old loads; .dlt/config.toml says the same,
    # but a run started with another settings folder must not lose it
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination=warehouse.dlt_destination(),
        dataset_name=RAW_DATASET,
        pipelines_dir=str(data_dir / ".dlt_pipelines"),
    )


def source_state(pipeline: dlt.Pipeline) -> dict:
    """The clarity source's state (the quota ledger); empty for a fresh pipeline."""
    try:
        return pipeline.state.get("sources", {}).get("clarity", {})
    except Exception:  # noqa: BLE001 - a fresh pipeline has no state yet
        return {}


@dataclass
class LoadReport:
    load_ids: list[str] = field(default_factory=list)
    snapshots_loaded: int = 0
    rows_loaded: int = 0
    requests_loaded: int = 0
    duplicates_skipped: int = 0
    finished_pending_package: bool = False
    # what was set aside in quarantine: "<file>: <reason>"
    quarantined: list[str] = field(default_factory=list)

    def add(self, other: LoadReport) -> LoadReport:
        return LoadReport(
            load_ids=self.load_ids + other.load_ids,
            quarantined=self.quarantined + other.quarantined,
            snapshots_loaded=self.snapshots_loaded + other.snapshots_loaded,
            rows_loaded=self.rows_loaded + other.rows_loaded,
            requests_loaded=self.requests_loaded + other.requests_loaded,
            duplicates_skipped=self.duplicates_skipped + other.duplicates_skipped,
            finished_pending_package=(
                self.finished_pending_package or other.finished_pending_package
            ),
        )


class LoadFailedError(RunFailedError):
    """dlt could not load what was landed; the landed files are kept for the next run."""


def finish_pending_package(pipeline: dlt.Pipeline, warehouse: Warehouse) -> list[str]:
    """Load packages an earlier run extracted but did not load (no API call is made).

    Returns their load ids."""
    if not pipeline.has_pending_data:
        return []
    log.warning("Finishing a load package left pending by an earlier run (no API call needed)")
    try:
        pipeline.normalize()
        info = pipeline.load()
        info.raise_on_failed_jobs()
    except (PipelineStepFailed, DestinationTerminalException) as exc:
        raise _load_failed(exc, warehouse, "a package left pending by an earlier run") from exc
    return list(info.loads_ids)


def _load_failed(exc: Exception, warehouse: Warehouse, what: str) -> LoadFailedError:
    """One sentence on a failed dlt step: what failed, the root cause, what to do."""
    step = getattr(exc, "step", "load")
    cause = _root_cause(exc)
    hint = ""
    for marker, advice in _CAUSE_HINTS:
        if marker in cause:
            hint = f" {advice}."
    return LoadFailedError(
        f"Loading {what} into {warehouse.label} failed at dlt's {step} "
        f"step: {cause}.{hint} Nothing was lost: what was landed stays on disk, and the next "
        "run loads it (and completes any table loaded in part) without calling the API"
    )


# what to do, by words in the root cause of a failed load
_CAUSE_HINTS = (
    ("No space left on device", "The disk is full: free some space"),
    ("Read-only file system", "The folder is read-only: make it writable"),
    ("Permission denied", "This user may not write there: fix the permissions"),
)


def load_pending(
    pipeline: dlt.Pipeline,
    landing: Landing,
    warehouse: Warehouse,
    run_id: str,
    project_settings: dict[str, dict[str, str | None]] | None = None,
    now: datetime | None = None,
) -> LoadReport:
    """Load every landed body and request record that is not in the warehouse yet, and the
    projects' settings (time zone, Clarity project id; by project) where they differ from the
    latest recorded. A landed file that cannot
    be loaded (a description that does not check out against `now`, a body that cannot become
    rows) is set aside in quarantine with the reason, and the rest loads."""
    report = LoadReport()
    finished = finish_pending_package(pipeline, warehouse)
    report.finished_pending_package = bool(finished)
    report.load_ids.extend(finished)
    landing.remove_bodiless_descriptions()
    pending, bad = landing.scan_pending(now)
    records, bad_records = landing.scan_request_records()
    failed = _set_aside(landing, [*bad, *bad_records], report)
    records = [{**r, **failed.get(r.get("snapshot_id") or "", {})} for r in records]
    loaded_sids = raw.existing_ids(
        warehouse, "snapshots", "snapshot_id", [p.snapshot_id for p in pending]
    )
    loaded_rids = raw.existing_ids(
        warehouse, "requests", "request_id", [r["request_id"] for r in records]
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
    nothing_landed = not new_pending and not new_records
    if nothing_landed and not project_settings:
        return report
    settings = _changed_settings(warehouse, project_settings or {})
    if nothing_landed and not settings:
        return report
    # oldest first, in loads of bounded size (see LOAD_CHUNK_BYTES); a request record goes with
    # its body, so a body set aside during the load can say so in its record
    new_pending.sort(key=lambda item: (item.meta.fetched_at, item.snapshot_id))
    chunks = _chunks(new_pending, LOAD_CHUNK_BYTES) or [[]]
    chunk_of = {item.snapshot_id: i for i, chunk in enumerate(chunks) for item in chunk}
    for index, chunk in enumerate(chunks):
        _load_chunk(
            pipeline,
            landing,
            warehouse,
            chunk,
            [r for r in new_records if chunk_of.get(r.get("snapshot_id") or "", 0) == index],
            run_id,
            report,
            settings if index == 0 else None,
        )
    return report


def _set_aside(landing: Landing, bad: list[BadLanding], report: LoadReport) -> dict[str, dict]:
    """Move landed files that cannot be loaded to quarantine; the changes to the request record
    of each body set aside, by snapshot id."""
    failed: dict[str, dict] = {}
    for item in bad:
        target = landing.quarantine_bad(item)
        log.error("%s; set aside in %s", item.reason, target)
        report.quarantined.append(f"{target.name}: {item.reason}")
        failed[item.paths[0].stem] = {
            "snapshot_id": None,
            "body_path": str(target),
            "error_class": item.error_class,
            "error_message": f"the answer could not be loaded: {item.reason}",
        }
    return failed


def _changed_settings(
    warehouse: Warehouse, configured: dict[str, dict[str, str | None]]
) -> list[dict] | None:
    """Rows for the `projects` table: the projects whose settings are not the ones recorded.
    None when nothing needs writing; an empty list when the table must still be created (dbt
    reads it as a source)."""
    recorded = raw.project_settings(warehouse)
    now = datetime.now(UTC)
    changed = [
        {"project": project, **settings, "configured_at": now}
        for project, settings in sorted(configured.items())
        if (recorded or {}).get(project) != settings
    ]
    return changed if changed or recorded is None else None


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
    pipeline: dlt.Pipeline,
    landing: Landing,
    warehouse: Warehouse,
    pending: list[PendingSnapshot],
    records: list[dict],
    run_id: str,
    report: LoadReport,
    project_settings: list[dict] | None,
) -> None:
    """One dlt load (extract, normalize, load) of some landed bodies and request records; the
    bodies move to the archive only once their load is complete."""

    def set_aside(item: PendingSnapshot, reason: str) -> Path:
        target = landing.quarantine_pending(item, reason)
        report.quarantined.append(f"{target.name}: {reason}")
        return target

    source = clarity_source(
        pending,
        records,
        run_id,
        on_bad_body=set_aside,
        project_settings=project_settings,
    )
    try:
        # Parquet for a bucket (the filesystem destination), the destination's choice otherwise
        pipeline.extract(source, loader_file_format=warehouse.loader_file_format)
        pipeline.normalize()
        info = pipeline.load()
        info.raise_on_failed_jobs()
    except (PipelineStepFailed, DestinationTerminalException) as exc:
        raise _load_failed(exc, warehouse, f"{len(pending)} landed response(s)") from exc
    report.load_ids.extend(info.loads_ids)
    counts = _row_counts(pipeline)
    report.snapshots_loaded += counts.get("snapshots", 0)
    report.rows_loaded += counts.get("metric_rows", 0)
    report.requests_loaded += counts.get("requests", 0)
    for item in pending:
        if item.body_path.exists():  # not quarantined during extract
            landing.archive_loaded(item)
    landing.forget_requests({r["request_id"] for r in records})


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's class and first line (dlt's own texts embed tracebacks)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{exc.__class__.__name__}: {text[:300]}"


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
