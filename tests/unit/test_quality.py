"""The landing checkpoint: a clean load passes, each broken load fails by name, rows stay, and
what is validated is one summary row per body, never the loaded rows themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingestion.config import duckdb_warehouse
from ingestion.quality import checkpoint
from ingestion.quality.checkpoint import run_raw_checkpoint
from ingestion.quality.report import QualityReport
from ingestion.warehouse.raw import WarehouseBusyError, raw_reader

CLEAN = "1700000000.000001"
MISSING_SESSIONS = "1700000000.000002"
ROWS_LOST = "1700000000.000003"
SHORT_WINDOW = "1700000000.000004"
REQUESTS_ONLY = "1700000000.000005"
INVERTED_WINDOW = "1700000000.000006"
WRONG_SHAPE = "1700000000.000007"
ALL_LOADS = (
    CLEAN,
    MISSING_SESSIONS,
    ROWS_LOST,
    SHORT_WINDOW,
    REQUESTS_ONLY,
    INVERTED_WINDOW,
    WRONG_SHAPE,
)

RAW_DDL = """
create schema clarity_raw;
create table clarity_raw.snapshots (
    snapshot_id varchar, project varchar, dimensions varchar, num_of_days bigint,
    fetched_at timestamptz, window_start timestamptz, window_end timestamptz, origin varchar,
    http_status bigint, block_count bigint, row_count bigint, possibly_truncated boolean,
    body_sha256 varchar, body_bytes bigint, request_id varchar, source_path varchar,
    ingest_run_id varchar, _dlt_load_id varchar
);
-- no distant_user_count column: no body ever carried that key
create table clarity_raw.metric_rows (
    snapshot_id varchar, project varchar, metric_name varchar, block_index bigint,
    row_index bigint, url varchar, device varchar, name varchar, sessions_count varchar,
    sessions_with_metric_percentage double, sessions_without_metric_percentage double,
    pages_views varchar, sub_total varchar, total_session_count varchar,
    nonconforming_values varchar, ingest_run_id varchar, _dlt_load_id varchar
);
create table clarity_raw.requests (
    request_id varchar, ingest_run_id varchar, project varchar, requested_at timestamptz,
    completed_at timestamptz, parameters varchar, num_of_days bigint, dimensions varchar,
    attempt bigint, status bigint, error_class varchar, error_message varchar,
    counted_against_quota boolean, response_bytes bigint, snapshot_id varchar,
    body_path varchar, origin varchar, _dlt_load_id varchar
);
"""

FETCHED_AT = "2024-05-02 00:10:00+00"


def _snapshot(
    snapshot_id: str,
    load_id: str,
    *,
    rows: int,
    dimensions: str = "",
    days: int = 1,
    hours: int | None = None,
    blocks: int | None = None,
) -> str:
    blocks = blocks or (16 if dimensions == "" else 9)
    hours = 24 * days if hours is None else hours
    return (
        f"('{snapshot_id}', 'demo', '{dimensions}', {days}, timestamptz '{FETCHED_AT}', "
        f"timestamptz '{FETCHED_AT}' - interval ({hours}) hour, timestamptz '{FETCHED_AT}', "
        f"'offline', 200, {blocks}, {rows}, false, 'sha', 100, 'req-{snapshot_id}', null, "
        f"'run-{load_id}', '{load_id}')"
    )


def _frustration_row(snapshot_id: str, load_id: str, row: int, sessions: str | None) -> str:
    sessions_sql = "null" if sessions is None else f"'{sessions}'"
    return (
        f"('{snapshot_id}', 'demo', 'RageClickCount', 2, {row}, null, null, null, "
        f"{sessions_sql}, 12.5, 87.5, '3', '4', null, null, 'run-{load_id}', '{load_id}')"
    )


def _traffic_row(snapshot_id: str, load_id: str) -> str:
    return (
        f"('{snapshot_id}', 'demo', 'Traffic', 7, 0, null, null, null, null, null, null, "
        f"null, null, '45', null, 'run-{load_id}', '{load_id}')"
    )


def _request(request_id: str, load_id: str, status: int | None = 200) -> str:
    status_sql = "null" if status is None else str(status)
    return (
        f"('{request_id}', 'run-{load_id}', 'demo', timestamptz '{FETCHED_AT}', "
        f"timestamptz '{FETCHED_AT}', 'numOfDays=1', 1, '', 1, {status_sql}, null, null, "
        f"true, 100, null, null, 'offline', '{load_id}')"
    )


def _raw_file(path: Path, snapshots=(), metric_rows=(), requests=()) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(RAW_DDL)
        for table, values in (
            ("snapshots", snapshots),
            ("metric_rows", metric_rows),
            ("requests", requests),
        ):
            if values:
                connection.execute(f"insert into clarity_raw.{table} values {', '.join(values)}")
    return path


def _row_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {
            table: connection.execute(f"select count(*) from clarity_raw.{table}").fetchall()[0][0]
            for table in ("snapshots", "metric_rows", "requests")
        }


def _check(path: Path, load_ids: list[str]) -> QualityReport:
    return run_raw_checkpoint(duckdb_warehouse(path), load_ids)


@pytest.fixture(scope="module")
def raw_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = _raw_file(
        tmp_path_factory.mktemp("raw") / "clarity.duckdb",
        snapshots=[
            _snapshot("s-clean-site", CLEAN, rows=2),
            _snapshot("s-clean-url", CLEAN, rows=2, dimensions="URL", days=3),
            _snapshot("s-missing", MISSING_SESSIONS, rows=2),
            _snapshot("s-lost", ROWS_LOST, rows=5),
            _snapshot("s-short", SHORT_WINDOW, rows=1, hours=23),
            _snapshot("s-inverted", INVERTED_WINDOW, rows=1),
            _snapshot("s-shape", WRONG_SHAPE, rows=1, dimensions="URL", blocks=16),
        ],
        metric_rows=[
            _frustration_row("s-clean-site", CLEAN, 0, "45"),
            _traffic_row("s-clean-site", CLEAN),
            _frustration_row("s-clean-url", CLEAN, 0, "7"),
            _frustration_row("s-clean-url", CLEAN, 1, "0"),
            _frustration_row("s-missing", MISSING_SESSIONS, 0, None),
            _traffic_row("s-missing", MISSING_SESSIONS),
            _frustration_row("s-lost", ROWS_LOST, 0, "45"),
            _frustration_row("s-short", SHORT_WINDOW, 0, "45"),
            _frustration_row("s-inverted", INVERTED_WINDOW, 0, "45"),
            _frustration_row("s-shape", WRONG_SHAPE, 0, "45"),
        ],
        requests=[
            _request("r-clean-1", CLEAN),
            _request("r-clean-2", CLEAN),
            _request("r-missing", MISSING_SESSIONS),
            _request("r-dropped", REQUESTS_ONLY, status=None),
        ],
    )
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "update clarity_raw.snapshots set window_start = window_end, "
            "window_end = window_start where snapshot_id = 's-inverted'"
        )
    counts_before = _row_counts(path)
    yield path
    assert _row_counts(path) == counts_before, "the checkpoint must never change raw rows"


@pytest.fixture(scope="module")
def reports(raw_file: Path) -> dict[str, QualityReport]:
    """One checkpoint run per load, shared by all assertions on that load."""
    return {load_id: _check(raw_file, [load_id]) for load_id in ALL_LOADS}


def test_clean_load_passes(reports: dict[str, QualityReport]) -> None:
    report = reports[CLEAN]
    assert report.success, report.summary()
    assert report.failed_expectations == []
    assert {name: result.row_count for name, result in report.tables.items()} == {
        "snapshots": 2,
        "metric_rows": 4,
        "requests": 2,
    }
    assert all(result.evaluated > 1 for result in report.tables.values())
    assert "PASSED" in report.summary()


@pytest.mark.parametrize(
    ("load_id", "table", "expectation", "target"),
    [
        (
            MISSING_SESSIONS,
            "metric_rows",
            "expect_column_values_to_be_in_set",
            "frustration_rows_without_sessions_count in [0]; frustration blocks",
        ),
        (
            ROWS_LOST,
            "snapshots",
            "expect_column_pair_values_to_be_equal",
            "metric_rows_loaded, row_count; every row a body announced was loaded",
        ),
        (
            WRONG_SHAPE,
            "snapshots",
            "expect_column_values_to_be_in_set",
            "block_count in [9]; with dimensions",
        ),
    ],
)
def test_broken_load_fails_naming_the_expectation(
    reports: dict[str, QualityReport], load_id: str, table: str, expectation: str, target: str
) -> None:
    report = reports[load_id]
    summary = report.summary()
    assert not report.success
    assert report.tables[table].failed_expectations == [expectation]
    assert "FAILED" in summary
    assert f"{expectation} ({target}): 1 of 1 bodies unexpected" in summary
    assert [name for name, result in report.tables.items() if not result.success] == [table]


def test_a_window_shorter_than_24h_per_day_breaks_the_window_length(
    reports: dict[str, QualityReport],
) -> None:
    failures = reports[SHORT_WINDOW].tables["snapshots"].failed_expectations
    assert failures == ["expect_column_pair_values_to_be_equal"]
    assert "(window_hours, expected_window_hours)" in reports[SHORT_WINDOW].summary()


def test_inverted_window_fails_both_window_checks(reports: dict[str, QualityReport]) -> None:
    failures = reports[INVERTED_WINDOW].tables["snapshots"].failed_expectations
    assert failures == [
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    ]
    assert "(window_end, window_start)" in reports[INVERTED_WINDOW].summary()


def test_table_without_rows_is_skipped_and_said_so(reports: dict[str, QualityReport]) -> None:
    report = reports[REQUESTS_ONLY]
    assert report.success, report.summary()
    assert report.tables["snapshots"].skipped
    assert report.tables["metric_rows"].skipped
    assert not report.tables["requests"].skipped
    assert "snapshots" in report.summary() and "skipped: no rows in these loads" in report.summary()


def test_several_loads_at_once_and_unknown_load(raw_file: Path) -> None:
    report = _check(raw_file, [CLEAN, "does-not-exist"])
    assert report.success, report.summary()
    assert report.tables["snapshots"].row_count == 2


def test_bad_counts_fail_and_type_surprises_warn(tmp_path: Path) -> None:
    path = _raw_file(
        tmp_path / "counts.duckdb",
        snapshots=[_snapshot("s1", CLEAN, rows=2)],
        metric_rows=[
            _frustration_row("s1", CLEAN, 0, "4"),
            _frustration_row("s1", CLEAN, 1, "4 x"),
        ],
    )
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "update clarity_raw.metric_rows set nonconforming_values = '{\"subTotal\": 3}' "
            "where row_index = 1"
        )
    report = _check(path, [CLEAN])
    metric_rows = report.tables["metric_rows"]
    assert metric_rows.failed_expectations == ["expect_column_values_to_be_in_set"]
    assert "frustration_rows_with_non_count_sessions in [0]" in report.summary()
    # a type surprise is a warning: reported, but the load does not fail because of it
    assert [f.expectation for f in metric_rows.failures if f.severity == "warning"] == [
        "expect_column_values_to_be_in_set"
    ]
    assert "WARNING expect_column_values_to_be_in_set (rows_with_nonconforming_values" in (
        report.summary()
    )


def test_a_possibly_truncated_body_is_a_warning_naming_its_project_and_set(
    tmp_path: Path,
) -> None:
    path = _raw_file(
        tmp_path / "cut.duckdb",
        snapshots=[
            _snapshot("s1", CLEAN, rows=1, dimensions="Device,URL"),
            _snapshot("s2", CLEAN, rows=1),
        ],
        metric_rows=[_frustration_row("s1", CLEAN, 0, "4"), _frustration_row("s2", CLEAN, 0, "4")],
    )
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "update clarity_raw.snapshots set possibly_truncated = true where snapshot_id = 's1'"
        )
    report = _check(path, [CLEAN])
    assert report.success, report.summary()  # a warning: the load passes
    assert report.warnings == [
        "snapshots: expect_column_values_to_be_in_set (possibly_truncated in [False]): 1 of 2 "
        "bodies had a block of 1,000 rows, which the API may have cut: demo Device,URL"
    ]
    assert "WARNING" in report.summary() and "demo Device,URL" in report.summary()


def test_the_summary_shows_loads_as_utc_times_not_load_ids(raw_file: Path) -> None:
    summary = _check(raw_file, [CLEAN, MISSING_SESSIONS]).summary()
    assert "  loads: 2023-11-14 22:13:20 UTC, 2023-11-14 22:13:20 UTC" in summary
    assert CLEAN not in summary


def test_an_unknown_key_is_noted(tmp_path: Path) -> None:
    path = _raw_file(
        tmp_path / "new-key.duckdb",
        snapshots=[_snapshot("s1", CLEAN, rows=1)],
        metric_rows=[_frustration_row("s1", CLEAN, 0, "4")],
    )
    with duckdb.connect(str(path)) as connection:
        connection.execute("alter table clarity_raw.metric_rows add column bounce_rate varchar")
        connection.execute("update clarity_raw.metric_rows set bounce_rate = '0.4'")
    report = _check(path, [CLEAN])
    assert report.success, report.summary()
    assert "unknown keys kept from the API (schema evolution): bounce_rate" in report.summary()


def test_missing_tables_and_columns_do_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "partial.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema clarity_raw")
        connection.execute(
            "create table clarity_raw.requests (request_id varchar, project varchar, "
            "_dlt_load_id varchar)"
        )
        connection.execute(f"insert into clarity_raw.requests values ('r1', 'demo', '{CLEAN}')")
    report = _check(path, [CLEAN])
    assert report.tables["snapshots"].skipped_reason == "table does not exist"
    assert report.tables["requests"].failed_expectations == ["expect_table_columns_to_match_set"]
    assert "missing columns ['requested_at']" in report.summary()


def test_no_load_ids_validates_nothing(raw_file: Path) -> None:
    report = _check(raw_file, [])
    assert report.success
    assert all(result.skipped for result in report.tables.values())
    assert "loads: (none)" in report.summary()


def test_what_is_validated_is_one_row_per_body_not_the_loaded_rows(tmp_path: Path) -> None:
    rows = 3000
    path = _raw_file(
        tmp_path / "large.duckdb",
        snapshots=[_snapshot("s1", CLEAN, rows=rows), _snapshot("s2", CLEAN, rows=rows)],
        metric_rows=[
            _frustration_row(sid, CLEAN, row, "45") for sid in ("s1", "s2") for row in range(rows)
        ],
    )
    with raw_reader(duckdb_warehouse(path)) as reader:
        summaries = checkpoint._Summaries.read(reader, [CLEAN])
    assert len(summaries.frames["snapshots"]) == 2
    assert len(summaries.frames["metric_rows"]) == 2
    assert summaries.row_counts["metric_rows"] == 2 * rows
    assert _check(path, [CLEAN]).success


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="CLARITY_DUCKDB_PATH"):
        _check(tmp_path / "nope.duckdb", [CLEAN])


def test_open_read_write_connection_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    with duckdb.connect(str(path)):
        with pytest.raises(WarehouseBusyError, match="Another connection holds the DuckDB file"):
            _check(path, [CLEAN])
