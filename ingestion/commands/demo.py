"""`clarity demo`: daily collection simulated from the offline service (clarity_tools/demo.py),
then dbt; what ./scripts/demo runs."""

from __future__ import annotations

import argparse
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingestion.commands._tools import tools
from ingestion.errors import ConfigurationError

HELP = "simulate daily collection from the offline service, then dbt"


def _clock_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day (HH:MM)") from None


def _minutes(text: str) -> int:
    try:
        minutes = int(text)
    except ValueError:
        minutes = -1
    if not 0 <= minutes <= 600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes from 0 to 600")
    return minutes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=35)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-dbt", action="store_true")
    parser.add_argument(
        "--collect-at",
        type=_clock_time,
        default="00:10",
        help="time of day of the daily collection, in --timezone (default 00:10)",
    )
    parser.add_argument(
        "--windows",
        choices=("daily", "nightly-3day"),
        default="daily",
        help="daily: `clarity ingest` once a day (one-day windows; after a gap one window over "
        "it per set, nested windows with the budget left); "
        "nightly-3day: every dimension set as a 3-day window each night, imported with "
        "`clarity import` and valued by the window solver (default daily)",
    )
    parser.add_argument(
        "--jitter-minutes",
        type=_minutes,
        default=0,
        help="each collection starts 0 to this many minutes after --collect-at, at random "
        "(the same for the same --seed; default 0)",
    )
    parser.add_argument(
        "--timezone", default="UTC", help="IANA time zone of the demo projects (default UTC)"
    )
    parser.add_argument(
        "--outage",
        action="append",
        metavar="PROJECT:YYYY-MM-DD:DAYS",
        help="the service answers 500 to PROJECT on those days (repeatable; default "
        "northwind-shop:2026-10-15:2; `none` for no outage)",
    )


def main(args: argparse.Namespace) -> int:
    demo = tools().demo
    outages = demo.DEFAULT_OUTAGES
    if args.outage:
        try:
            outages = tuple(demo.Outage.parse(o) for o in args.outage if o != "none")
        except ValueError as exc:  # says which --outage and how to write it
            raise ConfigurationError(str(exc)) from None
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"--timezone {args.timezone!r} is not an IANA time zone") from None
    return demo.run_demo(
        days=args.days,
        seed=args.seed,
        run_dbt=not args.skip_dbt,
        collect_at=args.collect_at,
        timezone_name=args.timezone,
        outages=outages,
        windows=args.windows,
        jitter_minutes=args.jitter_minutes,
    )
