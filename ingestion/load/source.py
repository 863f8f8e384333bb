"""The dlt source: resources `snapshots`, `metric_rows` and `requests` for dataset clarity_raw,
built from landed files on dlt's Arrow path. The source state keeps the quota ledger (requests per
project per UTC day; see ingestion/collect/quota.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import dlt
import pyarrow as pa

from ingestion.api.contract import BodyShapeError, validate_blocks
from ingestion.collect.landing import UNPARSEABLE_BODY, PendingSnapshot
from ingestion.collect.quota import update_ledger
from ingestion.load.parse import ParsedBody, metric_rows_table, parse_blocks, snapshots_table

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 50_000

# sets a body that cannot be loaded aside with the reason; returns where it went
BadBodyHandler = Callable[[PendingSnapshot, str], Path]

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
# zone whose days the daily marts use and the Clarity project id the outputs link with (null
# when not configured). dbt reads the latest row of each project.
PROJECTS_SCHEMA = pa.schema(
    [
        pa.field("project", pa.string(), nullable=False),
        pa.field("timezone", pa.string(), nullable=False),
        pa.field("clarity_project_id", pa.string()),
        pa.field("configured_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string()),
    ]
)


@dataclass
class ParsedBatch:
    """Tables of some bodies, built (and so checked) before any table of them is written; the
    last batch of a load is `final` and says which request records changed."""

    snapshots: pa.Table
    metric_rows: pa.Table
    final: bool = False

    @property
    def row_count(self) -> int:
        return self.metric_rows.num_rows


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


def _tables(bodies: Sequence[ParsedBody]) -> tuple[pa.Table, pa.Table]:
    return snapshots_table([b.snapshot for b in bodies]), metric_rows_table(bodies)


class BodyGuard:
    """Parses and tabulates bodies one by one, so a body that cannot become rows (whatever the
    reason) is set aside alone and the rest loads; remembers what it set aside."""

    def __init__(self, ingest_run_id: str, on_bad_body: BadBodyHandler | None) -> None:
        self.ingest_run_id = ingest_run_id
        self.on_bad_body = on_bad_body
        # request_id -> the changes of its record (the answer it brought could not be loaded)
        self.failed_requests: dict[str, dict] = {}

    def parse(self, item: PendingSnapshot) -> ParsedBody | None:
        try:
            return read_and_parse(item, self.ingest_run_id)
        except Exception as exc:  # noqa: BLE001 - one body must never stop the others
            self.set_aside(item, exc)
            return None

    def tables(self, pairs: list[tuple[PendingSnapshot, ParsedBody]]) -> tuple[pa.Table, pa.Table]:
        """The tables of `pairs`' bodies; a body whose values Arrow refuses is set aside."""
        try:
            return _tables([parsed for _, parsed in pairs])
        except Exception:  # noqa: BLE001 - find the body (or bodies) at fault
            good = []
            for item, parsed in pairs:
                try:
                    _tables([parsed])
                except Exception as exc:  # noqa: BLE001
                    self.set_aside(item, exc)
                    continue
                good.append(parsed)
            return _tables(good)

    def set_aside(self, item: PendingSnapshot, exc: BaseException) -> None:
        reason = _describe(exc)
        log.error(
            "cannot load %s (%s): %s; set aside in quarantine",
            item.body_path.name,
            item.meta.project,
            reason,
        )
        path = self.on_bad_body(item, reason) if self.on_bad_body is not None else None
        if item.meta.request_id:
            self.failed_requests[item.meta.request_id] = {
                "snapshot_id": None,
                "body_path": str(path) if path else None,
                "error_class": UNPARSEABLE_BODY,
                "error_message": f"the answer could not be loaded: {reason}",
            }


def _describe(exc: BaseException) -> str:
    """One line on why a body could not become rows."""
    if isinstance(exc, BodyShapeError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "it nests too deeply to be read"
    text = str(exc).splitlines()[0][:300] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}{': ' + text if text else ''}"


@dlt.source(name="clarity", max_table_nesting=0)
def clarity_source(
    pending: Sequence[PendingSnapshot],
    request_records: Sequence[dict],
    ingest_run_id: str,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_bad_body: BadBodyHandler | None = None,
    project_settings: Sequence[dict] | None = None,
):
    """Raw Clarity data from landed response bodies and request records (already de-duplicated
    against the destination by the caller), and the project settings that changed (None: none
    to write, and the `projects` table exists already). A body that cannot become rows goes to
    `on_bad_body` (the landing folder's quarantine), and its request record says why."""
    guard = BodyGuard(ingest_run_id, on_bad_body)

    @dlt.resource(name="parsed_bodies", selected=False)
    def parsed_bodies() -> Iterator[ParsedBatch]:
        batch: list[tuple[PendingSnapshot, ParsedBody]] = []
        rows = 0
        for item in pending:
            parsed = guard.parse(item)
            if parsed is None:
                continue
            batch.append((item, parsed))
            rows += parsed.n_rows
            if rows >= batch_rows:
                yield ParsedBatch(*guard.tables(batch))
                batch, rows = [], 0
        # the last batch, even empty: it creates every raw table, so dbt finds all sources
        yield ParsedBatch(*guard.tables(batch), final=True)

    @dlt.transformer(
        data_from=parsed_bodies,
        name="snapshots",
        write_disposition="append",
        primary_key="snapshot_id",
    )
    def snapshots(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield batch.snapshots

    @dlt.transformer(
        data_from=parsed_bodies,
        name="metric_rows",
        write_disposition="append",
        primary_key=("snapshot_id", "metric_name", "block_index", "row_index"),
    )
    def metric_rows(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield batch.metric_rows

    @dlt.transformer(
        data_from=parsed_bodies,
        name="requests",
        write_disposition="append",
        primary_key="request_id",
    )
    def requests(batch: ParsedBatch) -> Iterator[pa.Table]:
        if not batch.final:  # after every body: the records of those set aside say so
            return
        update_ledger(dlt.current.source_state(), request_records)
        rows = [
            {
                **record,
                **guard.failed_requests.get(record["request_id"], {}),
                "ingest_run_id": ingest_run_id,
            }
            for record in request_records
        ]
        yield pa.Table.from_pylist(rows, schema=REQUESTS_SCHEMA)

    @dlt.resource(name="projects", write_disposition="append")
    def projects() -> Iterator[pa.Table]:
        rows = [{**row, "ingest_run_id": ingest_run_id} for row in project_settings or ()]
        yield pa.Table.from_pylist(rows, schema=PROJECTS_SCHEMA)

    resources = [parsed_bodies, snapshots, metric_rows, requests]
    return [*resources, projects] if project_settings is not None else resources
