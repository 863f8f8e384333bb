"""The data-quality coverage report reads dbt's artifacts and flags marts without a grain test or
descriptions."""

import json

from ingestion.quality.coverage import coverage, report


def node(name, layer, description="", columns=None):
    return {
        "resource_type": "model",
        "name": name,
        "fqn": ["clarity", layer, name],
        "description": description,
        "columns": {c: {"description": d} for c, d in (columns or {}).items()},
    }


def data_test(name, model, **kwargs):
    return {
        "resource_type": "test",
        "attached_node": f"model.clarity.{model}",
        "test_metadata": {"name": name, "kwargs": kwargs},
    }


def write(tmp_path, nodes, catalog=None):
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    if catalog:
        (tmp_path / "catalog.json").write_text(json.dumps({"nodes": catalog}))


def test_a_covered_mart_and_the_problems_of_an_uncovered_one(tmp_path):
    nodes = {
        "model.clarity.fct_good": node(
            "fct_good",
            "marts",
            "one row per project and date",
            {"project": "the project", "activity_date": "the date"},
        ),
        "model.clarity.fct_bad": node("fct_bad", "marts", "", {"project": ""}),
        "model.clarity.stg_x": node("stg_x", "staging"),
        "test.1": data_test(
            "unique_combination", "fct_good", combination_of_columns=["project", "activity_date"]
        ),
        "test.2": data_test("not_null", "fct_good", column_name="project"),
        "test.3": data_test("not_null", "fct_good", column_name="activity_date"),
        "test.4": data_test("unique", "fct_bad", column_name="project"),
    }
    catalog = {
        "model.clarity.fct_good": {"columns": {"PROJECT": {}, "ACTIVITY_DATE": {}}},
        "model.clarity.fct_bad": {"columns": {"project": {}, "sessions": {}}},
    }
    write(tmp_path, nodes, catalog)
    models = {m.name: m for m in coverage(tmp_path)}
    assert models["fct_good"].grain == ["project", "activity_date"]
    assert models["fct_good"].problems == []
    bad = models["fct_bad"].problems
    assert "grain column(s) without not_null: project" in bad
    assert "no model description" in bad
    assert "undocumented column(s): project, sessions" in bad
    assert models["stg_x"].problems == []  # only marts must be fully covered
    text = report(list(models.values()))
    assert "1 mart(s) with problems" in text and "PROBLEM: no model description" in text


def test_a_mart_without_any_grain_test_fails(tmp_path):
    write(tmp_path, {"model.clarity.dim_x": node("dim_x", "marts", "d", {"a": "b"})})
    (model,) = coverage(tmp_path)
    assert model.problems == ["no unique-grain test"]
