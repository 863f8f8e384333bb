"""`clarity serve-offline`: the offline Clarity service on loopback, for trying things by hand
(it prints its tokens and base URL)."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timezone

from ingestion.commands._tools import tools
from ingestion.exit_codes import ExitCode

HELP = "run the offline Clarity service on loopback"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1))
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="wait this long before each API answer, as a real API's round trip (default 0)",
    )


def main(args: argparse.Namespace) -> int:
    run_standalone = tools().offline.run_standalone
    start = datetime.combine(args.start, datetime.min.time(), tzinfo=timezone.utc)
    run_standalone(args.host, args.port, args.seed, start, args.days, latency_ms=args.latency_ms)
    return ExitCode.OK
