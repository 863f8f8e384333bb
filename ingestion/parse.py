"""Turn response bodies into raw rows: one `snapshots` row per body and one `metric_rows` row per
row of a metric block, values kept as received, unknown blocks and keys kept (never dropped)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention

from ingestion import settings
from ingestion.snapshots import SnapshotMeta, dimensions_key, window

_naming = NamingConvention()

# wire key (lower-case) -> (column, kind). kind: "count" = a count the wire sends as a string,
# "number" = a JSON number, "text" = a string (dimension values and names).
KNOWN_KEYS: dict[str, tuple[str, str]] = {
    "sessionscount": ("sessions_count", "count"),
    "sessionswithmetricpercentage": ("sessions_with_metric_percentage", "number"),
    "sessionswithoutmetricpercentage": ("sessions_without_metric_percentage", "number"),
    "pagesviews": ("pages_views", "count"),
    "subtotal": ("sub_total", "count"),
    "averagescrolldepth": ("average_scroll_depth", "number"),
    "totalsessioncount": ("total_session_count", "count"),
    "totalbotsessioncount": ("total_bot_session_count", "count"),
    "distinctusercount": ("distinct_user_count", "count"),
    "distantusercount": ("distant_user_count", "count"),  # the documentation's misspelling
    "pagespersessionpercentage": ("pages_per_session_percentage", "number"),
    "totaltime": ("total_time", "count"),
    "activetime": ("active_time", "count"),
    "name": ("name", "text"),
    "visitscount": ("visits_count", "count"),
    **{key: (column, "text") for key, column in settings.DIMENSION_COLUMNS.items()},
}

ID_COLUMNS = ("snapshot_id", "project", "metric_name", "block_index", "row_index")
DIMENSION_VALUE_COLUMNS = tuple(settings.DIMENSION_COLUMNS.values())
_TYPES = {"count": pa.string(), "number": pa.float64(), "text": pa.string()}
UTC_TS = pa.timestamp("us", tz="UTC")

METRIC_ROWS_SCHEMA = pa.schema(
    [
        pa.field("snapshot_id", pa.string(), nullable=False),
        pa.field("project", pa.string(), nullable=False),
        pa.field("metric_name", pa.string(), nullable=False),
        pa.field("block_index", pa.int64(), nullable=False),
        pa.field("row_index", pa.int64(), nullable=False),
        *[pa.field(column, pa.string()) for column in DIMENSION_VALUE_COLUMNS],
        *[
            pa.field(column, _TYPES[kind])
            for column, kind in dict(KNOWN_KEYS.values()).items()
            if column not in DIMENSION_VALUE_COLUMNS
        ],
        pa.field("nonconforming_values", pa.string()),
        pa.field("ingest_run_id", pa.string()),
    ]
)
_KNOWN_COLUMNS = frozenset(METRIC_ROWS_SCHEMA.names)

SNAPSHOTS_SCHEMA = pa.schema(
    [
        pa.field("snapshot_id", pa.string(), nullable=False),
        pa.field("project", pa.string(), nullable=False),
        pa.field("dimensions", pa.string(), nullable=False),
        pa.field("num_of_days", pa.int64(), nullable=False),
        pa.field("fetched_at", UTC_TS, nullable=False),
        pa.field("window_start", UTC_TS, nullable=False),
        pa.field("window_end", UTC_TS, nullable=False),
        pa.field("origin", pa.string(), nullable=False),
        pa.field("http_status", pa.int64()),
        pa.field("block_count", pa.int64()),
        pa.field("row_count", pa.int64()),
        pa.field("possibly_truncated", pa.bool_()),
        pa.field("body_sha256", pa.string()),
        pa.field("body_bytes", pa.int64()),
        pa.field("request_id", pa.string()),
        pa.field("source_path", pa.string()),
        pa.field("ingest_run_id", pa.string()),
    ]
)


def _as_count(value: Any) -> tuple[str | None, bool]:
    """(column value, conforms). Counts are strings on the wire; an integer is kept as its text."""
    if value is None or isinstance(value, str):
        return value, True
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), False
    return None, False


def _as_number(value: Any) -> tuple[float | None, bool]:
    if value is None:
        return None, True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value), True
        except OverflowError:  # an integer too large for a double
            return None, False
    if isinstance(value, str):
        try:
            return float(value), False
        except ValueError:
            return None, False
    return None, False


def _as_text(value: Any) -> tuple[str | None, bool]:
    if value is None or isinstance(value, str):
        return value, True
    return _json_text(value), False


_CONVERT = {"count": _as_count, "number": _as_number, "text": _as_text}


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # ints beyond 64 bits, NaN...
        return repr(value)


def _unknown_column(key: str) -> str:
    column = _naming.normalize_identifier(key) if key.strip() else "_empty_key"
    return column


@dataclass
class ParsedBody:
    snapshot: dict
    rows: list[dict]
    extra_columns: set[str] = field(default_factory=set)


def parse_blocks(
    meta: SnapshotMeta,
    blocks: list,
    body: bytes,
    *,
    ingest_run_id: str,
    source_path: str | None = None,
) -> ParsedBody:
    """Rows for one validated body (a list of {metricName, information: [row, ...]} blocks)."""
    sid = meta.snapshot_id
    rows: list[dict] = []
    extra: set[str] = set()
    truncated = False
    for block_index, block in enumerate(blocks):
        metric_name = block["metricName"]
        information = block["information"]
        truncated = truncated or len(information) >= settings.ROW_CAP
        for row_index, item in enumerate(information):
            row: dict[str, Any] = {
                "snapshot_id": sid,
                "project": meta.project,
                "metric_name": metric_name,
                "block_index": block_index,
                "row_index": row_index,
                "ingest_run_id": ingest_run_id,
            }
            nonconforming: dict[str, Any] = {}
            for key, value in item.items():
                known = KNOWN_KEYS.get(key.lower())
                if known is not None:
                    column, kind = known
                    converted, ok = _CONVERT[kind](value)
                else:
                    column = _unknown_column(key)
                    converted, ok = _as_text(value)
                    ok = True  # unknown keys: no documented type to conform to
                    if column in _KNOWN_COLUMNS:
                        nonconforming[key] = value
                        continue
                    extra.add(column)
                if column in row and row[column] is not None:
                    nonconforming[key] = value  # two keys for one column: keep the second aside
                    continue
                row[column] = converted
                if not ok:
                    nonconforming[key] = value
            if nonconforming:
                row["nonconforming_values"] = _json_text(nonconforming)
            rows.append(row)
    start, end = window(meta.fetched_at, meta.num_of_days)
    snapshot = {
        "snapshot_id": sid,
        "project": meta.project,
        "dimensions": dimensions_key(meta.dimensions),
        "num_of_days": meta.num_of_days,
        "fetched_at": end,
        "window_start": start,
        "window_end": end,
        "origin": meta.origin,
        "http_status": meta.http_status,
        "block_count": len(blocks),
        "row_count": len(rows),
        "possibly_truncated": truncated,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_bytes": len(body),
        "request_id": meta.request_id,
        "source_path": source_path,
        "ingest_run_id": ingest_run_id,
    }
    return ParsedBody(snapshot=snapshot, rows=rows, extra_columns=extra)


def metric_rows_table(rows: list[dict], extra_columns: Iterable[str]) -> pa.Table:
    """An Arrow table of metric rows: the fixed schema plus unknown keys as string columns."""
    schema = METRIC_ROWS_SCHEMA
    for column in sorted(set(extra_columns) - _KNOWN_COLUMNS):
        schema = schema.append(pa.field(column, pa.string()))
    return pa.Table.from_pylist(rows, schema=schema)


def snapshots_table(snapshots: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(snapshots, schema=SNAPSHOTS_SCHEMA)
