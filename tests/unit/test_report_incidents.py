"""The report's incident rows: what, where, since when, the peak and the status, a person's
triage beside it."""

from __future__ import annotations

from datetime import date

from ingestion.outputs.report.page import INCIDENT_HEADERS, incident_cells

PAGE = {
    "project": "shop",
    "scope": "page",
    "page_url": "https://shop.example/checkout",
    "metric": "rage_click",
    "opened_on": date(2026, 11, 2),
    "last_seen_on": date(2026, 11, 5),
    "resolved_on": None,
    "status": "open",
    "resolution": None,
    "alert_days": 4,
    "peak_strength": 11.46,
    "peak_observed": 0.25,
    "peak_expected": 0.0075,
    "triage_status": None,
    "snoozed_until": None,
}


def test_a_page_incident_shows_its_peak_observed_against_expected():
    cells = incident_cells(PAGE)
    assert len(cells) == len(INCIDENT_HEADERS)
    assert cells == [
        "rage click",
        "https://shop.example/checkout",
        "02 Nov",
        "05 Nov",
        "4",
        "25.0% vs 0.75% (z 11.5)",
        "open",
    ]
    site = incident_cells({**PAGE, "scope": "site", "page_url": float("nan")})
    assert site[1] == "the whole site"


def test_the_status_says_resolved_when_and_a_persons_triage():
    resolved = {**PAGE, "status": "resolved", "resolved_on": date(2026, 11, 9)}
    assert (
        incident_cells({**resolved, "triage_status": "fixed"})[-1]
        == "resolved 09 Nov; marked fixed"
    )
    snoozed = {**PAGE, "triage_status": "snoozed", "snoozed_until": date(2026, 11, 20)}
    assert incident_cells(snoozed)[-1] == "open; snoozed until 20 Nov"
    assert incident_cells({**PAGE, "triage_status": "wont_fix"})[-1] == "open; won't fix"


def test_a_collection_incident_names_the_project_and_its_days():
    missed = {
        **PAGE,
        "scope": "collection",
        "page_url": None,
        "metric": "collection",
        "alert_days": 2,
        "peak_strength": 2.0,
        "peak_observed": 0.0,
        "peak_expected": 0.5,
        "status": "resolved",
        "resolved_on": date(2026, 11, 7),
        "resolution": "recovered",
    }
    cells = incident_cells(missed)
    assert cells[:2] == ["missed collection", "project shop"]
    assert cells[5:] == ["2 day(s), coverage 0.00", "resolved 07 Nov (recovered)"]
