"""The dlt source: resources `snapshots`, `metric_rows` and `requests` for dataset clarity_raw,
built from landed files on dlt's Arrow path. The source state keeps the quota ledger (requests per
project per UTC day; see ingestion/collect/quota.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import dlt
import pyarrow as pa

from ingestion.api.contract import BodyShapeError, validate_blocks
from ingestion.collect.landing import PendingSnapshot
from ingestion.collect.quota import update_ledger
from ingestion.load.parse import ParsedBody, metric_rows_table, parse_blocks, snapshots_table

log = logging.getLogger(__name__)

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


# One row per project whenever its settings change (append-only, like every raw table): the time
# zone whose days the daily marts use. dbt reads the latest row of each project.
PROJECTS_SCHEMA = pa.schema(
    [
        pa.field("project", pa.string(), nullable=False),
        pa.field("timezone", pa.string(), nullable=False),
        pa.field("configured_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string()),
    ]
)


@dataclass
class ParsedBatch:
    bodies: list[ParsedBody]

    @property
    def row_count(self) -> int:
        return sum(body.n_rows for body in self.bodies)


def read_and_parse(pending: PendingSnapshot, ingest_run_id: str) -> ParsedBody:
    """Parse one landed body; raises BodyShapeError naming the landed file if it went bad."""
    body = pending.body_path.read_bytes()
    try:
        blocks = validate_blocks(body)
    except BodyShapeError as exc:
        raise BodyShapeError(f"landed file {pending.body_path}: {exc}") from None
    return parse_blocks(
        pending.meta,
        blocks,
        body,
        ingest_run_id=ingest_run_id,
        source_path=str(pending.archive_path),
    )


@dlt.source(name="clarity", max_table_nesting=0)
def clarity_source(
    pending: Sequence[PendingSnapshot],
    request_records: Sequence[dict],
    ingest_run_id: str,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_bad_body: Callable[[PendingSnapshot, Exception], None] | None = None,
    project_settings: Sequence[dict] | None = None,
):
    """Raw Clarity data from landed response bodies and request records (already de-duplicated
    against the destination by the caller), and the project settings that changed (None: none
    to write, and the `projects` table exists already)."""

    @dlt.resource(name="parsed_bodies", selected=False)
    def parsed_bodies() -> Iterator[ParsedBatch]:
        batch: list[ParsedBody] = []
        rows = 0
        yielded = False
        for item in pending:
            try:
                parsed = read_and_parse(item, ingest_run_id)
            except (OSError, BodyShapeError) as exc:
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

    @dlt.resource(name="projects", write_disposition="append")
    def projects() -> Iterator[pa.Table]:
        rows = [{**row, "ingest_run_id": ingest_run_id} for row in project_settings or ()]
        yield pa.Table.from_pylist(rows, schema=PROJECTS_SCHEMA)

    resources = [parsed_bodies, snapshots, metric_rows, requests]
    return [*resources, projects] if project_settings is not None else resources
