"""Turn response bodies into raw rows: one `snapshots` row per body and one `metric_rows` row per
row of a metric block, values kept as received, unknown blocks and keys kept (never dropped)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import isfinite
from typing import Any

import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention

from ingestion.api.contract import DIMENSION_COLUMNS, ROW_CAP
from ingestion.api.snapshot import SnapshotMeta, dimensions_key, window

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
    **{key: (column, "text") for key, column in DIMENSION_COLUMNS.items()},
}

ID_COLUMNS = ("snapshot_id", "project", "metric_name", "block_index", "row_index")
DIMENSION_VALUE_COLUMNS = tuple(DIMENSION_COLUMNS.values())
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


INT64_MAX = 2**63 - 1


def is_plain_count(text: str) -> bool:
    """Whether `text` is a count as the wire sends it: ASCII digits only (no sign, blank,
    exponent or padding), at most INT64_MAX. Staging's clarity_count_to_int takes the same
    strings and makes every other one null."""
    return text.isascii() and text.isdigit() and (len(text) < 19 or int(text) <= INT64_MAX)


def _as_count(value: Any) -> tuple[str | None, bool]:
    """(column value, conforms). Counts are strings on the wire and the column keeps the string
    as received, a plain count or not ("-5", "1e3", " 12 ", 23 digits); a JSON integer is kept
    as its text. Anything but a plain count string is also kept aside."""
    if value is None:
        return None, True
    if isinstance(value, str):
        return value, is_plain_count(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), False
    return None, False


def _as_number(value: Any) -> tuple[float | None, bool]:
    """(column value, conforms). A JSON number as a double; a number that is not finite (NaN,
    Infinity, a literal like 1e400 that JSON decoding made infinite) or an integer too large for
    a double is null. A string that reads as a finite number is taken, but kept aside."""
    if value is None:
        return None, True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a double
            return None, False
        return (number, True) if isfinite(number) else (None, False)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None, False
        return (number, False) if isfinite(number) else (None, False)
    return None, False


def _as_text(value: Any) -> tuple[str | None, bool]:
    if value is None or isinstance(value, str):
        return value, True
    return _json_text(value), False


_CONVERT = {"count": _as_count, "number": _as_number, "text": _as_text}


def _json_text(value: Any) -> str:
    """The JSON text of a decoded value, as an unknown key's column keeps it (NaN and Infinity as
    those tokens, which Python's json reads back)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


_NON_FINITE_NAMES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _json_safe(value: Any) -> Any:
    """`value` with every non-finite float replaced by its token's name as a string ("NaN",
    "Infinity", "-Infinity"), so that it can be written as strict JSON."""
    if isinstance(value, float) and not isfinite(value):
        return _NON_FINITE_NAMES[repr(value)]
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


def nonconforming_text(aside: dict[str, Any]) -> str:
    """The `nonconforming_values` of a row: strict JSON (RFC 8259) of {wire key: value as
    received}. A value JSON has no literal for is a string: NaN, Infinity and -Infinity as
    "NaN", "Infinity" and "-Infinity" (a literal such as 1e400, which decodes to an infinity,
    too); integers of any size are kept exactly."""
    try:
        return json.dumps(aside, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_json_safe(aside), ensure_ascii=False, allow_nan=False)


def unknown_column(key: str) -> str:
    column = _naming.normalize_identifier(key) if key.strip() else "_empty_key"
    return column


@dataclass
class ParsedBody:
    """One body as columns (each list holds one value per metric row) plus its snapshot row."""

    snapshot: dict
    columns: dict[str, list] = field(default_factory=dict)
    n_rows: int = 0
    extra_columns: set[str] = field(default_factory=set)

    def row(self, index: int) -> dict:
        """Row `index` as a dict (for tests and debugging)."""
        return {name: values[index] for name, values in self.columns.items()}

    @property
    def rows(self) -> list[dict]:
        return [self.row(i) for i in range(self.n_rows)]


def _key_targets(keys: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """column -> [(wire key, kind)] for the keys of one block; kind "unknown" for new keys.

    An unknown key whose name normalises onto a documented column (or dlt's own `_dlt_*`) is
    kept aside ("aside")."""
    targets: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(keys):
        known = KNOWN_KEYS.get(key.lower())
        if known is not None:
            column, kind = known
        else:
            column = unknown_column(key)
            reserved = column in _KNOWN_COLUMNS or column.startswith("_dlt")
            kind = "aside" if reserved else "unknown"
        targets.setdefault(column if kind != "aside" else f"aside:{key}", []).append((key, kind))
    return targets


def _convert_column(values: list, kind: str, key: str, aside: dict[int, dict[str, Any]]) -> list:
    """Convert one key's values; values of an unexpected type or out of their domain (a count
    that is not a plain count string, a number that is not finite) also go to `aside` (by row).

    The fast paths take a column whose values all conform; any other column goes value by value
    through the same converters."""
    if kind == "text" and all(v is None or v.__class__ is str for v in values):
        return values  # the common case: strings as on the wire
    if kind == "count" and all(
        v is None or (v.__class__ is str and is_plain_count(v)) for v in values
    ):
        return values
    if kind == "number" and all(
        v is None or v.__class__ is float or v.__class__ is int for v in values
    ):
        try:
            numbers = [None if v is None else float(v) for v in values]
        except OverflowError:  # an integer too large for a double: the slow path says which
            numbers = None
        if numbers is not None and all(n is None or isfinite(n) for n in numbers):
            return numbers
    convert = _CONVERT["text" if kind == "unknown" else kind]
    converted = []
    for index, value in enumerate(values):
        result, ok = convert(value)
        if not ok and kind != "unknown":
            aside.setdefault(index, {})[key] = value
        converted.append(result)
    return converted


def _block_columns(information: list[dict]) -> tuple[dict[str, list], dict[int, dict], set[str]]:
    """Columns of one block's rows, the values kept aside per row, and the unknown columns."""
    size = len(information)
    keys: set[str] = set()
    for item in information:
        keys.update(item)
    columns: dict[str, list] = {}
    aside: dict[int, dict[str, Any]] = {}
    extra: set[str] = set()
    for column, sources in _key_targets(keys).items():
        if column.startswith("aside:"):
            key = sources[0][0]
            for index, item in enumerate(information):
                if key in item:
                    aside.setdefault(index, {})[key] = item[key]
            continue
        merged: list | None = None
        present: list[bool] = []
        for key, kind in sources:
            values = _convert_column([item.get(key) for item in information], kind, key, aside)
            if kind == "unknown":
                extra.add(column)
            if merged is None:
                merged = values
                present = [key in item for item in information]
                continue
            # two keys for one column (e.g. both spellings): the first key present wins, the
            # other is kept aside
            for index in range(size):
                if key in information[index]:
                    if present[index]:
                        aside.setdefault(index, {})[key] = information[index][key]
                    else:
                        merged[index] = values[index]
                        present[index] = True
        columns[column] = merged if merged is not None else [None] * size
    return columns, aside, extra


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
    parsed = ParsedBody(snapshot={})
    columns = parsed.columns
    metric_names: list[str] = []
    block_indexes: list[int] = []
    row_indexes: list[int] = []
    nonconforming: list[str | None] = []
    truncated = False
    for block_index, block in enumerate(blocks):
        information = block["information"]
        size = len(information)
        truncated = truncated or size >= ROW_CAP
        if not size:
            continue
        block_columns, aside, extra = _block_columns(information)
        parsed.extra_columns |= extra
        done = parsed.n_rows
        for column, values in block_columns.items():
            if column not in columns:
                columns[column] = [None] * done
            columns[column].extend(values)
        for column, values in columns.items():
            if column not in block_columns:
                values.extend([None] * size)
        metric_names.extend([block["metricName"]] * size)
        block_indexes.extend([block_index] * size)
        row_indexes.extend(range(size))
        nonconforming.extend(
            nonconforming_text(aside[i]) if i in aside else None for i in range(size)
        )
        parsed.n_rows += size
    n = parsed.n_rows
    columns.update(
        snapshot_id=[sid] * n,
        project=[meta.project] * n,
        metric_name=metric_names,
        block_index=block_indexes,
        row_index=row_indexes,
        nonconforming_values=nonconforming,
        ingest_run_id=[ingest_run_id] * n,
    )
    start, end = window(meta.fetched_at, meta.num_of_days)
    parsed.snapshot = {
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
        "row_count": n,
        "possibly_truncated": truncated,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_bytes": len(body),
        "request_id": meta.request_id,
        "source_path": source_path,
        "ingest_run_id": ingest_run_id,
    }
    return parsed


def metric_rows_table(bodies: Sequence[ParsedBody]) -> pa.Table:
    """An Arrow table of the metric rows of several bodies: the fixed schema plus unknown keys
    as string columns."""
    extra = set().union(*(body.extra_columns for body in bodies)) if bodies else set()
    schema = METRIC_ROWS_SCHEMA
    for column in sorted(extra - _KNOWN_COLUMNS):
        schema = schema.append(pa.field(column, pa.string()))
    arrays = []
    for schema_field in schema:
        values: list = []
        for body in bodies:
            column = body.columns.get(schema_field.name)
            values.extend(column if column is not None else [None] * body.n_rows)
        arrays.append(pa.array(values, type=schema_field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def snapshots_table(snapshots: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(snapshots, schema=SNAPSHOTS_SCHEMA)
