"""The `query` tool's gate and limits: one SELECT over the marts goes through, everything else is
refused with the reason before it runs, on its parse tree and on the plan DuckDB binds; on a small
published-like file, refused statements leave it byte for byte unchanged, big answers are capped
in rows and bytes, slow ones (fetching included) stopped, and every failure is one sentence."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import anyio
import duckdb
import pytest
from mcp.server.mcpserver.exceptions import ToolError

from ingestion.outputs.assistant import docs, queries
from ingestion.outputs.assistant.queries import (
    CONNECTION_CONFIG,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_SECONDS,
    AnswerError,
    Limits,
    PublishedMarts,
)
from ingestion.outputs.assistant.server import build_server
from ingestion.outputs.assistant.sql_guard import (
    INFORMATION_SCHEMA_SOURCES,
    MAX_SQL_CHARS,
    RefusedQuery,
    UnboundQuery,
    check_plan,
    check_select,
)

MARTS = ("fct_alerts", "fct_site_daily", "dim_projects")
# a trillion-row join that no optimiser can shortcut: runs for minutes unless stopped
SLOW = (
    "select count(*) from range(1000000) as a, range(1000000) as b "
    "where (a.range * b.range) % 7 = 3"
)


@pytest.mark.parametrize(
    "sql",
    [
        "select project, count(*) from marts.fct_alerts group by project",
        "select * from fct_site_daily where project = 'p' order by activity_date;",
        "from marts.fct_alerts",
        "with recent as (select * from fct_site_daily) select count(*) from recent",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 3) "
        "select * from n",
        "select a.project from marts.fct_alerts as a join dim_projects as p using (project)",
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts'",
        "describe marts.fct_alerts",
        "summarize fct_site_daily",
        "select * from range(10) as r, generate_series(1, 3) as g",
        "select unnest([1, 2, 3])",
        "-- a comment; with a semicolon\nselect 1",
        "with recursive t as (select 1 as x union all select x + 1 from t where x < 3), "
        "u as (select * from t) select * from u",
        "with recursive t(x) using key (x) as (select 1 union select x + 1 from t where x < 3) "
        "select * from t",
        "with fct_alerts as (select * from fct_alerts where n > 0) select * from fct_alerts",
        "with columns as (select 1 as x) select * from columns",
        "select 'drop table x; delete from y' as text",
    ],
)
def test_one_select_over_the_marts_goes_through(sql):
    assert check_select(sql, MARTS).lower().lstrip("-").strip()


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("delete from marts.fct_alerts", "DELETE statement"),
        ("insert into marts.fct_alerts select * from marts.fct_alerts", "INSERT statement"),
        ("update marts.dim_projects set timezone = 'x'", "UPDATE statement"),
        ("create table marts.x as select 1", "CREATE statement"),
        ("drop table marts.fct_alerts", "DROP statement"),
        ("alter table marts.fct_alerts add column x int", "ALTER statement"),
        ("attach '/tmp/other.duckdb' as other", "ATTACH statement"),
        ("detach clarity_published", "DETACH statement"),
        ("copy (select * from marts.fct_alerts) to '/tmp/out.csv'", "COPY statement"),
        ("copy marts.fct_alerts from '/tmp/in.csv'", "COPY statement"),
        ("export database '/tmp/out'", "EXPORT statement"),
        ("pragma database_list", "PRAGMA statement"),
        ("set enable_external_access = true", "SET statement"),
        ("reset lock_configuration", "SET statement"),
        ("install httpfs", "LOAD statement"),
        ("load httpfs", "LOAD statement"),
        ("explain select 1", "EXPLAIN statement"),
        ("call pragma_version()", "CALL statement"),
        ("checkpoint", "statement; only a single SELECT"),
        ("use memory", "statement; only a single SELECT"),
        ("select 1; select 2", "2 statements"),
        ("select 1; delete from marts.fct_alerts", "2 statements"),
        ("select * from read_csv('/etc/passwd')", "read_csv() reads files or URLs"),
        ("select * from read_json('http://example.com/x.json')", "read_json() reads files"),
        ("select * from read_parquet('s3://bucket/x.parquet')", "read_parquet() reads files"),
        ("select * from read_text('/etc/hostname')", "read_text() reads files"),
        ("select * from glob('/etc/*')", "glob() reads files"),
        ("select * from '/etc/passwd'", "looks like a file or URL"),
        ("select * from 'https://example.com/data.csv'", "looks like a file or URL"),
        (
            "select count(*) from marts.fct_alerts where exists (select * from read_csv('x.csv'))",
            "read_csv()",
        ),
        ("select * from query('delete from marts.fct_alerts')", "table function query()"),
        ("select path from duckdb_databases()", "table function duckdb_databases()"),
        ("select * from duckdb_settings()", "table function duckdb_settings()"),
        ("select * from pragma_database_list()", "table function pragma_database_list()"),
        ("select * from duckdb_databases", "duckdb_databases is not a table of the marts"),
        ("select * from main.fct_alerts", "only the schemas marts and information_schema"),
        ("select * from system.main.duckdb_tables", "without a database prefix"),
        ("select * from clarity_published.marts.fct_alerts", "without a database prefix"),
        ("select current_setting('temp_directory')", "current_setting() is not available"),
        # a CTE's name is visible only inside its own WITH: outside it is whatever DuckDB finds
        (
            "select * from (with fct_other as (select 1) select 1) as a, fct_other",
            "fct_other is not a table",
        ),
        # a CTE sees only the CTEs before it
        (
            "with a as (select * from fct_later), fct_later as (select 1) select * from a",
            "fct_later is not a table",
        ),
        # ... and never itself: DuckDB binds the inner name to the catalog (or fails)
        ("with fct_self as (select * from fct_self) select * from fct_self", "fct_self is not"),
        # WITH RECURSIVE: only the recursive side of a UNION sees the CTE, not the anchor
        (
            "with recursive t as (select * from t union all select 1) select * from t",
            "t is not a table",
        ),
        ("with recursive t as (select * from t) select * from t", "t is not a table"),
        (
            "with recursive t as (select 1 as x union all by name select x from t) select 1",
            "t is not a table",
        ),
        ("show tables", "SHOW statements are not available"),
        ("show databases", "SHOW statements are not available"),
        ("pivot marts.fct_alerts on metric using count(*)", "runs as several (PIVOT does)"),
        ("selec 1", "does not parse"),
        ("", "empty"),
        ("   ;  ", "no statement"),
    ],
)
def test_anything_else_is_refused_with_the_reason(sql, reason):
    with pytest.raises(RefusedQuery) as refused:
        check_select(sql, MARTS)
    assert reason in str(refused.value)


def test_a_very_long_sql_is_refused():
    with pytest.raises(RefusedQuery, match="more than"):
        check_select("select 1 " + " " * MAX_SQL_CHARS, MARTS)


def test_the_defaults_are_500_rows_and_10_seconds():
    assert (DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_SECONDS) == (500, 10.0)
    assert Limits() == Limits(500, 10.0)


@pytest.fixture
def small_copy(tmp_path):
    """A file shaped like a published copy: schema marts with one table."""
    path = tmp_path / "clarity_published.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.fct_alerts as select 'p' as project, range as n from range(3)")
    con.close()
    return path


def _checksum(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "sql",
    [
        "delete from marts.fct_alerts",
        "create table marts.x as select 1",
        "attach '/tmp/x.duckdb' as x",
        "copy marts.fct_alerts to 'out.csv'",
        "select * from read_csv('/etc/passwd')",
        "select 1; drop table marts.fct_alerts",
        "pragma database_list",
    ],
)
def test_a_refused_statement_leaves_the_copy_unchanged_and_names_no_path(small_copy, sql):
    before = _checksum(small_copy)
    with pytest.raises(AnswerError) as refused:
        PublishedMarts(small_copy).query(sql)
    assert str(refused.value).startswith("refused:")
    assert str(small_copy.parent) not in str(refused.value)
    assert _checksum(small_copy) == before
    assert PublishedMarts(small_copy).query("select count(*) from fct_alerts")["rows"] == [[3]]


def test_a_million_rows_come_back_capped_and_say_so(small_copy):
    answer = PublishedMarts(small_copy, Limits(max_rows=500)).query("select * from range(1000000)")
    assert answer["row_count"] == 500 and len(answer["rows"]) == 500
    assert answer["truncated"] is True and "capped" in answer["note"]
    assert answer["rows"][-1] == [499]


def test_a_query_past_the_time_limit_is_stopped(small_copy):
    marts = PublishedMarts(small_copy, Limits(timeout_seconds=0.5))
    started = time.perf_counter()
    with pytest.raises(AnswerError, match="time limit of 0.5 s"):
        marts.query(SLOW)
    assert time.perf_counter() - started < 5
    assert marts.query("select 1")["rows"] == [[1]]  # the next call runs normally


def test_errors_of_the_database_name_no_path(small_copy):
    marts = PublishedMarts(small_copy)
    with pytest.raises(AnswerError) as failed:
        marts.query("select missing_column from fct_alerts")
    assert "Binder Error" in str(failed.value)
    assert str(small_copy.parent) not in str(failed.value)
    gone = PublishedMarts(small_copy.with_name("absent.duckdb"))
    with pytest.raises(AnswerError, match="clarity publish") as missing:
        gone.query("select 1")
    assert "absent" not in str(missing.value)


def test_the_docs_blocks_served_to_assistants_exist():
    found = docs.read_blocks()
    missing = [name for name in docs.ASSISTANT_DOCS if name not in found]
    assert not missing, f"docs blocks renamed or removed: {missing}"
    assert "two-proportion" in found["clarity_alert_rule"].text


# -- what DuckDB binds: CTEs named like the catalog, the bound plan, information_schema -------

CATALOG_NAMES = (
    "duckdb_databases",
    "duckdb_settings",
    "duckdb_secrets",
    "duckdb_tables",
    "pg_settings",
    "pragma_database_list",
    "sqlite_master",
)


@pytest.mark.parametrize("name", CATALOG_NAMES)
@pytest.mark.parametrize(
    "form",
    [
        # the inner name is DuckDB's catalog view: a CTE does not see itself
        "with {0} as (select * from {0}) select * from {0}",
        # nor does the anchor of a recursive one, nor a recursive CTE without a UNION
        "with recursive {0} as (select * from {0} union all select * from {0} where false) "
        "select * from {0}",
        "with recursive {0} as (select * from {0}) select * from {0}",
        # harmless bodies are refused all the same: the name is the problem
        "with {0} as (select 1 as x) select * from {0}",
    ],
)
def test_a_cte_named_like_a_catalog_view_is_refused(small_copy, name, form):
    sql = form.format(name)
    with pytest.raises(RefusedQuery, match=f"the CTE name {name} is a name of DuckDB's own"):
        check_select(sql, MARTS)
    with pytest.raises(AnswerError, match="rename the CTE") as refused:
        PublishedMarts(small_copy).query(sql)
    assert str(small_copy.parent) not in str(refused.value)


def test_recursive_ctes_run_and_a_cte_may_shadow_a_mart_table(small_copy):
    marts = PublishedMarts(small_copy)
    answer = marts.query(
        "with recursive t as (select 1 as x union all select x + 1 from t where x < 3) "
        "select x from t order by x"
    )
    assert answer["rows"] == [[1], [2], [3]]
    shadowing = "with fct_alerts as (select * from fct_alerts where n > 0) select count(*) "
    assert marts.query(shadowing + "from fct_alerts")["rows"] == [[2]]
    assert marts.query("with columns as (select 1 as x) select * from columns")["rows"] == [[1]]


@contextmanager
def _published_connection(path):
    """A connection as the tools open one (queries.PublishedMarts)."""
    con = duckdb.connect(str(path), read_only=True, config=CONNECTION_CONFIG)
    try:
        con.execute("use marts")
        yield con
    finally:
        con.close()


@pytest.mark.parametrize(
    ("sql", "source"),
    [
        # what the parse tree alone would take for the CTE's own rows
        (
            "with duckdb_databases as (select * from duckdb_databases) "
            "select path from duckdb_databases",
            "system.main.duckdb_databases",
        ),
        (
            "with recursive pg_settings as (select name, setting from pg_settings "
            "union all select * from pg_settings where false) select * from pg_settings",
            "system.main.duckdb_settings",
        ),
        ("select * from pragma_database_list", "system.main.duckdb_databases"),
        ("select * from duckdb_secrets()", "system.main.duckdb_secrets"),
        # a macro that reads a catalog function: no table in sight in the parse tree
        ("select get_block_size('x')", "system.main.pragma_database_size"),
        ("select current_setting('temp_directory')", "current_setting()"),
        # a table of the database that is not among the marts it was given
        ("select * from fct_alerts", "reads clarity_published.marts.fct_alerts"),
    ],
)
def test_the_bound_plan_refuses_what_is_not_a_mart(small_copy, sql, source):
    with _published_connection(small_copy) as con, pytest.raises(RefusedQuery) as refused:
        check_plan(con, sql, ["dim_projects"])
    assert source in str(refused.value)


def test_the_bound_plan_takes_marts_generators_and_information_schema(small_copy):
    with _published_connection(small_copy) as con:
        for sql in (
            "select * from fct_alerts, marts.fct_alerts as a, range(2), generate_series(1, 2)",
            "select * from unnest([1, 2])",
            "summarize fct_alerts",
            "select * from information_schema.tables, information_schema.columns",
            "with recursive t as (select 1 as x union all select x + 1 from t where x < 3) "
            "select * from t",
        ):
            check_plan(con, sql, ["fct_alerts"])
        with pytest.raises(UnboundQuery, match="Binder Error: Referenced column"):
            check_plan(con, "select missing_column from fct_alerts", ["fct_alerts"])


def test_a_macro_reading_the_catalog_is_refused_on_the_real_path(small_copy):
    check_select("select get_block_size('x')", MARTS)  # the parse tree sees a scalar call
    with pytest.raises(AnswerError, match="pragma_database_size"):
        PublishedMarts(small_copy).query("select get_block_size('x')")


def test_information_schema_reads_only_path_free_catalog_functions(small_copy):
    """information_schema stays open (clients list the marts with it), so what its views read
    is allowed in bound plans: exactly those functions, and none shows a path or setting."""
    with _published_connection(small_copy) as con:
        views = [
            row[0]
            for row in con.execute(
                "select view_name from duckdb_views() where schema_name = 'information_schema'"
            ).fetchall()
        ]
        plans = [
            con.execute(
                "select json_serialize_plan(?::varchar)", [f"select * from information_schema.{v}"]
            ).fetchone()[0]
            for v in views
        ]
        temp = con.execute("select current_setting('temp_directory')").fetchone()[0]
    read = {name for plan in plans for name in _sources(json.loads(plan))}
    assert read == INFORMATION_SCHEMA_SOURCES
    marts = PublishedMarts(small_copy)
    for view in views:
        text = json.dumps(marts.query(f"select * from information_schema.{view}"))
        for secret in (str(small_copy), str(small_copy.parent), temp):
            assert secret not in text, (view, secret)
    listed = marts.query(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    )
    assert listed["rows"] == [["fct_alerts"]]


def _sources(node) -> Iterator[str]:
    """The names of the table functions a plan reads (its LOGICAL_GET nodes)."""
    if isinstance(node, list):
        for item in node:
            yield from _sources(item)
    elif isinstance(node, dict):
        if node.get("type") == "LOGICAL_GET":
            yield node["qname"]["path"][-1]
        for value in node.values():
            yield from _sources(value)


# -- deep nesting and unexpected failures: one sentence each, no trace, no path -------------

DEEP = {
    "900 nested coalesce": "select " + "coalesce(" * 900 + "1" + ")" * 900,
    "5000 parentheses": "select " + "(" * 5000 + "1" + ")" * 5000,
    "300 nested subqueries": "select " + "(select " * 300 + "1" + ")" * 300,
    # flat when parsed, 700 levels deep once bound: the plan's depth is checked too
    "a chain of 350 CTEs": "with c0 as (select 1 as x), "
    + ", ".join(f"c{i} as (select * from c{i - 1})" for i in range(1, 350))
    + " select * from c349",
}


@pytest.mark.parametrize("sql", DEEP.values(), ids=DEEP.keys())
def test_a_deeply_nested_query_gets_one_sentence(small_copy, sql):
    with pytest.raises(AnswerError) as refused:
        PublishedMarts(small_copy).query(sql)
    text = str(refused.value)
    assert text.startswith("refused: ") and "nested too deeply" in text and "simplify it" in text
    assert "\n" not in text and "SET" not in text and "Traceback" not in text


def test_a_query_nested_within_the_limits_runs(small_copy):
    sql = "select " + "coalesce(" * 250 + "1" + ")" * 250 + " as x"
    assert PublishedMarts(small_copy).query(sql)["rows"] == [[1]]


def test_values_of_every_type_come_back_as_json(small_copy):
    answer = PublishedMarts(small_copy).query(
        "select time '10:00:01' as t, timetz '10:00:01+02' as tz, interval 90 second as i, "
        "'abc'::blob as b, {'a': [1, 2]} as s, 'nan'::double as n"
    )
    assert answer["rows"] == [["10:00:01", "10:00:01+02:00", 90.0, "616263", {"a": [1, 2]}, None]]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (OSError("[Errno 2] No such file: '/srv/secret/clarity.duckdb'"), "(OSError)"),
        (KeyError("/srv/secret"), "(KeyError)"),
    ],
)
def test_an_unexpected_failure_reaches_the_client_as_a_sentence(
    small_copy, monkeypatch, failure, expected
):
    def fail(self, sql):
        raise failure

    monkeypatch.setattr(PublishedMarts, "query", fail)
    server = build_server(small_copy)
    with pytest.raises(ToolError) as failed:
        anyio.run(server.call_tool, "query", {"sql": "select 1"})
    text = str(failed.value)
    assert text.startswith("query failed") and expected in text
    assert "/srv" not in text and "Traceback" not in text and "\n" not in text


# -- answers capped in bytes, the deadline over fetching and serialising --------------------


def test_the_defaults_cap_an_answer_at_a_megabyte():
    assert DEFAULT_MAX_BYTES == 1_000_000 == Limits().max_bytes
    assert Limits(500, 10.0, 2_000) == Limits(max_bytes=2_000)


def test_a_30_mb_answer_is_cut_at_the_byte_cap_and_says_at_how_many_rows(small_copy):
    started = time.perf_counter()
    answer = PublishedMarts(small_copy).query("select repeat('x', 60000) as x from range(500)")
    assert time.perf_counter() - started < 3
    assert answer["truncated"] is True and answer["max_bytes"] == 1_000_000
    rows = answer["row_count"]
    assert rows == len(answer["rows"]) == 16  # 16 values of 60 kB fit in 1 MB, 17 do not
    assert f"cut after {rows} rows" in answer["note"] and "1,000,000 bytes" in answer["note"]
    assert len(json.dumps(answer["rows"]).encode()) <= 1_000_000
    smaller = PublishedMarts(small_copy, Limits(max_bytes=200_000)).query(
        "select repeat('x', 60000) as x from range(500)"
    )
    assert smaller["row_count"] == 3 and "200,000 bytes" in smaller["note"]


def test_one_value_above_the_byte_cap_gives_no_rows_and_says_so(small_copy):
    answer = PublishedMarts(small_copy).query("select repeat('x', 5000000) as x")
    assert answer["rows"] == [] and "cut after 0 rows" in answer["note"]


def test_the_time_limit_covers_fetching_and_serialising(small_copy):
    # DuckDB makes these rows in milliseconds; turning 3 million list items into JSON takes
    # seconds, which the deadline must cover as it covers the query
    marts = PublishedMarts(small_copy, Limits(100_000, 0.5, 100_000_000))
    started = time.perf_counter()
    with pytest.raises(AnswerError, match="time limit of 0.5 s"):
        marts.query("select range(3000) as items from range(1000)")
    assert time.perf_counter() - started < 2
    assert marts.query("select 1")["rows"] == [[1]]


@pytest.fixture
def alerts_copy(tmp_path):
    """A published-like file with what the alerts tool reads: 200 alerts of one project and
    its days."""
    path = tmp_path / "clarity_published.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_projects as select 'p' as project, 'UTC' as timezone, "
        "date '2026-10-30' as last_activity_date, cast(null as varchar) as clarity_project_id"
    )
    con.execute(
        "create table marts.fct_collection_daily as select 'p' as project, "
        "date '2026-10-30' as activity_date"
    )
    con.execute(  # the day the alerts tool counts as tested
        "create table marts.fct_site_daily as select 'p' as project, "
        "date '2026-10-30' as activity_date, 'one_day_window' as value_source, "
        "100 as sessions, cast(null as double) as sessions_error"
    )
    con.execute(
        "create table marts.fct_alerts as select md5(range::varchar) as alert_id, 'p' as project, "
        "date '2026-10-30' - range::int as activity_date, 'page' as scope, 'rage_click' as metric, "
        "'https://example.com/' || range as page_url, 0.2 as observed, 0.1 as expected, "
        "6.0 as strength, 100 as sessions, 700 as baseline_sessions, repeat('r', 400) as rule "
        "from range(200)"
    )
    con.close()
    return path


def test_every_tool_fetches_within_the_byte_cap(alerts_copy):
    answer = PublishedMarts(alerts_copy).alerts("p", since=date(2026, 1, 1))
    assert answer["alert_count"] == 200 and answer["days_tested"] == 1
    with pytest.raises(AnswerError, match=r"would pass 20,000 bytes of JSON \(cut after \d+ rows"):
        PublishedMarts(alerts_copy, Limits(max_bytes=20_000)).alerts("p", since=date(2026, 1, 1))


def test_the_time_limit_covers_the_fetching_of_every_tool(alerts_copy, monkeypatch):
    slow = queries.plain

    def plain_slowly(value):
        time.sleep(0.001)
        return slow(value)

    monkeypatch.setattr(queries, "plain", plain_slowly)  # 200 rows x 12 values: >= 2.4 s
    with pytest.raises(AnswerError, match="time limit of 0.3 s"):
        PublishedMarts(alerts_copy, Limits(timeout_seconds=0.3)).alerts("p", date(2026, 1, 1))
