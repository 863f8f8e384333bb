"""`clarity mcp` seen by a real MCP client: the SDK's client starts the command as a subprocess
and talks to it over stdio, on the published copy of the demo warehouse. Every tool's answer is
checked against the marts; `query` refuses anything but one SELECT and leaves the copy
untouched; big and slow queries hit their limits; streamable HTTP on loopback answers too; and
the server keeps answering while `clarity run` writes and publishes a new day, which the next
call sees."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import anyio
import duckdb
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from clarity_tools.demo import SIMULATION_START, collection_moment
from clarity_tools.offline import OfflineClarity, default_projects
from ingestion import PROJECT_ROOT
from ingestion.outputs.assistant import docs
from ingestion.outputs.publish import publish
from tests.child import CLARITY, child_env, popen_python, project_folder
from tests.integration.conftest import DEMO_DAYS
from tests.integration.helpers import BLOG, query, run_cli, scalar

pytestmark = pytest.mark.integration

DOCS = "contoso-docs"  # the project with a planted regression: alerts and a clear top page
SHOP = "northwind-shop"
CLARITY_ID = "abc123xyz"  # contoso-docs's id in the published copy
TIMEOUT = 3  # the module's server stops a call after 3 s (the default is 10)
# a trillion-row join that no optimiser can shortcut: runs for minutes unless stopped
SLOW = (
    "select count(*) from range(1000000) as a, range(1000000) as b "
    "where (a.range * b.range) % 7 = 3"
)
TOOLS = {
    "list_projects",
    "site_daily",
    "pages_to_fix",
    "page_trend",
    "segment_breakdown",
    "top_list",
    "alerts",
    "incidents",
    "collection_health",
    "query",
}


class McpSession:
    """An MCP client session driven from synchronous tests (the client runs in a portal's
    event loop); the server's stderr goes to `log`."""

    def __init__(self, portal: BlockingPortal, client: Client, log: Path) -> None:
        self.portal = portal
        self.client = client
        self.log = log
        self.seconds: dict[str, list[float]] = {}  # answer times of successful calls

    def call(self, tool: str, **arguments):
        return self.portal.call(self.client.call_tool, tool, arguments)

    def answer(self, tool: str, **arguments) -> dict:
        started = time.perf_counter()
        result = self.call(tool, **arguments)
        self.seconds.setdefault(tool, []).append(time.perf_counter() - started)
        assert not result.is_error, (tool, result.content[0].text, self.log.read_text())
        assert json.loads(result.content[0].text) == result.structured_content
        return result.structured_content

    def refusal(self, tool: str, **arguments) -> str:
        result = self.call(tool, **arguments)
        assert result.is_error, (tool, result.structured_content)
        text = result.content[0].text
        assert "Traceback" not in text and str(PROJECT_ROOT) not in text, text
        return text


@asynccontextmanager
async def _connected(params: StdioServerParameters, log: Path):
    async with AsyncExitStack() as stack:
        errlog = stack.enter_context(log.open("w"))
        transport = stdio_client(params, errlog=errlog)
        yield await stack.enter_async_context(Client(transport, read_timeout_seconds=120))


@contextmanager
def mcp_server(*args: str, warehouse: Path, log: Path) -> Iterator[McpSession]:
    """`clarity mcp ARGS` as an MCP client starts it (a subprocess on stdio)."""
    env = {
        "CLARITY_DUCKDB_PATH": str(warehouse),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DO_NOT_TRACK": "1",
    }
    with (
        project_folder() as project,
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(
            _connected(
                StdioServerParameters(
                    command=sys.executable,
                    args=[*CLARITY, "mcp", *args],
                    env=child_env(project, env, base={}),
                    cwd=str(project),
                ),
                log,
            )
        ) as client,
    ):
        yield McpSession(portal, client, log)


@pytest.fixture(scope="module")
def published(built_warehouse, tmp_path_factory) -> Path:
    """The published copy of the demo warehouse, contoso-docs with a Clarity project id (as
    dim_projects carries it when `clarity_project_id` is configured)."""
    target = tmp_path_factory.mktemp("mcp") / "clarity_published.duckdb"
    path = publish(built_warehouse.path, target).path
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "update marts.dim_projects set clarity_project_id = ? where project = ?",
            [CLARITY_ID, DOCS],
        )
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def session(built_warehouse, published) -> Iterator[McpSession]:
    log = published.with_name("mcp-server.log")
    with mcp_server(
        "--db", str(published), "--timeout", str(TIMEOUT), warehouse=built_warehouse.path, log=log
    ) as client:
        yield client
    timings = ", ".join(
        f"{tool} {statistics.median(seconds) * 1000:.0f} ms"
        for tool, seconds in sorted(client.seconds.items())
    )
    print(f"\nMCP answer times on the demo warehouse (median per tool, client side): {timings}")


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lists_the_tools_and_serves_the_docs_blocks(session):
    tools = session.portal.call(session.client.list_tools).tools
    assert {tool.name for tool in tools} == TOOLS
    for tool in tools:
        assert len(tool.description) > 150, tool.name
        assert tool.annotations.read_only_hint is True
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), (tool.name, name)
    resources = session.portal.call(session.client.list_resources).resources
    uris = {str(resource.uri) for resource in resources}
    for name in (
        "clarity_session",
        "clarity_window",
        "clarity_day_coverage",
        "clarity_frustration_score",
        "clarity_alert_rule",
        "clarity_incident_rule",
    ):
        assert f"clarity://docs/{name}" in uris
    read = session.portal.call(session.client.read_resource, "clarity://docs/clarity_alert_rule")
    assert read.contents[0].text == docs.read_block("clarity_alert_rule")


def test_list_projects_gives_each_project_and_its_freshness(session, published):
    answer = session.answer("list_projects")
    expected = query(
        published,
        "select project, timezone, cast(last_activity_date as varchar), site_day_count "
        "from marts.dim_projects order by project",
    )
    got = [
        (p["project"], p["timezone"], p["last_activity_date"], p["site_day_count"])
        for p in answer["projects"]
    ]
    assert got == [tuple(row) for row in expected]
    assert all(p["last_collection_requests"] == 10 for p in answer["projects"])
    assert all(p["hours_since_last_fetch"] is not None for p in answer["projects"])


def test_site_daily_gives_a_days_sessions_coverage_and_source(session, published):
    day = date(2026, 10, 20)
    answer = session.answer(
        "site_daily",
        project=BLOG,
        start=str(day - timedelta(days=6)),
        end=str(day),
        metrics=["sessions", "rage_click_rate"],
    )
    assert len(answer["days"]) == 7 and answer["days"][-1]["activity_date"] == str(day)
    sessions, coverage, source = query(
        published,
        "select sessions, day_coverage, value_source from marts.fct_site_daily "
        "where project = ? and activity_date = ?",
        [BLOG, day],
    )[0]
    last = answer["days"][-1]
    assert (last["sessions"], last["day_coverage"], last["value_source"]) == (
        sessions,
        coverage,
        source,
    )
    assert set(last) >= {"rage_click_rate", "is_missing", "missing_reason"}
    week = scalar(
        published,
        "select sum(sessions) from marts.fct_site_daily where project = ? "
        "and activity_date between ? and ?",
        [BLOG, day - timedelta(days=6), day],
    )
    assert answer["summary"]["sessions_total"] == week
    default = session.answer("site_daily", project=BLOG)
    assert len(default["days"]) == 28
    assert default["end"] == str(
        scalar(
            published, "select last_activity_date from marts.dim_projects where project = ?", [BLOG]
        )
    )


def test_pages_to_fix_gives_the_top_page_and_its_excess(session, published):
    answer = session.answer("pages_to_fix", project=DOCS, limit=5)
    top_url, excess, sessions, on = query(
        published,
        "select page_url, excess_frustrated_sessions_7d, sessions_7d, activity_date "
        "from marts.fct_page_frustration_daily where project = ? and frustration_rank_7d = 1 "
        "order by activity_date desc limit 1",
        [DOCS],
    )[0]
    assert answer["date"] == str(on) and len(answer["pages"]) == 5
    top = answer["pages"][0]
    assert (top["rank"], top["page_url"], top["sessions_7d"]) == (1, top_url, sessions)
    assert top["excess_frustrated_sessions_7d"] == pytest.approx(excess)
    assert top_url.endswith("/docs/api/authentication")  # the planted regression
    earlier = session.answer("pages_to_fix", project=DOCS, date="2026-10-20", limit=1)
    assert earlier["date"] == "2026-10-20" and earlier["pages"][0]["rank"] == 1


def test_each_page_to_fix_links_to_its_recordings_and_heatmap_in_clarity(session):
    answer = session.answer("pages_to_fix", project=DOCS, limit=3)
    on = date.fromisoformat(answer["date"])
    for page in answer["pages"]:
        links = page["clarity"]
        for key, path in (("recordings", "impressions"), ("heatmap", "heatmaps")):
            parts = urlsplit(links[key])
            assert (parts.scheme, parts.netloc) == ("https", "clarity.microsoft.com")
            assert parts.path == f"/projects/view/{CLARITY_ID}/{path}"
            filters = parse_qs(parts.query, strict_parsing=True)
            assert filters["URL"] == [page["page_url"]]
            assert filters["start"] == [(on - timedelta(days=6)).isoformat()]
            assert filters["end"] == [on.isoformat()]
    assert "may stop working" in answer["notes"]
    # a project without an id: no link, and the answer says why
    blog = session.answer("pages_to_fix", project=BLOG, limit=1)
    assert blog["pages"][0]["clarity"]["recordings"] is None
    assert "set clarity_project_id" in blog["pages"][0]["clarity"]["note"]
    assert "set clarity_project_id" in blog["notes"]


def test_page_trend_gives_weekly_sessions_score_and_change(session, published):
    url = "https://docs.contoso.example/docs/api/authentication"
    answer = session.answer("page_trend", project=DOCS, page_url=url, weeks=3)
    expected = query(
        published,
        "select cast(week_start_date as varchar), sessions, score, score_change "
        "from marts.fct_page_trends_weekly where project = ? and page_url = ? "
        "order by week_start_date desc limit 3",
        [DOCS, url],
    )[::-1]
    got = [
        (w["week_start_date"], w["sessions"], w["score"], w["score_change"])
        for w in answer["weeks"]
    ]
    assert got == [tuple(row) for row in expected]
    hint = session.refusal("page_trend", project=DOCS, page_url="api/authentication")
    assert "did you mean" in hint and url in hint


def test_segment_breakdown_recombines_the_counts(session, published):
    answer = session.answer(
        "segment_breakdown", project=DOCS, dimension="Device", start="2026-10-26", end="2026-11-01"
    )
    expected = query(
        published,
        "select dimension_value, sum(sessions), "
        "sum(rage_click_sessions) / sum(rage_click_base_sessions) "
        "from marts.fct_segment_daily where project = ? and dimension = 'Device' "
        "and activity_date between '2026-10-26' and '2026-11-01' group by 1 order by 2 desc, 1",
        [DOCS],
    )
    got = [(s["dimension_value"], s["sessions"], s["rage_click_rate"]) for s in answer["segments"]]
    assert [g[:2] for g in got] == [tuple(row[:2]) for row in expected]
    assert [g[2] for g in got] == pytest.approx([row[2] for row in expected])
    assert sum(s["share_of_sessions"] for s in answer["segments"]) == pytest.approx(1)


def test_top_list_recombines_only_what_the_daily_lists_hold(session, published):
    answer = session.answer(
        "top_list",
        project=DOCS,
        list_name="referrer",
        start="2026-10-26",
        end="2026-11-01",
        by_host=True,
        limit=50,
    )
    expected = query(
        published,
        "select coalesce(referrer_host, item), sum(sessions), count(distinct activity_date) "
        "from marts.fct_top_list_daily where project = ? and list_name = 'referrer' "
        "and activity_date between '2026-10-26' and '2026-11-01' group by 1 order by 2 desc, 1",
        [DOCS],
    )
    got = [(i["item"], i["sessions"], i["days_listed"]) for i in answer["items"]]
    assert got == [tuple(row) for row in expected] and len(got) >= 10
    assert answer["days_with_lists"] == 7 and "not zero" in answer["notes"]
    pages = session.answer("top_list", project=DOCS, list_name="popular_page", limit=3)
    assert len(pages["items"]) == 3 and all(item["visits"] > 0 for item in pages["items"])
    known = scalar(
        published,
        "select count(*) from marts.dim_pages where page_id in (select unnest(?))",
        [[item["page_id"] for item in pages["items"]]],
    )
    assert known == 3  # popular pages join dim_pages
    refused = session.refusal("top_list", project=DOCS, list_name="device", by_host=True)
    assert "referrer" in refused


def test_answers_over_dates_say_how_many_have_a_value_and_of_which_kind(session, published):
    # seven dates around northwind-shop's outage, some of them solved estimates
    first = scalar(
        published,
        "select min(activity_date) from marts.fct_site_daily "
        "where project = ? and value_source = 'solved_estimate'",
        [SHOP],
    )
    start, end = first - timedelta(days=2), first + timedelta(days=4)
    exact, estimated = query(
        published,
        "select count(*) filter (where value_source <> 'solved_estimate'), "
        "count(*) filter (where value_source = 'solved_estimate') "
        "from marts.fct_site_daily where project = ? and activity_date between ? and ?",
        [SHOP, start, end],
    )[0]
    assert estimated > 0 and exact + estimated <= 7
    period = {"start": str(start), "end": str(end)}
    answers = {
        "pages_to_fix": session.answer("pages_to_fix", project=SHOP, date=str(end), limit=1),
        "segment_breakdown": session.answer(
            "segment_breakdown", project=SHOP, dimension="Device", **period
        ),
        "top_list": session.answer("top_list", project=SHOP, list_name="referrer", **period),
    }
    for tool, answer in answers.items():
        assert answer["completeness"] == {
            "dates": 7,
            "dates_with_value": exact + estimated,
            "exact": exact,
            "estimated": estimated,
        }, tool
        assert "completeness" in answer["notes"], tool
    # only one-day windows have top lists: never more dates with lists than exact dates
    assert answers["top_list"]["days_with_lists"] <= exact


def test_alerts_gives_every_alert_with_the_rules_numbers(session, published):
    answer = session.answer("alerts", project=DOCS, since="2026-01-01")
    count = scalar(published, "select count(*) from marts.fct_alerts where project = ?", [DOCS])
    assert count > 0 and answer["alert_count"] == count == len(answer["alerts"])
    first = answer["alerts"][0]
    assert {"observed", "expected", "strength", "sessions", "baseline_sessions", "rule"} <= set(
        first
    )
    assert first["observed"] > first["expected"] and first["strength"] >= 5
    assert session.answer("alerts", project=BLOG, since="2026-01-01")["alert_count"] == scalar(
        published, "select count(*) from marts.fct_alerts where project = ?", [BLOG]
    )
    tested, estimated = query(
        published,
        "select count(*) filter (where value_source <> 'solved_estimate'), "
        "count(*) filter (where value_source = 'solved_estimate') "
        "from marts.fct_site_daily where project = ?",
        [DOCS],
    )[0]
    assert (answer["days_tested"], answer["days_estimated_not_tested"]) == (tested, estimated)
    assert tested > 0 and "never tested" in answer["notes"]


def test_incidents_gives_one_row_per_episode_the_open_first(session, published):
    answer = session.answer("incidents", project=DOCS, since="2026-01-01")
    rows = query(
        published,
        "select incident_id, scope, page_url, opened_on, last_seen_on, alert_days, status "
        "from marts.fct_incidents where project = ? "
        "order by status = 'open' desc, last_seen_on desc, scope, page_url nulls first",
        [DOCS],
    )
    alerts = scalar(
        published,
        "select count(*) from marts.fct_alerts where project = ? and scope <> 'collection'",
        [DOCS],
    )
    assert answer["incident_count"] == len(rows) == len(answer["incidents"]) > 0
    assert sum(row[5] for row in rows if row[1] != "collection") == alerts > len(rows)
    assert [
        (i["incident_id"], i["scope"], i["page_url"], i["opened_on"], i["last_seen_on"])
        for i in answer["incidents"]
    ] == [(r[0], r[1], r[2], r[3].isoformat(), r[4].isoformat()) for r in rows]
    assert answer["open_count"] == sum(row[6] == "open" for row in rows)
    page = next(i for i in answer["incidents"] if i["scope"] == "page")
    assert page["peak_observed"] > page["peak_expected"] and page["peak_strength"] >= 5
    parts = urlsplit(page["clarity"]["recordings"])
    assert parts.path == f"/projects/view/{CLARITY_ID}/impressions"
    filters = parse_qs(parts.query, strict_parsing=True)
    assert (filters["URL"], filters["start"], filters["end"]) == (
        [page["page_url"]],
        [page["opened_on"]],
        [page["last_seen_on"]],
    )
    assert "clarity_incident_rule" in answer["notes"]
    assert "incidents tool" in session.answer("alerts", project=DOCS)["notes"]
    # an incident of BLOG names no link: it has no Clarity id
    assert "set clarity_project_id" in session.answer("incidents", project=BLOG)["notes"]


def test_collection_health_counts_requests_and_missing_days(session, published):
    answer = session.answer("collection_health", project=SHOP, days=60)
    requests, failed, missing = query(
        published,
        "select sum(requests), sum(failed_requests), count(*) filter (where is_missing) "
        "from marts.fct_collection_daily where project = ?",
        [SHOP],
    )[0]
    assert answer["totals"]["requests"] == requests
    assert answer["totals"]["failed_requests"] == failed
    assert len(answer["missing_days"]) == missing
    assert all(day["reason"] for day in answer["missing_days"])


def test_query_runs_one_select_over_the_marts(session, published):
    answer = session.answer(
        "query", sql="select project, count(*) as n from fct_alerts group by all order by 1"
    )
    assert answer["columns"] == ["project", "n"]
    expected = query(
        published, "select project, count(*) from marts.fct_alerts group by all order by 1"
    )
    assert answer["rows"] == [list(row) for row in expected]
    assert answer["truncated"] is False


def test_arguments_are_validated_with_clear_messages(session):
    assert "unknown project 'nope'; the projects are: contoso-docs" in session.refusal(
        "site_daily", project="nope"
    )
    assert "start: Input should be a valid date" in session.refusal(
        "site_daily", project=BLOG, start="last week"
    )
    assert "write dates as YYYY-MM-DD" in session.refusal(
        "alerts", project=BLOG, since="2026-13-01"
    )
    assert "after end" in session.refusal(
        "site_daily", project=BLOG, start="2026-10-20", end="2026-10-01"
    )
    assert "at most 366" in session.refusal(
        "site_daily", project=BLOG, start="2024-01-01", end="2026-10-01"
    )
    assert "limit: Input should be less than or equal to 100" in session.refusal(
        "pages_to_fix", project=BLOG, limit=1000
    )
    assert "'Device', 'Browser'" in session.refusal(
        "segment_breakdown", project=BLOG, dimension="Planet"
    )
    assert "rankings exist from" in session.refusal("pages_to_fix", project=BLOG, date="2020-01-01")
    assert "project is required" in session.refusal("alerts")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("delete from marts.fct_alerts", "DELETE statement"),
        ("create table marts.copied as select * from marts.fct_alerts", "CREATE statement"),
        ("attach '/tmp/other.duckdb' as other", "ATTACH statement"),
        ("copy (select * from marts.fct_alerts) to '/tmp/alerts.csv'", "COPY statement"),
        ("select * from read_csv('/etc/passwd')", "read_csv() reads files or URLs"),
        ("select * from read_json('http://127.0.0.1:9/x.json')", "read_json() reads files"),
        ("select 1; drop table marts.fct_alerts", "2 statements"),
        ("pragma database_list", "PRAGMA statement"),
        # a CTE does not see itself: the inner name would be DuckDB's catalog view
        (
            "with duckdb_databases as (select * from duckdb_databases) "
            "select * from duckdb_databases",
            "the CTE name duckdb_databases",
        ),
        (
            "with pg_settings as (select * from pg_settings) select * from pg_settings",
            "the CTE name pg_settings",
        ),
        ("select get_block_size('clarity_published')", "pragma_database_size"),
        ("select " + "coalesce(" * 900 + "1" + ")" * 900, "nested too deeply"),
    ],
)
def test_query_refuses_anything_but_one_select_and_leaves_the_copy_untouched(
    session, published, sql, reason
):
    before = _checksum(published)
    text = session.refusal("query", sql=sql)
    assert "refused:" in text and reason in text
    assert str(published.parent) not in text
    assert _checksum(published) == before


def test_a_million_rows_come_back_capped(session):
    answer = session.answer("query", sql="select range as n from range(1000000)")
    assert answer["row_count"] == answer["max_rows"] == 500 == len(answer["rows"])
    assert answer["truncated"] is True and "capped" in answer["note"]


def test_a_30_mb_answer_is_cut_at_the_default_byte_cap_within_the_time_limit(session):
    started = time.perf_counter()
    answer = session.answer("query", sql="select repeat('x', 60000) as x from range(500)")
    assert time.perf_counter() - started < TIMEOUT
    assert answer["truncated"] is True and answer["max_bytes"] == 1_000_000
    assert answer["row_count"] == len(answer["rows"]) == 16
    assert "cut after 16 rows" in answer["note"]


def test_information_schema_lists_the_marts_and_names_no_path(session, published):
    for view in ("schemata", "tables", "columns", "views"):
        answer = session.answer("query", sql=f"select * from information_schema.{view}")
        assert answer["row_count"] > 0
        assert str(published.parent) not in json.dumps(answer), view
    tables = session.answer(
        "query", sql="select table_name from information_schema.tables where table_schema = 'marts'"
    )
    assert ["fct_alerts"] in tables["rows"]


def test_a_query_past_the_time_limit_is_stopped(session):
    started = time.perf_counter()
    text = session.refusal("query", sql=SLOW)
    assert f"time limit of {TIMEOUT} s" in text
    assert time.perf_counter() - started < TIMEOUT + 10
    assert session.answer("query", sql="select 42 as answer")["rows"] == [[42]]


def test_streamable_http_on_loopback_answers_the_same(built_warehouse, published, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "mcp-http.log").open("w")
    project = tmp_path / "project"
    project.mkdir()
    server = popen_python(
        [*CLARITY, "mcp", "--db", str(published), "--http", str(port)],
        project,
        env={"CLARITY_DUCKDB_PATH": str(built_warehouse.path)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    async def ask() -> dict:
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            result = await client.call_tool("alerts", {"project": DOCS, "since": "2026-01-01"})
            return result.structured_content

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = anyio.run(ask)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert answer["alert_count"] == scalar(
        published, "select count(*) from marts.fct_alerts where project = ?", [DOCS]
    )


def test_the_server_answers_while_clarity_run_writes_and_publishes_a_new_day(
    built_warehouse, tmp_path
):
    folder = tmp_path / "warehouse"
    shutil.copytree(
        built_warehouse.folder, folder, ignore=shutil.ignore_patterns("dbt-target", "*published*")
    )
    warehouse = folder / "clarity.duckdb"
    copy = publish(warehouse).path
    last = scalar(
        copy, "select max(activity_date) from marts.fct_site_daily where project = ?", [BLOG]
    )
    new_day = collection_moment(DEMO_DAYS + 1)
    env = {
        "CLARITY_PUBLISHED_PATH": str(copy),
        "DBT_TARGET_PATH": str(folder / "dbt-target"),
        "DBT_LOG_PATH": str(folder / "dbt-target" / "logs"),
    }
    log = tmp_path / "mcp-server.log"
    with (
        OfflineClarity(
            projects=default_projects(),
            seed=7,
            start=SIMULATION_START,
            days=DEMO_DAYS + 2,
        ) as service,
        mcp_server("--db", str(copy), warehouse=warehouse, log=log) as session,
    ):
        assert session.answer("site_daily", project=BLOG)["end"] == str(last)
        service.clock.set(new_day)
        outcome: dict = {}
        job = threading.Thread(
            target=lambda: outcome.update(
                run=run_cli(service, folder, "run", "--now", new_day.isoformat(), env_extra=env)
            )
        )
        job.start()
        answered = 0
        while job.is_alive():
            answer = session.answer("pages_to_fix", project=BLOG, limit=3)
            assert answer["pages"], answer
            answered += 1
            time.sleep(0.2)
        job.join()
        run = outcome["run"]
        assert run.returncode == 0, run.stdout + run.stderr
        assert any(
            line.startswith("publish ") and " ok " in line for line in run.stdout.splitlines()
        ), run.stdout
        assert answered > 3
        after = session.answer("site_daily", project=BLOG)
    assert after["end"] == str(last + timedelta(days=1))
    assert after["days"][-1]["sessions"] == scalar(
        copy,
        "select sessions from marts.fct_site_daily where project = ? and activity_date = ?",
        [BLOG, last + timedelta(days=1)],
    )
    assert os.path.getsize(copy) > 0 and not list(folder.glob(".clarity_published.duckdb.tmp*"))
