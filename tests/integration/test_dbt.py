"""Offline service -> dlt -> DuckDB -> dbt build: the staging layer reads every raw row, typed."""

from __future__ import annotations

import pytest

from ingestion.ingest import ingest
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.conftest import collection_time, make_config
from tests.integration.helpers import query, scalar

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loaded_warehouse(tmp_path_factory):
    from clarity_tools.offline import OfflineClarity, default_projects
    from tests.conftest import START

    folder = tmp_path_factory.mktemp("warehouse")
    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=5) as service:
        config = make_config(service, folder)
        for day in (1, 2, 3):
            service.clock.set(collection_time(day))
            report = ingest(config, clock=service.clock.now)
            assert not report.had_errors
        truth = service.truth_site_daily("contoso-docs", collection_time(2).date())
    return config.duckdb_path, folder, truth


def test_dbt_build_and_freshness_pass_on_loaded_data(loaded_warehouse):
    path, folder, _ = loaded_warehouse
    code, seconds = run_dbt(SCHEDULED_BUILD, path, target_path=folder / "dbt-target")
    assert code == 0
    code, _ = run_dbt(["source", "freshness"], path, target_path=folder / "dbt-target", quiet=True)
    # the simulated data is weeks old by the wall clock: freshness must say so (error), not crash
    assert code == 1
    raw_rows = scalar(path, "select count(*) from clarity_raw.metric_rows")
    assert scalar(path, "select count(*) from staging.stg_clarity__metric_rows") == raw_rows
    raw_sessions = scalar(
        path,
        "select sum(cast(sessions_count as bigint)) from clarity_raw.metric_rows "
        "where sessions_count is not null",
    )
    assert (
        scalar(path, "select sum(sessions_count) from staging.stg_clarity__metric_rows")
        == raw_sessions
    )


def test_staging_traffic_matches_the_simulated_truth(loaded_warehouse):
    path, _, truth = loaded_warehouse
    # the 1-day, no-dimension snapshot fetched at 00:10 on day 3 covers day 2 (minus 10 minutes)
    rows = query(
        path,
        """
        select m.total_session_count
        from staging.stg_clarity__metric_rows as m
        join staging.stg_clarity__snapshots as s on s.snapshot_id = m.snapshot_id
        where s.project = 'contoso-docs' and s.dimensions = '' and s.num_of_days = 1
          and m.metric_name = 'Traffic' and s.fetched_at = ?
        """,
        [collection_time(3)],
    )
    assert len(rows) == 1
    assert abs(rows[0][0] - truth["sessions"]) <= max(2, 0.02 * truth["sessions"])
