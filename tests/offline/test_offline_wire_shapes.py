"""Shapes, types and quirks of offline project-live-insights bodies, fetched over real HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests

from clarity_tools.offline import OfflineClarity, ProjectSpec, large_project
from clarity_tools.offline.responses import build_response

from .conftest import BLOG, DOCS, SHOP, START, Api

SIGNAL_BLOCKS = [
    "DeadClickCount",
    "ExcessiveScroll",
    "RageClickCount",
    "QuickbackClick",
    "ScriptErrorCount",
    "ErrorClickCount",
]
NINE = [*SIGNAL_BLOCKS, "ScrollDepth", "Traffic", "EngagementTime"]
SIXTEEN = [*NINE, "Browser", "Device", "OS", "Country", "PageTitle", "ReferrerUrl", "PopularPages"]
NOW = START + timedelta(days=10, hours=9, minutes=30)

# The zero-traffic body as the contract describes it (written by hand for this project).
ZERO_SIGNAL_ROW = {
    "sessionsCount": "0",
    "sessionsWithMetricPercentage": 0,
    "sessionsWithoutMetricPercentage": 100,
    "pagesViews": "0",
    "subTotal": "0",
}
ZERO_TRAFFIC_BODY = [
    *({"metricName": name, "information": [ZERO_SIGNAL_ROW]} for name in SIGNAL_BLOCKS),
    {"metricName": "ScrollDepth", "information": [{"averageScrollDepth": None}]},
    {
        "metricName": "Traffic",
        "information": [
            {
                "totalSessionCount": "0",
                "totalBotSessionCount": "0",
                "distinctUserCount": "0",
                "pagesPerSessionPercentage": None,
            }
        ],
    },
    {"metricName": "EngagementTime", "information": [{"totalTime": None, "activeTime": None}]},
    *({"metricName": name, "information": []} for name in SIXTEEN[9:]),
]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.fixture
def at_now(service: OfflineClarity) -> OfflineClarity:
    service.clock.set(NOW)
    return service


def test_no_dimension_body_has_16_blocks_in_wire_order(api: Api, at_now: OfflineClarity) -> None:
    body = api.get(SHOP, numOfDays=1).json()
    assert isinstance(body, list)
    assert [block["metricName"] for block in body] == SIXTEEN
    assert all(set(block) == {"metricName", "information"} for block in body)


def test_counts_are_strings_and_percentages_are_numbers(api: Api, at_now: OfflineClarity) -> None:
    blocks = api.blocks(SHOP, numOfDays=1)
    for name in SIGNAL_BLOCKS:
        (row,) = blocks[name]
        assert set(row) == set(ZERO_SIGNAL_ROW)
        for key in ("sessionsCount", "pagesViews", "subTotal"):
            assert isinstance(row[key], str) and row[key].isdigit()
        with_pct, without_pct = (
            row["sessionsWithMetricPercentage"],
            row["sessionsWithoutMetricPercentage"],
        )
        assert _is_number(with_pct) and _is_number(without_pct)
        assert with_pct + without_pct == pytest.approx(100)
        assert round(with_pct, 2) == with_pct
    (traffic,) = blocks["Traffic"]
    assert all(
        isinstance(traffic[k], str)
        for k in ("totalSessionCount", "totalBotSessionCount", "distinctUserCount")
    )
    assert isinstance(traffic["pagesPerSessionPercentage"], float)
    assert blocks["DeadClickCount"][0]["sessionsCount"] == traffic["totalSessionCount"]
    assert _is_number(blocks["ScrollDepth"][0]["averageScrollDepth"])
    engagement = blocks["EngagementTime"][0]
    assert engagement["totalTime"].isdigit() and engagement["activeTime"].isdigit()
    assert int(engagement["activeTime"]) <= int(engagement["totalTime"])


def test_whole_percentages_are_json_integers(service: OfflineClarity) -> None:
    body = service.response(BLOG, ("URL",), 1, NOW)
    rows = [row for block in body[:6] for row in block["information"]]
    whole = [row for row in rows if row["sessionsWithMetricPercentage"] == 0]
    assert whole, "some page of the blog has no signal in a day"
    assert all(type(row["sessionsWithMetricPercentage"]) is int for row in whole)
    assert all(type(row["sessionsWithoutMetricPercentage"]) is int for row in whole)
    assert all(row["sessionsWithoutMetricPercentage"] == 100 for row in whole)


def test_top_lists_are_sorted_top_ten(api: Api, at_now: OfflineClarity) -> None:
    blocks = api.blocks(SHOP, numOfDays=3)
    for name in ("Browser", "Device", "OS", "Country", "PageTitle", "ReferrerUrl"):
        rows = blocks[name]
        assert 0 < len(rows) <= 10
        assert all(set(row) == {"name", "sessionsCount"} for row in rows)
        counts = [int(row["sessionsCount"]) for row in rows]
        assert counts == sorted(counts, reverse=True)
    assert len(blocks["Country"]) == 10 and len(blocks["PageTitle"]) == 10
    assert None in [row["name"] for row in blocks["ReferrerUrl"]], "direct traffic is null"
    pages = blocks["PopularPages"]
    assert len(pages) == 10 and all(set(row) == {"url", "visitsCount"} for row in pages)
    assert [int(r["visitsCount"]) for r in pages] == sorted(
        (int(r["visitsCount"]) for r in pages), reverse=True
    )
    devices = {row["name"] for row in blocks["Device"]}
    assert devices <= {"PC", "Mobile", "Tablet", "Email", "Other"}
    total = int(blocks["Traffic"][0]["totalSessionCount"])
    assert sum(int(row["sessionsCount"]) for row in blocks["Device"]) == total


def test_url_dimension_gives_nine_blocks_keyed_url(api: Api, at_now: OfflineClarity) -> None:
    body = api.get(DOCS, numOfDays=3, dimension1="URL").json()
    assert [block["metricName"] for block in body] == NINE
    blocks = {block["metricName"]: block["information"] for block in body}
    for name, rows in blocks.items():
        assert rows and all("Url" in row and "URL" not in row for row in rows), name
    urls = [row["Url"] for row in blocks["DeadClickCount"]]
    for name in NINE:
        if name != "Traffic":
            assert [row["Url"] for row in blocks[name]] == urls, name
    traffic = blocks["Traffic"]
    assert len(traffic) > len(urls)
    assert any(row["Url"] is None and row["totalSessionCount"] == "0" for row in traffic)
    bot_only = [row for row in traffic if row["Url"] and row["totalSessionCount"] == "0"]
    assert bot_only and all(int(row["totalBotSessionCount"]) > 0 for row in bot_only)
    assert any("wp-login.php" in row["Url"] or "localhost" in row["Url"] for row in bot_only)
    site_total = int(api.blocks(DOCS, numOfDays=3)["Traffic"][0]["totalSessionCount"])
    assert sum(int(row["sessionsCount"]) for row in blocks["DeadClickCount"]) > site_total


def test_segment_dimensions_give_one_row_per_combination(api: Api, at_now: OfflineClarity) -> None:
    blocks = api.blocks(SHOP, numOfDays=1, dimension1="Device", dimension2="Country")
    assert list(blocks) == NINE
    rows = blocks["RageClickCount"]
    pairs = [(row["Device"], row["Country"]) for row in rows]
    assert len(pairs) == len(set(pairs)) and all("Url" not in row for row in rows)
    assert len(blocks["Traffic"]) == len(rows)
    site_total = int(api.blocks(SHOP, numOfDays=1)["Traffic"][0]["totalSessionCount"])
    assert sum(int(row["sessionsCount"]) for row in rows) == site_total


def test_missing_campaign_is_a_null_value(api: Api, at_now: OfflineClarity) -> None:
    rows = api.blocks(SHOP, numOfDays=1, dimension1="Campaign", dimension2="Channel")["Traffic"]
    assert all(set(row) >= {"Campaign", "Channel"} for row in rows)
    direct = [row for row in rows if row["Channel"] == "Direct"]
    assert direct and all(row["Campaign"] is None for row in direct)
    assert any(isinstance(row["Campaign"], str) for row in rows)


def test_invalid_and_duplicate_dimensions_are_dropped(api: Api, at_now: OfflineClarity) -> None:
    plain = api.get(SHOP, numOfDays=1).json()
    assert api.get(SHOP, numOfDays=1, dimension1="Country/Region").json() == plain
    assert api.get(SHOP, numOfDays=1, dimension1="Foo", dimension2="url").json() == plain
    by_url = api.get(SHOP, numOfDays=1, dimension1="URL").json()
    assert api.get(SHOP, numOfDays=1, dimension1="URL", dimension2="URL").json() == by_url
    assert (
        api.get(SHOP, numOfDays=1, dimension1="Country/Region", dimension2="URL").json() == by_url
    )


def test_zero_traffic_before_the_simulated_period(api: Api, service: OfflineClarity) -> None:
    service.clock.set(START - timedelta(days=10))
    assert api.get(SHOP, numOfDays=3).json() == ZERO_TRAFFIC_BODY
    body = api.get(SHOP, numOfDays=3, dimension1="URL", dimension2="Device").json()
    assert body == [{"metricName": name, "information": []} for name in NINE]


def test_zero_traffic_project_without_sessions() -> None:
    quiet = ProjectSpec(
        name="quiet", host="quiet.example.com", daily_sessions=0, n_pages=3, site_kind="blog"
    )
    with OfflineClarity(projects=[quiet], seed=1, start=START, days=2) as service:
        service.clock.set(START + timedelta(days=1))
        with requests.Session() as http:
            api = Api(service, http)
            assert api.get("quiet", numOfDays=1).json() == ZERO_TRAFFIC_BODY
            empty = api.get("quiet", numOfDays=2, dimension1="Channel").json()
            assert empty == [{"metricName": name, "information": []} for name in NINE]


def test_blocks_are_capped_at_1000_rows_with_most_sessions() -> None:
    big = large_project()
    now = START + timedelta(days=1)
    with OfflineClarity(projects=[big], seed=3, start=START, days=1) as service:
        service.clock.set(now)
        with requests.Session() as http:
            body = (
                Api(service, http)
                .get(big.name, numOfDays=1, dimension1="URL", dimension2="Device")
                .json()
            )
        full = build_response(service.simulated(big.name), ("URL", "Device"), 1, now, row_cap=None)
    assert [len(block["information"]) for block in body] == [1000] * 9
    full_rows = full[0]["information"]
    assert len(full_rows) > 1000
    kept = {(row["Url"], row["Device"]) for row in body[0]["information"]}
    kept_min = min(int(row["sessionsCount"]) for row in body[0]["information"])
    dropped = [
        int(row["sessionsCount"]) for row in full_rows if (row["Url"], row["Device"]) not in kept
    ]
    assert max(dropped) <= kept_min


def test_response_method_matches_http_body(api: Api, service: OfflineClarity) -> None:
    now = datetime(2026, 10, 20, 7, 45, 12, tzinfo=START.tzinfo)
    service.clock.set(now)
    over_http = api.get(BLOG, numOfDays=2, dimension1="OS").json()
    assert over_http == service.response(BLOG, ("OS",), 2, now)
