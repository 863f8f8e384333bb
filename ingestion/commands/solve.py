"""`clarity solve`: run the window solver over all of the raw layer again, every layout and
block, without any API call (ingest and import solve what they load by themselves: this is for
a warehouse loaded before the solver existed, or after changing how the solver works)."""

from __future__ import annotations

import argparse
import sys

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

HELP = "solve every window of the raw layer again into the solved periods (no API call)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments: every layout and block is solved."""


def main(args: argparse.Namespace) -> int:
    from ingestion.collect.lock import data_folder_lock
    from ingestion.ingest import solve_loaded

    config = _common.config(args, require_tokens=False)
    errors: list[str] = []
    with data_folder_lock(config.data_dir, "solve"):
        report = solve_loaded(config, (), errors, everything=True)
    for error in errors:
        print(f"clarity: {error}", file=sys.stderr)
    if report is None:
        return ExitCode.FAILED
    print(
        f"solved {report.periods} period(s) of {report.layouts} layout(s) in {report.blocks} "
        f"block(s): {report.rows} row(s) in {report.seconds:.1f} s"
    )
    return ExitCode.FAILED if errors else ExitCode.OK
