"""The same offline-service data loaded into DuckDB and into a throwaway PostgreSQL server, both
built with dbt: every table of schema `marts` must be equal row for row across the two engines
(matched on the mart's key from dbt's manifest), with the same column types."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.config import duckdb_warehouse
from ingestion.ingest import ingest
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from ingestion.warehouse.destination import PostgresSettings, Warehouse
from tests.conftest import START, collection_time, make_config
from tests.integration.compare import mart_keys, table_differences
from tests.integration.helpers import query
from tests.postgres_server import postgres_server, server_bin_dir

pytestmark = pytest.mark.integration

# Daily collection at 00:10 UTC: 12 days give the 7-day frustration windows full weeks, a
# complete ISO week for the weekly trends, and multi-day (3-day) first windows.
DAYS = 12
SEED = 7
# Floats are compared within rel 1e-9 or abs 1e-9: both engines compute in IEEE doubles, but
# they add up a group's values in different orders (DuckDB aggregates in parallel) and their
# asin()s may differ in the last bit, so values agree to ~1e-13 relative, not exactly. 1e-9
# leaves room for cancellation (excess sessions, z-scores are differences of near values) and
# still catches any real difference: counts are integers (compared exactly) and the smallest
# meaningful difference of a rate is one session in a million, 1e-6.
REL_TOL = 1e-9
ABS_TOL = 1e-9
# Session time zones away from UTC (one with a half-hour offset) for the two builds: the models
# must give the same UTC dates and timestamps whatever the session's zone.
SESSION_ZONES = {"duckdb": "Asia/Kolkata", "postgres": "America/Los_Angeles"}
MARTS_SCHEMA = "marts"
# Project time zones away from UTC (one with a half-hour offset): dates, day lengths and day
# boundaries come from each engine's time-zone conversion.
PROJECT_ZONES = {"fabrikam-blog": "Asia/Kolkata", "contoso-docs": "America/Los_Angeles"}
# Four days of 500s for one project: the run after them recovers three days with nested windows
# (slices on both engines), one date stays missing (a collection alert).
OUTAGE_PROJECT, OUTAGE_FIRST_DAY, OUTAGE_DAYS = "northwind-shop", 5, 4
# A low alert threshold, so that fct_alerts holds signal alerts (its z-scores: asin, sqrt) and
# not only collection alerts; the planted regressions start after these 12 days.
BUILD_VARS = '{"clarity_alert_z_threshold": 1.0}'
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


def _collect(services: dict[str, OfflineClarity], configs: dict) -> None:
    """Each simulated day at 00:10 UTC: one `ingest` into DuckDB, one into PostgreSQL.

    Two services with the same seed answer the same bytes at the same clock; one service would
    answer the second run of a day with 429s (10 requests per project and day)."""
    for day in range(1, DAYS + 1):
        for name, service in services.items():
            service.clock.set(collection_time(day))
            report = ingest(configs[name], clock=service.clock.now)
            outage = OUTAGE_FIRST_DAY <= day < OUTAGE_FIRST_DAY + OUTAGE_DAYS
            assert report.had_errors == outage, f"{name}: day {day}"


def _with_timezones(config):
    """The projects with the time zones of PROJECT_ZONES (the others UTC)."""
    config.projects = [
        dataclasses.replace(project, timezone=PROJECT_ZONES.get(project.name, "UTC"))
        for project in config.projects
    ]
    return config


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
        services = {
            name: OfflineClarity(projects=default_projects(), seed=SEED, start=START, days=DAYS + 2)
            for name in ("duckdb", "postgres")
        }
        for service in services.values():
            service.start()
            first = collection_time(OUTAGE_FIRST_DAY).date()
            service.add_outage(OUTAGE_PROJECT, first, OUTAGE_DAYS)
        try:
            configs = {
                "duckdb": make_config(
                    services["duckdb"],
                    folder / "duckdb",
                    warehouse=duckdb_warehouse(folder / "duckdb" / "clarity.duckdb"),
                ),
                "postgres": make_config(
                    services["postgres"], folder / "postgres", warehouse=postgres
                ),
            }
            configs = {name: _with_timezones(config) for name, config in configs.items()}
            started = time.perf_counter()
            _collect(services, configs)
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


def type_family(data_type: str) -> str:
    """An engine's type name as what a BI tool sees: integer, decimal, float, text, boolean,
    date, timestamp or timestamp with time zone (widths and lengths aside)."""
    name = data_type.split("(")[0].strip()
    if name in {"tinyint", "smallint", "integer", "int", "bigint", "hugeint"}:
        return "integer"
    if name in {"numeric", "decimal"}:
        return "decimal"
    if name in {"real", "float", "double", "double precision"}:
        return "float"
    if name in {"text", "varchar", "character varying", "character"}:
        return "text"
    if name in {"timestamp", "timestamp without time zone"}:
        return "timestamp"
    if name in {"timestamptz", "timestamp with time zone"}:
        return "timestamp with time zone"
    return name  # boolean, date, and anything new stays as named


# ------------------------------------------------------------------ tests


def test_both_warehouses_hold_the_same_raw_data(parity):
    sql = (
        "select snapshot_id, body_sha256, num_of_days, dimensions "
        "from clarity_raw.snapshots order by snapshot_id"
    )
    duck_snapshots, pg_snapshots = _fetch(parity, "duckdb", sql), _fetch(parity, "postgres", sql)
    count = "select count(*) from clarity_raw.metric_rows"
    assert _fetch(parity, "duckdb", count) == _fetch(parity, "postgres", count)
    # ten a run, no snapshot from the runs of the outage
    assert len(duck_snapshots) == (DAYS * len(default_projects()) - OUTAGE_DAYS) * 10
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
            if type_family(duck[name]) != type_family(pg[name])
        ]
    assert not differences, "\n".join(differences)


def test_every_mart_is_equal_on_duckdb_and_postgres(parity, capsys):
    keys = mart_keys(parity.target)
    differences: list[str] = []
    compared: dict[str, int] = {}
    for table, key in sorted(keys.items()):
        compared[table] = query(parity.duckdb, f"select count(*) from {MARTS_SCHEMA}.{table}")[0][0]
        differences += table_differences(
            parity.duckdb,
            parity.postgres_dsn,
            f"{MARTS_SCHEMA}.{table}",
            key,
            rel_tol=REL_TOL,
            abs_tol=ABS_TOL,
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
