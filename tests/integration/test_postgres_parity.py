"""The same offline-service data loaded into DuckDB and into a throwaway PostgreSQL server, both
built with dbt: every table of schema `marts` must be equal row for row across the two engines
(matched on the mart's key from dbt's manifest), with the same column types."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from ingestion.config import duckdb_warehouse
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from ingestion.warehouse.destination import PostgresSettings, Warehouse
from tests.integration.compare import mart_keys, marts_differences, type_family
from tests.integration.helpers import query
from tests.parity_data import (
    BUILD_VARS,
    DAYS,
    collect,
    parity_config,
    parity_service,
    record_annotations,
    snapshot_count,
)
from tests.postgres_server import postgres_server, server_bin_dir

pytestmark = pytest.mark.integration

# The data set (tests/parity_data.py): 3 projects x 12 days, project time zones away from
# UTC, a 4-day outage, a low alert threshold (BUILD_VARS).

# Floats: within compare.ENGINE_REL_TOL / ENGINE_ABS_TOL (why: in compare.py).
# Session time zones away from UTC (one with a half-hour offset) for the two builds: the models
# must give the same UTC dates and timestamps whatever the session's zone.
SESSION_ZONES = {"duckdb": "Asia/Kolkata", "postgres": "America/Los_Angeles"}
MARTS_SCHEMA = "marts"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) are not installed: "
    "apt-get install postgresql (.ci/run does it when they are missing)"
)


@dataclass
class Parity:
    duckdb: Path
    postgres_dsn: str
    target: Path  # dbt target of the DuckDB build (its manifest names the marts' keys)
    seconds: dict[str, float] = field(default_factory=dict)


def _build(name: str, duckdb_path: Path, folder: Path, pg_env: dict[str, str]) -> float:
    with pytest.MonkeyPatch.context() as env:
        args = [*SCHEDULED_BUILD, "--vars", BUILD_VARS]
        if name == "postgres":
            args += ["--target", "postgres"]
            for key, value in pg_env.items():
                env.setenv(key, value)
            env.setenv("PGTZ", SESSION_ZONES[name])  # libpq sets the session's TimeZone
        else:
            env.setenv("TZ", SESSION_ZONES[name])  # DuckDB's default TimeZone setting
        code, seconds = run_dbt(args, duckdb_path, target_path=folder / f"dbt-{name}", quiet=True)
    assert code == 0, (
        f"dbt build failed on {name}: see {folder / f'dbt-{name}' / 'logs' / 'dbt.log'}"
    )
    return seconds


@pytest.fixture(scope="module")
def parity(tmp_path_factory) -> Iterator[Parity]:
    if server_bin_dir() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the PostgreSQL parity test: {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    folder = tmp_path_factory.mktemp("postgres-parity")
    with postgres_server() as pg:
        pg_env = pg.env()
        postgres = Warehouse(
            "postgres",
            postgres=PostgresSettings(pg.host, pg.port, pg.user, pg.password, pg.database),
        )
        services = {name: parity_service() for name in ("duckdb", "postgres")}
        for service in services.values():
            service.start()
        try:
            configs = {
                "duckdb": parity_config(
                    services["duckdb"],
                    folder / "duckdb",
                    duckdb_warehouse(folder / "duckdb" / "clarity.duckdb"),
                ),
                "postgres": parity_config(services["postgres"], folder / "postgres", postgres),
            }
            started = time.perf_counter()
            # each day, one ingest into DuckDB and one into PostgreSQL
            collect(services, configs, range(1, DAYS + 1))
            for config in configs.values():
                record_annotations(config.warehouse)
            ingest_seconds = time.perf_counter() - started
        finally:
            for service in services.values():
                service.stop()
        duckdb_path = configs["duckdb"].duckdb_path
        seconds = {"ingest (both)": ingest_seconds}
        for name in ("duckdb", "postgres"):
            seconds[name] = _build(name, duckdb_path, folder, pg_env)
        yield Parity(duckdb_path, pg.dsn, folder / "dbt-duckdb", seconds)


# ------------------------------------------------------------------ reading


def _columns(parity: Parity, engine: str, table: str) -> list[tuple[str, str]]:
    """(name, data type) of each column of a mart on one engine, in order."""
    sql = (
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{MARTS_SCHEMA}' and table_name = '{table}' "
        "order by ordinal_position"
    )
    return [(name, data_type.lower()) for name, data_type in _fetch(parity, engine, sql)]


def _fetch(parity: Parity, engine: str, sql: str) -> list[tuple]:
    if engine == "duckdb":
        return query(parity.duckdb, sql)
    with psycopg2.connect(parity.postgres_dsn) as con, con.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


# ------------------------------------------------------------------ tests


def test_both_warehouses_hold_the_same_raw_data(parity):
    sql = (
        "select snapshot_id, body_sha256, num_of_days, dimensions "
        "from clarity_raw.snapshots order by snapshot_id"
    )
    duck_snapshots, pg_snapshots = _fetch(parity, "duckdb", sql), _fetch(parity, "postgres", sql)
    count = "select count(*) from clarity_raw.metric_rows"
    assert _fetch(parity, "duckdb", count) == _fetch(parity, "postgres", count)
    assert len(duck_snapshots) == snapshot_count(DAYS)
    assert duck_snapshots == pg_snapshots
    nested = "select count(*) from clarity_raw.snapshots where num_of_days = 2"
    assert _fetch(parity, "duckdb", nested) == _fetch(parity, "postgres", nested) != [(0,)]


def _tables(parity: Parity, engine: str) -> set[str]:
    sql = f"select table_name from information_schema.tables where table_schema = '{MARTS_SCHEMA}'"
    return {row[0] for row in _fetch(parity, engine, sql)}


def test_every_mart_is_on_both_engines_with_a_key(parity):
    duck_tables = _tables(parity, "duckdb")
    assert duck_tables == _tables(parity, "postgres")
    assert set(mart_keys(parity.target)) == duck_tables, "a mart without a unique-grain test"


def test_every_mart_column_has_the_same_type_on_both_engines(parity):
    differences = []
    for table in sorted(mart_keys(parity.target)):
        duck = dict(_columns(parity, "duckdb", table))
        pg = dict(_columns(parity, "postgres", table))
        assert list(duck) == list(pg), f"{table}: columns differ"
        differences += [
            f"{table}.{name}: duckdb {duck[name]} vs postgres {pg[name]}"
            for name in duck
            if type_family(duck[name]) != type_family(pg[name], "postgres")
        ]
    assert not differences, "\n".join(differences)


def test_every_mart_is_equal_on_duckdb_and_postgres(parity, capsys):
    keys = mart_keys(parity.target)
    differences, compared = marts_differences(
        parity.duckdb,
        parity.postgres_dsn,
        keys,
        schema=MARTS_SCHEMA,
        labels=("duckdb", "postgres"),
    )
    with capsys.disabled():
        seconds = parity.seconds
        print(
            f"\nparity: {sum(compared.values())} mart rows compared; dbt build "
            f"DuckDB {seconds['duckdb']:.1f} s, PostgreSQL {seconds['postgres']:.1f} s "
            f"(ingestion into both {seconds['ingest (both)']:.1f} s)"
        )
        for table, rows in compared.items():
            print(f"  {table:28} {rows:7} rows  key {', '.join(keys[table])}")
    assert not differences, "\n".join(differences)
    empty = [table for table, rows in compared.items() if rows == 0]
    assert not empty, f"marts without rows prove nothing: {empty}"
    scopes = {
        row[0] for row in _fetch(parity, "postgres", "select distinct scope from marts.fct_alerts")
    }
    assert {"site", "page", "collection"} <= scopes, f"alerts compared: {scopes}"
    sources = _fetch(parity, "postgres", "select distinct value_source from marts.fct_site_daily")
    assert sorted(sources) == [("nested_difference",), ("one_day_window",)]


def test_every_mart_table_and_column_has_the_same_comment_on_both_engines(parity):
    """dbt's persist_docs writes the marts' descriptions on both engines (BI tools show them)."""
    duck = _fetch(
        parity,
        "duckdb",
        f"select table_name, null, comment from duckdb_tables() where schema_name = "
        f"'{MARTS_SCHEMA}' union all select table_name, column_name, comment "
        f"from duckdb_columns() where schema_name = '{MARTS_SCHEMA}' order by all",
    )
    pg = _fetch(
        parity,
        "postgres",
        "select c.relname, null, obj_description(c.oid, 'pg_class') from pg_class as c "
        f"join pg_namespace as n on n.oid = c.relnamespace where n.nspname = '{MARTS_SCHEMA}' "
        "and c.relkind = 'r' union all select c.relname, a.attname, "
        "col_description(c.oid, a.attnum) from pg_class as c join pg_namespace as n "
        "on n.oid = c.relnamespace join pg_attribute as a on a.attrelid = c.oid "
        f"where n.nspname = '{MARTS_SCHEMA}' and c.relkind = 'r' and a.attnum > 0 "
        "and not a.attisdropped order by 1, 2 nulls first",
    )
    assert all(comment for _, _, comment in duck), [row for row in duck if not row[2]]
    assert sorted(duck, key=str) == sorted(pg, key=str)
