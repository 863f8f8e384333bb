"""Read-only questions to the raw layer: what is already loaded, which requests were spent today,
when each dimension set last succeeded. Each opens a short connection and closes it again, so
dlt (the single writer) never waits on it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from ingestion import settings
from ingestion.destinations import Warehouse
from ingestion.snapshots import to_utc

log = logging.getLogger(__name__)

RAW = settings.DATASET_NAME


def existing_ids(
    warehouse: Warehouse, table: str, column: str, candidates: Iterable[str]
) -> set[str]:
    """Which of `candidates` already exist in clarity_raw.<table>.<column>."""
    candidates = list(candidates)
    if not candidates:
        return set()
    with warehouse.reader() as reader:
        if reader is None or not reader.table_exists(RAW, table):
            return set()
        rows = reader.fetchall(
            f"select distinct {column} from {RAW}.{table} where {column} = any(?)", [candidates]
        )
    return {row[0] for row in rows}


@dataclass
class ProjectFacts:
    """What the warehouse knows about one project for planning today."""

    request_ids_today: set[str] = field(default_factory=set)
    quota_exhausted_today: bool = False
    last_success: dict[str, datetime] = field(default_factory=dict)


def project_facts(warehouse: Warehouse, day: date) -> dict[str, ProjectFacts]:
    """Per project: request ids spent on `day` (UTC), a 429 seen that day, last success per set."""
    facts: dict[str, ProjectFacts] = {}
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    end = start + timedelta(days=1)
    with warehouse.reader() as reader:
        if reader is None:
            return facts
        tables = reader.tables(RAW)
        if "requests" in tables:
            rows = reader.fetchall(
                f"select project, request_id, status from {RAW}.requests "
                "where requested_at >= ? and requested_at < ? and counted_against_quota",
                [start, end],
            )
            for project, request_id, status in rows:
                entry = facts.setdefault(project, ProjectFacts())
                entry.request_ids_today.add(request_id)
                entry.quota_exhausted_today |= status == 429
        if "snapshots" in tables:
            rows = reader.fetchall(
                "select project, dimensions, max(fetched_at) "
                f"from {RAW}.snapshots group by project, dimensions"
            )
            for project, dimensions, fetched_at in rows:
                facts.setdefault(project, ProjectFacts()).last_success[dimensions] = to_utc(
                    fetched_at
                )
    return facts


def body_hashes(warehouse: Warehouse, snapshot_ids: Iterable[str]) -> dict[str, str]:
    """body_sha256 of those snapshots already loaded."""
    snapshot_ids = list(snapshot_ids)
    if not snapshot_ids:
        return {}
    with warehouse.reader() as reader:
        if reader is None or not reader.table_exists(RAW, "snapshots"):
            return {}
        rows = reader.fetchall(
            f"select snapshot_id, body_sha256 from {RAW}.snapshots where snapshot_id = any(?)",
            [snapshot_ids],
        )
    return dict(rows)
