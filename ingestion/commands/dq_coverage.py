"""`clarity dq-coverage`: every dbt model with its grain test and undocumented columns, from
the manifest and catalog of `dbt docs generate`; fails on a mart without them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingestion.exit_codes import ExitCode

HELP = "grain tests and column docs per dbt model; fails on an uncovered mart"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", type=Path, help="dbt target folder (default dbt_project/target)"
    )


def main(args: argparse.Namespace) -> int:
    from ingestion import PROJECT_ROOT
    from ingestion.quality.coverage import coverage, report

    target = args.target or PROJECT_ROOT / "dbt_project" / "target"
    if not (target / "manifest.json").exists():
        print(
            f"clarity: no manifest in {target}: run `./scripts/dbt docs generate` first",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    models = coverage(target)
    print(report(models))
    return ExitCode.FAILED if any(m.problems for m in models) else ExitCode.OK
