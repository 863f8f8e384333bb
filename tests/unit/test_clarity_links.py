"""The links into the Clarity dashboard (ingestion/outputs/clarity_links.py): well formed with a
project id, the page percent-encoded and the period in them, no secret in any, and the fallbacks
(the project's dashboard without a page, no link without an id) said in the note."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from ingestion.outputs.clarity_links import CLARITY_HOME, NO_ID, clarity_links

PAGE = "https://shop.example/checkout?step=2&q=a b/ü"
START, END = date(2026, 11, 3), date(2026, 11, 9)


@pytest.mark.parametrize(("kind", "path"), [("recordings", "impressions"), ("heatmap", "heatmaps")])
def test_a_page_links_to_its_recordings_and_heatmap_over_the_period(kind, path):
    link = getattr(clarity_links("abc123xyz", PAGE, START, END), kind)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "clarity.microsoft.com")
    assert parts.path == f"/projects/view/abc123xyz/{path}"
    assert not parts.fragment
    query = parse_qs(parts.query, strict_parsing=True)
    assert query == {
        "date": ["Custom"],
        "start": ["2026-11-03"],
        "end": ["2026-11-09"],
        "URL": [PAGE],
    }
    # the page is one percent-encoded value: none of its own characters split the query
    assert "URL=https%3A%2F%2Fshop.example%2Fcheckout%3Fstep%3D2%26q%3Da%20b%2F%C3%BC" in link
    assert " " not in link and "ü" not in link


def test_the_note_names_the_period():
    links = clarity_links("abc123xyz", PAGE, START, END)
    assert (
        links.note == "recordings and heatmap of this page in Clarity, 03 Nov 2026 to 09 Nov 2026"
    )


def test_without_a_period_the_link_has_no_date_filter():
    query = parse_qs(urlsplit(clarity_links("abc123xyz", PAGE).heatmap).query)
    assert query == {"URL": [PAGE]}


@pytest.mark.parametrize(
    "page",
    [
        "https://shop.example/reset?token=***&step=2",  # as the marts hold it
        "https://shop.example/reset?token=s3cr3tValue99&step=2",  # not masked: masked here
        "https://shop.example/login?code=s3cr3tValue99&session=s3cr3tValue99",
    ],
)
def test_no_secret_reaches_a_link(page):
    links = clarity_links("abc123xyz", page, START, END)
    for link in (links.recordings, links.heatmap):
        assert "s3cr3tValue99" not in link
        assert parse_qs(urlsplit(link).query)["URL"][0].startswith("https://shop.example/")
    assert "%3D%2A%2A%2A" in links.heatmap  # the mask, percent-encoded


def test_without_a_page_both_links_are_the_projects_dashboard():
    links = clarity_links("abc123xyz", None, START, END)
    dashboard = "https://clarity.microsoft.com/projects/view/abc123xyz/dashboard"
    assert (links.recordings, links.heatmap) == (dashboard, dashboard)
    assert "dashboard" in links.note and "no page" in links.note


@pytest.mark.parametrize("project_id", [None, ""])
def test_without_an_id_there_is_no_link_and_the_note_says_why(project_id):
    links = clarity_links(project_id, PAGE, START, END)
    assert (links.recordings, links.heatmap) == (None, None)
    assert links.note == NO_ID and "clarity_project_id" in links.note
    assert links.as_dict() == {"recordings": None, "heatmap": None, "note": NO_ID}
    assert CLARITY_HOME == "https://clarity.microsoft.com/"
