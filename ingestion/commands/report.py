"""`clarity report`: the report of the marts, one self-contained HTML file or Markdown with PNG
charts beside it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

HELP = "write the report: charts of the marts, one HTML file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", help="only this project (default: every project)")
    parser.add_argument("--days", type=int, default=28, help="days shown (default 28)")
    parser.add_argument(
        "--out", type=Path, help="file (default <data>/reports/clarity-report.html)"
    )
    parser.add_argument(
        "--format",
        choices=("html", "md"),
        default="html",
        help="html: one self-contained file; md: Markdown with PNG charts beside it",
    )


def main(args: argparse.Namespace) -> int:
    from ingestion.outputs.report import write_report
    from ingestion.outputs.report.data import NoMartsError

    environment = _common.environment(args)
    out = args.out or environment.data_dir / "reports" / f"clarity-report.{args.format}"
    try:
        result = write_report(
            environment.duckdb_path, out, days=args.days, project=args.project, fmt=args.format
        )
    except NoMartsError as exc:
        print(f"clarity: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    print(
        f"report of {result.projects} project(s), {result.charts} charts, "
        f"{result.bytes / 1024:.0f} KiB, written in {result.seconds:.1f} s: {result.path}"
    )
    return ExitCode.OK
