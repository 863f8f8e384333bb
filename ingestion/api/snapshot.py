"""Snapshot identity and windows: a response is the aggregate over
`[fetched_at - 24h * numOfDays, fetched_at)`, identified by project, dimensions, days and time.
A snapshot description read from disk (a landed `.meta.json`, an archive's sidecar) is checked
as strictly as the command line flags before anything is loaded from it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ingestion.api.contract import VALID_NUM_DAYS, canonical_dimensions, check_project_name

# No Clarity export is older than the API (2023); a fetch time before this is a mistake.
EARLIEST_FETCH = datetime(2020, 1, 1, tzinfo=timezone.utc)
# A fetch time may run ahead of this machine's clock by at most this much (clock skew).
FUTURE_SLACK = timedelta(days=1)
ORIGINS = ("api", "offline", "archive")


class InvalidSnapshotMeta(ValueError):
    """A snapshot description that cannot be trusted; the message lists every problem."""


def to_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (naive input is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def dimensions_key(dimensions: Sequence[str]) -> str:
    """The canonical text of a dimension set: sorted names joined by commas ('' for none)."""
    return ",".join(sorted(dimensions))


def snapshot_id(
    project: str, dimensions: Sequence[str], num_of_days: int, fetched_at: datetime
) -> str:
    """sha256 of (project, sorted dimensions, numOfDays, fetched_at in UTC, microseconds)."""
    stamp = to_utc(fetched_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = f"{project}|{dimensions_key(dimensions)}|{num_of_days}|{stamp}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def window(fetched_at: datetime, num_of_days: int) -> tuple[datetime, datetime]:
    end = to_utc(fetched_at)
    return end - timedelta(hours=24 * num_of_days), end


@dataclass(frozen=True)
class SnapshotMeta:
    """What is known about a response besides its body."""

    project: str
    dimensions: tuple[str, ...]
    num_of_days: int
    fetched_at: datetime
    origin: str  # api | offline | archive
    request_id: str | None = None
    http_status: int = 200

    @property
    def snapshot_id(self) -> str:
        return snapshot_id(self.project, self.dimensions, self.num_of_days, self.fetched_at)

    def to_json(self) -> dict:
        data = asdict(self)
        data["dimensions"] = list(self.dimensions)
        data["fetched_at"] = to_utc(self.fetched_at).isoformat()
        return data

    @classmethod
    def from_json(cls, data: Any, *, now: datetime | None = None) -> SnapshotMeta:
        """The description `data` (a parsed `.meta.json`) once every field checks out against
        the same rules as the command line flags; InvalidSnapshotMeta lists what does not."""
        if not isinstance(data, dict):
            raise InvalidSnapshotMeta(f"it is a JSON {type(data).__name__}, not an object")
        problems: list[str] = []
        missing = [
            k for k in ("project", "dimensions", "num_of_days", "fetched_at") if k not in data
        ]
        if missing:
            problems.append(f"it lacks {', '.join(missing)}")
        project = data.get("project")
        if "project" in data:
            problem = check_project_name(project)
            if problem:
                problems.append(f"project {project!r} {problem}")
        dimensions: tuple[str, ...] = ()
        if "dimensions" in data:
            dimensions, problem = _dimensions(data["dimensions"])
            if problem:
                problems.append(problem)
        num_of_days = data.get("num_of_days")
        if "num_of_days" in data and (
            not isinstance(num_of_days, int)
            or isinstance(num_of_days, bool)
            or num_of_days not in VALID_NUM_DAYS
        ):
            problems.append(f"num_of_days must be 1, 2 or 3, got {num_of_days!r}")
        fetched_at = None
        if "fetched_at" in data:
            fetched_at, problem = _fetched_at(data["fetched_at"], now)
            if problem:
                problems.append(problem)
        origin = data.get("origin", "archive")
        if origin not in ORIGINS:
            problems.append(f"origin must be one of {', '.join(ORIGINS)}, got {origin!r}")
        request_id = data.get("request_id")
        if request_id is not None and not isinstance(request_id, str):
            problems.append(f"request_id must be text, got {request_id!r}")
        http_status = data.get("http_status", 200)
        if http_status != 200 or isinstance(http_status, bool):
            problems.append(
                f"http_status must be 200 (only answers with data land), got {http_status!r}"
            )
        if problems:
            raise InvalidSnapshotMeta("; ".join(problems))
        return cls(
            project=project,
            dimensions=dimensions,
            num_of_days=num_of_days,
            fetched_at=fetched_at,
            origin=origin,
            request_id=request_id,
        )


def _dimensions(value: Any) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return (), (
            f'dimensions must be a list of dimension names such as ["URL"] ([] for none), '
            f"got {value!r}"
        )
    try:
        return canonical_dimensions(value), None
    except ValueError as exc:
        return (), f"dimensions: {exc}"


def _fetched_at(value: Any, now: datetime | None) -> tuple[datetime | None, str | None]:
    """The fetch time of a description: ISO 8601 text with a UTC offset, between EARLIEST_FETCH
    and `now` + FUTURE_SLACK."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        return (
            None,
            f"fetched_at must be an ISO 8601 time such as 2026-11-02T00:10:00Z, got {value!r}",
        )
    if moment.tzinfo is None:
        return None, f"fetched_at {value!r} has no UTC offset (write it as ...Z or ...+00:00)"
    moment = to_utc(moment)
    latest = (now or datetime.now(timezone.utc)) + FUTURE_SLACK
    if not EARLIEST_FETCH <= moment <= latest:
        return None, (
            f"fetched_at {value!r} is outside {EARLIEST_FETCH:%Y-%m-%d} .. {latest:%Y-%m-%d %H:%M} "
            "UTC (a fetch time in the future or before 2020 is a mistake)"
        )
    return moment, None
