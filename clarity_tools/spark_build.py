"""`dbt build` from raw Parquet files (dlt's filesystem destination) on DuckDB and on Spark (a
local session), timed: what the Spark parity test builds and the benchmark reports. Spark's wall
time is split into the session's start (JVM and SparkContext), the declaration of the raw tables
(with the metastore's start), the node times of run_results.json by kind, and dbt's own work.

Each build runs dbt in a child process (`python -m clarity_tools.spark_build --child SPEC`), so
that the Spark session lives and dies with it; the child can also export the marts it built to
Parquet files (through Arrow), which the parity test compares with DuckDB's."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ingestion import PROJECT_ROOT
from ingestion.transform.dbt_runner import SCHEDULED_BUILD

ENGINES = ("duckdb", "spark")
MARTS_SCHEMA = "marts"
RAW_SCHEMA = "clarity_raw"
COLUMNS_FILE = "_columns.json"  # beside an export: (column, Spark type) pairs per table
DECLARATION_NODE = "model.clarity.clarity_raw_parquet"


@dataclass
class BuildRun:
    """One dbt invocation on one engine: its outcome, wall time and artifacts."""

    engine: str
    args: list[str]
    returncode: int
    wall_seconds: float  # dbt's invocation, in the child (Spark: the session's start included)
    process_seconds: float  # the child process (Python and dbt imports included)
    target: Path  # dbt's target folder (run_results.json, logs/dbt.log)
    threads: int
    session_seconds: float | None = None  # Spark: the first SparkSession (JVM, SparkContext)
    export: Path | None = None  # Spark: the marts as <table>.parquet and COLUMNS_FILE
    export_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def log(self) -> Path:
        return self.target / "logs" / "dbt.log"

    def nodes(self) -> list[dict]:
        """run_results.json's results: unique_id, status, execution_time, ..."""
        path = self.target / "run_results.json"
        return json.loads(path.read_text())["results"] if path.exists() else []

    def seconds_by_kind(self) -> dict[str, tuple[int, float]]:
        """Node count and summed execution time per kind (model, test, seed, ...); the
        declaration of the raw tables is its own kind, `raw tables`."""
        kinds: dict[str, tuple[int, float]] = {}
        for node in self.nodes():
            kind = _kind(node["unique_id"])
            count, seconds = kinds.get(kind, (0, 0.0))
            kinds[kind] = (count + 1, seconds + node.get("execution_time", 0.0))
        return kinds

    def slowest(self, count: int = 5) -> list[tuple[str, float]]:
        nodes = sorted(self.nodes(), key=lambda n: -n.get("execution_time", 0.0))
        return [(n["unique_id"].split(".")[-1], n.get("execution_time", 0.0)) for n in nodes][
            :count
        ]

    def figures(self) -> dict:
        """JSON-able figures for a report: times, the breakdown, the slowest nodes."""
        kinds = self.seconds_by_kind()
        node_seconds = sum(seconds for _, seconds in kinds.values())
        return {
            "engine": self.engine,
            "args": self.args,
            "ok": self.ok,
            "wall_seconds": round(self.wall_seconds, 2),
            "process_seconds": round(self.process_seconds, 2),
            "threads": self.threads,
            "session_seconds": _round(self.session_seconds),
            "nodes": {kind: [count, round(seconds, 2)] for kind, (count, seconds) in kinds.items()},
            # what the node times do not explain (threads overlap node times): parsing,
            # compilation, the session's start, the gaps between nodes
            "outside_nodes_seconds": round(
                max(0.0, self.wall_seconds - node_seconds / max(1, self.threads)), 2
            ),
            "slowest": [[name, round(seconds, 2)] for name, seconds in self.slowest()],
        }


def _kind(unique_id: str) -> str:
    if unique_id == DECLARATION_NODE:
        return "raw tables"
    return unique_id.split(".")[0]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# -- running dbt ---------------------------------------------------------------------------------
def engine_env(
    engine: str,
    raw_parquet: str,
    folder: Path,
    target: Path,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a build: the raw Parquet folder, the engine's warehouse under
    `folder` (DuckDB: `folder/clarity.duckdb`; Spark: CLARITY_SPARK_DIR = `folder`), dbt's
    target and log folders, no telemetry."""
    env = {
        **os.environ,
        "CLARITY_RAW_PARQUET": raw_parquet,
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    if engine == "duckdb":
        env["CLARITY_DUCKDB_PATH"] = str((folder / "clarity.duckdb").resolve())
    else:
        env["CLARITY_SPARK_DIR"] = str(folder.resolve())
    env.update(extra or {})
    return env


def build(
    engine: str,
    raw_parquet: str,
    folder: Path,
    *,
    args: list[str] | None = None,
    target: Path | None = None,
    export_marts: Path | None = None,
    env: dict[str, str] | None = None,
    quiet: bool = True,
) -> BuildRun:
    """`dbt <args>` (the scheduled build by default) on `engine` over the raw Parquet folder
    `raw_parquet`, its warehouse under `folder` (kept between calls: a second call builds
    incrementally). With `export_marts` (Spark), the marts are written there as Parquet files.
    `env` adds or overrides environment variables (e.g. CLARITY_SPARK_TIMEZONE, TZ)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    folder.mkdir(parents=True, exist_ok=True)
    target = target or folder / "dbt-target"
    args = list(args or SCHEDULED_BUILD)
    child_env = engine_env(engine, raw_parquet, folder, target, env)
    with tempfile.TemporaryDirectory(prefix="clarity-build-") as scratch:
        spec = Path(scratch) / "spec.json"
        result = Path(scratch) / "result.json"
        spec.write_text(
            json.dumps(
                {
                    "engine": engine,
                    "args": args,
                    "export": str(export_marts) if export_marts else None,
                    "result": str(result),
                }
            )
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "clarity_tools.spark_build", "--child", str(spec)],
            env=child_env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL if quiet else None,
            stderr=subprocess.DEVNULL if quiet else None,
            check=False,
        )
        process_seconds = time.perf_counter() - started
        outcome = json.loads(result.read_text()) if result.exists() else {}
    threads = int(child_env.get("CLARITY_SPARK_THREADS", "2")) if engine == "spark" else 2
    return BuildRun(
        engine=engine,
        args=args,
        returncode=outcome.get("returncode", 2),
        wall_seconds=outcome.get("wall_seconds", process_seconds),
        process_seconds=process_seconds,
        target=target,
        threads=threads,
        session_seconds=outcome.get("session_seconds"),
        export=export_marts if outcome.get("exported") else None,
        export_seconds=outcome.get("export_seconds"),
    )


def build_both(
    raw_parquet: str,
    folder: Path,
    *,
    args: list[str] | None = None,
    env: dict[str, dict[str, str]] | None = None,
    export_spark_marts: bool = False,
) -> dict[str, BuildRun]:
    """The same build on DuckDB (`folder/duckdb`) and on Spark (`folder/spark`), one after the
    other (each gets the machine to itself); `env` per engine."""
    env = env or {}
    runs = {}
    for engine in ENGINES:
        export = folder / "spark-marts" if engine == "spark" and export_spark_marts else None
        runs[engine] = build(
            engine,
            raw_parquet,
            folder / engine,
            args=args,
            export_marts=export,
            env=env.get(engine),
        )
    return runs


# -- the benchmark section -------------------------------------------------------------------------
def benchmark(folder: Path) -> dict:
    """The parity data set collected into a bucket under `folder`, then the scheduled build on
    DuckDB and on Spark from its Parquet files: the figures of both and Spark's breakdown."""
    # the parity data set is test data (tests/parity_data.py, not in the wheel): the benchmark
    # runs from a checkout of the repository, as ./scripts/bench does
    from tests import parity_data

    started = time.perf_counter()
    raw = parity_data.collect_parquet(folder / "data")
    collect_seconds = time.perf_counter() - started
    args = [*SCHEDULED_BUILD, "--vars", parity_data.BUILD_VARS]
    runs = build_both(raw, folder, args=args)
    failed = [engine for engine, run in runs.items() if not run.ok]
    if failed:
        raise RuntimeError(
            f"dbt build failed on {', '.join(failed)}: see "
            + ", ".join(str(runs[engine].log) for engine in failed)
        )
    return {
        "data_set": (
            f"{len(parity_data.default_projects())} projects x {parity_data.DAYS} days of the "
            "offline service (parity data set), raw tables as Parquet"
        ),
        "metric_rows": _metric_rows(raw),
        "collect_seconds": round(collect_seconds, 1),
        **{engine: run.figures() for engine, run in runs.items()},
    }


def _metric_rows(raw_parquet: str) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        sql = f"select count(*) from read_parquet('{raw_parquet}/metric_rows/*.parquet')"
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def markdown(figures: dict) -> list[str]:
    """The benchmark section's lines: both builds side by side, then where Spark's time goes."""
    duck, spark = figures["duckdb"], figures["spark"]
    lines = [
        "### dbt build on Spark (local session) beside DuckDB",
        "",
        f"{figures['data_set']}: {figures['metric_rows']} metric rows; the scheduled build "
        "(models, seed and data tests, no unit tests), each engine alone on the machine.",
        "",
        "| engine | dbt build, s | nodes (models / tests) | threads |",
        "|---|---|---|---|",
    ]
    for run in (duck, spark):
        nodes = run["nodes"]
        lines.append(
            f"| {run['engine']} | {run['wall_seconds']:.1f} | "
            f"{nodes.get('model', [0])[0]} / {nodes.get('test', [0])[0]} | {run['threads']} |"
        )
    ratio = spark["wall_seconds"] / duck["wall_seconds"] if duck["wall_seconds"] else None
    lines += ["", "Where Spark's time goes (node times add up over the threads):", ""]
    lines += [
        "| part | s | per node, s |",
        "|---|---|---|",
        f"| session start (JVM, SparkContext) | {spark['session_seconds'] or 0:.1f} | |",
    ]
    for kind, (count, seconds) in sorted(spark["nodes"].items(), key=lambda kv: -kv[1][1]):
        per_node = seconds / count if count else 0.0
        duck_kind = duck["nodes"].get(kind)
        versus = ""
        if duck_kind and duck_kind[0]:
            versus = f" (DuckDB {duck_kind[1] / duck_kind[0]:.3f})"
        lines.append(f"| {kind} ({count}) | {seconds:.1f} | {per_node:.2f}{versus} |")
    lines.append(
        f"| outside nodes (parsing, compilation, session start, gaps) | "
        f"{spark['outside_nodes_seconds']:.1f} | |"
    )
    lines += [
        "",
        "Slowest Spark nodes: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in spark["slowest"])
        + ".",
    ]
    if ratio:
        lines.append(
            f"Spark takes {ratio:.0f}x DuckDB's time on this data: a fixed cost per query "
            "(planning, code generation, a job per statement, the metastore) over a few thousand "
            "rows, times every model and data test, plus the session's start."
        )
    return lines


# -- the child: dbt in this process ---------------------------------------------------------------
class _SessionTimer:
    """Times the first SparkSession dbt-spark asks for (JVM launch, SparkContext)."""

    def __init__(self) -> None:
        self.seconds: float | None = None
        self._lock = threading.Lock()

    def install(self) -> None:
        from pyspark.sql import SparkSession

        original = SparkSession.Builder.getOrCreate
        timer = self

        def timed(builder):  # type: ignore[no-untyped-def]
            with timer._lock:
                if timer.seconds is not None:
                    return original(builder)
                started = time.perf_counter()
                session = original(builder)
                timer.seconds = time.perf_counter() - started
                return session

        SparkSession.Builder.getOrCreate = timed


def _export_marts(folder: Path) -> None:
    """Every table of schema marts of the running Spark session as `<table>.parquet`, and in
    COLUMNS_FILE the Spark column types of each (by table name) and of the raw tables (as
    `clarity_raw.<table>`)."""
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    folder.mkdir(parents=True, exist_ok=True)
    columns = {}
    for schema in (MARTS_SCHEMA, RAW_SCHEMA):
        for row in spark.sql(f"show tables in {schema}").collect():
            if row["isTemporary"]:
                continue
            frame = spark.table(f"{schema}.{row['tableName']}")
            name = row["tableName"] if schema == MARTS_SCHEMA else f"{schema}.{row['tableName']}"
            columns[name] = [[c.name, c.dataType.simpleString()] for c in frame.schema.fields]
            if schema == MARTS_SCHEMA:
                pq.write_table(frame.toArrow(), folder / f"{row['tableName']}.parquet")
    (folder / COLUMNS_FILE).write_text(json.dumps(columns, indent=1))


def _child(spec_path: Path) -> int:
    spec = json.loads(spec_path.read_text())
    engine = spec["engine"]
    timer = _SessionTimer() if engine == "spark" else None
    if timer:
        timer.install()
    from dbt.cli.main import dbtRunner

    command = [
        *spec["args"],
        "--project-dir",
        str(PROJECT_ROOT / "dbt_project"),
        "--profiles-dir",
        str(PROJECT_ROOT / "profiles"),
        "--target",
        engine,
    ]
    started = time.perf_counter()
    outcome = dbtRunner().invoke(command)
    wall = time.perf_counter() - started
    returncode = 0 if outcome.success else (2 if outcome.exception is not None else 1)
    result = {
        "returncode": returncode,
        "wall_seconds": wall,
        "session_seconds": timer.seconds if timer else None,
        "exported": False,
    }
    if spec.get("export") and engine == "spark" and returncode == 0:
        started = time.perf_counter()
        _export_marts(Path(spec["export"]))
        result.update(exported=True, export_seconds=time.perf_counter() - started)
    Path(spec["result"]).write_text(json.dumps(result))
    return returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clarity_tools.spark_build",
        description="dbt build from raw Parquet on DuckDB and on Spark, timed",
    )
    parser.add_argument("raw_parquet", nargs="?", help="the bucket's clarity_raw folder")
    parser.add_argument("--work", type=Path, default=Path("data/spark-build"))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        return _child(options.child)
    if options.raw_parquet:
        runs = build_both(options.raw_parquet, options.work)
        print(json.dumps({engine: run.figures() for engine, run in runs.items()}, indent=1))
        return max(run.returncode for run in runs.values())
    print("\n".join(markdown(benchmark(options.work))))
    return 0


__all__ = ["BuildRun", "benchmark", "build", "build_both", "markdown"]

if __name__ == "__main__":
    sys.exit(main())
