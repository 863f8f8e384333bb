"""An incremental `dbt build` after new data equals `dbt build --full-refresh` on the same data:
every core mart, row for row (after snowplow's idempotency tests)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.conftest import START, collection_time, make_config
from tests.integration.compare import table_differences
from tests.integration.helpers import ingest_at, query, scalar

pytestmark = pytest.mark.integration

# the core marts and their grains
CORE_MARTS: dict[str, tuple[str, ...]] = {
    "dim_projects": ("project",),
    "dim_pages": ("project", "page_url"),
    "fct_site_daily": ("project", "activity_date"),
    "fct_site_windows": ("snapshot_id",),
    "fct_page_daily": ("project", "page_url", "activity_date"),
    "fct_segment_daily": ("project", "dimension", "dimension_value", "activity_date"),
    "fct_signal_daily": ("project", "scope", "dimension", "scope_key", "activity_date", "signal"),
    "fct_collection_daily": ("project", "activity_date"),
    "fct_top_list_windows": ("snapshot_id", "list_name", "item_rank"),
    "fct_top_list_daily": ("project", "activity_date", "list_name", "item_rank"),
}
CORE = ["--select", "+marts.core", "--indirect-selection", "cautious"]
# four sets, so that a forced same-day re-run still fits the 10 requests of a day
DIMENSION_SETS = ((), ("URL",), ("Device",), ("Medium", "Source"))
FIRST_DAYS = 6


def _dbt_sql(target: Path, kind: str, model: str, folder: str = "marts/core") -> str:
    """The SQL of a model (a core mart by default) as dbt compiled (`compiled`) or ran (`run`)
    it in a build."""
    return (target / kind / "clarity" / "models" / folder / f"{model}.sql").read_text()


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """(incrementally built warehouse, its full-refresh copy, first choice of the last day)."""
    folder = tmp_path_factory.mktemp("incremental")
    with OfflineClarity(projects=default_projects(), seed=11, start=START, days=16) as service:
        config = dataclasses.replace(
            make_config(service, folder, recover_sets=0), dimension_sets=DIMENSION_SETS
        )
        # phase 1: daily at 00:10, then a forced re-run at 23:00 on the last day, whose window
        # gives that day a value of its own (coverage 23/24) before the 00:10 run improves it
        for day in range(1, FIRST_DAYS + 1):
            assert not ingest_at(service, config, collection_time(day)).had_errors
        last = collection_time(FIRST_DAYS, minutes=0) + timedelta(hours=23)
        assert not ingest_at(service, config, last, force=True).had_errors
        code, _ = run_dbt([*SCHEDULED_BUILD, *CORE], config.duckdb_path, target_path=folder / "t1")
        assert code == 0, "first dbt build failed"
        first_choice = query(
            config.duckdb_path,
            "select project, snapshot_id, day_coverage from marts.fct_site_daily "
            "where activity_date = ?",
            [collection_time(FIRST_DAYS).date()],
        )
        # phase 2: the 00:10 run, two days without collection, a 3-day catch-up, a daily run,
        # a failed site-level request (500 twice: the client retries once), a 2-day catch-up
        assert not ingest_at(service, config, collection_time(FIRST_DAYS + 1)).had_errors
        assert not ingest_at(service, config, collection_time(FIRST_DAYS + 4)).had_errors
        assert not ingest_at(service, config, collection_time(FIRST_DAYS + 5)).had_errors
        service.inject_fault("status", project="contoso-docs", times=2, dimensions=(), status=500)
        assert ingest_at(service, config, collection_time(FIRST_DAYS + 6)).had_errors
        assert not ingest_at(service, config, collection_time(FIRST_DAYS + 7)).had_errors
    incremental = config.duckdb_path
    code, _ = run_dbt([*SCHEDULED_BUILD, *CORE], incremental, target_path=folder / "t2")
    assert code == 0, "incremental dbt build failed"
    full = folder / "full-refresh.duckdb"
    shutil.copyfile(incremental, full)
    code, _ = run_dbt([*SCHEDULED_BUILD, "--full-refresh", *CORE], full, target_path=folder / "t3")
    assert code == 0, "full-refresh dbt build failed"
    return incremental, full, first_choice, folder


def test_the_new_data_holds_the_hard_cases(rebuilt):
    incremental, _, first_choice, folder = rebuilt
    assert scalar(
        incremental, "select count(*) from clarity_raw.snapshots where num_of_days = 3"
    ) >= 2 * len(DIMENSION_SETS)  # the initial fetch and the catch-up
    reasons = {
        reason
        for (reason,) in query(
            incremental, "select distinct missing_reason from marts.fct_collection_daily"
        )
    }
    assert "awaiting_collection" in reasons
    # the dates only the catch-up windows cover (the failed request's too) are the solver's
    sources = {
        source
        for (source,) in query(
            incremental, "select distinct site_value_source from marts.fct_collection_daily"
        )
    }
    assert "one_day_window" in sources and sources & {"solved_exact", "solved_estimate"}
    # the last day of phase 1 first had the 23:00 re-run's window, then the next 00:10 one
    day = collection_time(FIRST_DAYS).date()
    now = dict(
        query(
            incremental,
            "select project, snapshot_id from marts.fct_site_daily where activity_date = ?",
            [day],
        )
    )
    assert len(first_choice) == len(default_projects())
    for project, snapshot_id, coverage in first_choice:
        assert coverage == pytest.approx(23 / 24)
        assert now[project] != snapshot_id
    # the second build was incremental: days in the lookback window deleted and re-inserted
    for model in ("fct_page_daily", "fct_segment_daily", "fct_signal_daily"):
        executed = _dbt_sql(folder / "t2", "run", model)
        assert "delete from" in executed and "insert into" in executed, model
        assert "max(activity_date)" in _dbt_sql(folder / "t2", "compiled", model), model


@pytest.mark.parametrize("table", list(CORE_MARTS))
def test_incremental_build_equals_full_refresh(rebuilt, table):
    incremental, full, _, _ = rebuilt
    assert scalar(incremental, f"select count(*) from marts.{table}") > 0
    differences = table_differences(incremental, full, f"marts.{table}", CORE_MARTS[table])
    assert not differences, "\n".join(differences)


def test_scoped_daily_rows_equal_a_full_refresh(rebuilt):
    """int_daily_metrics_scoped, the rows the four daily marts group, is incremental by date: the
    second build rebuilt only the lookback's dates, and every row (duplicates counted) equals the
    full refresh's."""
    incremental, full, _, folder = rebuilt
    executed = _dbt_sql(folder / "t2", "run", "int_daily_metrics_scoped", "intermediate")
    assert "delete from" in executed and "insert into" in executed
    table = "intermediate.int_daily_metrics_scoped"
    with duckdb.connect(str(incremental), read_only=True) as con:
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        assert rows > 0
        for first, second in ((table, f"full_refresh.{table}"), (f"full_refresh.{table}", table)):
            (missing,) = con.execute(
                f"select count(*) from (select * from {first} except all select * from {second})"
            ).fetchall()[0]
            assert missing == 0, f"{missing} row(s) of {first} not in {second}"


def test_a_date_that_loses_its_lists_loses_its_rows(rebuilt, tmp_path):
    """fct_top_list_daily deletes the lookback's dates before it rebuilds them: a row of a recent
    date that the rebuild gives no lists (as a date whose one-day window stops being chosen)
    goes, which delete+insert alone would keep (it replaces only the dates it inserts); a row of
    a date older than the lookback stays."""
    incremental, _, _, _ = rebuilt
    path = tmp_path / "clarity.duckdb"
    shutil.copyfile(incremental, path)
    table = "marts.fct_top_list_daily"
    newest = f"(select max(activity_date) from {table})"
    with duckdb.connect(str(path)) as con:
        # the newest date, and one two months before the first (the solver's re-solve reaches
        # 29 days back: the data set's 16 days are all in the lookback)
        for name, day in (("recent", newest), ("old", f"{newest} - interval 90 day")):
            con.execute(
                f"insert into {table} select * replace ('no-lists-{name}' as project, "
                f"cast({day} as date) as activity_date) "
                f"from {table} where activity_date = {newest} limit 1"
            ).fetchall()
    code, _ = run_dbt(
        ["run", "--select", "fct_top_list_daily"], path, target_path=tmp_path / "t", quiet=True
    )
    assert code == 0
    executed = _dbt_sql(tmp_path / "t", "run", "fct_top_list_daily")
    assert "delete from" in executed and "insert into" in executed
    left = {project for (project,) in query(path, f"select project from {table}")}
    assert "no-lists-recent" not in left
    assert "no-lists-old" in left
