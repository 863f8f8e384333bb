"""`clarity ingest`: finish what is pending, ask today's planned requests, load everything
landed, then the landing checkpoint on what was loaded."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.config import IngestConfig
    from ingestion.ingest import IngestReport

HELP = "fetch today's planned requests and load everything landed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    parser.add_argument("--force", action="store_true", help="ask again sets already fetched today")
    parser.add_argument("--base-url", help="API base URL (e.g. the offline service's)")
    parser.add_argument(
        "--no-checks", action="store_true", help="skip the Great Expectations check"
    )
    _common.add_now(parser)


def exit_code(report: IngestReport, checked: ExitCode) -> ExitCode:
    """A failed checkpoint or load is a failure; a failed request a partial success."""
    if checked != ExitCode.OK:
        return checked
    if report.load_errors:
        return ExitCode.FAILED
    return ExitCode.PARTIAL if report.had_errors else ExitCode.OK


def print_report(report: IngestReport, config: IngestConfig) -> None:
    load = report.load
    for name, outcome in report.outcomes.items():
        print(
            f"{name}: {outcome.fetched}/{len(outcome.plan.requests)} fetched"
            + (f", stopped: {outcome.stopped_because}" if outcome.stopped_because else "")
            + (f", {len(outcome.errors)} error(s)" if outcome.errors else "")
        )
        for error in outcome.errors:
            print(f"  error: {error}", file=sys.stderr)
    print(
        f"loaded {load.snapshots_loaded} snapshot(s), {load.rows_loaded} metric row(s), "
        f"{load.requests_loaded} request record(s) into {config.warehouse.label}"
        + (" (finished a pending package first)" if load.finished_pending_package else "")
    )
    _common.print_quarantined(load.quarantined)
    _common.print_solved(report.solve)
    for error in report.load_errors:
        print(f"  load failed: {error}", file=sys.stderr)
    for error in report.solve_errors:
        print(f"  solve failed: {error}", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    from ingestion.ingest import ingest

    config = _common.config(args)
    report = ingest(
        config, clock=_common.clock(args.now), force=args.force, projects=args.project or None
    )
    print_report(report, config)
    checked = _common.check_loaded(args, config.warehouse, report.load.load_ids)
    return exit_code(report, checked)
