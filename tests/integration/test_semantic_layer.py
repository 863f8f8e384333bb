"""The semantic layer (dbt_project/models/semantic/): dbt parses and validates it (dbt-core checks
the semantic manifest on parse), the manifest holds the semantic models and metrics with the
measures and types BI queries rely on, and the time spine model builds. Signals are rows there
too: two measures of fct_signal_daily and a `signal` dimension, no metric per signal."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest

from ingestion import PROJECT_ROOT
from ingestion.transform.dbt_runner import run_dbt
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "clarity_signal_weights.csv"
SEMANTIC_MODELS = {
    "projects": "dim_projects",
    "site_daily": "fct_site_daily",
    "pages": "dim_pages",
    "page_daily": "fct_page_daily",
    "page_frustration_daily": "fct_page_frustration_daily",
    "signal_daily": "fct_signal_daily",
    "segment_daily": "fct_segment_daily",
    "top_list_daily": "fct_top_list_daily",
}
SPINE = "metricflow_time_spine"


def signal_weights() -> dict[str, float]:
    with SEED.open(newline="") as handle:
        return {row["signal"]: float(row["weight"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[dict, dict, Path]:
    """(manifest, semantic manifest, DuckDB file with the time spine built)."""
    folder = tmp_path_factory.mktemp("semantic")
    duckdb_path = folder / "clarity.duckdb"
    target = folder / "dbt-target"
    code, _ = run_dbt(["parse"], duckdb_path, target_path=target, quiet=True)
    assert code == 0, "dbt parse failed: the semantic manifest does not validate"
    code, _ = run_dbt(["build", "--select", SPINE], duckdb_path, target_path=target, quiet=True)
    assert code == 0, f"dbt build of {SPINE} (and its tests) failed"
    manifest = json.loads((target / "manifest.json").read_text())
    semantic = json.loads((target / "semantic_manifest.json").read_text())
    return manifest, semantic, duckdb_path


def _semantic_models(manifest: dict) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["semantic_models"].values()}


def _metrics(manifest: dict) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["metrics"].values()}


def _measures(manifest: dict) -> dict[str, tuple[str, dict]]:
    """Every measure by name: (its semantic model, the measure)."""
    return {
        measure["name"]: (model["name"], measure)
        for model in manifest["semantic_models"].values()
        for measure in model["measures"]
    }


def test_semantic_models_sit_on_the_marts(project):
    manifest, _, _ = project
    models = _semantic_models(manifest)
    assert set(models) == set(SEMANTIC_MODELS)
    for name, mart in SEMANTIC_MODELS.items():
        assert models[name]["depends_on"]["nodes"] == [f"model.clarity.{mart}"], name
        assert models[name]["node_relation"]["schema_name"] == "marts", name
        entities = {entity["name"]: entity["type"] for entity in models[name]["entities"]}
        # every metric can be grouped by project: the entity is shared by all semantic models
        assert entities["project"] == ("primary" if mart == "dim_projects" else "foreign"), name
    for name in (
        "site_daily",
        "page_daily",
        "page_frustration_daily",
        "signal_daily",
        "segment_daily",
        "top_list_daily",
    ):
        assert models[name]["defaults"]["agg_time_dimension"] == "activity_date"
        time_dimensions = {
            d["name"]: d["type_params"]["time_granularity"]
            for d in models[name]["dimensions"]
            if d["type"] == "time"
        }
        assert time_dimensions["activity_date"] == "day"


def test_counts_are_summed_and_nothing_is_averaged(project):
    manifest, _, _ = project
    measures = _measures(manifest)
    expected = {
        "sessions": "site_daily",
        "bot_sessions": "site_daily",
        "page_views": "site_daily",
        "page_sessions": "page_daily",
        "signal_sessions": "signal_daily",
        "signal_base_sessions": "signal_daily",
        "segment_sessions": "segment_daily",
        "top_list_sessions": "top_list_daily",
        "top_list_visits": "top_list_daily",
    }
    for name, model in expected.items():
        assert name in measures, f"measure {name} missing"
        assert measures[name][0] == model, name
        assert measures[name][1]["agg"] == "sum", name
    # percentages and averages never aggregate: no average measure anywhere
    assert not [name for name, (_, m) in measures.items() if m["agg"] in ("average", "median")]
    # a signal is a value of the `signal` dimension, not a family of measures
    assert not [name for name in measures for signal in signal_weights() if signal in name]


def test_segment_engagement_is_a_ratio_of_session_weighted_sums(project):
    _, semantic, _ = project
    metrics = {metric["name"]: metric for metric in semantic["metrics"]}
    for metric, numerator, denominator in (
        ("segment_avg_scroll_depth", "scroll_depth_weighted", "scroll_depth_sessions"),
        ("segment_avg_total_time_seconds", "total_time_weighted", "time_sessions"),
        ("segment_avg_active_time_seconds", "active_time_weighted", "time_sessions"),
        ("segment_pages_per_session", "pages_weighted", "pages_sessions"),
    ):
        params = metrics[metric]["type_params"]
        assert metrics[metric]["type"] == "ratio", metric
        assert params["numerator"]["name"] == f"segment_{numerator}", metric
        assert params["denominator"]["name"] == f"segment_{denominator}", metric


def test_window_values_of_the_frustration_mart_are_semi_additive(project):
    manifest, _, _ = project
    measures = _measures(manifest)
    for days in (7, 28):
        for name, agg in (
            (f"excess_frustrated_sessions_{days}d", "sum"),
            (f"max_page_shrunk_score_{days}d", "max"),
        ):
            model, measure = measures[name]
            assert model == "page_frustration_daily" and measure["agg"] == agg, name
            # a trailing-window value: the period's last date, never a sum over dates
            assert measure["non_additive_dimension"]["name"] == "activity_date", name
            assert measure["non_additive_dimension"]["window_choice"] == "max", name


def test_the_signal_rate_is_a_ratio_of_summed_counts_by_signal(project):
    manifest, _, _ = project
    metrics = _metrics(manifest)
    rate = metrics["signal_rate"]
    assert rate["type"] == "ratio"
    parts = (rate["type_params"]["numerator"]["name"], rate["type_params"]["denominator"]["name"])
    assert parts == ("signal_sessions", "signal_base_sessions")
    for part in parts:
        assert metrics[part]["type"] == "simple"
        assert metrics[part]["type_params"]["measure"]["name"] == part
    dimensions = {
        d["name"]: d["type"] for d in _semantic_models(manifest)["signal_daily"]["dimensions"]
    }
    for name in ("signal", "scope", "dimension", "scope_key"):
        assert dimensions[name] == "categorical", name
    for prefix in ("", "page_"):
        sessions = metrics[f"{prefix}sessions"]
        assert sessions["type"] == "simple"
        assert sessions["type_params"]["measure"]["name"] == f"{prefix}sessions"


def _filter(metric_input: dict) -> str:
    return " and ".join(
        where["where_sql_template"] for where in metric_input["filter"]["where_filters"]
    )


@pytest.mark.parametrize(
    ("name", "scope"), [("frustration_score", "site"), ("page_frustration_score", "page")]
)
def test_frustration_score_weights_are_the_seed_weights(project, name, scope):
    manifest, _, _ = project
    score = _metrics(manifest)[name]
    weights = signal_weights()
    assert score["type"] == "derived"
    inputs = {metric["alias"]: metric for metric in score["type_params"]["metrics"]}
    assert sorted(inputs) == sorted(weights)
    for signal, metric in inputs.items():
        # each term: the signal's recombined rate in the score's scope
        assert metric["name"] == "signal_rate", signal
        assert f"Dimension('signal_day__scope') }}}} = '{scope}'" in _filter(metric), signal
        assert f"Dimension('signal_day__signal') }}}} = '{signal}'" in _filter(metric), signal
    # evaluate the expression at rates that tell the signals apart: it must be
    # 100 x sum(w x rate) / sum(w) with the seed's weights
    rates = {signal: (i + 1) / 97 for i, signal in enumerate(weights)}
    expression = re.sub(r"[a-z_]+", lambda m: repr(rates[m.group(0)]), score["type_params"]["expr"])
    assert re.fullmatch(r"[0-9.e+\-*/() \n]+", expression), expression
    value = eval(expression, {"__builtins__": {}})  # digits and operators only
    expected = 100 * sum(w * rates[s] for s, w in weights.items()) / sum(weights.values())
    assert value == pytest.approx(expected, rel=1e-12)


def test_every_metric_has_a_label_and_a_description(project):
    manifest, _, _ = project
    metrics = _metrics(manifest)
    assert {"signal_rate", "frustration_score", "page_frustration_score"} <= set(metrics)
    assert not [m for m in metrics.values() if not m["label"] or not m["description"].strip()]


def test_the_time_spine_is_configured_and_builds(project):
    manifest, semantic, duckdb_path = project
    node = manifest["nodes"][f"model.clarity.{SPINE}"]
    assert node["time_spine"]["standard_granularity_column"] == "date_day"
    assert node["columns"]["date_day"]["granularity"] == "day"
    spines = semantic["project_configuration"]["time_spines"]
    assert [(s["node_relation"]["alias"], s["primary_column"]) for s in spines] == [
        (SPINE, {"name": "date_day", "time_granularity": "day"})
    ]
    schema = node["schema"]
    rows = query(
        duckdb_path,
        f"select count(*), count(distinct date_day), min(date_day), max(date_day), "
        f"typeof(min(date_day)) from {schema}.{SPINE}",
    )
    count, distinct, first, last, data_type = rows[0]
    assert (first, last, data_type) == (date(2020, 1, 1), date(2039, 12, 31), "DATE")
    assert count == distinct == (last - first).days + 1
