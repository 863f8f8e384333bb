"""Import saved response bodies (from this pipeline's landing archive or another collector): each
file becomes a snapshot with origin `archive`; re-importing the same file is a no-op.

A body's metadata comes from a sidecar `<name>.meta.json` beside it (the format this pipeline
writes to data/landing/loaded/) or, failing that, from the command line flags; both are checked
by the same rules (ingestion/api/snapshot.py)."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt

from ingestion.api.contract import BodyShapeError, validate_blocks
from ingestion.api.snapshot import InvalidSnapshotMeta, SnapshotMeta, to_utc
from ingestion.collect.landing import INVALID_META, UNPARSEABLE_BODY, Landing
from ingestion.load.loader import LoadReport, load_pending
from ingestion.warehouse import raw
from ingestion.warehouse.destination import Warehouse

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    files: int = 0
    landed: int = 0
    already_loaded: int = 0
    quarantined: int = 0  # files copied to quarantine (bodies set aside while loading: load)
    errors: list[str] = field(default_factory=list)
    load: LoadReport = field(default_factory=LoadReport)
    solve: Any = None  # the window solver's report (ingestion/ingest.py runs it after the load)


@dataclass(frozen=True)
class ArchiveDefaults:
    """Metadata given on the command line, for files without a sidecar."""

    project: str | None = None
    fetched_at: datetime | None = None
    num_of_days: int | None = None
    dimensions: tuple[str, ...] = ()


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Files as given, and every *.json (sidecars excepted) under a given folder; and a sentence
    for each path that is skipped (missing, or not a regular file: a FIFO or a device is never
    opened, since reading it could block the import while it holds the data folder's lock)."""
    found: list[Path] = []
    skipped: list[str] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            candidates = [
                p for p in sorted(path.rglob("*.json")) if not p.name.endswith(".meta.json")
            ]
        elif path.exists() or path.is_symlink():
            candidates = [path]
        else:
            skipped.append(f"{path}: no such file or folder")
            continue
        for candidate in candidates:
            problem = _not_regular(candidate)
            if problem:
                skipped.append(f"{candidate}: {problem}; skipped (never opened)")
            else:
                found.append(candidate)
    return found, skipped


def _not_regular(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc.__class__.__name__})"
    if stat.S_ISREG(mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a folder" if stat.S_ISDIR(mode) else "not a file"
    return f"is {kind}, not a regular file"


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".json") + ".meta.json")


class NoDescription(ValueError):
    """A file without a sidecar and without the flags that would describe it."""


def meta_for(path: Path, defaults: ArchiveDefaults, now: datetime | None = None) -> SnapshotMeta:
    """The description of an archived body: its sidecar, or the command line flags, checked by
    the same rules (InvalidSnapshotMeta says what is wrong; NoDescription when there is none)."""
    sidecar = sidecar_of(path)
    if sidecar.exists() or sidecar.is_symlink():
        problem = _not_regular(sidecar)
        if problem:
            raise InvalidSnapshotMeta(f"its sidecar {sidecar.name} {problem}")
        try:
            data = json.loads(sidecar.read_bytes())
        except (ValueError, RecursionError) as exc:
            raise InvalidSnapshotMeta(
                f"its sidecar {sidecar.name} is not a snapshot description: it is not JSON "
                f"({exc.__class__.__name__})"
            ) from None
        if isinstance(data, dict):
            data = {**data, "origin": "archive", "request_id": None}
        try:
            return SnapshotMeta.from_json(data, now=now)
        except InvalidSnapshotMeta as exc:
            raise InvalidSnapshotMeta(
                f"its sidecar {sidecar.name} is not a snapshot description: {exc} (it "
                "needs project, dimensions, num_of_days and fetched_at, as written to "
                "data/landing/loaded/)"
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
        raise NoDescription(
            f"no sidecar {sidecar.name} and no {', '.join(missing)} given; say when and "
            "how the body was fetched, e.g. --project shop --fetched-at 2026-11-01T00:10:00Z "
            "--num-days 1 --dimensions URL"
        )
    flags = {
        "project": defaults.project,
        "dimensions": list(defaults.dimensions),
        "num_of_days": defaults.num_of_days,
        "fetched_at": to_utc(defaults.fetched_at).isoformat(),
        "origin": "archive",
    }
    try:
        return SnapshotMeta.from_json(flags, now=now)
    except InvalidSnapshotMeta as exc:
        raise NoDescription(f"the flags do not describe a snapshot: {exc}") from None


def import_archives(
    pipeline: dlt.Pipeline,
    landing: Landing,
    warehouse: Warehouse,
    paths: Sequence[Path],
    defaults: ArchiveDefaults,
    run_id: str,
    project_settings: dict[str, dict[str, str | None]] | None = None,
) -> ImportReport:
    """Land every readable body of `paths` that is not loaded yet, then load them (the caller
    holds the data folder's lock). A body whose sidecar is not valid, or that is not a Clarity
    export body, is copied to quarantine with the reason and never loaded; one file never stops
    the others."""
    report = ImportReport()
    now = datetime.now(UTC)
    files, skipped = expand_paths(paths)
    report.files = len(files)
    report.errors.extend(skipped)
    seen: dict[str, tuple[str, Path]] = {}
    candidates: list[tuple[SnapshotMeta, Path]] = []  # bodies are re-read when landed
    for path in files:
        try:
            entry = _check_file(path, defaults, now)
        except NoDescription as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        except _Refused as refused:
            report.errors.append(f"{path}: {refused.reason}")
            _quarantine_copy(landing, path, refused, report)
            continue
        except OSError as exc:
            report.errors.append(f"{path}: cannot be read ({exc.strerror or exc})")
            continue
        except Exception as exc:  # noqa: BLE001 - one file must never stop the others
            report.errors.append(f"{path}: cannot be imported ({exc.__class__.__name__})")
            continue
        meta, sha = entry
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
    report.load = load_pending(pipeline, landing, warehouse, run_id, project_settings, now=now)
    return report


class _Refused(Exception):
    """A described file that must not be loaded: why, and what to keep in quarantine."""

    def __init__(self, reason: str, name: str, meta: SnapshotMeta | None, error_class: str):
        super().__init__(reason)
        self.reason = reason
        self.name = name
        self.meta = meta
        self.error_class = error_class


def _check_file(path: Path, defaults: ArchiveDefaults, now: datetime) -> tuple[SnapshotMeta, str]:
    """The file's description and body hash once both check out; _Refused otherwise."""
    body = path.read_bytes()
    sha = hashlib.sha256(body).hexdigest()
    try:
        meta = meta_for(path, defaults, now)
    except InvalidSnapshotMeta as exc:
        # no snapshot id without a valid description: named by the file and its body
        name = hashlib.sha256(f"{path.resolve()}|{sha}".encode()).hexdigest()[:24]
        raise _Refused(str(exc), f"archive-{name}", None, INVALID_META) from None
    try:
        validate_blocks(body)
    except BodyShapeError as exc:
        raise _Refused(
            f"{exc}, not a Clarity export body (a JSON array of metric blocks); nothing was "
            "loaded from it",
            meta.snapshot_id,
            meta,
            UNPARSEABLE_BODY,
        ) from None
    return meta, sha


def _quarantine_copy(landing: Landing, path: Path, refused: _Refused, report: ImportReport):
    """A copy of a refused archive file (and its sidecar) in quarantine, with the reason."""
    sidecar = sidecar_of(path)
    try:
        meta_bytes = sidecar.read_bytes() if refused.meta is None and sidecar.is_file() else None
        landing.set_aside(
            refused.name,
            path.read_bytes(),
            refused.meta,
            reason=refused.reason,
            error_class=refused.error_class,
            source=str(path),
            meta_bytes=meta_bytes,
        )
        report.quarantined += 1
    except OSError as exc:
        report.errors.append(f"{path}: could not be copied to quarantine ({exc})")
