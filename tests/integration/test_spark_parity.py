"""The same raw Parquet files (`clarity ingest` into dlt's filesystem destination, the parity data
set) built with dbt on DuckDB and on Spark (a local session): every table of schema `marts` must
be equal row for row (matched on the mart's key from dbt's manifest), with the same column types.
Then one more day is loaded and both build incrementally (Spark overwrites partitions where DuckDB
deletes and inserts): still equal. The builds run through clarity_tools.spark_build, which the
benchmark uses too."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clarity_tools import spark_build
from clarity_tools.offline import default_projects
from ingestion.transform.dbt_runner import SCHEDULED_BUILD
from ingestion.warehouse.destination import Warehouse
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

pytestmark = pytest.mark.integration

# Floats: within compare.ENGINE_REL_TOL / ENGINE_ABS_TOL (why: in compare.py).
# Session time zones away from UTC for the two builds (DuckDB's from TZ, Spark's from the
# profile): the models must give the same dates and instants whatever the session's zone.
SESSION_ENV = {
    "duckdb": {"TZ": "Asia/Kolkata"},
    "spark": {"CLARITY_SPARK_TIMEZONE": "America/Los_Angeles"},
}
MARTS_SCHEMA = "marts"
# the incremental models' partition columns (their unique key: daily, weekly), which Spark puts
# last in its tables
SPARK_PARTITION_COLUMNS = (["project", "activity_date"], ["project", "week_start_date"])
# a raw column that appears in the files loaded after the first build (schema evolution)
NEW_RAW_COLUMN = "key_sent_later"
INSTALL_HINT = (
    "A Java runtime (17 or later) is needed for Spark: apt-get install default-jre-headless "
    "(.ci/run does it when java is missing)"
)


@dataclass
class Round:
    """The marts after one build on each engine."""

    duckdb: Path  # a copy of the DuckDB file
    spark: Path  # Spark's marts exported as Parquet (clarity_tools.spark_build)
    runs: dict[str, spark_build.BuildRun]


@dataclass
class SparkParity:
    raw: str  # the bucket's clarity_raw folder
    target: Path  # dbt target of the first DuckDB build (its manifest names the marts' keys)
    rounds: list[Round] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def java_or_skip() -> None:
    if shutil.which("java") or os.environ.get("JAVA_HOME"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the Spark parity test: {INSTALL_HINT}")
    pytest.skip(INSTALL_HINT)


def _add_raw_column(table_folder: Path, column: str) -> None:
    """A Parquet file without rows whose schema has one column more than the table's, as dlt
    writes when the API starts sending a new key: the column is in the newer files only."""
    newest = max(table_folder.glob("*.parquet"))
    schema = pq.read_schema(newest)
    schema = schema.append(pa.field(column, pa.string()))
    pq.write_table(schema.empty_table(), table_folder / f"{newest.stem}.new-column.parquet")


def _build_round(raw: str, folder: Path, number: int, args: list[str]) -> Round:
    runs = {}
    for engine in spark_build.ENGINES:
        run = spark_build.build(
            engine,
            raw,
            folder / engine,
            args=args,
            target=folder / f"dbt-{engine}-{number}",
            export_marts=folder / f"spark-marts-{number}" if engine == "spark" else None,
            env=SESSION_ENV[engine],
        )
        assert run.ok, f"dbt {args[0]} #{number} failed on {engine}: see {run.log}"
        runs[engine] = run
    copy = folder / f"duckdb-{number}.duckdb"
    shutil.copyfile(folder / "duckdb" / "clarity.duckdb", copy)
    return Round(copy, runs["spark"].export, runs)


@pytest.fixture(scope="module")
def spark_parity(tmp_path_factory) -> Iterator[SparkParity]:
    java_or_skip()
    folder = tmp_path_factory.mktemp("spark-parity")
    bucket = folder / "bucket"
    bucket.mkdir()
    warehouse = Warehouse("filesystem", bucket_url=bucket.as_uri())
    started = time.perf_counter()
    with parity_service() as service:
        config = parity_config(service, folder / "data", warehouse)
        services, configs = {"parquet": service}, {"parquet": config}
        collect(services, configs, range(1, DAYS + 1))
        record_annotations(warehouse)
        parity = SparkParity(warehouse.parquet_location(), folder / "dbt-duckdb-1")
        parity.seconds["ingest"] = time.perf_counter() - started
        # the scheduled build, data tests included
        parity.rounds.append(
            _build_round(parity.raw, folder, 1, [*SCHEDULED_BUILD, "--vars", BUILD_VARS])
        )
        # one more day and a raw column never seen before, then an incremental run of the
        # models (their tests ran in round 1)
        collect(services, configs, range(DAYS + 1, DAYS + 2))
        _add_raw_column(Path(parity.raw) / "metric_rows", NEW_RAW_COLUMN)
        parity.rounds.append(_build_round(parity.raw, folder, 2, ["run", "--vars", BUILD_VARS]))
    parity.seconds["total"] = time.perf_counter() - started
    yield parity


# ------------------------------------------------------------------ reading


def _duckdb_columns(path: Path, table: str) -> list[tuple[str, str]]:
    sql = (
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position"
    )
    return query(path, sql, [MARTS_SCHEMA, table])


def _spark_columns(export: Path, table: str) -> list[tuple[str, str]]:
    columns = json.loads((export / spark_build.COLUMNS_FILE).read_text())
    return [tuple(column) for column in columns[table]]


def _compare(parity: SparkParity, number: int) -> tuple[list[str], dict[str, int]]:
    marts = parity.rounds[number - 1]
    return marts_differences(
        marts.duckdb,
        marts.spark,
        mart_keys(parity.target),
        schema=MARTS_SCHEMA,
        labels=("duckdb", "spark"),
        any_column_order=True,
    )


def _report(parity: SparkParity, number: int, compared: dict[str, int], capsys) -> None:
    runs = parity.rounds[number - 1].runs
    spark = runs["spark"].figures()
    nodes = ", ".join(
        f"{kind} {count} in {seconds:.0f} s" for kind, (count, seconds) in spark["nodes"].items()
    )
    with capsys.disabled():
        print(
            f"\nspark parity #{number} ({' '.join(runs['spark'].args[:1])}): "
            f"{sum(compared.values())} mart rows compared; dbt DuckDB "
            f"{runs['duckdb'].wall_seconds:.1f} s, Spark {runs['spark'].wall_seconds:.1f} s "
            f"(session start {spark['session_seconds'] or 0:.1f} s; node times {nodes}; "
            f"slowest {', '.join(f'{n} {s:.1f} s' for n, s in spark['slowest'][:3])})"
        )
        if number == len(parity.rounds):
            print(
                f"  ingestion {parity.seconds['ingest']:.1f} s, all {parity.seconds['total']:.1f} s"
            )


# ------------------------------------------------------------------ tests


def _exported(marts: Round, table: str, sql: str):
    path = marts.spark / f"{table}.parquet"
    return duckdb.sql(sql.replace(f"{MARTS_SCHEMA}.{table}", f"read_parquet('{path}')")).fetchall()


def test_duckdb_reads_the_raw_parquet_files(spark_parity):
    marts = spark_parity.rounds[-1].duckdb
    kinds = query(
        marts,
        "select table_name, table_type from information_schema.tables "
        "where table_schema = 'clarity_raw' order by table_name",
    )
    assert kinds == [(t, "VIEW") for t in ("metric_rows", "projects", "requests", "snapshots")]
    for table in ("snapshots", "metric_rows", "requests"):
        files = f"read_parquet('{spark_parity.raw}/{table}/*.parquet', union_by_name = true)"
        assert (
            query(marts, f"select count(*) from clarity_raw.{table}")
            == duckdb.sql(f"select count(*) from {files}").fetchall()
        )


def test_a_raw_column_new_in_later_files_is_a_column_on_both_engines(spark_parity):
    first, second = spark_parity.rounds
    sql = (
        "select column_name from information_schema.columns "
        "where table_schema = 'clarity_raw' and table_name = 'metric_rows'"
    )
    duck = {row[0] for row in query(second.duckdb, sql)}
    spark = {name for name, _ in _spark_columns(second.spark, "clarity_raw.metric_rows")}
    assert NEW_RAW_COLUMN in duck and NEW_RAW_COLUMN in spark
    assert duck == spark
    before = {name for name, _ in _spark_columns(first.spark, "clarity_raw.metric_rows")}
    assert spark - before == {NEW_RAW_COLUMN}


def test_both_engines_built_from_every_snapshot(spark_parity):
    sql = "select count(*), sum(snapshot_count) from marts.dim_projects"
    projects = len(default_projects())
    for number, marts in enumerate(spark_parity.rounds, start=1):
        expected = [(projects, snapshot_count(DAYS + number - 1))]
        assert query(marts.duckdb, sql) == expected
        assert _exported(marts, "dim_projects", sql) == expected


def test_every_mart_is_on_both_engines_with_a_key(spark_parity):
    marts = spark_parity.rounds[0]
    sql = "select table_name from information_schema.tables where table_schema = ?"
    duck_tables = {row[0] for row in query(marts.duckdb, sql, [MARTS_SCHEMA])}
    spark_tables = {path.stem for path in marts.spark.glob("*.parquet")}
    assert duck_tables == spark_tables
    assert set(mart_keys(spark_parity.target)) == duck_tables, "a mart without a unique-grain test"


def test_every_mart_column_has_the_same_type_on_both_engines(spark_parity):
    marts = spark_parity.rounds[0]
    differences = []
    for table in sorted(mart_keys(spark_parity.target)):
        duck = dict(_duckdb_columns(marts.duckdb, table))
        spark = dict(_spark_columns(marts.spark, table))
        order = list(duck)
        partition = list(spark)[-2:]
        if partition in SPARK_PARTITION_COLUMNS:  # an incremental model's table
            order = [name for name in order if name not in partition] + partition
        assert order == list(spark), f"{table}: columns differ"
        differences += [
            f"{table}.{name}: duckdb {duck[name]} vs spark {spark[name]}"
            for name in duck
            if type_family(duck[name]) != type_family(spark[name], "spark")
        ]
    assert not differences, "\n".join(differences)


def test_every_mart_is_equal_on_duckdb_and_spark(spark_parity, capsys):
    differences, compared = _compare(spark_parity, 1)
    _report(spark_parity, 1, compared, capsys)
    assert not differences, "\n".join(differences)
    empty = [table for table, rows in compared.items() if rows == 0]
    assert not empty, f"marts without rows prove nothing: {empty}"
    scopes = _exported(
        spark_parity.rounds[0], "fct_alerts", "select distinct scope from marts.fct_alerts"
    )
    assert {"site", "page", "collection"} <= {row[0] for row in scopes}, f"alerts: {scopes}"
    sources = _exported(
        spark_parity.rounds[0],
        "fct_site_daily",
        "select distinct value_source from marts.fct_site_daily order by 1",
    )
    assert sources == [("nested_difference",), ("one_day_window",)]


def test_every_mart_is_still_equal_after_an_incremental_build(spark_parity, capsys):
    differences, compared = _compare(spark_parity, 2)
    _report(spark_parity, 2, compared, capsys)
    assert not differences, "\n".join(differences)
    # the new day reached the incremental marts on both engines
    sql = "select max(activity_date) from marts.fct_page_daily"
    first, second = spark_parity.rounds
    assert query(second.duckdb, sql) == _exported(second, "fct_page_daily", sql)
    assert query(second.duckdb, sql)[0][0] > query(first.duckdb, sql)[0][0]
