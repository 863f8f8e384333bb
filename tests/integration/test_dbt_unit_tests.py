"""The dbt project's unit tests (YAML, next to the models they test), run once per suite: the
scheduled builds of every other test exclude them (SCHEDULED_BUILD)."""

from __future__ import annotations

import json

import pytest

from ingestion.transform.dbt_runner import run_dbt

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(built_warehouse, tmp_path):
    target = tmp_path / "unit"
    code, _ = run_dbt(
        ["test", "--select", "test_type:unit"], built_warehouse.path, target_path=target
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert code == 0, [r["unique_id"] for r in results if r["status"] != "pass"]
    assert len(results) >= 16, "the unit tests were not selected"
    assert {r["status"] for r in results} == {"pass"}
