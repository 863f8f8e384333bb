"""Signals as rows: fct_signal_daily holds each signal's counts as rows, and the wide marts'
`<signal>_*` columns are its pivot. Adding a signal takes a row of the seed
clarity_signal_weights and an entry of the macro clarity_signals(): a scratch copy of the project
with a seventh signal, built on the demo warehouse whose raw history got that signal's block,
solved again by `clarity solve`, has its rows in the long form, its columns in every wide mart
and its weight in the score (the solver names a signal by its block, and needs no change)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion import PROJECT_ROOT
from tests.child import CLARITY, run_python
from tests.integration.compare_revisions import build
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

# the made-up signal: a copy of the dead-click block under another name
NEW_KEY, NEW_BLOCK, NEW_WEIGHT = "frozen_click", "FrozenClickCount", 2.5
COPIED_KEY, COPIED_BLOCK = "dead_click", "DeadClickCount"
# the marts with each signal's base sessions, sessions and rate
FAMILY_MARTS = (
    "fct_site_daily",
    "fct_page_daily",
    "fct_segment_daily",
    "fct_site_windows",
    "fct_page_windows",
)
# the daily marts that pivot fct_signal_daily: their scope, dimension and scope key there
LONG_SCOPES = {
    "fct_site_daily": ("site", "null", "null"),
    "fct_page_daily": ("page", "null", "m.page_url"),
    "fct_segment_daily": ("segment", "m.dimension", "m.dimension_value"),
}


def _signals() -> list[str]:
    seed = PROJECT_ROOT / "dbt_project" / "seeds" / "clarity_signal_weights.csv"
    with seed.open(newline="") as handle:
        return [row["signal"] for row in csv.DictReader(handle)]


@pytest.mark.parametrize("mart", list(LONG_SCOPES))
def test_the_wide_columns_are_the_long_form_pivoted(built_warehouse, mart):
    scope, dimension, scope_key = LONG_SCOPES[mart]
    for signal in _signals():
        (rows, differing) = query(
            built_warehouse.path,
            f"""
            select count(*), count(*) filter (where not (
                m.{signal}_base_sessions = s.base_sessions
                and m.{signal}_sessions = s.sessions_with_signal
                and m.{signal}_rate is not distinct from
                    s.sessions_with_signal / nullif(s.base_sessions, 0)
            ))
            from marts.{mart} as m
            left join marts.fct_signal_daily as s
                on s.scope = '{scope}' and s.signal = '{signal}'
                and s.project = m.project and s.activity_date = m.activity_date
                and s.dimension is not distinct from {dimension}
                and s.scope_key is not distinct from {scope_key}
            """,
        )[0]
        assert rows > 0, mart
        assert differing == 0, f"{mart}.{signal}_*: {differing} rows differ from the long form"
    long_rows = query(
        built_warehouse.path,
        f"select count(*) from marts.fct_signal_daily where scope = '{scope}'",
    )[0][0]
    assert long_rows == rows * len(_signals()), mart


@pytest.fixture(scope="module")
def seventh_signal(built_warehouse, tmp_path_factory) -> Path:
    """The demo warehouse built by a copy of the project with a seventh signal, whose block in
    raw is a copy of the dead-click block."""
    folder = tmp_path_factory.mktemp("seventh-signal")
    project = folder / "dbt_project"
    shutil.copytree(
        PROJECT_ROOT / "dbt_project",
        project,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    with (project / "seeds" / "clarity_signal_weights.csv").open("a") as seed:
        seed.write(f'{NEW_KEY},{NEW_BLOCK},{NEW_WEIGHT},"A made-up signal of this test."\n')
    macro = project / "macros" / "clarity_signals.sql"
    entry = f"{{'key': '{NEW_KEY}', 'block': '{NEW_BLOCK}'}},\n    ]) }}}}"
    macro.write_text(macro.read_text().replace("\n    ]) }}", f"\n        {entry}", 1))
    assert NEW_BLOCK in macro.read_text()
    db = folder / "clarity.duckdb"
    shutil.copyfile(built_warehouse.path, db)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            f"insert into clarity_raw.metric_rows select * replace ('{NEW_BLOCK}' as metric_name) "
            f"from clarity_raw.metric_rows where metric_name = '{COPIED_BLOCK}'"
        )
    finally:
        con.close()
    # the solver reads every signal block of raw: solved again, the new block has its periods
    solved = run_python([*CLARITY, "solve"], env={"CLARITY_DUCKDB_PATH": str(db)})
    assert solved.returncode == 0, solved.stdout + solved.stderr
    build(project, db, folder / "target", ["--full-refresh"])
    return db


def test_the_seventh_signal_has_its_rows_in_the_long_form(seventh_signal):
    counts = dict(
        query(
            seventh_signal,
            "select signal, count(*) from marts.fct_signal_daily group by signal",
        )
    )
    assert set(counts) == {*_signals(), NEW_KEY}
    assert len(set(counts.values())) == 1, counts
    differing = query(
        seventh_signal,
        f"""
        select count(*)
        from marts.fct_signal_daily as new
        inner join marts.fct_signal_daily as copied
            on copied.signal = '{COPIED_KEY}'
            and (copied.project, copied.scope, copied.activity_date)
                = (new.project, new.scope, new.activity_date)
            and copied.dimension is not distinct from new.dimension
            and copied.scope_key is not distinct from new.scope_key
        where new.signal = '{NEW_KEY}'
            and (new.base_sessions, new.sessions_with_signal)
                <> (copied.base_sessions, copied.sessions_with_signal)
        """,
    )[0][0]
    assert differing == 0
    tested = query(
        seventh_signal,
        f"select count(*) from intermediate.int_signal_rates_tested where metric = '{NEW_KEY}'",
    )[0][0]
    assert tested > 0, "the alert rule does not test the new signal"


@pytest.mark.parametrize("mart", FAMILY_MARTS)
def test_the_seventh_signal_has_its_columns_in_every_wide_mart(seventh_signal, mart):
    differing, rows = query(
        seventh_signal,
        f"""
        select
            count(*) filter (where not (
                {NEW_KEY}_base_sessions = {COPIED_KEY}_base_sessions
                and {NEW_KEY}_sessions = {COPIED_KEY}_sessions
                and {NEW_KEY}_rate is not distinct from {COPIED_KEY}_rate
            )),
            count(*)
        from marts.{mart}
        """,
    )[0]
    assert rows > 0 and differing == 0, mart


@pytest.mark.parametrize(
    ("mart", "suffixes"),
    [
        ("fct_page_frustration_daily", ("rate_7d", "rate_28d")),
        ("fct_page_trends_weekly", ("rate",)),
    ],
)
def test_the_seventh_signal_has_its_rates_in_the_frustration_marts(seventh_signal, mart, suffixes):
    for suffix in suffixes:
        differing = query(
            seventh_signal,
            f"select count(*) from marts.{mart} "
            f"where {NEW_KEY}_{suffix} is distinct from {COPIED_KEY}_{suffix}",
        )[0][0]
        assert differing == 0, f"{mart}.{NEW_KEY}_{suffix}"


def test_the_score_uses_the_seventh_signals_weight(seventh_signal):
    weights = dict(query(seventh_signal, "select signal, weight from main.clarity_signal_weights"))
    assert weights[NEW_KEY] == NEW_WEIGHT
    terms = " + ".join(f"{weight} * {signal}_rate" for signal, weight in weights.items())
    rows = query(
        seventh_signal,
        f"select frustration_score, 100.0 * ({terms}) / {sum(weights.values())} "
        "from marts.fct_site_daily where frustration_score is not null",
    )
    assert rows
    for score, expected in rows:
        assert score == pytest.approx(expected, rel=1e-12)
