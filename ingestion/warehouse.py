"""Read-only questions to the raw layer in DuckDB: what is already loaded, which requests were spent
today, when each dimension set last succeeded. Opens the file briefly and closes it again, so dlt
(the single writer) never waits on it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from ingestion import settings
from ingestion.snapshots import to_utc

log = logging.getLogger(__name__)


@contextmanager
def read_only(path: Path):
    """A read-only connection, or None when the file does not exist yet."""
    if not Path(path).exists():
        yield None
        return
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise RuntimeError(
            f"Cannot open {path}: {exc}. Another process holds the DuckDB file (DuckDB allows one "
            "writer, and a writer blocks readers): stop it (a BI tool, a dbt run, another "
            "`clarity` command), or point BI tools at a published copy."
        ) from None
    try:
        yield con
    finally:
        con.close()


def _table_exists(con, table: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [settings.DATASET_NAME, table],
    ).fetchall()
    return rows[0][0] > 0


def existing_ids(path: Path, table: str, column: str, candidates: Iterable[str]) -> set[str]:
    """Which of `candidates` already exist in clarity_raw.<table>.<column>."""
    candidates = list(candidates)
    if not candidates:
        return set()
    with read_only(path) as con:
        if con is None or not _table_exists(con, table):
            return set()
        rows = con.execute(
            f"select distinct {column} from {settings.DATASET_NAME}.{table} "
            f"where {column} in (select unnest(?))",
            [candidates],
        ).fetchall()
    return {row[0] for row in rows}


@dataclass
class ProjectFacts:
    """What the warehouse knows about one project for planning today."""

    request_ids_today: set[str] = field(default_factory=set)
    quota_exhausted_today: bool = False
    last_success: dict[str, datetime] = field(default_factory=dict)


def project_facts(path: Path, day: date) -> dict[str, ProjectFacts]:
    """Per project: request ids spent on `day` (UTC), a 429 seen that day, last success per set."""
    facts: dict[str, ProjectFacts] = {}
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    end = start + timedelta(days=1)
    with read_only(path) as con:
        if con is None:
            return facts
        if _table_exists(con, "requests"):
            rows = con.execute(
                f"select project, request_id, status from {settings.DATASET_NAME}.requests "
                "where requested_at >= ? and requested_at < ? and counted_against_quota",
                [start, end],
            ).fetchall()
            for project, request_id, status in rows:
                entry = facts.setdefault(project, ProjectFacts())
                entry.request_ids_today.add(request_id)
                entry.quota_exhausted_today |= status == 429
        if _table_exists(con, "snapshots"):
            rows = con.execute(
                "select project, dimensions, max(fetched_at) "
                f"from {settings.DATASET_NAME}.snapshots group by project, dimensions"
            ).fetchall()
            for project, dimensions, fetched_at in rows:
                facts.setdefault(project, ProjectFacts()).last_success[dimensions] = to_utc(
                    fetched_at
                )
    return facts


def body_hashes(path: Path, snapshot_ids: Iterable[str]) -> dict[str, str]:
    """body_sha256 of those snapshots already loaded."""
    snapshot_ids = list(snapshot_ids)
    if not snapshot_ids:
        return {}
    with read_only(path) as con:
        if con is None or not _table_exists(con, "snapshots"):
            return {}
        rows = con.execute(
            f"select snapshot_id, body_sha256 from {settings.DATASET_NAME}.snapshots "
            "where snapshot_id in (select unnest(?))",
            [snapshot_ids],
        ).fetchall()
    return dict(rows)
