"""Data-quality coverage of the real dbt project on the demo-like warehouse: after `dbt docs
generate`, every mart has a unique-grain test whose columns are also tested not null, a
description, and a description for every column it has; `clarity dq-coverage` prints every model
with its grain and exits 0."""

from __future__ import annotations

import pytest

from ingestion.quality.coverage import coverage
from ingestion.transform.dbt_runner import run_dbt
from tests.child import CLARITY, run_python
from tests.integration.helpers import query

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docs_target(built_warehouse, tmp_path_factory):
    target = tmp_path_factory.mktemp("dq-coverage") / "target"
    code, _ = run_dbt(["docs", "generate"], built_warehouse.path, target_path=target)
    assert code == 0, "dbt docs generate failed"
    assert (target / "catalog.json").exists()
    return target


def test_every_mart_has_a_not_null_grain_and_every_description(built_warehouse, docs_target):
    models = coverage(docs_target)
    marts = {model.name: model for model in models if model.layer == "marts"}
    built = {
        name
        for (name,) in query(
            built_warehouse.path,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    }
    assert set(marts) == built
    problems = {name: model.problems for name, model in marts.items() if model.problems}
    assert problems == {}
    for name, model in marts.items():
        assert model.grain and set(model.grain) <= model.not_null, name
        assert model.description.strip() and not model.undocumented, name
        assert len(model.columns) > 3, f"{name}: columns not read from the catalog"


def test_the_report_prints_every_model_with_its_grain(docs_target):
    result = run_python([*CLARITY, "dq-coverage", "--target", str(docs_target)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    models = coverage(docs_target)
    for model in models:
        grain = ", ".join(model.grain) if model.grain else "(none)"
        assert any(
            line.split()[:2] == [model.name, model.layer] and line.rstrip().endswith(grain)
            for line in lines
        ), f"{model.name} ({grain}) not in the report"
    assert lines[-1].endswith("every mart is covered")
    assert f"{len(models)} models" in lines[-1]
