"""The dlt source: resources `snapshots`, `metric_rows` and `requests` for dataset clarity_raw,
built from landed files on dlt's Arrow path. The source state keeps the quota ledger (requests per
project per UTC day)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import dlt
import pyarrow as pa

from ingestion.client import validate_blocks
from ingestion.errors import ClarityMalformedBodyError
from ingestion.landing import PendingSnapshot
from ingestion.parse import ParsedBody, metric_rows_table, parse_blocks, snapshots_table

log = logging.getLogger(__name__)

LEDGER_KEY = "quota_ledger"
LEDGER_DAYS_KEPT = 7
DEFAULT_BATCH_ROWS = 50_000

REQUESTS_SCHEMA = pa.schema(
    [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("ingest_run_id", pa.string()),
        pa.field("project", pa.string(), nullable=False),
        pa.field("requested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("completed_at", pa.timestamp("us", tz="UTC")),
        pa.field("parameters", pa.string()),
        pa.field("num_of_days", pa.int64()),
        pa.field("dimensions", pa.string()),
        pa.field("attempt", pa.int64()),
        pa.field("status", pa.int64()),
        pa.field("error_class", pa.string()),
        pa.field("error_message", pa.string()),
        pa.field("counted_against_quota", pa.bool_()),
        pa.field("response_bytes", pa.int64()),
        pa.field("server_date", pa.timestamp("us", tz="UTC")),
        pa.field("snapshot_id", pa.string()),
        pa.field("body_path", pa.string()),
        pa.field("origin", pa.string()),
    ]
)


@dataclass
class ParsedBatch:
    bodies: list[ParsedBody]

    @property
    def row_count(self) -> int:
        return sum(body.n_rows for body in self.bodies)


def read_and_parse(pending: PendingSnapshot, ingest_run_id: str) -> ParsedBody:
    body = pending.body_path.read_bytes()
    blocks = validate_blocks(body)
    return parse_blocks(
        pending.meta,
        blocks,
        body,
        ingest_run_id=ingest_run_id,
        source_path=str(pending.archive_path),
    )


def update_ledger(state: dict, records: Sequence[dict]) -> None:
    """Count requests per project and UTC day in the source state; keep the last few days."""
    ledger: dict = state.setdefault(LEDGER_KEY, {})
    for record in records:
        if not record.get("counted_against_quota", True):
            continue
        day = record["requested_at"].date().isoformat()
        per_day = ledger.setdefault(record["project"], {})
        per_day[day] = per_day.get(day, 0) + 1
    newest = max((d for days in ledger.values() for d in days), default=None)
    if newest:
        oldest_kept = (date.fromisoformat(newest) - timedelta(days=LEDGER_DAYS_KEPT)).isoformat()
        for days in ledger.values():
            for day in [d for d in days if d < oldest_kept]:
                del days[day]


def ledger_count(state: dict, project: str, day: date) -> int:
    return int(state.get(LEDGER_KEY, {}).get(project, {}).get(day.isoformat(), 0))


@dlt.source(name="clarity", max_table_nesting=0)
def clarity_source(
    pending: Sequence[PendingSnapshot],
    request_records: Sequence[dict],
    ingest_run_id: str,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_bad_body: Callable[[PendingSnapshot, Exception], None] | None = None,
):
    """Raw Clarity data from landed response bodies and request records (already de-duplicated
    against the destination by the caller)."""

    @dlt.resource(name="parsed_bodies", selected=False)
    def parsed_bodies() -> Iterator[ParsedBatch]:
        batch: list[ParsedBody] = []
        rows = 0
        yielded = False
        for item in pending:
            try:
                parsed = read_and_parse(item, ingest_run_id)
            except (OSError, ClarityMalformedBodyError) as exc:
                # a landed file that went bad on disk: set aside, never silently dropped
                log.error("cannot load %s: %s", item.body_path, exc)
                if on_bad_body is not None:
                    on_bad_body(item, exc)
                continue
            batch.append(parsed)
            rows += parsed.n_rows
            if rows >= batch_rows:
                yield ParsedBatch(batch)
                batch, rows, yielded = [], 0, True
        if batch or not yielded:
            # an empty batch still creates every raw table, so dbt finds all three sources
            yield ParsedBatch(batch)

    @dlt.transformer(
        data_from=parsed_bodies,
        name="snapshots",
        write_disposition="append",
        primary_key="snapshot_id",
    )
    def snapshots(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield snapshots_table([body.snapshot for body in batch.bodies])

    @dlt.transformer(
        data_from=parsed_bodies,
        name="metric_rows",
        write_disposition="append",
        primary_key=("snapshot_id", "metric_name", "block_index", "row_index"),
    )
    def metric_rows(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield metric_rows_table(batch.bodies)

    @dlt.resource(name="requests", write_disposition="append", primary_key="request_id")
    def requests() -> Iterator[pa.Table]:
        update_ledger(dlt.current.source_state(), request_records)
        rows = [{**record, "ingest_run_id": ingest_run_id} for record in request_records]
        yield pa.Table.from_pylist(rows, schema=REQUESTS_SCHEMA)

    return parsed_bodies, snapshots, metric_rows, requests
