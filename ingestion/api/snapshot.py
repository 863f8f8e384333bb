"""Snapshot identity and windows: a response is the aggregate over
`[fetched_at - 24h * numOfDays, fetched_at)`, identified by project, dimensions, days and time."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone


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
    def from_json(cls, data: dict) -> SnapshotMeta:
        return cls(
            project=data["project"],
            dimensions=tuple(sorted(data["dimensions"])),
            num_of_days=int(data["num_of_days"]),
            fetched_at=to_utc(datetime.fromisoformat(data["fetched_at"])),
            origin=data["origin"],
            request_id=data.get("request_id"),
            http_status=int(data.get("http_status", 200)),
        )
