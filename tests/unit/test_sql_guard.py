"""The `query` tool's gate and limits: one SELECT over the marts goes through, everything else is
refused with the reason before it runs; on a small published-like file, refused statements leave
it byte for byte unchanged, big answers are capped and slow ones stopped."""

from __future__ import annotations

import hashlib
import time

import duckdb
import pytest

from ingestion.outputs.assistant import docs
from ingestion.outputs.assistant.queries import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_SECONDS,
    AnswerError,
    Limits,
    PublishedMarts,
)
from ingestion.outputs.assistant.sql_guard import MAX_SQL_CHARS, RefusedQuery, check_select

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
        # a CTE's name is visible only inside its own WITH: outside it is the system view
        (
            "select * from (with duckdb_databases as (select 1) select 1) as a, duckdb_databases",
            "duckdb_databases is not a table",
        ),
        # a CTE sees only the CTEs before it
        (
            "with a as (select * from duckdb_views), duckdb_views as (select 1) select * from a",
            "duckdb_views is not a table",
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
