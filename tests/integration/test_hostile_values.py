"""Hostile values through the real loader (`clarity import`) and `dbt build`: a number no double
holds, NaN and the infinities, counts beyond int64, negative or not plain digits. The build
passes, staging makes each such value null, a warning test counts the rows, and every other value
of the marts is what the same body without them gives. A NaN stored in raw by an older loader
(nonconforming_values empty) is made null and counted too.

Two one-day site bodies of the same numbers are loaded: `steady-site` as sent, `hostile-site`
with the hostile values written into some keys (HOSTILE below)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.integration.helpers import import_bodies, query

pytestmark = pytest.mark.integration

STEADY, HOSTILE_PROJECT = "steady-site", "hostile-site"
FETCHED_AT = "2026-03-12T00:30:00+00:00"
WARN_TEST = "test.clarity.assert_raw_metric_values_are_usable"
SIGNAL_MEASURES = ("base_sessions", "sessions", "rate")


def frustration(name: str, sessions: int, pct: float, views: int, events: int) -> dict:
    row = {
        "sessionsCount": str(sessions),
        "sessionsWithMetricPercentage": pct,
        "sessionsWithoutMetricPercentage": round(100 - pct, 2),
        "pagesViews": str(views),
        "subTotal": str(events),
    }
    return {"metricName": name, "information": [row]}


def site_body() -> list[dict]:
    """A one-day body without dimensions: 80 sessions, every block, empty top lists."""
    return [
        frustration("DeadClickCount", 80, 12.5, 14, 22),
        frustration("ExcessiveScroll", 80, 2.5, 2, 2),
        frustration("RageClickCount", 80, 7.5, 7, 15),
        frustration("QuickbackClick", 80, 5, 4, 4),
        frustration("ScriptErrorCount", 80, 20, 21, 40),
        frustration("ErrorClickCount", 80, 3.75, 3, 3),
        {"metricName": "ScrollDepth", "information": [{"averageScrollDepth": 48.5}]},
        {
            "metricName": "Traffic",
            "information": [
                {
                    "totalSessionCount": "80",
                    "totalBotSessionCount": "6",
                    "distinctUserCount": "71",
                    "pagesPerSessionPercentage": 1.75,
                }
            ],
        },
        {"metricName": "EngagementTime", "information": [{"totalTime": "150", "activeTime": "60"}]},
        *({"metricName": name, "information": []} for name in ("Browser", "Device", "OS")),
        *({"metricName": name, "information": []} for name in ("Country", "PageTitle")),
        *({"metricName": name, "information": []} for name in ("ReferrerUrl", "PopularPages")),
    ]


# (block, key) -> the hostile value written there; each also goes to nonconforming_values
HOSTILE = {
    ("ScrollDepth", "averageScrollDepth"): 10**400,  # 1 and 400 zeros: overflows a double
    ("DeadClickCount", "sessionsWithMetricPercentage"): math.nan,
    ("ExcessiveScroll", "sessionsWithMetricPercentage"): math.inf,
    ("Traffic", "pagesPerSessionPercentage"): -math.inf,
    ("RageClickCount", "sessionsCount"): 2**64,  # a JSON integer beyond int64
    ("QuickbackClick", "sessionsCount"): "1" * 23,  # 23 digits
    ("Traffic", "totalBotSessionCount"): "-5",
    ("EngagementTime", "totalTime"): "1e3",
    ("EngagementTime", "activeTime"): " 12 ",
}
# what strict JSON holds of each (nonconforming_values)
AS_STRICT_JSON = {math.nan: "NaN", math.inf: "Infinity", -math.inf: "-Infinity"}
# the staged columns made null, per raw row
NULLED = {
    "ScrollDepth": {"average_scroll_depth"},
    "DeadClickCount": {"sessions_with_metric_pct"},
    "ExcessiveScroll": {"sessions_with_metric_pct"},
    "RageClickCount": {"sessions_count"},
    "QuickbackClick": {"sessions_count"},
    "Traffic": {"pages_per_session", "total_bot_session_count"},
    "EngagementTime": {"total_time_seconds", "active_time_seconds"},
}


def hostile_body() -> list[dict]:
    blocks = site_body()
    for block in blocks:
        for (name, key), value in HOSTILE.items():
            if block["metricName"] == name:
                block["information"][0][key] = value
    return blocks


def build(db: Path, target: Path, *extra: str) -> dict:
    """`dbt build` (as scheduled) must pass; the warning test's result."""
    code, _ = run_dbt([*SCHEDULED_BUILD, *extra], db, target_path=target)
    assert code == 0, f"dbt build failed on hostile values: see {target / 'logs' / 'dbt.log'}"
    results = json.loads((target / "run_results.json").read_text())["results"]
    (warned,) = [r for r in results if r["unique_id"] == WARN_TEST]
    others = {r["status"] for r in results if r["unique_id"] != WARN_TEST}
    assert others <= {"success", "pass", "no-op"}, others
    return warned


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    meta = {"dimensions": [], "num_of_days": 1, "fetched_at": FETCHED_AT}
    db, output = import_bodies(
        folder,
        {
            STEADY: ({**meta, "project": STEADY}, site_body()),
            HOSTILE_PROJECT: ({**meta, "project": HOSTILE_PROJECT}, hostile_body()),
        },
    )
    # loaded; the checkpoint warns of the nonconforming values (and fails on the non-count
    # session counts of frustration rows: that is its job, the rows stay loaded)
    assert "rows_with_nonconforming_values" in output
    return db, folder


def _rows(db: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def test_raw_keeps_the_values_as_received_and_sets_them_aside_as_strict_json(warehouse):
    db, _ = warehouse
    rows = _rows(
        db,
        "select metric_name, sessions_count, total_bot_session_count, total_time, active_time, "
        "average_scroll_depth, sessions_with_metric_percentage, pages_per_session_percentage, "
        f"nonconforming_values from clarity_raw.metric_rows where project = '{HOSTILE_PROJECT}'",
    )
    by_block = {row["metric_name"]: row for row in rows}
    for (name, key), value in HOSTILE.items():
        kept = json.loads(by_block[name]["nonconforming_values"], parse_constant=_refuse)
        assert kept[key] == AS_STRICT_JSON.get(value, value), (name, key)
    # counts: the text as received (a JSON integer as its digits); numbers: null
    assert by_block["RageClickCount"]["sessions_count"] == str(2**64)
    assert by_block["QuickbackClick"]["sessions_count"] == "1" * 23
    assert by_block["Traffic"]["total_bot_session_count"] == "-5"
    assert (
        by_block["EngagementTime"]["total_time"],
        by_block["EngagementTime"]["active_time"],
    ) == (
        "1e3",
        " 12 ",
    )
    assert by_block["ScrollDepth"]["average_scroll_depth"] is None
    assert by_block["DeadClickCount"]["sessions_with_metric_percentage"] is None
    assert by_block["Traffic"]["pages_per_session_percentage"] is None
    steady = query(
        db,
        "select count(*) from clarity_raw.metric_rows "
        f"where project = '{STEADY}' and nonconforming_values is not null",
    )
    assert steady == [(0,)]


def _refuse(token):
    raise ValueError(f"{token} is not JSON")


def _staged(db: Path, project: str) -> dict[str, dict]:
    rows = _rows(
        db,
        f"select * from staging.stg_clarity__metric_rows where project = '{project}' "
        "and metric_name in ('DeadClickCount', 'ExcessiveScroll', 'RageClickCount', "
        "'QuickbackClick', 'ScriptErrorCount', 'ErrorClickCount', 'ScrollDepth', 'Traffic', "
        "'EngagementTime')",
    )
    return {row["metric_name"]: row for row in rows}


MEASURES = (
    "sessions_count",
    "sessions_with_metric_pct",
    "sessions_without_metric_pct",
    "pages_views",
    "sub_total",
    "average_scroll_depth",
    "total_session_count",
    "total_bot_session_count",
    "distinct_user_count",
    "pages_per_session",
    "total_time_seconds",
    "active_time_seconds",
)


def test_the_build_passes_and_staging_nulls_exactly_the_hostile_values(warehouse):
    db, folder = warehouse
    warned = build(db, folder / "dbt-1")
    assert warned["status"] == "warn" and warned["failures"] == len(NULLED)
    hostile, steady = _staged(db, HOSTILE_PROJECT), _staged(db, STEADY)
    assert set(hostile) == set(steady) and len(steady) == 9
    for block, row in hostile.items():
        nulled = NULLED.get(block, set())
        for column in MEASURES:
            if column in nulled:
                assert row[column] is None, (block, column)
            else:
                assert row[column] == steady[block][column], (block, column)

    # the marts: every value the hostile ones do not feed is the steady body's; what they
    # feed is null, or none where the marts add up what is known (as for a block without rows)
    site = {r["project"]: r for r in _rows(db, "select * from marts.fct_site_daily")}
    assert set(site) == {STEADY, HOSTILE_PROJECT}
    fed = {"bot_sessions", "page_views", "pages_per_session", "avg_scroll_depth"}
    fed |= {"avg_total_time_seconds", "avg_active_time_seconds", "frustration_score"}
    fed |= {f"{s}_{m}" for s in ("dead_click", "excessive_scroll") for m in ("sessions", "rate")}
    fed |= {f"{s}_{m}" for s in ("rage_click", "quick_back") for m in SIGNAL_MEASURES}
    for column, value in site[STEADY].items():
        if column in fed:
            assert value and site[HOSTILE_PROJECT][column] in (None, 0), column
        elif column not in ("site_day_id", "project", "snapshot_id"):
            assert site[HOSTILE_PROJECT][column] == value, column
    assert site[STEADY]["sessions"] == 80 and site[STEADY]["dead_click_sessions"] == 10


def test_a_nan_or_out_of_range_percentage_in_raw_is_null_and_counted(warehouse):
    db, folder = warehouse
    con = duckdb.connect(str(db))
    try:  # as a loader without the guards stored it: in the double column, nothing set aside
        con.execute(
            "update clarity_raw.metric_rows set sessions_with_metric_percentage = 'NaN'::double "
            f"where project = '{STEADY}' and metric_name = 'ScriptErrorCount'"
        )
        # and a finite percentage outside 0..100: null in staging too, never a failed range test
        con.execute(
            "update clarity_raw.metric_rows set sessions_without_metric_percentage = 150 "
            f"where project = '{STEADY}' and metric_name = 'ErrorClickCount'"
        )
    finally:
        con.close()
    # the pivot never reads a loaded snapshot again: rebuild from raw, as after such a loader
    warned = build(db, folder / "dbt-2", "--full-refresh")
    assert warned["status"] == "warn" and warned["failures"] == len(NULLED) + 2
    staged = _staged(db, STEADY)["ScriptErrorCount"]
    assert staged["sessions_with_metric_pct"] is None and staged["nonconforming_values"] is None
    assert _staged(db, STEADY)["ErrorClickCount"]["sessions_without_metric_pct"] is None
    site = _rows(db, f"select * from marts.fct_site_daily where project = '{STEADY}'")[0]
    assert site["script_error_sessions"] in (None, 0) and site["rage_click_sessions"] == 6
