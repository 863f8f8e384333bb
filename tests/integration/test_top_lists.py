"""Top lists and segment engagement from wire-shaped bodies, through the real loader (`clarity
import`) and `dbt build`, checked against values computed by hand: a referrer URL with a secret
parameter, a referrer without a name, a page title with HTML entities, a popular page with utm
parameters; the top-10 semantics (an item absent from a day's list has no row: it is unknown,
not zero); and scroll depth, times and pages per session recombined by sessions over two days."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion.outputs import marts
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.integration.helpers import import_bodies, query

pytestmark = pytest.mark.integration

PROJECT = "tea-shop"
DAYS = {
    date(2026, 3, 11): "2026-03-12T00:30:00+00:00",
    date(2026, 3, 12): "2026-03-13T00:30:00+00:00",
}
FIRST, SECOND = DAYS
FRUSTRATION = (
    "DeadClickCount", "ExcessiveScroll", "RageClickCount", "QuickbackClick", "ScriptErrorCount",
    "ErrorClickCount",
)  # fmt: skip
MAIL = "https://Mail.Example.net/inbox?auth=SEC01&utm_source=x"
TEA = "https://shop.example/tea/?utm_source=news&utm_medium=email"
# per date: the ReferrerUrl, PageTitle and PopularPages rows of the site body
LISTS = {
    FIRST: (
        [
            (None, 19), (MAIL, 6), ("https://www.google.com/search?q=tea", 5),
            ("https://www.google.com/", 3),
        ],
        [("Tea &amp; Cake &#39;26 | Shop", 23)],
        [(TEA, 14), ("https://shop.example/tea", 4)],
    ),
    SECOND: ([(None, 10), ("https://www.google.com/", 8)], [("Shop", 12)], [(TEA, 9)]),
}  # fmt: skip
# per date and device: sessions, pages per session, scroll depth, total and active time
DEVICES = {
    FIRST: {"PC": (30, 2.0, 40.0, 100, 30), "Mobile": (10, 1.5, 70.0, 60, 20)},
    SECOND: {"PC": (10, 3.0, 80.0, 200, 50), "Mobile": (30, 1.0, 50.0, 40, 10)},
}


def site_body(day: date) -> list[dict]:
    referrers, titles, pages = LISTS[day]
    row = {"sessionsCount": "40", "sessionsWithMetricPercentage": 0, "subTotal": "0"}
    named = {"Browser": "Chrome", "Device": "PC", "OS": "Windows", "Country": "Germany"}
    return [
        *({"metricName": name, "information": [row]} for name in FRUSTRATION),
        {"metricName": "ScrollDepth", "information": [{"averageScrollDepth": 55}]},
        {"metricName": "Traffic", "information": [{"totalSessionCount": "40"}]},
        {"metricName": "EngagementTime", "information": [{"totalTime": "90", "activeTime": "25"}]},
        *(
            {"metricName": block, "information": [{"name": name, "sessionsCount": "40"}]}
            for block, name in named.items()
        ),
        {
            "metricName": "PageTitle",
            "information": [{"name": t, "sessionsCount": str(n)} for t, n in titles],
        },
        {
            "metricName": "ReferrerUrl",
            "information": [{"name": r, "sessionsCount": str(n)} for r, n in referrers],
        },
        {
            "metricName": "PopularPages",
            "information": [{"url": u, "visitsCount": str(n)} for u, n in pages],
        },
    ]


def device_body(day: date) -> list[dict]:
    devices = DEVICES[day]

    def rows(make) -> list[dict]:
        return [{**make(*values), "Device": device} for device, values in devices.items()]

    return [
        *(
            {
                "metricName": name,
                "information": rows(
                    lambda s, *_: {"sessionsCount": str(s), "sessionsWithMetricPercentage": 0}
                ),
            }
            for name in FRUSTRATION
        ),
        {"metricName": "ScrollDepth", "information": rows(lambda *v: {"averageScrollDepth": v[2]})},
        {
            "metricName": "Traffic",
            "information": rows(
                lambda s, pps, *_: {"totalSessionCount": str(s), "pagesPerSessionPercentage": pps}
            ),
        },
        {
            "metricName": "EngagementTime",
            "information": rows(lambda *v: {"totalTime": str(v[3]), "activeTime": str(v[4])}),
        },
    ]


def url_body() -> list[dict]:
    row = {"sessionsCount": "20", "sessionsWithMetricPercentage": 0, "Url": TEA}
    return [
        *({"metricName": name, "information": [row]} for name in FRUSTRATION),
        {"metricName": "Traffic", "information": [{"totalSessionCount": "20", "Url": TEA}]},
    ]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("top-lists")
    bodies = {}
    for day, fetched_at in DAYS.items():
        meta = {"project": PROJECT, "num_of_days": 1, "fetched_at": fetched_at}
        bodies[f"site-{day}"] = ({**meta, "dimensions": []}, site_body(day))
        bodies[f"device-{day}"] = ({**meta, "dimensions": ["Device"]}, device_body(day))
    bodies["url"] = (
        {"project": PROJECT, "num_of_days": 1, "fetched_at": DAYS[FIRST], "dimensions": ["URL"]},
        url_body(),
    )
    db, _ = import_bodies(folder, bodies)
    code, _ = run_dbt(SCHEDULED_BUILD, db, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed on the top-list bodies"
    return db


def _list(db: Path, day: date, list_name: str) -> list[tuple]:
    return query(
        db,
        "select item_rank, item, item_url, referrer_host, coalesce(sessions, visits), "
        "value_source from marts.fct_top_list_daily where project = ? and activity_date = ? "
        "and list_name = ? order by item_rank",
        [PROJECT, day, list_name],
    )


def test_referrers_are_masked_named_and_by_host(warehouse):
    assert _list(warehouse, FIRST, "referrer") == [
        (1, "(not set)", None, None, 19, "one_day_window"),
        (
            2,
            "https://Mail.Example.net/inbox?auth=***&utm_source=x",
            "https://mail.example.net/inbox",
            "mail.example.net",
            6,
            "one_day_window",
        ),
        (3, "https://www.google.com/search?q=tea", "https://www.google.com/search",
         "www.google.com", 5, "one_day_window"),
        (4, "https://www.google.com/", "https://www.google.com/", "www.google.com", 3,
         "one_day_window"),
    ]  # fmt: skip


def test_page_titles_are_decoded_and_popular_pages_join_dim_pages(warehouse):
    assert [row[1] for row in _list(warehouse, FIRST, "page_title")] == ["Tea & Cake '26 | Shop"]
    pages = query(
        warehouse,
        "select l.item_rank, l.item, l.item_url, l.visits, d.page_url "
        "from marts.fct_top_list_daily as l left join marts.dim_pages as d "
        "on l.page_id = d.page_id where l.project = ? and l.activity_date = ? "
        "and l.list_name = 'popular_page' order by l.item_rank",
        [PROJECT, FIRST],
    )
    tea = "https://shop.example/tea"
    assert pages == [(1, TEA, tea, 14, tea), (2, tea, tea, 4, tea)]


def test_an_item_absent_from_a_days_list_is_unknown_not_zero(warehouse):
    # mail.example.net is not in the second day's top 10: no row says 0 sessions for it
    second = _list(warehouse, SECOND, "referrer")
    assert [row[3] for row in second] == [None, "www.google.com"]
    with marts.connect(warehouse) as con:
        reader = marts.records(con)
        sites = reader.top_list(PROJECT, "referrer", FIRST, SECOND, by_host=True)
        days = reader.top_list_days(
            PROJECT, "referrer", ["mail.example.net"], FIRST, SECOND, by_host=True
        )
        pages = reader.top_list(PROJECT, "popular_page", FIRST, SECOND)
    got = {
        row["item"]: (row["sessions"], row["days_listed"], row["days_with_lists"]) for row in sites
    }
    # by hand: (not set) 19 + 10; google 5 + 3 + 8 over both days; mail only what day 1 holds
    assert got == {
        "(not set)": (29, 2, 2),
        "www.google.com": (16, 2, 2),
        "mail.example.net": (6, 1, 2),
    }
    assert [(d["activity_date"], d["sessions"]) for d in days] == [(FIRST, 6)]
    # the URL variants of one page in a list are disjoint visits: 14 + 4, then 9
    assert [(p["item"], p["visits"], p["days_listed"]) for p in pages] == [
        ("https://shop.example/tea", 27, 2)
    ]


def test_engagement_by_device_is_recombined_by_sessions(warehouse):
    daily = query(
        warehouse,
        "select activity_date, dimension_value, sessions, pages_per_session, avg_scroll_depth, "
        "avg_total_time_seconds, avg_active_time_seconds from marts.fct_segment_daily "
        "where project = ? and dimension = 'Device' order by 1, 2",
        [PROJECT],
    )
    assert daily == [
        (day, device, *values)
        for day, devices in DEVICES.items()
        for device, values in sorted(devices.items())
    ]
    with marts.connect(warehouse) as con:
        rows = marts.records(con).engagement_by_segment(PROJECT, "Device", FIRST, SECOND)
    got = {
        row["dimension_value"]: (
            row["sessions"], row["avg_scroll_depth"], row["avg_total_time_seconds"],
            row["avg_active_time_seconds"], row["pages_per_session"], row["days_measured"],
        )
        for row in rows
    }  # fmt: skip
    # by hand, PC: scroll (30 x 40 + 10 x 80) / 40 = 50, total (3000 + 2000) / 40 = 125,
    # active (900 + 500) / 40 = 35, pages (60 + 30) / 40 = 2.25; Mobile: (700 + 1500) / 40 = 55,
    # (600 + 1200) / 40 = 45, (200 + 300) / 40 = 12.5, (15 + 30) / 40 = 1.125
    assert got == {
        "PC": (40, *map(pytest.approx, (50, 125, 35, 2.25)), 2),
        "Mobile": (40, *map(pytest.approx, (55, 45, 12.5, 1.125)), 2),
    }
