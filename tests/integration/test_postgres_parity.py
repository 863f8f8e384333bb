"""The same offline-service data loaded into DuckDB and into a throwaway PostgreSQL server, both
built with dbt: every table of schema `marts` must be equal row for row across the two engines
(matched on the mart's tested grain), and the two builds' wall times are reported side by side."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.dbt_runner import run_dbt
from ingestion.destinations import PostgresSettings, Warehouse
from ingestion.offline import OfflineClarity, default_projects
from ingestion.pipeline import ingest
from tests.conftest import START, collection_time, make_config
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
# A low alert threshold, so that fct_alerts holds signal alerts (its z-scores: asin, sqrt) and
# not only collection alerts; the planted regressions start after these 12 days.
BUILD_VARS = '{"clarity_alert_z_threshold": 1.0}'

needs_postgres = pytest.mark.skipif(
    server_bin_dir() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) not installed"
)


@dataclass
class Parity:
    duckdb: Warehouse
    postgres: Warehouse
    manifest: dict
    seconds: dict[str, float] = field(default_factory=dict)


def _collect(services: dict[str, OfflineClarity], configs: dict, pg_env: dict[str, str]) -> None:
    """Each simulated day at 00:10 UTC: one `ingest` into DuckDB, one into PostgreSQL.

    Two services with the same seed answer the same bytes at the same clock; one service would
    answer the second run of a day with 429s (10 requests per project and day)."""
    for day in range(1, DAYS + 1):
        for name, service in services.items():
            service.clock.set(collection_time(day))
            with pytest.MonkeyPatch.context() as env:
                if name == "postgres":
                    env.setenv("CLARITY_DESTINATION", "postgres")
                    for key, value in pg_env.items():
                        env.setenv(key, value)
                else:
                    env.delenv("CLARITY_DESTINATION", raising=False)
                report = ingest(configs[name], clock=service.clock.now)
            assert not report.had_errors, f"{name}: day {day} had failed requests"


def _build(name: str, duckdb_path: Path, folder: Path, pg_env: dict[str, str]) -> float:
    with pytest.MonkeyPatch.context() as env:
        args = ["build", "--vars", BUILD_VARS]
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
    folder = tmp_path_factory.mktemp("postgres-parity")
    with postgres_server() as pg:
        pg_env = pg.env()
        services = {
            name: OfflineClarity(projects=default_projects(), seed=SEED, start=START, days=DAYS + 2)
            for name in ("duckdb", "postgres")
        }
        for service in services.values():
            service.start()
        try:
            configs = {name: make_config(s, folder / name) for name, s in services.items()}
            started = time.perf_counter()
            _collect(services, configs, pg_env)
            ingest_seconds = time.perf_counter() - started
        finally:
            for service in services.values():
                service.stop()
        duckdb_path = configs["duckdb"].duckdb_path
        seconds = {"ingest (both)": ingest_seconds}
        for name in ("duckdb", "postgres"):
            seconds[name] = _build(name, duckdb_path, folder, pg_env)
        manifest = json.loads((folder / "dbt-duckdb" / "manifest.json").read_text())
        postgres = PostgresSettings(pg.host, pg.port, pg.user, pg.password, pg.database)
        yield Parity(
            duckdb=Warehouse("duckdb", duckdb_path=duckdb_path),
            postgres=Warehouse("postgres", postgres=postgres),
            manifest=manifest,
            seconds=seconds,
        )


# ------------------------------------------------------------------ reading and comparing


def _columns(warehouse: Warehouse, table: str) -> list[tuple[str, str]]:
    """(name, data type) of each column of a mart, in order."""
    with warehouse.reader() as reader:
        rows = reader.fetchall(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [MARTS_SCHEMA, table],
        )
    return [(name, data_type.lower()) for name, data_type in rows]


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


def _rows(warehouse: Warehouse, table: str, columns: Sequence[str]) -> list[tuple]:
    with warehouse.reader() as reader:
        return reader.fetchall(f"select {', '.join(columns)} from {MARTS_SCHEMA}.{table}")


def _canonical(value) -> tuple[str, object]:
    """A value as (kind, comparable value): timestamps in UTC, dates as dates, booleans as
    booleans, numbers as numbers (their SQL types are compared by the column-type test)."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float | Decimal):
        return ("number", value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return ("timestamp", value)
        return ("timestamp with time zone", value.astimezone(UTC))
    if isinstance(value, date):
        return ("date", value)
    if isinstance(value, str):
        return ("text", value)
    return (type(value).__name__, value)


def _same(a: tuple[str, object], b: tuple[str, object]) -> bool:
    (kind_a, value_a), (kind_b, value_b) = a, b
    if kind_a != kind_b:
        return False
    if kind_a != "number" or not (isinstance(value_a, float) or isinstance(value_b, float)):
        return value_a == value_b  # integers and decimals exactly
    value_a, value_b = float(value_a), float(value_b)
    if math.isnan(value_a) or math.isnan(value_b):
        return math.isnan(value_a) and math.isnan(value_b)
    return math.isclose(value_a, value_b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _keyed(rows: list[tuple], positions: list[int], label: str) -> dict[tuple, list[tuple]]:
    keyed: dict[tuple, list[tuple]] = {}
    for row in rows:
        canonical = [_canonical(value) for value in row]
        key = tuple(canonical[i] for i in positions)
        if key in keyed:
            raise AssertionError(f"{label}: grain key {key} occurs twice")
        keyed[key] = canonical
    return keyed


def mart_differences(
    parity: Parity, table: str, grain: Sequence[str], *, limit: int = 5
) -> tuple[int, list[str]]:
    """(rows compared, differences) of one mart between DuckDB and PostgreSQL."""
    columns = [name for name, _ in _columns(parity.duckdb, table)]
    pg_columns = [name for name, _ in _columns(parity.postgres, table)]
    if columns != pg_columns:
        return 0, [f"{table}: columns differ: duckdb {columns} vs postgres {pg_columns}"]
    positions = [columns.index(name) for name in grain]
    duck = _keyed(_rows(parity.duckdb, table, columns), positions, f"duckdb {table}")
    pg = _keyed(_rows(parity.postgres, table, columns), positions, f"postgres {table}")
    differences = []
    for label, only in (("duckdb", set(duck) - set(pg)), ("postgres", set(pg) - set(duck))):
        for key in sorted(only, key=str)[:limit]:
            differences.append(f"{table}: only in {label}: {dict(zip(grain, key, strict=True))}")
        if len(only) > limit:
            differences.append(f"{table}: {len(only)} rows only in {label} in all")
    changed: dict[str, int] = {}
    for key in sorted(set(duck) & set(pg), key=str):
        for name, a, b in zip(columns, duck[key], pg[key], strict=True):
            if not _same(a, b):
                changed[name] = changed.get(name, 0) + 1
                if changed[name] <= limit:
                    where = dict(zip(grain, (k[1] for k in key), strict=True))
                    differences.append(f"{table} {where}: {name} = {a} vs {b}")
    for name, count in changed.items():
        if count > limit:
            differences.append(f"{table}.{name}: {count} differing values in all")
    return len(duck), differences


def mart_grains(manifest: dict) -> dict[str, list[str]]:
    """Every model in schema marts and its grain: the columns of its `unique_combination`
    test, else the column of its `unique` test."""
    grains: dict[str, list[str]] = {}
    marts = {
        node["unique_id"]: node["alias"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == MARTS_SCHEMA
    }
    singles: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        model = marts.get(node.get("attached_node") or "")
        if node["resource_type"] != "test" or model is None:
            continue
        if meta.get("name") == "unique_combination":
            grains[model] = list(meta["kwargs"]["combination_of_columns"])
        elif meta.get("name") == "unique":
            singles.setdefault(model, [meta["kwargs"]["column_name"]])
    for model in marts.values():
        if model not in grains and model in singles:
            grains[model] = singles[model]
    return grains


# ------------------------------------------------------------------ tests


@needs_postgres
def test_both_warehouses_hold_the_same_raw_data(parity):
    sql = (
        "select snapshot_id, body_sha256, num_of_days, dimensions "
        "from clarity_raw.snapshots order by snapshot_id"
    )
    with parity.duckdb.reader() as duck, parity.postgres.reader() as pg:
        duck_snapshots, pg_snapshots = duck.fetchall(sql), pg.fetchall(sql)
        count = "select count(*) from clarity_raw.metric_rows"
        assert duck.fetchall(count) == pg.fetchall(count)
    assert len(duck_snapshots) == DAYS * 10 * len(default_projects())
    assert duck_snapshots == pg_snapshots


@needs_postgres
def test_every_mart_is_on_both_engines_with_a_grain(parity):
    with parity.duckdb.reader() as duck, parity.postgres.reader() as pg:
        duck_tables, pg_tables = duck.tables(MARTS_SCHEMA), pg.tables(MARTS_SCHEMA)
    assert duck_tables == pg_tables
    grains = mart_grains(parity.manifest)
    assert set(grains) == duck_tables, "a mart without a unique or unique_combination test"


@needs_postgres
def test_every_mart_column_has_the_same_type_on_both_engines(parity):
    differences = []
    for table in sorted(mart_grains(parity.manifest)):
        duck = dict(_columns(parity.duckdb, table))
        pg = dict(_columns(parity.postgres, table))
        assert list(duck) == list(pg), f"{table}: columns differ"
        differences += [
            f"{table}.{name}: duckdb {duck[name]} vs postgres {pg[name]}"
            for name in duck
            if type_family(duck[name]) != type_family(pg[name])
        ]
    assert not differences, "\n".join(differences)


@needs_postgres
def test_every_mart_is_equal_on_duckdb_and_postgres(parity, capsys):
    grains = mart_grains(parity.manifest)
    differences: list[str] = []
    compared: dict[str, int] = {}
    for table in sorted(grains):
        rows, found = mart_differences(parity, table, grains[table])
        compared[table] = rows
        differences += found
    with capsys.disabled():
        print(f"\nparity: {sum(compared.values())} mart rows compared")
        for table, rows in compared.items():
            print(f"  {table:28} {rows:7} rows  grain {', '.join(grains[table])}")
    assert not differences, "\n".join(differences)
    empty = [table for table, rows in compared.items() if rows == 0]
    assert not empty, f"marts without rows prove nothing: {empty}"
    with parity.postgres.reader() as pg:
        scopes = {row[0] for row in pg.fetchall("select distinct scope from marts.fct_alerts")}
    assert {"site", "page", "collection"} <= scopes, f"alerts compared: {scopes}"


@needs_postgres
def test_build_wall_times_are_reported(parity, capsys):
    seconds = parity.seconds
    with capsys.disabled():
        print(
            f"\ndbt build wall time ({DAYS} days x {len(default_projects())} projects): "
            f"DuckDB {seconds['duckdb']:.1f} s, PostgreSQL {seconds['postgres']:.1f} s "
            f"(ingestion into both: {seconds['ingest (both)']:.1f} s)"
        )
    assert seconds["duckdb"] > 0 and seconds["postgres"] > 0
