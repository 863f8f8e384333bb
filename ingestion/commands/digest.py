"""`clarity digest`: the weekly digest (ingestion/outputs/digest.py) to the notify URLs, with
the report attached; once per ISO week unless --again, or printed with --print."""

from __future__ import annotations

import argparse
import sys

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

HELP = "send the weekly digest (summary, pages to fix, incidents, fixes) to the notify URLs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", help="only this project (default: every project)")
    parser.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="print the digest and send nothing",
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="send it even if this week's digest was sent already",
    )
    _common.add_now(parser)


def main(args: argparse.Namespace) -> int:
    from ingestion.daily_job import send_digest
    from ingestion.outputs.marts import NoMartsError

    config = _common.config(args, require_tokens=False)
    now = _common.clock(args.now)()
    try:
        result = send_digest(
            config, now, project=args.project, send=not args.print_only, again=args.again
        )
    except NoMartsError as exc:
        print(f"clarity: {exc}", file=sys.stderr)
        return ExitCode.FAILED

    if args.print_only:
        print(result.digest.title)
        print()
        print(result.digest.body)
        print(f"\n(report: {result.report})")
        return ExitCode.OK
    print(result.line)
    return ExitCode.OK if result.delivered or result.already_sent else ExitCode.PARTIAL
