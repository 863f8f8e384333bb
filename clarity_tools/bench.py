"""Benchmarks (issue: ingestion and dbt cost against the physical limit, and how cost grows with
history; and the scale-out paths). Generates archived responses with the offline service, then
measures, side by side in one run: our ingestion (`clarity import`) against a hand-written DuckDB
`read_json` baseline on the same files, `dbt build --full-refresh` and a one-day incremental
`dbt build` at two history lengths, the peak memory of each step; the same import into a bucket
(Parquet) and `clarity ingest` of many projects at two pool sizes (clarity_tools/bench_scale.py);
and `dbt build` on Spark beside DuckDB. Writes a Markdown report."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

from ingestion import PROJECT_ROOT
from ingestion.api.snapshot import SnapshotMeta
from ingestion.config import DEFAULT_DIMENSION_SETS, Environment

log = logging.getLogger(__name__)

PRESETS = {
    # projects, days of history (long), short history, snapshots per day
    "smoke": (1, 4, 2, 2),
    "quick": (3, 60, 30, 10),
    "default": (10, 365, 30, 10),
}
# what a preset measures (--sections overrides): Spark's build is left out of the smoke run (the
# Spark parity test builds it in the suite)
SECTIONS = ("ingest", "dbt", "filesystem", "concurrency", "spark")
PRESET_SECTIONS = {
    "smoke": ("ingest", "dbt", "filesystem", "concurrency"),
    "quick": SECTIONS,
    "default": SECTIONS,
}
# incremental dbt builds at each history length, the median kept (the smoke run proves the
# restore between them with two)
PRESET_REPEATS = {"smoke": 2, "quick": 3, "default": 3}
START = datetime(2025, 10, 1, tzinfo=timezone.utc)
COLLECTED_AT = timedelta(minutes=10)


@dataclass
class Step:
    name: str
    seconds: float
    peak_mib: float
    rows: int | None = None
    note: str = ""
    # seconds the landing checkpoint took inside an import run with checks on
    checkpoint_seconds: float | None = None

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds else None


@dataclass
class BenchResult:
    projects: int
    days: int
    short_days: int
    snapshots_per_day: int
    files: int = 0
    metric_rows: int = 0
    steps: dict[str, Step] = field(default_factory=dict)
    dbt_overhead: dict[str, float] = field(default_factory=dict)
    repeat: int = 1  # incremental dbt builds at each history length; the median is kept
    concurrency: object | None = None  # bench_scale.ConcurrencyResult
    spark: dict | None = None  # the Spark section's figures (clarity_tools.spark_build)


# -- generation --------------------------------------------------------------------------------
def bench_projects(count: int):
    from clarity_tools.offline import default_projects

    base = default_projects()
    specs = []
    for index in range(count):
        spec = base[index % len(base)]
        suffix = f"{index + 1:02d}"
        specs.append(
            dataclasses.replace(
                spec,
                name=f"{spec.name}-{suffix}",
                host=spec.host.replace(".example", f"{suffix}.example"),
                regressions=(),
            )
        )
    return specs


def generate_archive(folder: Path, projects: int, days: int, per_day: int) -> tuple[int, int]:
    """Response bodies with .meta.json sidecars: `days + 1` days (the last one is the
    incremental day), one-day windows fetched at 00:10 UTC. Returns (files, metric rows)."""
    from clarity_tools.offline import OfflineClarity

    sets = DEFAULT_DIMENSION_SETS[:per_day]
    files = rows = 0
    for spec in bench_projects(projects):
        # one project at a time keeps the simulation's memory small
        with_service = OfflineClarity(projects=[spec], seed=11, start=START, days=days + 2)
        for day in range(1, days + 2):
            fetched = START + timedelta(days=day) + COLLECTED_AT
            day_dir = folder / f"day{day:04d}"
            day_dir.mkdir(parents=True, exist_ok=True)
            for dims in sets:
                body = with_service.response(spec.name, dims, 1, fetched)
                meta = SnapshotMeta(spec.name, tuple(sorted(dims)), 1, fetched, "archive")
                sid = meta.snapshot_id
                (day_dir / f"{sid}.json").write_bytes(json.dumps(body).encode())
                (day_dir / f"{sid}.meta.json").write_text(json.dumps(meta.to_json()))
                files += 1
                rows += sum(len(block["information"]) for block in body)
        del with_service
    return files, rows


def day_dirs(archive: Path, first: int, last: int) -> list[Path]:
    return [archive / f"day{d:04d}" for d in range(first, last + 1)]


# -- measuring -----------------------------------------------------------------------------------
def timed(name: str, command: list[str], env: dict | None = None, rows: int | None = None) -> Step:
    """Run a command under /usr/bin/time -v; wall time and peak RSS of the process tree's
    largest process."""
    full_env = {**os.environ, **(env or {})}
    time_bin = shutil.which("time") or "/usr/bin/time"
    started = time.perf_counter()
    result = subprocess.run(
        [time_bin, "-v", *command], env=full_env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise RuntimeError(f"benchmark step {name!r} failed (exit {result.returncode})")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    peak = int(match.group(1)) / 1024 if match else float("nan")
    step = Step(name, seconds, peak, rows)
    checkpoint = re.search(
        r"Raw data checkpoint \(Great Expectations\): \w+ in ([0-9.]+)s", result.stdout
    )
    if checkpoint:
        step.checkpoint_seconds = float(checkpoint.group(1))
    log.info(
        "%-32s %8.2f s  %7.0f MiB%s",
        name,
        seconds,
        peak,
        f"  {step.rows_per_second:,.0f} rows/s" if step.rows_per_second else "",
    )
    return step


BASELINE_SNAPSHOTS_SQL = """
create schema if not exists clarity_raw;
create table clarity_raw.snapshots as
    select * from read_json({metas}, format = 'auto', filename = true);
"""

# One statement per dimension set: DuckDB's struct keys are case-insensitive, and PopularPages'
# `url` (no-dimension bodies) would collide with the URL dimension's `Url` in one struct.
BASELINE_GROUP_SQL = """
create table clarity_raw.metric_rows_{index} as
    select
        filename as snapshot_file,
        metricName as metric_name,
        unnest(information, recursive := true)
    from (
        select filename, metricName, unnest(information) as information
        from read_json({bodies}, format = 'array', filename = true, union_by_name = true,
                       maximum_object_size = 67108864)
    );
"""


def baseline_script(db: Path, dirs: list[Path]) -> str:
    """A DuckDB-only loader of the same files: snapshots from the sidecars, metric rows
    unnested from the bodies with read_json's own type detection, grouped by dimension set."""
    groups: dict[str, list[str]] = {}
    metas = []
    for folder in dirs:
        for meta in sorted(folder.glob("*.meta.json")):
            metas.append(str(meta))
            dims = ",".join(json.loads(meta.read_text())["dimensions"])
            body = meta.with_name(meta.name.replace(".meta.json", ".json"))
            groups.setdefault(dims, []).append(str(body))
    statements = [BASELINE_SNAPSHOTS_SQL.format(metas=json.dumps(metas))]
    for index, files in enumerate(groups.values()):
        statements.append(BASELINE_GROUP_SQL.format(index=index, bodies=json.dumps(files)))
    parts = [f"select * from clarity_raw.metric_rows_{i}" for i in range(len(groups))]
    statements.append(
        "create table clarity_raw.metric_rows as " + " union all by name ".join(parts) + ";"
    )
    statements += [f"drop table clarity_raw.metric_rows_{i};" for i in range(len(groups))]
    statements.append("select count(*) from clarity_raw.metric_rows;")
    sql = "\n".join(statements)
    return (
        "import duckdb\n"
        f"con = duckdb.connect({str(db)!r})\n"
        f"for statement in {sql!r}.split(';'):\n"
        "    if statement.strip():\n"
        "        out = con.execute(statement).fetchall()\n"
        "print(out[0][0])\n"
        "con.close()\n"
    )


def dbt_overhead(target: Path, wall: float) -> float:
    """Wall time outside dbt's node execution: start-up, parsing, compilation and the gaps
    between nodes. With several threads the node times overlap, so the sum of node times is
    divided by the threads used."""
    results = json.loads((target / "run_results.json").read_text())
    nodes = sum(r.get("execution_time", 0.0) for r in results["results"])
    threads = max(1, int(results.get("args", {}).get("threads") or 2))
    return max(0.0, wall - nodes / threads)


def run(
    preset: str,
    work: Path,
    projects: int | None = None,
    days: int | None = None,
    short_days: int | None = None,
    per_day: int | None = None,
    sections: tuple[str, ...] | None = None,
) -> BenchResult:
    from clarity_tools import bench_scale

    sections = tuple(sections or PRESET_SECTIONS[preset])
    p, d, s, n = PRESETS[preset]
    result = BenchResult(
        projects or p, days or d, short_days or s, per_day or n, repeat=PRESET_REPEATS[preset]
    )
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    archive = work / "archive"
    python = sys.executable
    clarity = [python, "-m", "ingestion.cli"]
    env_common = {"RUNTIME__DLTHUB_TELEMETRY": "false", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if {"ingest", "dbt", "filesystem"} & set(sections):
        log.info(
            "generating %d projects x %d days x %d snapshots",
            result.projects,
            result.days + 1,
            result.snapshots_per_day,
        )
        started = time.perf_counter()
        result.files, result.metric_rows = generate_archive(
            archive, result.projects, result.days, result.snapshots_per_day
        )
        log.info(
            "generated %d files, %d metric rows in %.1f s",
            result.files,
            result.metric_rows,
            time.perf_counter() - started,
        )

    # 1. ingestion, ours (with the landing checkpoint on, as users run it) vs the read_json
    #    baseline, at both history lengths (two points give the slope: marginal rows per second,
    #    without fixed start-up costs)
    dbs = {}
    if {"ingest", "dbt"} & set(sections):
        for label, last_day in (("short", result.short_days), ("long", result.days)):
            dirs = day_dirs(archive, 1, last_day)
            rows = rows_in(dirs)
            dbs[label] = work / label / "clarity.duckdb"
            result.steps[f"ingest_ours_{label}"] = timed(
                f"ingest {label}: clarity import",
                [*clarity, "import", *map(str, dirs)],
                {**env_common, "CLARITY_DUCKDB_PATH": str(dbs[label])},
                rows=rows,
            )
            if "ingest" not in sections:
                continue  # the dbt section needs our import only
            script = work / f"baseline_{label}.py"
            script.write_text(baseline_script(work / f"baseline_{label}.duckdb", dirs))
            result.steps[f"ingest_baseline_{label}"] = timed(
                f"ingest {label}: duckdb read_json", [python, str(script)], rows=rows
            )

    # 2. the same long import into a bucket (dlt's filesystem destination, Parquet)
    if "filesystem" in sections:
        dirs = day_dirs(archive, 1, result.days)
        result.steps["ingest_filesystem_long"] = bench_scale.filesystem_import(
            work, dirs, rows_in(dirs), timed
        )

    # 3. dbt: full refresh, then one new day incremental, at both history lengths
    if "dbt" in sections:
        run_dbt_steps(result, work, archive, dbs, clarity, env_common)

    # 4. many projects with API latency, one at a time and side by side
    if "concurrency" in sections:
        result.concurrency, pools = bench_scale.concurrency(work / "concurrency", preset, timed)
        for pool, step in pools.items():
            result.steps[f"concurrency_{pool}"] = step

    # 5. dbt on Spark (session) next to DuckDB, on the parity data set
    if "spark" in sections:
        from clarity_tools import spark_build

        result.spark = spark_build.benchmark(work / "spark")
    return result


def run_dbt_steps(
    result: BenchResult,
    work: Path,
    archive: Path,
    dbs: dict[str, Path],
    clarity: list[str],
    env_common: dict[str, str],
) -> None:
    python = clarity[0]
    dbt = [str(Path(python).with_name("dbt"))]
    root = PROJECT_ROOT
    for label, db, new_day in (
        ("short", dbs["short"], result.short_days + 1),
        ("long", dbs["long"], result.days + 1),
    ):
        target = work / f"target-{label}"
        dbt_env = {
            **env_common,
            "CLARITY_DUCKDB_PATH": str(db),
            "DBT_TARGET_PATH": str(target),
            "DBT_LOG_PATH": str(target / "logs"),
        }
        args = [
            "--project-dir",
            str(root / "dbt_project"),
            "--profiles-dir",
            str(root / "profiles"),
            # the scheduled job's build: models and data tests; unit tests belong in CI
            "--exclude-resource-type",
            "unit_test",
        ]
        step = timed(
            f"dbt full refresh ({label})", [*dbt, "build", "--full-refresh", *args], dbt_env
        )
        result.steps[f"dbt_full_{label}"] = step
        result.dbt_overhead[f"full_{label}"] = dbt_overhead(target, step.seconds)
        timed(
            f"ingest one more day ({label})",
            [*clarity, "import", str(archive / f"day{new_day:04d}"), "--no-checks"],
            {**env_common, "CLARITY_DUCKDB_PATH": str(db)},
        )
        # the incremental build `repeat` times, each on a copy of the warehouse as it was
        # before the first, and the median kept: one build of a few seconds is within a busy
        # machine's noise, and the ratios below divide two of them
        kept = _files_of(db)
        for path in kept:
            shutil.copy2(path, path.with_name(path.name + ".before-incremental"))
        runs = []
        for attempt in range(result.repeat):
            if attempt:
                for path in _files_of(db):  # a log the last build left would be replayed
                    if path not in kept:
                        path.unlink()
                for path in kept:
                    shutil.copy2(path.with_name(path.name + ".before-incremental"), path)
            step = timed(f"dbt incremental ({label})", [*dbt, "build", *args], dbt_env)
            runs.append((step, dbt_overhead(target, step.seconds)))
        runs.sort(key=lambda run: run[0].seconds)
        step, overhead = runs[len(runs) // 2]
        step.note = ", ".join(f"{run.seconds:.2f}" for run, _ in runs)
        result.steps[f"dbt_incremental_{label}"] = step
        result.dbt_overhead[f"incremental_{label}"] = overhead
        for path in kept:
            path.with_name(path.name + ".before-incremental").unlink()


def _files_of(db: Path) -> list[Path]:
    """The DuckDB file and its write-ahead log, where there is one."""
    return [path for path in (db, db.with_name(db.name + ".wal")) if path.exists()]


def rows_in(dirs: list[Path]) -> int:
    total = 0
    for folder in dirs:
        for path in folder.glob("*.json"):
            if ".meta." in path.name:
                continue
            total += sum(len(b["information"]) for b in json.loads(path.read_bytes()))
    return total


# -- reporting -----------------------------------------------------------------------------------
def slope(steps: dict[str, Step], who: str) -> float:
    """Marginal rows per second between the short and the long ingestion."""
    short, long = steps[f"ingest_{who}_short"], steps[f"ingest_{who}_long"]
    extra_seconds = long.seconds - short.seconds
    if extra_seconds <= 0:
        return float("inf")
    return ((long.rows or 0) - (short.rows or 0)) / extra_seconds


def ratios(result: BenchResult) -> dict[str, float]:
    s = result.steps
    found = {}
    if (
        "ingest_baseline_long" in s
    ):  # the ingest section ran (the dbt section alone has no baseline)
        baseline, ours = slope(s, "baseline"), slope(s, "ours")
        # an infinite slope: the long import was not slower than the short one (a tiny data set
        # on a busy machine); no ratio can be read from it
        found["ingest_slope_baseline_over_ours"] = (
            baseline / ours if math.isfinite(baseline) and math.isfinite(ours) else math.nan
        )
    if "dbt_incremental_long" in s:
        found["incremental_long_over_short"] = (
            s["dbt_incremental_long"].seconds / s["dbt_incremental_short"].seconds
        )
        found["incremental_long_over_full_long"] = (
            s["dbt_incremental_long"].seconds / s["dbt_full_long"].seconds
        )
    if "ingest_filesystem_long" in s and "ingest_ours_long" in s:
        found["filesystem_over_duckdb_rows_per_second"] = (
            s["ingest_filesystem_long"].rows_per_second / s["ingest_ours_long"].rows_per_second
        )
    pools = sorted(result.concurrency.requests_served) if result.concurrency else []
    if len(pools) == 2:
        found["sequential_over_parallel"] = (
            s[f"concurrency_{pools[0]}"].seconds / s[f"concurrency_{pools[1]}"].seconds
        )
    return found


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        mem = float("nan")
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"
    )


def versions() -> str:
    names = ["dlt", "duckdb", "dbt-core", "dbt-duckdb", "pyarrow"]
    return (
        ", ".join(f"{n} {metadata.version(n)}" for n in names)
        + f", Python {platform.python_version()}"
    )


def markdown(result: BenchResult, preset: str) -> str:
    r = ratios(result)
    s = result.steps
    lines = [
        "# Benchmarks",
        "",
        f"Measured {date.today().isoformat()} with `scripts/bench --preset {preset}` on "
        f"{machine()}; {versions()}.",
        "",
        f"Data: {result.projects} projects x {result.days} days (+1 incremental day) x "
        f"{result.snapshots_per_day} snapshots a day = {result.files} response files, "
        f"{result.metric_rows:,} metric rows; short history {result.short_days} days. "
        f"DuckDB memory_limit (loader and dbt): {Environment.read().memory_limit or 'default'}.",
        "",
        "| step | wall s | peak MiB | rows/s |",
        "|---|---:|---:|---:|",
    ]
    for step in s.values():
        rps = f"{step.rows_per_second:,.0f}" if step.rows_per_second else ""
        lines.append(f"| {step.name} | {step.seconds:.2f} | {step.peak_mib:.0f} | {rps} |")
    repeated = [step for step in s.values() if step.note]
    if repeated:
        lines += [
            "",
            f"Each incremental build ran {result.repeat} times on a copy of the warehouse as it "
            "was before it; the median is shown (of an even number, the slower middle one; "
            "all runs, s: " + "; ".join(f"{step.name} {step.note}" for step in repeated) + ").",
        ]
    checked = [step for step in s.values() if step.checkpoint_seconds is not None]
    if checked:
        lines += [
            "",
            "`clarity import` runs with the landing checkpoint on (as users run it); its share of "
            "the import's wall time: "
            + ", ".join(
                f"{step.name} {step.checkpoint_seconds:.1f} s of {step.seconds:.1f} s "
                f"({step.checkpoint_seconds / step.seconds:.0%})"
                for step in checked
            )
            + ".",
        ]
    lines += ["", "| ratio | value | target |", "|---|---:|---|"]
    if "ingest_slope_baseline_over_ours" in r:
        value = r["ingest_slope_baseline_over_ours"]
        shown = f"{value:.2f}" if math.isfinite(value) else "n/a (long import not slower)"
        lines.append(
            f"| ingestion slope: read_json rows/s / ours ({slope(s, 'baseline'):,.0f} / "
            f"{slope(s, 'ours'):,.0f}) | {shown} | <= 5 |"
        )
    if "incremental_long_over_short" in r:
        lines += [
            f"| dbt incremental: {result.days} d / {result.short_days} d | "
            f"{r['incremental_long_over_short']:.2f} | <= 1.1 |",
            f"| dbt incremental / full refresh at {result.days} d | "
            f"{r['incremental_long_over_full_long']:.2f} | <= 0.2 |",
        ]
    if "filesystem_over_duckdb_rows_per_second" in r:
        fs, db = s["ingest_filesystem_long"], s["ingest_ours_long"]
        lines.append(
            f"| import of {result.days} d, rows/s: to a bucket (Parquet) / to the DuckDB file "
            f"({fs.rows_per_second:,.0f} / {db.rows_per_second:,.0f}) | "
            f"{r['filesystem_over_duckdb_rows_per_second']:.2f} | reported |"
        )
    if "sequential_over_parallel" in r:
        c = result.concurrency
        one, many = sorted(c.requests_served)
        lines.append(
            f"| ingest of {c.projects} projects x {c.requests_per_project} requests at "
            f"{c.latency_ms:.0f} ms: {one} at a time / {many} at a time "
            f"({s[f'concurrency_{one}'].seconds:.1f} s / {s[f'concurrency_{many}'].seconds:.1f} s) "
            f"| {r['sequential_over_parallel']:.1f} | >= 8 |"
        )
    if result.dbt_overhead:
        lines += [
            "",
            "dbt fixed overhead (wall time minus the sum of node times in run_results.json, "
            "divided by the 2 threads that run nodes side by side): "
            + ", ".join(f"{k} {v:.1f} s" for k, v in result.dbt_overhead.items()),
        ]
    if result.concurrency:
        c = result.concurrency
        lines += [
            "",
            "Concurrent ingestion: API requests answered per run "
            + ", ".join(f"{pool} at a time: {n}" for pool, n in c.requests_served.items())
            + "; most answered at the same time "
            + ", ".join(f"{pool} at a time: {n}" for pool, n in c.max_in_flight.items())
            + ".",
        ]
    if result.spark:
        from clarity_tools import spark_build

        lines += ["", *spark_build.markdown(result.spark)]
    lines.append("")
    return "\n".join(lines)


# The hand-written reading of a run (profile, what was changed, what is left) lives below this
# line in the report; a new run rewrites the figures above it and keeps the text below.
ANALYSIS_MARKER = "<!-- written by hand below this line; scripts/bench keeps it -->"


def kept_analysis(report: Path) -> str:
    if not report.exists():
        return ""
    text = report.read_text()
    at = text.find(ANALYSIS_MARKER)
    return "\n" + text[at:] if at >= 0 else ""


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--projects", type=int)
    parser.add_argument("--days", type=int, help="long history, days")
    parser.add_argument("--short-days", type=int, help="short history, days")
    parser.add_argument("--snapshots", type=int, help="snapshots (dimension sets) per day")
    parser.add_argument(
        "--sections",
        help=f"comma-separated, of {','.join(SECTIONS)} (default: the preset's; dbt imports "
        "the archive itself, ingest adds the read_json baseline)",
    )
    parser.add_argument("--work", type=Path, default=PROJECT_ROOT / "data" / "bench")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("clarity_tools.offline").setLevel(logging.WARNING)
    sections = None
    if args.sections:
        sections = tuple(x.strip() for x in args.sections.split(",") if x.strip())
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    result = run(
        args.preset,
        args.work,
        args.projects,
        args.days,
        args.short_days,
        args.snapshots,
        sections,
    )
    report = markdown(result, args.preset)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + kept_analysis(args.out))
    print(report)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
