"""What the report says to explain itself: a "how to read this" per section from the dbt docs
blocks, the site score placed among its own days (marts.score_percentile over a hand-built
warehouse), value sources in words, sparkline labels and date axes that tick by whole days."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest
import yaml

from ingestion import PROJECT_ROOT
from ingestion.outputs import marts
from ingestion.outputs.assistant.docs import read_blocks
from ingestion.outputs.periods import MIN_HISTORY_DAYS, Placement
from ingestion.outputs.report import charts
from ingestion.outputs.report.data import HEATMAP_MIN_SESSIONS
from ingestion.outputs.report.page import HOW_TO_READ, how_to_read

END = date(2026, 11, 30)


def test_every_section_reads_its_how_to_read_from_a_docs_block():
    blocks = read_blocks()
    for key, _, _ in charts.SECTIONS:
        name = HOW_TO_READ.format(key=key)
        assert name in blocks, f"dbt_project/docs has no block {name}"
        text = how_to_read(key, blocks)
        assert text.startswith("How to read this: ") and 100 < len(text) < 700, key
        assert "`" not in text and "**" not in text and "\n" not in text
    # the heatmap's block states the minimum the chart applies
    assert f"({HEATMAP_MIN_SESSIONS}," in how_to_read("segments", blocks)
    with pytest.raises(KeyError):
        how_to_read("no_such_section", blocks)


def test_every_value_source_of_the_marts_has_a_label():
    spec = yaml.safe_load(
        (PROJECT_ROOT / "dbt_project/models/marts/core/fct_site_daily.yml").read_text()
    )
    [model] = spec["models"]
    [column] = [c for c in model["columns"] if c["name"] == "value_source"]
    [accepted] = [t["accepted_values"] for t in column["data_tests"] if "accepted_values" in t]
    sources = accepted["arguments"]["values"]
    assert set(charts.SOURCE_COLOURS) == set(sources)
    labels = [charts.source_label(source) for source in sources]
    assert len(set(labels)) == len(sources) and not set(labels) & set(sources)
    assert all(label.startswith(("exact: ", "estimate: ")) for label in labels)
    assert charts.source_label(None) == charts.source_label(float("nan")) == "no value"


@pytest.fixture
def scored(tmp_path):
    """One project with a daily score of 1, 2, ..., 40 on the 40 dates up to END (the five
    oldest of them solved estimates), one date 100 days back, and a second project of 10 days;
    100 sessions a day, so a 7-day score is the mean of the daily scores of its 7 days."""
    path = tmp_path / "clarity.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_site_daily (project varchar, activity_date date, "
        "value_source varchar, frustration_score double, sessions bigint)"
    )
    for back in range(40):
        source = "solved_estimate" if back >= 35 else "one_day_window"
        con.execute(
            "insert into marts.fct_site_daily values ('long', ?, ?, ?, 100)",
            [END - timedelta(days=back), source, float(40 - back)],
        )
    con.execute(
        "insert into marts.fct_site_daily values ('long', ?, 'one_day_window', 0.5, 100)",
        [END - timedelta(days=100)],  # outside the 90 days: not counted
    )
    con.execute(
        "insert into marts.fct_site_daily values ('long', ?, 'one_day_window', null, 100)",
        [END - timedelta(days=50)],  # no score: not counted
    )
    for back in range(10):
        con.execute(
            "insert into marts.fct_site_daily values ('short', ?, 'one_day_window', ?, 100)",
            [END - timedelta(days=back), float(back)],
        )
    con.close()
    return path


def test_a_score_is_placed_among_the_sites_own_days(scored):
    with marts.connect(scored) as con:
        reader = marts.records(con)
        long = reader.score_percentile("long", 10.5, END)
        top = reader.score_percentile("long", 41.0, END)
        earlier = reader.score_percentile("long", 10.5, END - timedelta(days=20))
        short = reader.score_percentile("short", 3.0, END)
        none = reader.score_percentile("nobody", 3.0, END)
    # the 7-day scores ending on the days of score k: (k + 1) / 2 for k = 1..6 (fewer days
    # before), k - 3 for k = 7..40; below 10.5: the six first and k = 7..13 (4 to 10)
    assert long == {
        "days": 90,
        "days_with_score": 40,
        "estimated_days": 5,
        "days_below": 13,
        "percentile": 32.5,
    }
    assert top["percentile"] == 100.0
    # 90 days ending 20 days earlier: k = 1..20, and the day of 100 days back alone (0.5)
    assert (earlier["days_with_score"], earlier["days_below"]) == (21, 14)
    # scores 9, 8, ..., 0 up to END: the 7-day score ending b days back is (b + min(b + 6, 9))
    # / 2, at least 3 (b = 0), so none is below 3.0
    assert (short["days_with_score"], short["days_below"]) == (10, 0)
    assert none["days_with_score"] == 0 and none["percentile"] is None
    placed = Placement.of(long)
    assert placed.made
    assert placed.sentence() == (
        "That is higher than 32% of the site's 7-day scores ending on its 40 days with a score "
        "of the last 90, 5 of them estimated (lower is better)."
    )
    for answer in (short, none):
        placement = Placement.of(answer)
        assert not placement.made
        assert placement.sentence().startswith(
            f"Not enough history to say whether that is high for this site: "
            f"{answer['days_with_score']} of its last 90 days have a score (at least "
            f"{MIN_HISTORY_DAYS} needed)."
        )


def test_a_sparkline_is_labelled_with_its_page_and_last_value():
    trend = pd.DataFrame(
        {
            "activity_date": pd.to_datetime(["2026-11-03", "2026-11-01", "2026-11-02"]),
            "score": [None, 4.0, 8.123],
        }
    )
    url = "https://shop.example/checkout?step=2"
    assert charts.spark_label(1, url, trend) == "1. shop.example/checkout?step=2 (last 8.12)"
    assert charts.spark_label(2, "http://localhost:3000/", trend.iloc[:1]) == (
        "2. localhost:3000/ (no value in the period)"
    )
    long = "https://docs.contoso.example/docs/api/authentication/tokens"
    label = charts.spark_label(3, long, trend)
    page = label.removeprefix("3. ").removesuffix(" (last 8.12)")
    assert len(page) == charts.SPARK_PAGE_CHARS and page == "…" + long[-39:]


@pytest.mark.parametrize(("days", "step"), [(1, 1), (3, 1), (8, 1), (9, 2), (28, 4), (90, 12)])
def test_a_date_axis_ticks_by_whole_days(days, step):
    dates = pd.Series(pd.date_range("2026-11-01", periods=days, freq="D"))
    axis = charts._date_axis(dates).to_dict()["axis"]
    ticks = [pd.Timestamp(t["year"], t["month"], t["date"]) for t in axis["values"]]
    assert ticks[0] == dates.min() and ticks[-1] <= dates.max()
    assert all((b - a).days == step for a, b in zip(ticks, ticks[1:], strict=False))
    assert len(ticks) <= charts.DATE_TICKS and axis["format"] == "%d %b"
