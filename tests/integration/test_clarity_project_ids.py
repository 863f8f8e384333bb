"""A configured `clarity_project_id` reaches dim_projects (the report and the MCP server read it
there): the loader records it in raw `projects` beside the time zone, a change adds a row and the
latest wins, and a raw table written before the column existed still builds, with no id."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from ingestion.transform.dbt_runner import run_dbt
from tests.conftest import collection_time, make_config
from tests.integration.helpers import ingest_at, query

pytestmark = pytest.mark.integration

DOCS, BLOG = "contoso-docs", "fabrikam-blog"
SETTINGS_MODELS = ["run", "--select", "+int_project_timezones"]


def _with_id(config, project: str, clarity_id: str | None):
    projects = [
        dataclasses.replace(p, clarity_project_id=clarity_id) if p.name == project else p
        for p in config.projects
    ]
    return dataclasses.replace(config, projects=projects)


def _ids(db) -> dict[str, str | None]:
    return dict(
        query(db, "select project, clarity_project_id from intermediate.int_project_timezones")
    )


def test_a_configured_id_reaches_the_marts_and_its_change_wins(offline, tmp_path):
    config = _with_id(
        make_config(offline, tmp_path, projects=[DOCS, BLOG], daily_budget=1), DOCS, "abc123xyz"
    )
    ingest_at(offline, config, collection_time(1))
    raw = query(
        config.duckdb_path,
        "select project, clarity_project_id from clarity_raw.projects order by 1",
    )
    assert raw == [(DOCS, "abc123xyz"), (BLOG, None)]
    code, _ = run_dbt(SETTINGS_MODELS, config.duckdb_path, target_path=tmp_path / "dbt-target")
    assert code == 0
    assert _ids(config.duckdb_path) == {DOCS: "abc123xyz", BLOG: None}
    # unchanged settings add no row; a changed id adds one, and it is the one dbt reads
    ingest_at(offline, config, collection_time(2))
    changed = _with_id(config, DOCS, "newid42")
    ingest_at(offline, changed, collection_time(3))
    rows = query(
        config.duckdb_path, "select count(*) from clarity_raw.projects where project = ?", [DOCS]
    )
    assert rows == [(2,)]
    code, _ = run_dbt(SETTINGS_MODELS, config.duckdb_path, target_path=tmp_path / "dbt-target")
    assert code == 0
    assert _ids(config.duckdb_path) == {DOCS: "newid42", BLOG: None}


def test_a_raw_table_without_the_column_builds_with_no_id(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[DOCS], daily_budget=1)
    ingest_at(offline, config, collection_time(1))
    con = duckdb.connect(str(config.duckdb_path))
    try:  # as the loader wrote it before it recorded Clarity ids
        con.execute("alter table clarity_raw.projects drop column clarity_project_id")
    finally:
        con.close()
    code, _ = run_dbt(SETTINGS_MODELS, config.duckdb_path, target_path=tmp_path / "dbt-target")
    assert code == 0
    assert _ids(config.duckdb_path) == {DOCS: None}
