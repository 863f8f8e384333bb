"""Parsing bodies into raw rows: values as received, quirks of the wire, nothing dropped."""

import json
from datetime import datetime, timezone

import pytest

from ingestion.api.contract import BodyShapeError, validate_blocks
from ingestion.api.snapshot import SnapshotMeta, snapshot_id
from ingestion.load.parse import metric_rows_table, parse_blocks, snapshots_table

FETCHED = datetime(2026, 11, 2, 0, 10, tzinfo=timezone.utc)


def frustration(name, sessions, pct, **dims):
    return {
        "metricName": name,
        "information": [
            {
                "sessionsCount": str(sessions),
                "sessionsWithMetricPercentage": pct,
                "sessionsWithoutMetricPercentage": round(100 - pct, 2),
                "pagesViews": "3",
                "subTotal": "4",
                **dims,
            }
        ],
    }


def meta(dimensions=(), days=1) -> SnapshotMeta:
    return SnapshotMeta("shop", tuple(dimensions), days, FETCHED, "offline", "req-1")


def parse(blocks, dimensions=(), days=1):
    body = json.dumps(blocks).encode()
    return parse_blocks(meta(dimensions, days), validate_blocks(body), body, ingest_run_id="run")


def test_snapshot_identity_and_window():
    parsed = parse([frustration("DeadClickCount", 45, 15.56)], days=3)
    snap = parsed.snapshot
    assert snap["snapshot_id"] == snapshot_id("shop", (), 3, FETCHED)
    assert snap["window_end"] == FETCHED
    assert (snap["window_end"] - snap["window_start"]).total_seconds() == 72 * 3600
    assert snap["block_count"] == 1 and snap["row_count"] == 1
    assert snap["possibly_truncated"] is False
    # the id ignores dimension order and changes with any identity field
    assert snapshot_id("p", ("URL", "Device"), 1, FETCHED) == snapshot_id(
        "p", ("Device", "URL"), 1, FETCHED
    )
    assert snapshot_id("p", (), 1, FETCHED) != snapshot_id("p", (), 2, FETCHED)


def test_counts_stay_strings_and_percentages_numbers():
    row = parse([frustration("RageClickCount", 45, 8.89)]).rows[0]
    assert row["sessions_count"] == "45"
    assert row["sessions_with_metric_percentage"] == pytest.approx(8.89)
    assert row["metric_name"] == "RageClickCount"
    assert row["nonconforming_values"] is None


def test_url_key_and_null_url_row_and_case_insensitive_dimensions():
    traffic = {
        "metricName": "Traffic",
        "information": [
            {
                "totalSessionCount": "3",
                "totalBotSessionCount": "0",
                "distinctUserCount": "3",
                "pagesPerSessionPercentage": 1,
                "Url": "https://x.test/a?utm_source=t#f",
            },
            {
                "totalSessionCount": "0",
                "totalBotSessionCount": "0",
                "distinctUserCount": "20",
                "pagesPerSessionPercentage": 1,
                "Url": None,
            },
        ],
    }
    device = frustration("DeadClickCount", 2, 0, device="Mobile", URL="https://x.test/")
    rows = parse([traffic, device], dimensions=("URL", "Device")).rows
    assert rows[0]["url"] == "https://x.test/a?utm_source=t#f"
    assert rows[1]["url"] is None and rows[1]["distinct_user_count"] == "20"
    assert rows[2]["device"] == "Mobile" and rows[2]["url"] == "https://x.test/"


def test_documented_misspellings_are_accepted():
    block = {
        "metricName": "Traffic",
        "information": [
            {"totalSessionCount": "5", "distantUserCount": "4", "PagesPerSessionPercentage": 1.5}
        ],
    }
    row = parse([block]).rows[0]
    assert row["distant_user_count"] == "4"
    assert row["pages_per_session_percentage"] == 1.5


def test_unknown_blocks_and_keys_are_kept():
    blocks = [
        {
            "metricName": "BrandNewMetric",
            "information": [
                {"newCount": "7", "nested": {"a": [1, 2]}, "flag": True, "Url": "https://x.test/"}
            ],
        }
    ]
    parsed = parse(blocks)
    row = parsed.rows[0]
    assert row["metric_name"] == "BrandNewMetric"
    assert row["new_count"] == "7"
    assert json.loads(row["nested"]) == {"a": [1, 2]}
    assert row["flag"] == "true"
    table = metric_rows_table([parsed])
    assert {"new_count", "nested", "flag"} <= set(table.column_names)
    assert table.num_rows == 1


def test_wrong_types_are_kept_verbatim_in_nonconforming_values():
    block = {
        "metricName": "DeadClickCount",
        "information": [
            {
                "sessionsCount": 45,
                "sessionsWithMetricPercentage": "12.5",
                "pagesViews": 1.5,
                "subTotal": None,
            }
        ],
    }
    row = parse([block]).rows[0]
    assert row["sessions_count"] == "45"
    assert row["sessions_with_metric_percentage"] == 12.5
    assert row["pages_views"] is None
    kept = json.loads(row["nonconforming_values"])
    assert kept == {"sessionsCount": 45, "sessionsWithMetricPercentage": "12.5", "pagesViews": 1.5}


def test_zero_traffic_and_empty_blocks():
    blocks = [
        {"metricName": "ScrollDepth", "information": [{"averageScrollDepth": None}]},
        {"metricName": "Browser", "information": []},
    ]
    parsed = parse(blocks)
    assert parsed.snapshot["block_count"] == 2 and parsed.snapshot["row_count"] == 1
    assert parsed.rows[0]["average_scroll_depth"] is None


def test_a_block_of_1000_rows_is_flagged_possibly_truncated():
    rows = [
        {"sessionsCount": "1", "sessionsWithMetricPercentage": 0, "Url": f"https://x.test/{i}"}
        for i in range(1000)
    ]
    parsed = parse([{"metricName": "DeadClickCount", "information": rows}], dimensions=("URL",))
    assert parsed.snapshot["possibly_truncated"] is True
    assert len(parsed.rows) == 1000
    assert snapshots_table([parsed.snapshot]).num_rows == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"<html>oops</html>", "not JSON"),
        (b'{"error": "x"}', "a JSON dict, not an array"),
        (b'[{"metricName": "Traffic"}]', "no `information`"),
        (b'[{"information": []}]', "no string `metricName`"),
        (b'[{"metricName": "Traffic", "information": [1]}]', "not an object"),
    ],
)
def test_malformed_bodies_raise_the_documented_error(body, message):
    with pytest.raises(BodyShapeError, match=message) as raised:
        validate_blocks(body)
    # the shape check says what is wrong with the body, not where it came from: an API answer
    # and an archive file each add their own context
    assert "API" not in str(raised.value) and "asked again" not in str(raised.value)


def test_both_spellings_in_one_row_keep_the_first_and_set_the_other_aside():
    block = {
        "metricName": "Traffic",
        "information": [
            {"PagesPerSessionPercentage": 2.5, "pagesPerSessionPercentage": 1.5},
            {"pagesPerSessionPercentage": 3.0},
        ],
    }
    parsed = parse([block])
    first, second = parsed.rows
    assert first["pages_per_session_percentage"] == 2.5
    assert json.loads(first["nonconforming_values"]) == {"pagesPerSessionPercentage": 1.5}
    assert second["pages_per_session_percentage"] == 3.0 and second["nonconforming_values"] is None


def test_an_unknown_key_that_would_overwrite_a_documented_column_is_kept_aside():
    block = {
        "metricName": "DeadClickCount",
        "information": [{"sessionsCount": "4", "sessions_count": "999"}],
    }
    row = parse([block]).rows[0]
    assert row["sessions_count"] == "4"
    assert json.loads(row["nonconforming_values"]) == {"sessions_count": "999"}


def test_columns_stay_aligned_across_blocks_with_different_keys():
    blocks = [
        frustration("DeadClickCount", 10, 10.0, Url="https://x.test/a"),
        {
            "metricName": "ScrollDepth",
            "information": [{"averageScrollDepth": 55.5, "Url": "https://x.test/b"}],
        },
        {"metricName": "Novel", "information": [{"fresh": "yes"}, {"fresh": None}]},
    ]
    parsed = parse(blocks, dimensions=("URL",))
    table = metric_rows_table([parsed, parse([frustration("RageClickCount", 3, 0)])])
    assert table.num_rows == 5
    rows = table.to_pylist()
    assert [r["metric_name"] for r in rows] == [
        "DeadClickCount",
        "ScrollDepth",
        "Novel",
        "Novel",
        "RageClickCount",
    ]
    assert [r["url"] for r in rows] == ["https://x.test/a", "https://x.test/b", None, None, None]
    assert [r["average_scroll_depth"] for r in rows] == [None, 55.5, None, None, None]
    assert [r["fresh"] for r in rows] == [None, None, "yes", None, None]
    assert [r["row_index"] for r in rows] == [0, 0, 0, 1, 0]
    assert [r["block_index"] for r in rows] == [0, 1, 2, 2, 0]


def _strict_json(text: str):
    """Parse `text` as strict JSON: NaN and Infinity are not JSON literals."""

    def refuse(token):
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_huge_integer_in_a_number_field_is_null_and_kept_exactly_on_the_fast_path():
    huge = 10**400  # 1 and 400 zeros: no double holds it
    block = {
        "metricName": "ScrollDepth",
        "information": [{"averageScrollDepth": 55.5}, {"averageScrollDepth": huge}],
    }
    body = b'[{"metricName": "ScrollDepth", "information": [{"averageScrollDepth": 55.5}, '
    body += b'{"averageScrollDepth": 1' + b"0" * 400 + b"}]}]"
    parsed = parse_blocks(meta(), validate_blocks(body), body, ingest_run_id="run")
    assert parsed.rows == parse([block]).rows
    good, bad = parsed.rows
    assert good["average_scroll_depth"] == 55.5 and good["nonconforming_values"] is None
    assert bad["average_scroll_depth"] is None
    assert _strict_json(bad["nonconforming_values"]) == {"averageScrollDepth": huge}
    assert metric_rows_table([parsed]).num_rows == 2


@pytest.mark.parametrize(
    ("token", "name"),
    [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("1e400", "Infinity")],
)
def test_non_finite_numbers_are_null_and_kept_as_strict_json_strings(token, name):
    row = '{"sessionsCount": "10", "sessionsWithMetricPercentage": VALUE, "pagesViews": "1"}'
    rows = [row.replace("VALUE", token), row.replace("VALUE", "12.5")]
    body = f'[{{"metricName": "RageClickCount", "information": [{", ".join(rows)}]}}]'.encode()
    parsed = parse_blocks(meta(), validate_blocks(body), body, ingest_run_id="run")
    hostile, fine = parsed.rows
    assert hostile["sessions_with_metric_percentage"] is None
    assert _strict_json(hostile["nonconforming_values"]) == {"sessionsWithMetricPercentage": name}
    assert hostile["sessions_count"] == "10" and hostile["pages_views"] == "1"
    assert fine["sessions_with_metric_percentage"] == 12.5 and fine["nonconforming_values"] is None


def test_numbers_sent_as_non_finite_strings_are_null_too():
    block = {
        "metricName": "Traffic",
        "information": [
            {"pagesPerSessionPercentage": "NaN"},
            {"pagesPerSessionPercentage": "-inf"},
            {"pagesPerSessionPercentage": "2.5"},
        ],
    }
    rows = parse([block]).rows
    assert [r["pages_per_session_percentage"] for r in rows] == [None, None, 2.5]
    assert [_strict_json(r["nonconforming_values"]) for r in rows] == [
        {"pagesPerSessionPercentage": "NaN"},
        {"pagesPerSessionPercentage": "-inf"},
        {"pagesPerSessionPercentage": "2.5"},
    ]


@pytest.mark.parametrize(
    ("value", "column"),
    [
        (2**64, str(2**64)),  # a JSON integer: kept as its text
        ("1" * 23, "1" * 23),  # digits, but above 2^63 - 1
        (str(2**63), str(2**63)),  # one above the largest int64
        ("-5", "-5"),
        ("1e3", "1e3"),
        (" 12 ", " 12 "),  # padding is not how the wire sends a count
        ("", ""),
        ("١٢", "١٢"),  # Arabic-Indic digits: str.isdigit, but not a count
    ],
)
def test_counts_that_are_not_plain_int64_strings_are_kept_as_received_and_set_aside(value, column):
    block = {
        "metricName": "DeadClickCount",
        "information": [
            {"sessionsCount": value, "subTotal": "4"},
            {"sessionsCount": "7", "subTotal": "4"},
        ],
    }
    hostile, fine = parse([block]).rows
    assert hostile["sessions_count"] == column  # the raw column: the text as received
    assert _strict_json(hostile["nonconforming_values"]) == {"sessionsCount": value}
    assert hostile["sub_total"] == "4"
    assert fine["sessions_count"] == "7" and fine["nonconforming_values"] is None


def test_the_largest_int64_count_and_leading_zeros_conform():
    block = {
        "metricName": "Traffic",
        "information": [{"totalSessionCount": str(2**63 - 1)}, {"totalSessionCount": "007"}],
    }
    rows = parse([block]).rows
    assert [r["total_session_count"] for r in rows] == [str(2**63 - 1), "007"]
    assert [r["nonconforming_values"] for r in rows] == [None, None]


def test_nested_non_finite_values_set_aside_are_strict_json():
    block = {
        "metricName": "DeadClickCount",
        "information": [{"sessionsCount": [float("nan"), {"x": float("-inf")}]}],
    }
    row = parse([block]).rows[0]
    assert row["sessions_count"] is None
    assert _strict_json(row["nonconforming_values"]) == {
        "sessionsCount": ["NaN", {"x": "-Infinity"}]
    }
