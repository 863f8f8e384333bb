"""Data tests on the raw metric rows and on the daily models check the recent snapshots (dates)
on an incremental build and all history when asked (macro clarity_recent_condition): a bad row in
the newest snapshot (date) fails the daily build's tests, a bad row in a month-old snapshot (date)
fails only the all-history check."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from ingestion.transform.dbt_runner import run_dbt
from tests.integration.helpers import scalar

pytestmark = pytest.mark.integration

SELECT = ["--select", "stg_clarity__metric_rows", "--exclude-resource-type", "unit_test"]
ALL_HISTORY = ["--vars", json.dumps({"clarity_test_all_history": True})]


def duplicate_a_row(path, newest: bool) -> str:
    """Append a copy of one raw metric row of the newest (or the oldest) snapshot; its id."""
    order = "desc" if newest else "asc"
    with duckdb.connect(str(path)) as con:
        (snapshot_id,) = con.execute(
            f"select snapshot_id from clarity_raw.snapshots order by fetched_at {order} limit 1"
        ).fetchall()[0]
        con.execute(
            "insert into clarity_raw.metric_rows "
            "select * from clarity_raw.metric_rows where snapshot_id = ? limit 1",
            [snapshot_id],
        ).fetchall()
    return snapshot_id


def failures(target) -> set[str]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2] for r in results if r["status"] == "fail"}


def test_old_bad_rows_need_the_all_history_check(built_warehouse, tmp_path):
    path = tmp_path / "clarity.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    old = duplicate_a_row(path, newest=False)
    age = scalar(
        path,
        "select date_diff('day', (select fetched_at from clarity_raw.snapshots "
        "where snapshot_id = ? limit 1), max(fetched_at)) from clarity_raw.snapshots",
        [old],
    )
    assert age > 7, "the oldest snapshot must lie outside clarity_test_recent_days"

    code, _ = run_dbt(["test", *SELECT], path, target_path=tmp_path / "t1", quiet=True)
    assert code == 0, "the daily check reached a snapshot older than its window"

    code, _ = run_dbt(
        ["test", *SELECT, *ALL_HISTORY], path, target_path=tmp_path / "t2", quiet=True
    )
    assert code == 1
    assert any(
        name.startswith("unique_combination_stg_clarity__metric_rows")
        for name in failures(tmp_path / "t2")
    )


def test_new_bad_rows_fail_the_daily_check(built_warehouse, tmp_path):
    path = tmp_path / "clarity.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    duplicate_a_row(path, newest=True)
    code, _ = run_dbt(["test", *SELECT], path, target_path=tmp_path / "t1", quiet=True)
    assert code == 1
    assert any(
        name.startswith("unique_combination_stg_clarity__metric_rows")
        for name in failures(tmp_path / "t1")
    )


SIGNALS = ["--select", "fct_signal_daily", "--exclude-resource-type", "unit_test"]


def duplicate_a_signal_row(path, newest: bool) -> int:
    """Append a copy of one row of fct_signal_daily on its newest (or oldest) date; the date's age
    in days before the newest fetch."""
    order = "desc" if newest else "asc"
    with duckdb.connect(str(path)) as con:
        (day,) = con.execute(
            f"select activity_date from marts.fct_signal_daily order by activity_date {order} "
            "limit 1"
        ).fetchall()[0]
        con.execute(
            "insert into marts.fct_signal_daily "
            "select * from marts.fct_signal_daily where activity_date = ? limit 1",
            [day],
        ).fetchall()
        (age,) = con.execute(
            "select date_diff('day', ?, cast(max(fetched_at) as date)) from clarity_raw.snapshots",
            [day],
        ).fetchall()[0]
    return age


def signal_grain_failures(target) -> set[str]:
    """The grain tests of fct_signal_daily (and the singular test on its signals) that failed."""
    return {
        name
        for name in failures(target)
        if name.startswith(("unique_", "assert_every_scope_day_has_every_signal"))
    }


def test_old_duplicate_signal_rows_need_the_all_history_check(built_warehouse, tmp_path):
    path = tmp_path / "clarity.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    assert duplicate_a_signal_row(path, newest=False) > 8, "the date must lie outside the window"

    code, _ = run_dbt(["test", *SIGNALS], path, target_path=tmp_path / "t1", quiet=True)
    assert code == 0, "the daily check reached a date older than its window"

    code, _ = run_dbt(
        ["test", *SIGNALS, *ALL_HISTORY], path, target_path=tmp_path / "t2", quiet=True
    )
    assert code == 1
    assert len(signal_grain_failures(tmp_path / "t2")) == 3, failures(tmp_path / "t2")


def test_new_duplicate_signal_rows_fail_the_daily_check(built_warehouse, tmp_path):
    path = tmp_path / "clarity.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    duplicate_a_signal_row(path, newest=True)
    code, _ = run_dbt(["test", *SIGNALS], path, target_path=tmp_path / "t1", quiet=True)
    assert code == 1
    assert len(signal_grain_failures(tmp_path / "t1")) == 3, failures(tmp_path / "t1")
