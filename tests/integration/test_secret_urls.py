"""Secrets in raw URLs, in every form they take, through the real loader (`clarity import`) and
`dbt build`: raw keeps the URLs as received, and no column of staging, intermediate or marts
holds any of the secrets; page URLs hold no path parameter; harmless parameters stay readable.

Each secret is a distinct `SEC<nn>` value, so that a leak names its form."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.integration.helpers import import_bodies, query

pytestmark = pytest.mark.integration

PROJECT = "guarded-shop"
FETCHED_AT = "2026-03-12T00:30:00+00:00"
HOST = "https://shop.guarded.example"
# raw URL -> its normalised page URL
URLS = {
    f"{HOST}/login?id_token=SEC01&lang=en": f"{HOST}/login",
    f"{HOST}/cb#refresh_token=SEC02&access_token=SEC03": f"{HOST}/cb",
    f"{HOST}/oauth?client_secret=SEC04": f"{HOST}/oauth",
    f"{HOST}/api?x-api-key=SEC05": f"{HOST}/api",
    f"{HOST}/cart;jsessionid=SEC06?lang=en": f"{HOST}/cart",
    f"{HOST}/a;PHPSESSID=SEC07/b": f"{HOST}/a/b",
    f"{HOST}/s?sessid=SEC08&passwd=SEC09": f"{HOST}/s",
    f"{HOST}/o.png?X-Amz-Signature=SEC10&X-Amz-Credential=SEC11": f"{HOST}/o.png",
    f"{HOST}/t?auth_token=SEC12": f"{HOST}/t",
    f"{HOST}/r?next=%2Faccount%3Ftoken%3DSEC13": f"{HOST}/r",
    f"{HOST}/r2?next=%2Fa%3Fx%3D1%26password%3DSEC14": f"{HOST}/r2",
    f"{HOST}/p?a=1&amp;password=SEC15": f"{HOST}/p",
    "https://admin:SEC16@shop.guarded.example/admin": f"{HOST}/admin",
    f"{HOST}/k?keyword=boots&page=2&q=red&utm_source=news": f"{HOST}/k",
}
# in the site body's top lists: a referrer and a popular page
REFERRER = "https://mail.example.net/?auth=SEC17"
POPULAR = f"{HOST}/cart;jsessionid=SEC18"
SECRET = re.compile(r"SEC[0-9]{2}")
FRUSTRATION = (
    "DeadClickCount",
    "ExcessiveScroll",
    "RageClickCount",
    "QuickbackClick",
    "ScriptErrorCount",
    "ErrorClickCount",
)


def url_body() -> list[dict]:
    """A one-day URL body: 10 sessions on each URL, 10 % of them with each signal."""
    frustration = [
        {
            "metricName": name,
            "information": [
                {
                    "sessionsCount": "10",
                    "sessionsWithMetricPercentage": 10,
                    "sessionsWithoutMetricPercentage": 90,
                    "pagesViews": "1",
                    "subTotal": "1",
                    "Url": url,
                }
                for url in URLS
            ],
        }
        for name in FRUSTRATION
    ]
    traffic = [
        {
            "totalSessionCount": "10",
            "totalBotSessionCount": "0",
            "distinctUserCount": "9",
            "pagesPerSessionPercentage": 1.5,
            "Url": url,
        }
        for url in URLS
    ]
    return [
        *frustration,
        {
            "metricName": "ScrollDepth",
            "information": [{"averageScrollDepth": 50, "Url": url} for url in URLS],
        },
        {"metricName": "Traffic", "information": traffic},
        {
            "metricName": "EngagementTime",
            "information": [{"totalTime": "90", "activeTime": "30", "Url": url} for url in URLS],
        },
    ]


def site_body() -> list[dict]:
    sessions = str(10 * len(URLS))
    row = {"sessionsCount": sessions, "sessionsWithMetricPercentage": 10, "subTotal": "14"}
    return [
        *({"metricName": name, "information": [row]} for name in FRUSTRATION),
        {"metricName": "ScrollDepth", "information": [{"averageScrollDepth": 50}]},
        {"metricName": "Traffic", "information": [{"totalSessionCount": sessions}]},
        {"metricName": "EngagementTime", "information": [{"totalTime": "90"}]},
        *({"metricName": name, "information": []} for name in ("Browser", "Device", "OS")),
        {"metricName": "Country", "information": []},
        {"metricName": "PageTitle", "information": [{"name": "Log in", "sessionsCount": "10"}]},
        {"metricName": "ReferrerUrl", "information": [{"name": REFERRER, "sessionsCount": "3"}]},
        {"metricName": "PopularPages", "information": [{"url": POPULAR, "visitsCount": "10"}]},
    ]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("secret-urls")
    meta = {"project": PROJECT, "num_of_days": 1, "fetched_at": FETCHED_AT}
    db, _ = import_bodies(
        folder,
        {
            "url": ({**meta, "dimensions": ["URL"]}, url_body()),
            "site": ({**meta, "dimensions": []}, site_body()),
        },
    )
    code, _ = run_dbt(SCHEDULED_BUILD, db, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed on the secret URLs"
    return db


def test_raw_keeps_every_url_as_received(warehouse):
    raw = {
        value
        for (value,) in query(
            warehouse,
            "select coalesce(url, name) from clarity_raw.metric_rows "
            "where url is not null or name is not null",
        )
    }
    assert set(URLS) | {REFERRER, POPULAR} <= raw
    assert len({s for url in raw for s in SECRET.findall(url)}) == 18


def test_no_secret_reaches_staging_intermediate_or_marts(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('staging', 'intermediate', 'marts') "
            "and data_type = 'VARCHAR'"
        ).fetchall()
        leaks = {
            f"{schema}.{table}.{column}": found
            for schema, table, column in columns
            if (
                found := con.execute(
                    f'select distinct "{column}" from {schema}.{table} '
                    f"where regexp_matches(\"{column}\", '{SECRET.pattern}')"
                ).fetchall()
            )
        }
    finally:
        con.close()
    assert len(columns) > 20 and leaks == {}


def test_page_urls_drop_path_parameters_and_user_info(warehouse):
    pages = {
        url
        for (url,) in query(
            warehouse, "select page_url from marts.dim_pages where project = ?", [PROJECT]
        )
    }
    assert pages == set(URLS.values())
    daily = query(
        warehouse, "select distinct page_url from marts.fct_page_daily where project = ?", [PROJECT]
    )
    assert {url for (url,) in daily} == set(URLS.values())


def test_harmless_parameters_stay_readable_in_the_raw_url_columns(warehouse):
    staged = {
        url
        for (url,) in query(
            warehouse,
            "select distinct page_url_raw from intermediate.int_snapshot_metrics_pivoted "
            "where page_url_raw is not null",
        )
    }
    assert f"{HOST}/k?keyword=boots&page=2&q=red&utm_source=news" in staged
    assert f"{HOST}/login?id_token=***&lang=en" in staged
    assert f"{HOST}/cart;jsessionid=***?lang=en" in staged
    assert "https://***@shop.guarded.example/admin" in staged
