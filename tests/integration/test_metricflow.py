"""MetricFlow on the semantic layer, as a BI user's `mf` runs it: `mf validate-configs` is clean
on a built warehouse (the manifest, and every semantic model, dimension, entity, measure and
metric queried against the data), and `mf query` gives the marts' own numbers."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ingestion import PROJECT_ROOT
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

MF = Path(sys.executable).with_name("mf")
START, END = date(2026, 10, 20), date(2026, 10, 26)


@pytest.fixture(scope="module")
def warehouse(built_warehouse, tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the demo warehouse (mf opens it as dbt does, for writing) named as the built
    one (the catalog is the file's name); a copy of the dbt project holding the build's
    semantic manifest where mf reads it (`<project>/target/`, whatever DBT_TARGET_PATH says);
    the environment mf runs in."""
    folder = tmp_path_factory.mktemp("metricflow")
    path = folder / built_warehouse.path.name
    shutil.copyfile(built_warehouse.path, path)
    project = folder / "dbt_project"
    shutil.copytree(
        PROJECT_ROOT / "dbt_project",
        project,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    (project / "target").mkdir()
    shutil.copyfile(
        built_warehouse.target / "semantic_manifest.json",
        project / "target" / "semantic_manifest.json",
    )
    env = {
        **os.environ,
        "CLARITY_DUCKDB_PATH": str(path),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "profiles"),
        "DBT_LOG_PATH": str(folder / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return path, project, env


def _mf(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MF), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )


def test_mf_validate_configs_is_clean_against_the_warehouse(warehouse):
    _, project, env = warehouse
    result = _mf(project, env, "validate-configs")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for step in ("semantic models", "dimensions", "entities", "measures", "metrics"):
        assert f"Successfully validated {step} against data warehouse" in output, output
    assert "ERROR:" not in output, output


def test_mf_query_gives_the_marts_numbers(warehouse, tmp_path):
    path, project, env = warehouse
    out = tmp_path / "sessions.csv"
    result = _mf(
        project,
        env,
        "query",
        "--metrics",
        "sessions",
        "--group-by",
        "metric_time__day,project",
        "--start-time",
        START.isoformat(),
        "--end-time",
        END.isoformat(),
        "--csv",
        str(out),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with out.open(newline="") as handle:
        answered = {
            (row["metric_time__day"][:10], row["project"]): int(float(row["sessions"]))
            for row in csv.DictReader(handle)
        }
    marts = {
        (day.isoformat(), project): sessions
        for day, project, sessions in query(
            path,
            "select activity_date, project, sessions from marts.fct_site_daily "
            "where activity_date between ? and ? and sessions is not null",
            [START, END],
        )
    }
    assert len(marts) == 3 * 7
    assert answered == marts
