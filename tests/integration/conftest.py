"""A warehouse collected like the demo (daily at 00:10 UTC, 3 projects, 35 days) and built with
dbt once per test session; tests of the marts read it (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from clarity_tools.demo import SIMULATION_START, collect
from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.conftest import make_config

DEMO_DAYS = 35


@dataclass
class BuiltWarehouse:
    path: Path  # the DuckDB file
    folder: Path  # data folder (landing) and dbt target folder
    service: OfflineClarity  # stopped; its truth_* functions still answer
    days: int
    dbt_seconds: float

    @property
    def target(self) -> Path:
        return self.folder / "dbt-target"


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> BuiltWarehouse:
    folder = tmp_path_factory.mktemp("demo-warehouse")
    service = OfflineClarity(
        projects=default_projects(), seed=7, start=SIMULATION_START, days=DEMO_DAYS + 2
    )
    with service:
        config = make_config(service, folder)
        totals = collect(service, config, DEMO_DAYS)
    assert totals["errors"] == 0
    code, seconds = run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed on the demo warehouse (see the output above)"
    return BuiltWarehouse(config.duckdb_path, folder, service, DEMO_DAYS, seconds)
