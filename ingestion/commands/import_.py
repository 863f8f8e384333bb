"""`clarity import`: land saved response bodies (files or folders) not loaded yet and load
them, then the landing checkpoint on what was loaded."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.load.archive import ArchiveDefaults, ImportReport

HELP = "load saved response bodies (files or folders)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--project", help="project of files without a .meta.json sidecar")
    parser.add_argument(
        "--fetched-at", type=_common.timestamp, help="UTC time the bodies were fetched"
    )
    parser.add_argument("--num-days", type=int, help="numOfDays the bodies were fetched with (1-3)")
    parser.add_argument("--dimensions", help="comma-separated dimensions, e.g. URL,Device")
    parser.add_argument("--no-checks", action="store_true")


def defaults(args: argparse.Namespace) -> ArchiveDefaults:
    """The description of bodies without a sidecar, from the flags."""
    from ingestion.load.archive import ArchiveDefaults

    return ArchiveDefaults(
        project=args.project,
        fetched_at=args.fetched_at,
        num_of_days=args.num_days,
        dimensions=tuple(d for d in (args.dimensions or "").split(",") if d.strip()),
    )


def exit_code(report: ImportReport, checked: ExitCode) -> ExitCode:
    if checked != ExitCode.OK:
        return checked
    return ExitCode.PARTIAL if report.errors or report.load.quarantined else ExitCode.OK


def print_report(report: ImportReport) -> None:
    quarantined = report.quarantined + len(report.load.quarantined)
    print(
        f"{report.files} file(s): {report.landed} new, {report.already_loaded} already loaded, "
        f"{len(report.errors)} error(s), {quarantined} set aside in quarantine; loaded "
        f"{report.load.snapshots_loaded} snapshot(s) and {report.load.rows_loaded} metric row(s)"
    )
    for error in report.errors:
        print(f"  error: {error}", file=sys.stderr)
    _common.print_quarantined(report.load.quarantined)
    _common.print_solved(report.solve)


def main(args: argparse.Namespace) -> int:
    from ingestion.ingest import import_files

    config = _common.config(args, require_tokens=False)
    report = import_files(config, args.paths, defaults(args))
    print_report(report)
    checked = _common.check_loaded(args, config.warehouse, report.load.load_ids)
    return exit_code(report, checked)
