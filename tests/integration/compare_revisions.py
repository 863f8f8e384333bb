"""Do two revisions of the dbt project build the same marts? Collects the demo and the engine
parity data sets from the offline service once (raw only), builds a git revision's dbt_project
and the working tree's on copies of each raw warehouse, and compares every mart of the revision
row for row on its key (tests/integration/compare.py), columns and their order included.

    .venv/bin/python -m tests.integration.compare_revisions 8223ee7 [--work /tmp/compare]

Exit 0 when every mart is equal on both data sets. A refactoring of the models (YAML moved,
signals as rows) must leave it at 0; a change of behaviour shows as the rows that differ."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ingestion import PROJECT_ROOT
from ingestion.quality.coverage import mart_keys
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, dbt_executable
from tests.integration.compare import table_differences

log = logging.getLogger("compare_revisions")

DEMO_DAYS = 35


def collect_demo(folder: Path) -> Path:
    """The demo's raw history (3 projects x 35 days, daily at 00:10 UTC, an outage the next run
    recovers with nested windows), without dbt."""
    from clarity_tools.demo import DEFAULT_OUTAGES, SIMULATION_START, collect
    from clarity_tools.offline import OfflineClarity, default_projects
    from tests.conftest import make_config

    with OfflineClarity(
        projects=default_projects(), seed=7, start=SIMULATION_START, days=DEMO_DAYS + 2
    ) as service:
        for outage in DEFAULT_OUTAGES:
            service.add_outage(outage.project, outage.first_day, outage.days)
        config = make_config(service, folder)
        collect(service, config, DEMO_DAYS)
    return config.duckdb_path


def collect_parity(folder: Path) -> Path:
    """The engine parity data set (time zones away from UTC, a 4-day outage), DuckDB only."""
    from ingestion.config import duckdb_warehouse
    from tests.parity_data import (
        DAYS,
        collect,
        parity_config,
        parity_service,
    )

    with parity_service() as service:
        config = parity_config(service, folder, duckdb_warehouse(folder / "clarity.duckdb"))
        collect({"duckdb": service}, {"duckdb": config}, range(1, DAYS + 1))
    return config.duckdb_path


def data_sets() -> dict[str, tuple]:
    """name -> (collector, extra dbt args)."""
    from tests.parity_data import BUILD_VARS

    return {
        "demo": (collect_demo, []),
        "parity": (collect_parity, ["--vars", BUILD_VARS]),
    }


def export_revision(revision: str, folder: Path) -> Path:
    """The revision's dbt_project/ (git archive) under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", revision, "dbt_project"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "dbt_project"


def build(project_dir: Path, duckdb_path: Path, target: Path, extra: list[str]) -> None:
    """The scheduled `dbt build` of the project in `project_dir` on a DuckDB file."""
    env = {
        **os.environ,
        "CLARITY_DUCKDB_PATH": str(duckdb_path.resolve()),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        dbt_executable(),
        *SCHEDULED_BUILD,
        *extra,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(PROJECT_ROOT / "profiles"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dbt build of {project_dir} failed:\n{result.stdout[-4000:]}")


def compare(base_db: Path, work_db: Path, base_target: Path) -> tuple[list[str], dict[str, int]]:
    differences: list[str] = []
    rows: dict[str, int] = {}
    import duckdb

    for table, key in sorted(mart_keys(base_target).items()):
        con = duckdb.connect(str(base_db), read_only=True)
        try:
            rows[table] = con.execute(f"select count(*) from marts.{table}").fetchall()[0][0]
        finally:
            con.close()
        differences += table_differences(
            base_db, work_db, f"marts.{table}", key, labels=("base", "work")
        )
    return differences, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="the git revision to compare with, e.g. a base commit")
    parser.add_argument("--work", type=Path, help="folder kept for reuse (raw data collected once)")
    parser.add_argument("--data", choices=["demo", "parity"], action="append")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    work = args.work or Path(tempfile.mkdtemp(prefix="compare-revisions-"))
    base_project = export_revision(args.revision, work / "base")
    failed = False
    for name, (collector, extra) in data_sets().items():
        if args.data and name not in args.data:
            continue
        raw_folder = work / name / "raw"
        raw = raw_folder / "clarity.duckdb"
        if not raw.exists():
            log.info("%s: collecting the raw history", name)
            shutil.rmtree(raw_folder, ignore_errors=True)
            raw_folder.mkdir(parents=True)
            raw = collector(raw_folder)
        dbs = {}
        for side, project_dir in (("base", base_project), ("work", PROJECT_ROOT / "dbt_project")):
            db = work / name / f"{side}.duckdb"
            shutil.copyfile(raw, db)
            target = work / name / f"target-{side}"
            shutil.rmtree(target, ignore_errors=True)
            log.info("%s: building %s", name, side)
            build(project_dir, db, target, extra)
            dbs[side] = db
        differences, rows = compare(dbs["base"], dbs["work"], work / name / "target-base")
        summary = ", ".join(f"{table} {count}" for table, count in rows.items())
        log.info("%s: %d marts compared (rows: %s)", name, len(rows), summary)
        for line in differences:
            log.info("  %s", line)
        log.info("%s: %s", name, "EQUAL" if not differences else "DIFFERENT")
        failed = failed or bool(differences)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
