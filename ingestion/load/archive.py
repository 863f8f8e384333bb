"""Import saved response bodies (from this pipeline's landing archive or another collector): each
file becomes a snapshot with origin `archive`; re-importing the same file is a no-op.

A body's metadata comes from a sidecar `<name>.meta.json` beside it (the format this pipeline
writes to data/landing/loaded/) or, failing that, from the command line flags."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dlt

from ingestion.api.contract import (
    VALID_NUM_DAYS,
    BodyShapeError,
    canonical_dimensions,
    validate_blocks,
)
from ingestion.api.snapshot import SnapshotMeta, to_utc
from ingestion.collect.landing import Landing
from ingestion.load.loader import LoadReport, load_pending
from ingestion.warehouse import raw
from ingestion.warehouse.destination import Warehouse

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    files: int = 0
    landed: int = 0
    already_loaded: int = 0
    errors: list[str] = field(default_factory=list)
    load: LoadReport = field(default_factory=LoadReport)


@dataclass(frozen=True)
class ArchiveDefaults:
    """Metadata given on the command line, for files without a sidecar."""

    project: str | None = None
    fetched_at: datetime | None = None
    num_of_days: int | None = None
    dimensions: tuple[str, ...] = ()


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every *.json (sidecars excepted) under a given folder."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*.json")) if not p.name.endswith(".meta.json")
            )
        else:
            found.append(path)
    return found


def meta_for(path: Path, defaults: ArchiveDefaults) -> SnapshotMeta:
    sidecar = path.with_name(path.name.removesuffix(".json") + ".meta.json")
    if sidecar.exists():
        try:
            data = json.loads(sidecar.read_text())
            data["origin"] = "archive"
            data["request_id"] = None
            return SnapshotMeta.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"its sidecar {sidecar.name} is not a snapshot description "
                f"({exc.__class__.__name__}: {exc}); it needs project, dimensions, num_of_days "
                "and fetched_at, as written to data/landing/loaded/"
            ) from None
    missing = [
        flag
        for flag, value in (
            ("--project", defaults.project),
            ("--fetched-at", defaults.fetched_at),
            ("--num-days", defaults.num_of_days),
        )
        if value is None
    ]
    if missing:
        raise ValueError(
            f"no sidecar {sidecar.name} and no {', '.join(missing)} given; say when and "
            "how the body was fetched, e.g. --project shop --fetched-at 2026-11-01T00:10:00Z "
            "--num-days 1 --dimensions URL"
        )
    if defaults.num_of_days not in VALID_NUM_DAYS:
        raise ValueError(f"--num-days must be 1, 2 or 3, got {defaults.num_of_days}")
    return SnapshotMeta(
        project=defaults.project,
        dimensions=canonical_dimensions(defaults.dimensions),
        num_of_days=defaults.num_of_days,
        fetched_at=to_utc(defaults.fetched_at),
        origin="archive",
    )


def import_archives(
    pipeline: dlt.Pipeline,
    landing: Landing,
    warehouse: Warehouse,
    paths: Sequence[Path],
    defaults: ArchiveDefaults,
    run_id: str,
    project_timezones: dict[str, str] | None = None,
) -> ImportReport:
    """Land every readable body of `paths` that is not loaded yet, then load them (the caller
    holds the data folder's lock)."""
    report = ImportReport()
    files = expand_paths(paths)
    report.files = len(files)
    seen: dict[str, tuple[str, Path]] = {}
    candidates: list[tuple[SnapshotMeta, Path]] = []  # bodies are re-read when landed
    for path in files:
        try:
            meta = meta_for(path, defaults)
            body = path.read_bytes()
            validate_blocks(body)
        except BodyShapeError as exc:
            report.errors.append(
                f"{path}: {exc}, not a Clarity export body (a JSON array of metric blocks); "
                "nothing was loaded from it: fix or remove the file"
            )
            continue
        except (OSError, ValueError) as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        sha = hashlib.sha256(body).hexdigest()
        sid = meta.snapshot_id
        if sid in seen:
            if seen[sid][0] != sha:
                report.errors.append(
                    f"{path}: same project, dimensions, numOfDays and fetched-at as "
                    f"{seen[sid][1]} but a different body; give each file its own --fetched-at "
                    "(or a sidecar)"
                )
            continue
        seen[sid] = (sha, path)
        candidates.append((meta, path))
    loaded = raw.body_hashes(warehouse, [m.snapshot_id for m, _ in candidates])
    for meta, path in candidates:
        sid = meta.snapshot_id
        if sid in loaded:
            if loaded[sid] != seen[sid][0]:
                report.errors.append(
                    f"{path}: snapshot {sid[:12]} is already loaded with a different body; "
                    "not imported (check --fetched-at)"
                )
            else:
                report.already_loaded += 1
            continue
        # the archive file stays where it is: the landing copy needs no fsync
        landing.land_body(meta, path.read_bytes(), durable=False)
        report.landed += 1
        log.info("landed %s as snapshot %s (%s)", path, sid[:12], meta.project)
    report.load = load_pending(pipeline, landing, warehouse, run_id, project_timezones)
    return report
