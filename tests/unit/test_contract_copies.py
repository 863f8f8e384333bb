"""Definitions that live once in Python and are copied where Python cannot be imported: the six
frustration signals and the metric blocks (ingestion/api/contract.py), the kinds of raw values
(ingestion/load/parse.py), the names of secret URL parameters (ingestion/api/secrets.py). The
dbt project cannot import Python, and the offline service stands for the external API, so each
keeps its own list: these tests prove every copy agrees."""

from __future__ import annotations

import csv
import re

from clarity_tools.offline import catalog
from ingestion import PROJECT_ROOT
from ingestion.api import contract, secrets
from ingestion.load import parse

DBT = PROJECT_ROOT / "dbt_project"


def _macro_signals() -> list[tuple[str, str]]:
    text = (DBT / "macros" / "clarity_signals.sql").read_text()
    return re.findall(r"\{'key': '(\w+)', 'block': '(\w+)'\}", text)


def _seed_signals() -> list[tuple[str, str]]:
    with open(DBT / "seeds" / "clarity_signal_weights.csv", newline="") as handle:
        return [(row["signal"], row["metric_name"]) for row in csv.DictReader(handle)]


def test_the_dbt_macro_lists_the_contracts_signals_in_wire_order():
    assert _macro_signals() == [(s.key, s.block) for s in contract.SIGNALS]


def test_the_weights_seed_has_one_row_per_signal():
    assert sorted(_seed_signals()) == sorted((s.key, s.block) for s in contract.SIGNALS)


def test_the_offline_service_sends_the_contracts_blocks_in_wire_order():
    assert catalog.SIGNALS == contract.FRUSTRATION_BLOCKS
    assert catalog.DIMENSIONED_BLOCKS == contract.DIMENSIONED_BLOCKS
    assert catalog.ALL_BLOCKS == contract.ALL_BLOCKS
    assert catalog.VALID_DIMENSIONS == contract.VALID_DIMENSIONS


def test_the_dbt_pivot_reads_the_contracts_dimensioned_blocks():
    pivot = (DBT / "models" / "intermediate" / "int_snapshot_metrics_pivoted.sql").read_text()
    other = [b for b in contract.DIMENSIONED_BLOCKS if b not in contract.FRUSTRATION_BLOCKS]
    assert repr(other) in pivot


def _macro_value_columns() -> dict[str, list[str]]:
    text = (DBT / "macros" / "clarity_metric_value_columns.sql").read_text()
    return {
        kind: re.findall(r"'(\w+)'", body)
        for kind, body in re.findall(r"'(count|number)': \[([^\]]*)\]", text)
    }


def test_the_dbt_value_columns_are_the_loaders_counts_and_numbers():
    kinds = {"count": [], "number": []}
    for column, kind in parse.KNOWN_KEYS.values():
        if kind in kinds:
            kinds[kind].append(column)
    assert _macro_value_columns() == kinds


def _macro_secret_params() -> dict[str, list[str]]:
    text = (DBT / "macros" / "clarity_mask_secret_params.sql").read_text()
    return {
        kind: re.findall(r"'(\w+)'", body)
        for kind, body in re.findall(r"'(words|endings)': \[([^\]]*)\]", text)
    }


def test_the_dbt_secret_names_are_the_loaders():
    assert _macro_secret_params() == {
        "words": list(secrets.SECRET_NAME_WORDS),
        "endings": list(secrets.SECRET_NAME_ENDINGS),
    }
    # the project does not set the var: the macro's default, the loader's list, applies
    project = (DBT / "dbt_project.yml").read_text()
    assert not re.search(r"^\s*clarity_secret_params:", project, re.MULTILINE)
