"""Bodies shaped like the real API's (tests/fixtures/wire/, described in its README) loaded with
`clarity import` and built with dbt: the marts hold exactly the values a person computes by hand
from those bodies. Every expected value below is written out from the JSON, with its arithmetic.

Signal sessions are round(sessionsWithMetricPercentage x sessionsCount / 100) per raw row;
rates are those counts over the summed sessionsCount; page averages are weighted by the
sessions of each raw URL variant."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from ingestion.api import contract
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.child import CLARITY, run_python
from tests.integration.helpers import query

pytestmark = pytest.mark.integration

WIRE = Path(__file__).resolve().parents[1] / "fixtures" / "wire"
DOCS = "harborlight-docs"
SHOP = "harborlight-shop"
HOST = "https://docs.harborlight.example"
DAY = date(2026, 3, 11)
ONE_DAY_FETCH = datetime(2026, 3, 12, 0, 30, tzinfo=timezone.utc)
THREE_DAY_FETCH = datetime(2026, 3, 11, 0, 25, tzinfo=timezone.utc)
TOKENS = ("hl_7Fq2Kx9RwM", "hl_Zp4mW0eT3c")
SIGNALS = tuple(signal.key for signal in contract.SIGNALS)
MEASURES = ("sessions", "bot_sessions", "page_views", "avg_scroll_depth")
MEASURES += ("avg_total_time_seconds", "avg_active_time_seconds")


def _signals(base, **with_signal) -> dict:
    """`<signal>_base_sessions`, `<signal>_sessions` and `<signal>_rate` of every signal; `base`
    is one number for all or a dict per signal; unnamed signals had no session."""
    out = {}
    for signal in SIGNALS:
        n = base[signal] if isinstance(base, dict) else base
        k = with_signal.get(signal, 0)
        out |= {f"{signal}_base_sessions": n, f"{signal}_sessions": k}
        out[f"{signal}_rate"] = k / n if n else None
    return out


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wire")
    db = folder / "clarity.duckdb"
    result = run_python([*CLARITY, "import", str(WIRE)], env={"CLARITY_DUCKDB_PATH": str(db)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 file(s): 5 new, 0 already loaded" in result.stdout
    code, _ = run_dbt(SCHEDULED_BUILD, db, target_path=folder / "dbt-target")
    assert code == 0, "dbt build failed on the wire bodies"
    return db


def _rows(db: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _assert_row(actual: dict, expected: dict, where: str) -> None:
    for column, value in expected.items():
        if isinstance(value, float):
            assert actual[column] == pytest.approx(value, rel=1e-9), f"{where}: {column}"
        else:
            assert actual[column] == value, f"{where}: {column}"


# fct_site_daily / fct_site_windows of the one-day site body (57 sessions on 2026-03-11)
DOCS_DAY = {
    "sessions": 57,
    "bot_sessions": 3,
    "distinct_users": 61,  # more users than sessions, as the API sends it
    "page_views": 89,  # round(1.5614035087719298 x 57)
    "pages_per_session": 89 / 57,
    "avg_scroll_depth": 47.18,
    "avg_total_time_seconds": 143,
    "avg_active_time_seconds": 62,
    **_signals(
        {**dict.fromkeys(SIGNALS, 57), "script_error": 58},  # ScriptErrorCount says 58
        dead_click=8,  # round(14.04 x 57 / 100) = round(8.0028)
        rage_click=5,  # round(8.77 x 57 / 100) = round(4.9989)
        quick_back=2,  # round(3.51 x 57 / 100) = round(2.0007)
        script_error=15,  # round(25.86 x 58 / 100) = round(14.9988)
        error_click=3,  # round(5.26 x 57 / 100) = round(2.9982)
    ),
}
ZERO_DAY = {
    "sessions": 0,
    "bot_sessions": 0,
    "distinct_users": 0,
    "page_views": 0,
    "pages_per_session": None,
    "avg_scroll_depth": None,
    "avg_total_time_seconds": None,
    "avg_active_time_seconds": None,
    **_signals(0),
}
DOCS_THREE_DAYS = {
    "sessions": 164,
    "bot_sessions": 171,  # bots above sessions
    "distinct_users": 158,
    "page_views": 270,  # round(1.6463414634146341 x 164)
    "pages_per_session": 270 / 164,
    "avg_scroll_depth": 51.6,
    "avg_total_time_seconds": 171,
    "avg_active_time_seconds": 58,
    **_signals(
        {**dict.fromkeys(SIGNALS, 164), "script_error": 165},
        dead_click=20,  # round(12.2 x 1.64) = round(20.008)
        excessive_scroll=3,  # round(1.83 x 1.64) = round(3.0012)
        rage_click=11,  # round(6.71 x 1.64) = round(11.0044)
        quick_back=7,  # round(4.27 x 1.64) = round(7.0028)
        script_error=35,  # round(21.21 x 1.65) = round(34.9965)
        error_click=6,  # round(3.66 x 1.64) = round(6.0024)
    ),
}


def test_site_daily_holds_the_one_day_bodies(warehouse):
    rows = _rows(
        warehouse,
        "select * from marts.fct_site_daily where value_source = 'one_day_window' order by project",
    )
    assert [(r["project"], r["activity_date"]) for r in rows] == [(DOCS, DAY), (SHOP, DAY)]
    docs, shop = rows
    for row in rows:
        assert row["day_coverage"] == pytest.approx(23.5 / 24)  # 00:30 to 24:00
        assert row["fetched_at"] == ONE_DAY_FETCH
    _assert_row(docs, DOCS_DAY, "fct_site_daily docs")
    assert docs["rage_click_rate"] == pytest.approx(round(8.77 * 57 / 100) / 57)
    _assert_row(shop, ZERO_DAY, "fct_site_daily zero traffic")


def test_the_three_day_body_is_solved_into_its_three_dates(warehouse):
    # 164 sessions from 2026-03-08 00:25 to 03-11 00:25: no one-day window gives those dates,
    # so the solver splits the window into its three 24-hour periods, estimates that add up to it
    rows = query(
        warehouse,
        "select activity_date, value_source, sessions, sessions_error "
        "from marts.fct_site_daily where project = ? and activity_date < ? order by 1",
        [DOCS, DAY],
    )
    assert [(day, source) for day, source, _, _ in rows] == [
        (date(2026, 3, 8), "solved_estimate"),
        (date(2026, 3, 9), "solved_estimate"),
        (date(2026, 3, 10), "solved_estimate"),
    ]
    assert 164 - 1 <= sum(sessions for _, _, sessions, _ in rows) <= 164 + 1  # each rounded
    assert all(0 < error < 164 / 3 for _, _, _, error in rows)  # stated, and below the value
    solved = query(
        warehouse,
        "select sum(value) from clarity_solved.solved_periods where project = ? "
        "and dimensions = '' and measure = 'sessions' and kind = 'estimate'",
        [DOCS],
    )[0][0]
    assert solved == pytest.approx(164, abs=1e-6)


def test_site_windows_keep_every_body_with_its_nulls(warehouse):
    rows = _rows(
        warehouse,
        "select * from marts.fct_site_windows order by project, num_of_days desc",
    )
    assert [(r["project"], r["num_of_days"], r["chosen_for_date"]) for r in rows] == [
        (DOCS, 3, None),
        (DOCS, 1, DAY),
        (SHOP, 1, DAY),
    ]
    three_days, one_day, zero = rows
    assert (three_days["window_start_at"], three_days["window_end_at"]) == (
        datetime(2026, 3, 8, 0, 25, tzinfo=timezone.utc),
        THREE_DAY_FETCH,
    )
    _assert_row(three_days, DOCS_THREE_DAYS, "fct_site_windows 3 days")
    _assert_row(one_day, DOCS_DAY, "fct_site_windows 1 day")
    _assert_row(zero, ZERO_DAY, "fct_site_windows zero traffic")
    assert (zero["window_start_at"], zero["window_end_at"]) == (
        datetime(2026, 3, 11, 0, 30, tzinfo=timezone.utc),
        ONE_DAY_FETCH,
    )


# fct_page_daily of the one-day URL body: raw variants folded into pages, counts summed
PAGES = {
    f"{HOST}/": {
        "url_variant_count": 1,
        "sessions": 21,
        "bot_sessions": 1,
        "page_views": 30,  # 1.4285714285714286 x 21
        "avg_scroll_depth": 38.5,
        "avg_total_time_seconds": 96.0,
        "avg_active_time_seconds": 41.0,
        # 14.29 x .21 = 3.0009; 9.52 x .21 = 1.9992; 4.76 x .21 = 0.9996 (twice)
        **_signals(21, dead_click=3, rage_click=2, quick_back=1, script_error=1),
    },
    # /guide/ (12 sessions), /guide/index.html (5), /guide/#install (3), /guide/?utm_... (2)
    f"{HOST}/guide": {
        "url_variant_count": 4,
        "sessions": 22,  # 12 + 5 + 3 + 2
        "bot_sessions": 0,
        "page_views": 32,  # 1.5 x 12 + 1.4 x 5 + 1 x 3 + 2 x 2 = 18 + 7 + 3 + 4
        "avg_scroll_depth": 1427 / 22,  # (62.25 x 12 + 71 x 5 + 55 x 3 + 80 x 2) / 22
        "avg_total_time_seconds": 4301 / 22,  # (188 x 12 + 240 x 5 + 75 x 3 + 310 x 2) / 22
        "avg_active_time_seconds": 1465 / 22,  # (73 x 12 + 95 x 5 + 30 x 3 + 12 x 2) / 22
        **_signals(
            22,
            dead_click=2,  # 8.33 x .12 = 0.9996 -> 1; 33.33 x .03 = 0.9999 -> 1
            excessive_scroll=1,  # 8.33 x .12 -> 1
            rage_click=4,  # 16.67 x .12 = 2.0004 -> 2; 20 x .05 = 1; 50 x .02 = 1
            quick_back=1,  # 20 x .05 = 1
        ),
    },
    # /api/errors (9 sessions, 11 bots) and HTTPS://Docs.HarborLight.example:443/api/errors/?gclid=
    f"{HOST}/api/errors": {
        "url_variant_count": 2,
        "sessions": 11,  # 9 + 2
        "bot_sessions": 11,  # 11 + 0
        "page_views": 14,  # 1.2222222222222223 x 9 + 1.5 x 2 = 11 + 3
        "avg_scroll_depth": 579.6 / 11,  # (44.4 x 9 + 90 x 2) / 11
        "avg_total_time_seconds": 1304 / 11,  # (132 x 9 + 58 x 2) / 11
        "avg_active_time_seconds": 710 / 11,  # (66 x 9 + 58 x 2) / 11
        **_signals(
            11,
            dead_click=3,  # 22.22 x .09 = 1.9998 -> 2; 50 x .02 = 1
            rage_click=1,  # 11.11 x .09 = 0.9999 -> 1
            quick_back=1,  # 11.11 x .09 -> 1
            script_error=4,  # 33.33 x .09 = 2.9997 -> 3; 50 x .02 = 1
            error_click=2,  # 22.22 x .09 -> 2
        ),
    },
    # ?token=hl_7Fq2Kx9RwM and ?token=hl_Zp4mW0eT3c: one raw variant once masked
    f"{HOST}/account/confirm": {
        "url_variant_count": 1,
        "sessions": 2,
        "bot_sessions": 0,
        "page_views": 3,  # 1 x 1 + 2 x 1
        "avg_scroll_depth": 67.5,  # (100 + 35) / 2
        "avg_total_time_seconds": 28.0,  # (21 + 35) / 2
        "avg_active_time_seconds": 14.5,  # (9 + 20) / 2
        **_signals(2, rage_click=1, error_click=1),  # 100 % of the second one's session
    },
    # a Traffic row only: bots, no session
    f"{HOST}/wp-login.php": {
        "url_variant_count": 1,
        "sessions": 0,
        "bot_sessions": 4,
        "page_views": 0,
        "avg_scroll_depth": None,
        "avg_total_time_seconds": None,
        "avg_active_time_seconds": None,
        **_signals(0),
    },
}


def test_page_daily_folds_url_variants_and_sums_their_counts(warehouse):
    rows = _rows(
        warehouse,
        "select * from marts.fct_page_daily where value_source = 'one_day_window' "
        "order by page_url",
    )
    assert {r["page_url"] for r in rows} == set(PAGES)  # the "Url": null row is no page
    for row in rows:
        assert (row["project"], row["activity_date"]) == (DOCS, DAY)
        assert row["day_coverage"] == pytest.approx(23.5 / 24)
        _assert_row(row, PAGES[row["page_url"]], row["page_url"])


def test_dim_pages_spans_the_one_and_three_day_url_bodies(warehouse):
    rows = query(
        warehouse,
        "select page_url, page_host, page_path, url_variant_count, snapshot_count, is_bot_only, "
        "first_seen_at, last_seen_at from marts.dim_pages where project = ? order by page_url",
        [DOCS],
    )
    one, three = ONE_DAY_FETCH, THREE_DAY_FETCH
    host = "docs.harborlight.example"
    assert rows == [
        # /index.html (3 days) and / (1 day)
        (f"{HOST}/", host, "/", 2, 2, False, three, one),
        (f"{HOST}/account/confirm", host, "/account/confirm", 1, 1, False, one, one),
        (f"{HOST}/api/errors", host, "/api/errors", 2, 1, False, one, one),
        # /changelog/#v2-4 and /changelog/?utm_source=mastodon&utm_medium=social (3 days only)
        (f"{HOST}/changelog", host, "/changelog", 2, 1, False, three, three),
        # four variants of the one-day body and /guide of the three-day body
        (f"{HOST}/guide", host, "/guide", 5, 2, False, three, one),
        (f"{HOST}/search", host, "/search", 1, 1, True, three, three),
        (f"{HOST}/wp-login.php", host, "/wp-login.php", 1, 1, True, one, one),
    ]
    assert query(warehouse, "select count(*) from marts.dim_pages where project = ?", [SHOP]) == [
        (0,)
    ]


def test_the_null_url_row_is_kept_as_a_scope_but_never_a_page(warehouse):
    # Traffic's unattributed row of each URL body: users only, no session
    rows = query(
        warehouse,
        "select num_of_days, sessions, bot_sessions, distinct_users "
        "from intermediate.int_snapshot_metrics_pivoted "
        "where dimensions = 'URL' and page_url_raw is null order by num_of_days",
    )
    assert rows == [(1, 0, 0, 14), (3, 0, 0, 23)]
    assert query(
        warehouse,
        "select count(*) from marts.dim_pages where page_url is null or page_url = ''",
    ) == [(0,)]


def test_token_values_are_masked_from_staging_on(warehouse):
    raw = query(
        warehouse,
        "select count(*) from clarity_raw.metric_rows where url like '%token=hl_%'",
    )
    assert raw == [(2 * 9 + 1,)]  # as received: 9 blocks x 2 URLs, and one PopularPages row
    masked = query(
        warehouse,
        "select distinct page_url_raw from staging.stg_clarity__metric_rows "
        "where page_url_raw like '%/account/confirm%'",
    )
    assert masked == [(f"{HOST}/account/confirm?token=***",)]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('staging', 'intermediate', 'marts') "
            "and data_type = 'VARCHAR'"
        ).fetchall()
        leaks = [
            f"{schema}.{table}.{column}"
            for schema, table, column in columns
            if con.execute(
                f'select count(*) from {schema}.{table} where regexp_matches("{column}", ?)',
                ["|".join(TOKENS)],
            ).fetchone()[0]
        ]
    finally:
        con.close()
    assert len(columns) > 20 and leaks == []


def test_collection_days_around_the_bodies(warehouse):
    rows = query(
        warehouse,
        "select activity_date, missing_reason, site_value_source, snapshots_fetched "
        "from marts.fct_collection_daily "
        "where project = ? order by 1",
        [DOCS],
    )
    assert rows == [
        # covered by the three-day windows only: valued by the solver's estimates
        (date(2026, 3, 8), None, "solved_estimate", 0),
        (date(2026, 3, 9), None, "solved_estimate", 0),
        (date(2026, 3, 10), None, "solved_estimate", 0),
        (DAY, None, "one_day_window", 2),  # the two three-day bodies were fetched that day
        (date(2026, 3, 12), "awaiting_collection", None, 2),  # the day of the one-day fetches
    ]
