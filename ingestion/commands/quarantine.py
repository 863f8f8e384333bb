"""`clarity quarantine`: the landed files set aside because they cannot be loaded, each with
why; `--retry` moves those with a valid description back to pending and loads them."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.ingest import RetryReport

HELP = "list the landed files set aside (and why); --retry loads them again"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--retry",
        action="store_true",
        help="move them back to pending and load them (those that still fail stay)",
    )
    parser.add_argument("name", nargs="*", help="only these entries (names as listed)")
    parser.add_argument(
        "--no-checks", action="store_true", help="skip the Great Expectations check"
    )


def exit_code(result: RetryReport, checked: ExitCode) -> ExitCode:
    if checked != ExitCode.OK:
        return checked
    return ExitCode.PARTIAL if result.kept or result.load.quarantined else ExitCode.OK


def print_retry(result: RetryReport) -> None:
    for name, problem in result.kept:
        print(f"  kept {name}: {problem}", file=sys.stderr)
    print(
        f"{result.released} file(s) released from quarantine: loaded "
        f"{result.load.snapshots_loaded} snapshot(s), {result.load.rows_loaded} metric row(s); "
        f"{len(result.kept) + len(result.load.quarantined)} still in quarantine"
    )
    _common.print_quarantined(result.load.quarantined)


def main(args: argparse.Namespace) -> int:
    from ingestion.collect.landing import Landing

    landing = Landing(_common.environment(args).data_dir)
    if not args.retry:
        if not landing.quarantined():
            print(f"quarantine ({landing.quarantine}) is empty")
        _common.print_quarantine(landing)
        return ExitCode.OK
    from ingestion.ingest import retry_quarantined

    config = _common.config(args, require_tokens=False)
    result = retry_quarantined(config, names=args.name or None)
    print_retry(result)
    checked = _common.check_loaded(args, config.warehouse, result.load.load_ids)
    return exit_code(result, checked)
