"""The "Did it work?" sentences (ingestion/outputs/report/effects.py) from rows shaped like
fct_annotation_effects: a clear change with its rates and z, too few sessions, an after window
not over, no clear change with the largest one, estimated days said, a page with no data."""

from __future__ import annotations

from datetime import date

from ingestion.outputs.report.effects import sentences, where

PAGE = "https://shop.example/checkout?step=2"


def _row(signal: str, **values) -> dict:
    row = {
        "annotation_id": "a1", "annotation_date": date(2026, 11, 12), "kind": "fix",
        "text": "new button", "scope": "page", "page_url": PAGE, "incident_id": None,
        "signal": signal, "effect_days": 14, "days_before": 14, "estimated_days_before": 0,
        "days_after": 14, "estimated_days_after": 0, "after_window_complete": True,
        "sessions_before": 2000, "sessions_with_signal_before": 162, "sessions_after": 3000,
        "sessions_with_signal_after": 69, "rate_before": 0.081, "rate_after": 0.023,
        "z": -9.57, "enough_sessions_before": True, "enough_sessions_after": True,
        "outcome": "lower",
    }  # fmt: skip
    return {**row, **values}


def test_a_clear_change_reads_as_rates_and_z():
    rows = [
        _row("rage_click"),
        _row("dead_click", rate_before=0.004, rate_after=0.0125, z=2.5, outcome="higher"),
        _row("quick_back", rate_before=0.05, rate_after=0.05, z=0.0, outcome="no_change"),
    ]
    assert sentences(rows) == [
        "rage clicks on /checkout?step=2: 8.1% -> 2.3% after the fix of 12 Nov (z = -9.6); "
        "dead clicks on /checkout?step=2: 0.40% -> 1.2% after the fix of 12 Nov (z = 2.5) "
        "(“new button”)."
    ]


def test_what_cannot_be_told_yet_is_said():
    short = [_row(s, sessions_before=40, sessions_after=12, outcome="too_few_sessions")
             for s in ("rage_click", "dead_click")]  # fmt: skip
    assert sentences(short) == [
        "/checkout?step=2: too few sessions to tell after the fix of 12 Nov (“new button”) "
        "(40 before, 12 after, over 14 days each side)."
    ]
    filling = [_row("rage_click", annotation_id="a2", scope="site", page_url=None, kind="release",
                    text="v2.3", days_after=5, after_window_complete=False,
                    outcome="after_window_incomplete")]  # fmt: skip
    assert sentences(filling) == [
        "the site: not enough days after yet: 5 of the 14 days after the release of 12 Nov "
        "(“v2.3”) have data so far."
    ]


def test_no_clear_change_names_the_largest_and_the_estimated_days():
    rows = [
        _row("quick_back", rate_before=0.045, rate_after=0.057, z=1.9, outcome="no_change",
             estimated_days_before=3),
        _row("rage_click", rate_before=0.02, rate_after=0.021, z=0.3, outcome="no_change",
             estimated_days_before=3),
    ]  # fmt: skip
    assert sentences(rows) == [
        "/checkout?step=2: no signal changed clearly after the fix of 12 Nov (“new button”) "
        "(largest: quick backs 4.5% -> 5.7%, z = 1.9; 3 estimated day(s) left out)."
    ]


def test_a_page_without_data_asks_for_its_url():
    empty = {"days_before": 0, "days_after": 0, "sessions_before": 0, "sessions_after": 0}
    rows = [_row("rage_click", **empty, rate_before=None, rate_after=None, z=None,
                 outcome="too_few_sessions")]  # fmt: skip
    assert sentences(rows) == [
        "/checkout?step=2: no daily value on either side of the fix of 12 Nov (“new button”): "
        "is it the page's URL as the report lists it?"
    ]


def test_where_is_the_path_or_the_site():
    assert where({"page_url": "https://shop.example/"}) == "/"
    assert where({"page_url": None}) == "the site"
    assert where({"page_url": float("nan")}) == "the site"
