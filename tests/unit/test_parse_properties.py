"""Property test: random bodies that Python's json reads (NaN, Infinity and integers of any size
included) either load faithfully (every key's value is in its column or kept verbatim in
nonconforming_values, which is strict JSON; every row present) or raise the documented
BodyShapeError; nothing else escapes and no row is dropped."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.api.contract import BodyShapeError, validate_blocks, without_lone_surrogates
from ingestion.api.snapshot import SnapshotMeta
from ingestion.load.parse import KNOWN_KEYS, metric_rows_table, parse_blocks, unknown_column

META = SnapshotMeta("p", ("URL",), 1, datetime(2026, 11, 2, tzinfo=timezone.utc), "archive")
WIRE_KEYS = [
    "sessionsCount",
    "sessionsWithMetricPercentage",
    "pagesViews",
    "subTotal",
    "Url",
    "url",
    "averageScrollDepth",
    "totalSessionCount",
    "distantUserCount",
    "PagesPerSessionPercentage",
    "pagesPerSessionPercentage",
    "name",
    "visitsCount",
    "Device",
    "sessions_count",
    "_dlt_id",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()  # NaN and the infinities too: Python's json reads and writes them
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
rows = st.dictionaries(st.sampled_from(WIRE_KEYS) | st.text(max_size=10), json_values, max_size=6)
good_blocks = st.fixed_dictionaries(
    {"metricName": st.text(max_size=15), "information": st.lists(rows, max_size=6)}
)
any_block = good_blocks | json_values | st.fixed_dictionaries({"metricName": st.text()})
bodies = st.lists(good_blocks, max_size=5) | st.lists(any_block, max_size=4) | json_values


def well_formed(data) -> bool:
    return isinstance(data, list) and all(
        isinstance(block, dict)
        and isinstance(block.get("metricName"), str)
        and isinstance(block.get("information"), list)
        and all(isinstance(row, dict) for row in block["information"])
        for block in data
    )


NAMES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def strict_json(value):
    """`value` as strict JSON holds it: non-finite floats as the strings of their names."""
    if isinstance(value, float) and not math.isfinite(value):
        return NAMES[repr(value)]
    if isinstance(value, list):
        return [strict_json(item) for item in value]
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    return value


def refuse(token):
    raise ValueError(f"{token} is not JSON")


def column_holds(kind: str, stored, value) -> bool:
    if value is None:
        return stored is None
    if kind == "number":
        return stored == float(value)
    if kind == "unknown" and not isinstance(value, str) and value is not None:
        return json.dumps(json.loads(stored)) == json.dumps(value)  # NaN != NaN
    return stored == value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_random_bodies_load_faithfully_or_raise_the_documented_error(data):
    body = json.dumps(data).encode()
    expected = without_lone_surrogates(json.loads(body))
    try:
        blocks = validate_blocks(body)
    except BodyShapeError:
        assert not well_formed(expected)
        return
    assert well_formed(expected)
    parsed = parse_blocks(META, blocks, body, ingest_run_id="run")
    table = metric_rows_table([parsed])
    assert table.num_rows == sum(len(block["information"]) for block in expected)
    assert parsed.snapshot["row_count"] == table.num_rows
    stored_rows = iter(table.to_pylist())
    for block in expected:
        for item in block["information"]:
            stored = next(stored_rows)
            assert stored["metric_name"] == block["metricName"]
            aside = json.loads(stored["nonconforming_values"] or "{}", parse_constant=refuse)
            for key, value in item.items():
                if key in aside:
                    assert aside[key] == strict_json(value)
                    continue
                known = KNOWN_KEYS.get(key.lower())
                if known is not None:
                    column, kind = known
                else:
                    column, kind = unknown_column(key), "unknown"
                    assert column in stored, key
                assert column_holds(kind, stored[column], value), (key, value, stored[column])
