"""The landing folder: every response body and every request record is written to disk (atomically)
the moment it arrives, before anything is loaded, so a crash never loses a response or a request.
A request's record is written before the request is sent and completed after its answer, so a run
killed while a request is in flight still counts it against the day's quota.

    <data>/landing/pending/<snapshot_id>.json        body bytes exactly as received
    <data>/landing/pending/<snapshot_id>.meta.json   SnapshotMeta (project, dimensions, days, time)
    <data>/landing/pending/requests/<request_id>.json   one HTTP attempt (no body, no token)
    <data>/landing/quarantine/<id>.json              a body that cannot be loaded, as received,
    <data>/landing/quarantine/<id>.meta.json         its description when one is known,
    <data>/landing/quarantine/<id>.reason.json       and why it was set aside (`clarity status`
                                                     lists them; `clarity quarantine --retry`
                                                     gives them another try)
    <data>/landing/loaded/<project>/<YYYY-MM-DD>/    bodies (and metas) after they were loaded:
                                                     the archive of everything ever received
"""

from __future__ import annotations

import errno
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from ingestion.api.client import Attempt
from ingestion.api.errors import ClarityMalformedBodyError
from ingestion.api.snapshot import InvalidSnapshotMeta, SnapshotMeta, to_utc

log = logging.getLogger(__name__)

# error classes of what is set aside in quarantine/ (beside the API's own malformed_body)
UNPARSEABLE_BODY = "unparseable_body"
INVALID_META = "invalid_meta"


class LandingWriteError(OSError):
    """The landing folder cannot be written (a full disk, a read-only folder): nothing more may
    be asked of the API, because its answer could not be kept."""

    def __str__(self) -> str:
        return str(self.strerror)


def not_writable(path: Path, exc: OSError) -> LandingWriteError:
    """The error for a failed write of `path`: what happened and what to do, in one sentence."""
    reason = os.strerror(exc.errno) if exc.errno else exc.__class__.__name__
    hint = {
        errno.ENOSPC: "free some space",
        errno.EDQUOT: "free some space (the disk quota is used up)",
        errno.EROFS: "mount it read-write or point CLARITY_DATA_DIR at a writable folder",
        errno.EACCES: "give this user write access or point CLARITY_DATA_DIR elsewhere",
        errno.EPERM: "give this user write access or point CLARITY_DATA_DIR elsewhere",
    }.get(exc.errno or 0, "check the folder")
    return LandingWriteError(
        exc.errno,
        f"Cannot write to {path.parent} ({reason}): {hint}, then run again. No request is sent "
        "to Clarity while its answer could not be kept; nothing landed so far is lost",
    )


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` through a temporary file and a rename; `durable` flushes it to disk
    first (an API response exists nowhere else; a copy of an archive file does). Raises
    LandingWriteError (the old file, if any, is untouched)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise not_writable(path, exc) from None


def _move(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    except OSError as exc:
        raise not_writable(target, exc) from None


@dataclass(frozen=True)
class PendingSnapshot:
    meta: SnapshotMeta
    body_path: Path
    meta_path: Path
    archive_path: Path  # where the body is kept once loaded

    @property
    def snapshot_id(self) -> str:
        return self.body_path.stem


@dataclass(frozen=True)
class BadLanding:
    """A landed file that cannot be loaded as it is (its description or record is unreadable)."""

    paths: tuple[Path, ...]
    reason: str
    error_class: str


@dataclass(frozen=True)
class QuarantineEntry:
    """One body set aside in quarantine/, with why."""

    body_path: Path
    meta_path: Path | None
    reason: str
    error_class: str
    quarantined_at: datetime | None
    source: str | None  # where it came from (an archive file, a request), when known

    @property
    def name(self) -> str:
        return self.body_path.stem


class Landing:
    """Files of one data folder; safe to use from one process at a time."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "landing"
        self.pending = self.root / "pending"
        self.pending_requests = self.pending / "requests"
        self.quarantine = self.root / "quarantine"
        self.loaded = self.root / "loaded"

    def check_writable(self) -> None:
        """Raise LandingWriteError unless a file can be written, flushed and removed in the
        pending folder (before any request is planned)."""
        probe = self.pending / f".write-probe-{os.getpid()}"
        write_atomic(probe, b"probe")
        probe.unlink(missing_ok=True)

    # -- writing -------------------------------------------------------------------------------
    def land_body(
        self, meta: SnapshotMeta, body: bytes, *, durable: bool = True
    ) -> PendingSnapshot:
        """Keep a response body (from the API or an archive) until it is loaded. The description
        is written first: the body's rename is what makes a landed snapshot, so a write that
        fails in between leaves a description without a body (removed by the next load), never
        a body without a description."""
        sid = meta.snapshot_id
        body_path = self.pending / f"{sid}.json"
        meta_path = self.pending / f"{sid}.meta.json"
        write_atomic(meta_path, _meta_bytes(meta), durable=durable)
        write_atomic(body_path, body, durable=durable)
        return self._pending(meta, body_path, meta_path)

    def _pending(self, meta: SnapshotMeta, body_path: Path, meta_path: Path) -> PendingSnapshot:
        return PendingSnapshot(
            meta=meta,
            body_path=body_path,
            meta_path=meta_path,
            archive_path=self.loaded_body_path(meta),
        )

    def record_sent(self, attempt: Attempt, *, origin: str) -> None:
        """Persist a request before it is sent (its record says it is in flight); record_attempt
        completes it. Raises LandingWriteError, and then the request must not be sent."""
        self._write_record(attempt.record(), origin)

    def record_attempt(self, attempt: Attempt, *, origin: str) -> SnapshotMeta | None:
        """Persist one HTTP attempt; a good body is landed first, a malformed one quarantined.

        Returns the snapshot meta when the attempt brought a well-formed body.
        """
        meta = None
        record = attempt.record()
        if attempt.status == 200 or attempt.body is not None:
            meta = SnapshotMeta(
                project=attempt.project,
                dimensions=tuple(d for d in attempt.dimensions.split(",") if d),
                num_of_days=attempt.num_of_days,
                fetched_at=attempt.requested_at,
                origin=origin,
                request_id=attempt.request_id,
            )
        if attempt.status == 200 and attempt.error_class is None:
            pending = self.land_body(meta, attempt.body or b"")
            record["snapshot_id"] = meta.snapshot_id
            record["body_path"] = str(pending.body_path)
        elif attempt.body is not None:  # a malformed or unreadable answer: kept for inspection
            entry = self.set_aside(
                attempt.request_id,
                attempt.body,
                meta,
                reason=attempt.error_message or "",
                error_class=attempt.error_class or ClarityMalformedBodyError.error_class,
                source=f"request {attempt.request_id}",
            )
            record["body_path"] = str(entry)
            meta = None
        self._write_record(record, origin)
        return meta

    def _write_record(self, record: dict, origin: str) -> None:
        record = {"snapshot_id": None, "body_path": None, **record, "origin": origin}
        write_atomic(
            self.pending_requests / f"{record['request_id']}.json",
            json.dumps(record, default=_json_default, indent=1).encode(),
        )

    # -- reading -------------------------------------------------------------------------------
    def scan_pending(
        self, now: datetime | None = None
    ) -> tuple[list[PendingSnapshot], list[BadLanding]]:
        """The landed bodies with a valid description, and those whose description is missing
        its body or cannot be trusted (the loader sets them aside)."""
        found: list[PendingSnapshot] = []
        bad: list[BadLanding] = []
        for meta_path in sorted(self.pending.glob("*.meta.json")):
            body_path = meta_path.with_name(meta_path.name.replace(".meta.json", ".json"))
            if not body_path.exists():  # being written, or its body's write failed
                continue
            try:
                meta = SnapshotMeta.from_json(json.loads(meta_path.read_bytes()), now=now)
            except (ValueError, RecursionError, OSError) as exc:
                reason = f"its description {meta_path.name} cannot be used: {_reason(exc)}"
                bad.append(BadLanding((body_path, meta_path), reason, INVALID_META))
                continue
            if meta.snapshot_id != body_path.stem:
                reason = f"its description {meta_path.name} describes another snapshot"
                bad.append(BadLanding((body_path, meta_path), reason, INVALID_META))
                continue
            found.append(self._pending(meta, body_path, meta_path))
        return found, bad

    def remove_bodiless_descriptions(self) -> None:
        """Descriptions whose body was never written (the write failed): nothing to load."""
        for meta_path in self.pending.glob("*.meta.json"):
            if not meta_path.with_name(meta_path.name.replace(".meta.json", ".json")).exists():
                log.warning(
                    "Landing: %s has no body beside it (its write failed); removed", meta_path.name
                )
                meta_path.unlink(missing_ok=True)

    def pending_snapshots(self, now: datetime | None = None) -> list[PendingSnapshot]:
        """The landed bodies that can be loaded (see scan_pending for the others)."""
        found, bad = self.scan_pending(now)
        for item in bad:
            log.warning(
                "Landing: %s %s; the next load sets it aside", item.paths[0].name, item.reason
            )
        return found

    def scan_request_records(self) -> tuple[list[dict], list[BadLanding]]:
        records: list[dict] = []
        bad: list[BadLanding] = []
        for path in sorted(self.pending_requests.glob("*.json")):
            try:
                records.append(_read_record(path))
            except (ValueError, KeyError, TypeError, RecursionError, OSError) as exc:
                reason = f"request record {path.name} cannot be read: {_reason(exc)}"
                bad.append(BadLanding((path,), reason, INVALID_META))
        return records, bad

    def pending_request_records(self) -> list[dict]:
        return self.scan_request_records()[0]

    def quarantined(self) -> list[QuarantineEntry]:
        """What is in quarantine/, oldest first (legacy `.body` / `.reason.txt` files included)."""
        entries = []
        if not self.quarantine.is_dir():
            return entries
        for path in sorted(self.quarantine.iterdir()):
            if not path.is_file() or path.name.endswith((".meta.json", ".reason.json", ".txt")):
                continue
            if path.suffix not in (".json", ".body"):
                continue
            entries.append(_entry(path))
        entries.sort(key=lambda e: (e.quarantined_at or datetime.min.replace(tzinfo=UTC), e.name))
        return entries

    # -- after loading -------------------------------------------------------------------------
    def archive_loaded(self, snapshot: PendingSnapshot) -> Path:
        """Move a loaded body and its meta into loaded/<project>/<date>/; returns the body path."""
        target = snapshot.archive_path
        _move(snapshot.body_path, target)
        _move(snapshot.meta_path, target.with_name(snapshot.meta_path.name))
        return target

    def discard_duplicate(self, snapshot: PendingSnapshot) -> None:
        """The snapshot is already loaded (a re-run or a re-import): drop the pending copy."""
        snapshot.body_path.unlink(missing_ok=True)
        snapshot.meta_path.unlink(missing_ok=True)

    def set_aside(
        self,
        name: str,
        body: bytes,
        meta: SnapshotMeta | None,
        *,
        reason: str,
        error_class: str,
        source: str | None,
        meta_bytes: bytes | None = None,
    ) -> Path:
        """Write a body (and its description, when known) to quarantine/ with why; returns the
        body's path there. `meta_bytes`: a description as found (when it is what is wrong)."""
        target = self.quarantine / f"{name}.json"
        write_atomic(target, body)
        if meta is not None or meta_bytes is not None:
            write_atomic(_meta_path(target), meta_bytes or _meta_bytes(meta))
        self._write_reason(target, reason, error_class, source)
        return target

    def quarantine_pending(
        self, snapshot: PendingSnapshot, reason: str, error_class: str = UNPARSEABLE_BODY
    ) -> Path:
        """Move a landed body that cannot be loaded to quarantine/, with a note of why."""
        target = self.quarantine / snapshot.body_path.name
        if snapshot.body_path.exists():
            _move(snapshot.body_path, target)
        if snapshot.meta_path.exists():
            _move(snapshot.meta_path, _meta_path(target))
        source = f"request {snapshot.meta.request_id}" if snapshot.meta.request_id else None
        self._write_reason(target, reason, error_class, source)
        return target

    def quarantine_bad(self, item: BadLanding) -> Path:
        """Move a landed file whose description or record cannot be read to quarantine/."""
        first = item.paths[0]
        target = self.quarantine / (
            first.name if first.parent == self.pending else f"request-{first.name}"
        )
        for path in item.paths:
            if path.exists():
                _move(path, _meta_path(target) if path.name.endswith(".meta.json") else target)
        self._write_reason(target, item.reason, item.error_class, None)
        return target

    def release(self, entry: QuarantineEntry) -> PendingSnapshot:
        """Move a quarantined body and its description back to pending/ for another load; raises
        InvalidSnapshotMeta when the description is missing or still not valid."""
        if entry.meta_path is None:
            raise InvalidSnapshotMeta(
                "it has no description (.meta.json); import it with `clarity import` and the "
                "--project, --fetched-at, --num-days and --dimensions flags instead"
            )
        try:
            meta = SnapshotMeta.from_json(json.loads(entry.meta_path.read_bytes()))
        except (ValueError, RecursionError, OSError) as exc:
            raise InvalidSnapshotMeta(_reason(exc)) from None
        body = entry.body_path.read_bytes()
        pending = self.land_body(meta, body)
        for path in (entry.body_path, entry.meta_path, _reason_path(entry.body_path)):
            path.unlink(missing_ok=True)
        return pending

    def _write_reason(self, target: Path, reason: str, error_class: str, source: str | None):
        note = {
            "reason": reason,
            "error_class": error_class,
            "quarantined_at": datetime.now(UTC).isoformat(),
            "source": source,
        }
        write_atomic(_reason_path(target), json.dumps(note, indent=1).encode())

    def forget_requests(self, request_ids: set[str]) -> None:
        for request_id in request_ids:
            (self.pending_requests / f"{request_id}.json").unlink(missing_ok=True)

    def loaded_body_path(self, meta: SnapshotMeta) -> Path:
        day = to_utc(meta.fetched_at).date().isoformat()
        return self.loaded / _safe(meta.project) / day / f"{meta.snapshot_id}.json"


def _meta_bytes(meta: SnapshotMeta) -> bytes:
    return json.dumps(meta.to_json(), indent=1).encode()


def _meta_path(body_path: Path) -> Path:
    return body_path.with_name(f"{body_path.stem}.meta.json")


def _reason_path(body_path: Path) -> Path:
    return body_path.with_name(f"{body_path.stem}.reason.json")


def _entry(path: Path) -> QuarantineEntry:
    """A quarantined body with what is known of it."""
    meta = _meta_path(path)
    note: dict = {}
    reason_file = _reason_path(path)
    try:
        if reason_file.exists():
            note = json.loads(reason_file.read_bytes())
        elif path.with_suffix(".reason.txt").exists():  # written by earlier versions
            note = {"reason": path.with_suffix(".reason.txt").read_text(errors="replace")}
    except (ValueError, OSError):
        note = {"reason": f"its note {reason_file.name} cannot be read"}
    when = None
    try:
        when = (
            datetime.fromisoformat(note["quarantined_at"]) if note.get("quarantined_at") else None
        )
    except (TypeError, ValueError):
        pass
    if when is None:
        when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return QuarantineEntry(
        body_path=path,
        meta_path=meta if meta.exists() else None,
        reason=str(note.get("reason") or "no reason recorded"),
        error_class=str(note.get("error_class") or ClarityMalformedBodyError.error_class),
        quarantined_at=when,
        source=note.get("source"),
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, InvalidSnapshotMeta):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "it nests too deeply to be read"
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return f"it is not JSON ({exc.__class__.__name__})"
    return f"{exc.__class__.__name__}: {exc}"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def _read_record(path: Path) -> dict:
    record = json.loads(path.read_bytes())
    if not isinstance(record, dict) or not isinstance(record.get("request_id"), str):
        raise ValueError("it is not a request record")
    if not isinstance(record.get("project"), str) or not record.get("requested_at"):
        raise ValueError("it has no project or requested_at")
    for key in ("requested_at", "completed_at", "server_date"):
        if record.get(key):
            record[key] = to_utc(datetime.fromisoformat(record[key]))
    return record


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
