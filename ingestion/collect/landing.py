"""The landing folder: every response body and every request record is written to disk (atomically)
the moment it arrives, before anything is loaded, so a crash never loses a response or a request.

    <data>/landing/pending/<snapshot_id>.json        body bytes exactly as received
    <data>/landing/pending/<snapshot_id>.meta.json   SnapshotMeta (project, dimensions, days, time)
    <data>/landing/pending/requests/<request_id>.json   one HTTP attempt (no body, no token)
    <data>/landing/quarantine/<request_id>.body      a 200 body that was not the documented shape
    <data>/landing/loaded/<project>/<YYYY-MM-DD>/    bodies (and metas) after they were loaded:
                                                     the archive of everything ever received
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ingestion.api.client import Attempt
from ingestion.api.errors import ClarityMalformedBodyError
from ingestion.api.snapshot import SnapshotMeta, to_utc

log = logging.getLogger(__name__)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` through a temporary file and a rename; `durable` flushes it to disk
    first (an API response exists nowhere else; a copy of an archive file does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class PendingSnapshot:
    meta: SnapshotMeta
    body_path: Path
    meta_path: Path
    archive_path: Path  # where the body is kept once loaded

    @property
    def snapshot_id(self) -> str:
        return self.body_path.stem


class Landing:
    """Files of one data folder; safe to use from one process at a time."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "landing"
        self.pending = self.root / "pending"
        self.pending_requests = self.pending / "requests"
        self.quarantine = self.root / "quarantine"
        self.loaded = self.root / "loaded"

    # -- writing -------------------------------------------------------------------------------
    def land_body(
        self, meta: SnapshotMeta, body: bytes, *, durable: bool = True
    ) -> PendingSnapshot:
        """Keep a response body (from the API or an archive) until it is loaded."""
        sid = meta.snapshot_id
        body_path = self.pending / f"{sid}.json"
        meta_path = self.pending / f"{sid}.meta.json"
        write_atomic(body_path, body, durable=durable)
        write_atomic(meta_path, json.dumps(meta.to_json(), indent=1).encode(), durable=durable)
        return self._pending(meta, body_path, meta_path)

    def _pending(self, meta: SnapshotMeta, body_path: Path, meta_path: Path) -> PendingSnapshot:
        return PendingSnapshot(
            meta=meta,
            body_path=body_path,
            meta_path=meta_path,
            archive_path=self.loaded_body_path(meta),
        )

    def record_attempt(self, attempt: Attempt, *, origin: str) -> SnapshotMeta | None:
        """Persist one HTTP attempt; a good body is landed first, a malformed one quarantined.

        Returns the snapshot meta when the attempt brought a well-formed body.
        """
        meta = None
        record = attempt.record()
        record["origin"] = origin
        record["snapshot_id"] = None
        record["body_path"] = None
        if attempt.status == 200 and attempt.error_class is None:
            meta = SnapshotMeta(
                project=attempt.project,
                dimensions=tuple(d for d in attempt.dimensions.split(",") if d),
                num_of_days=attempt.num_of_days,
                fetched_at=attempt.requested_at,
                origin=origin,
                request_id=attempt.request_id,
            )
            pending = self.land_body(meta, attempt.body or b"")
            record["snapshot_id"] = meta.snapshot_id
            record["body_path"] = str(pending.body_path)
        elif (
            attempt.error_class == ClarityMalformedBodyError.error_class
            and attempt.body is not None
        ):
            path = self.quarantine / f"{attempt.request_id}.body"
            write_atomic(path, attempt.body)
            record["body_path"] = str(path)
        write_atomic(
            self.pending_requests / f"{attempt.request_id}.json",
            json.dumps(record, default=_json_default, indent=1).encode(),
        )
        return meta

    # -- reading -------------------------------------------------------------------------------
    def pending_snapshots(self) -> list[PendingSnapshot]:
        found = []
        for meta_path in sorted(self.pending.glob("*.meta.json")):
            body_path = meta_path.with_name(meta_path.name.replace(".meta.json", ".json"))
            if not body_path.exists():
                log.warning("Landing: %s has no body beside it; skipped", meta_path.name)
                continue
            meta = SnapshotMeta.from_json(json.loads(meta_path.read_bytes()))
            found.append(self._pending(meta, body_path, meta_path))
        return found

    def pending_request_records(self) -> list[dict]:
        return [_read_record(path) for path in sorted(self.pending_requests.glob("*.json"))]

    # -- after loading -------------------------------------------------------------------------
    def archive_loaded(self, snapshot: PendingSnapshot) -> Path:
        """Move a loaded body and its meta into loaded/<project>/<date>/; returns the body path."""
        target = snapshot.archive_path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(snapshot.body_path, target)
        os.replace(snapshot.meta_path, target.with_name(snapshot.meta_path.name))
        return target

    def discard_duplicate(self, snapshot: PendingSnapshot) -> None:
        """The snapshot is already loaded (a re-run or a re-import): drop the pending copy."""
        snapshot.body_path.unlink(missing_ok=True)
        snapshot.meta_path.unlink(missing_ok=True)

    def quarantine_pending(self, snapshot: PendingSnapshot, reason: Exception) -> Path:
        """Move a landed body that cannot be loaded to quarantine/, with a note of why."""
        self.quarantine.mkdir(parents=True, exist_ok=True)
        target = self.quarantine / snapshot.body_path.name
        if snapshot.body_path.exists():
            os.replace(snapshot.body_path, target)
        if snapshot.meta_path.exists():
            os.replace(snapshot.meta_path, target.with_name(snapshot.meta_path.name))
        write_atomic(target.with_suffix(".reason.txt"), str(reason).encode())
        return target

    def forget_requests(self, request_ids: set[str]) -> None:
        for request_id in request_ids:
            (self.pending_requests / f"{request_id}.json").unlink(missing_ok=True)

    def loaded_body_path(self, meta: SnapshotMeta) -> Path:
        day = to_utc(meta.fetched_at).date().isoformat()
        return self.loaded / _safe(meta.project) / day / f"{meta.snapshot_id}.json"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def _read_record(path: Path) -> dict:
    record = json.loads(path.read_bytes())
    for key in ("requested_at", "completed_at", "server_date"):
        if record.get(key):
            record[key] = to_utc(datetime.fromisoformat(record[key]))
    return record


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
