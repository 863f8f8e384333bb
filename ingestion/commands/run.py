"""`clarity run`: the daily job for cron (ingestion/daily_job.py), one line per step (and, under
a step, a line per thing that failed); the exit code is the worst step's."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.daily_job import JobReport

HELP = "the daily job for cron: ingest, dbt build, publish, report, notify (one lock)"
_MARKS = {ExitCode.OK: "ok", ExitCode.PARTIAL: "partly failed"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-checks", action="store_true", help="skip the Great Expectations check"
    )
    parser.add_argument("--days", type=int, default=28, help="days in the report (default 28)")
    parser.add_argument("--base-url", help="API base URL (e.g. the offline service's)")
    _common.add_now(parser)


def print_job(job: JobReport) -> None:
    for step in job.steps:
        mark = _MARKS.get(step.status, "FAILED")
        print(f"{step.name:<11} {mark:<13} {step.detail}")
        for line in step.lines:
            print(f"{'':<11} {'':<13}   {line}")


def main(args: argparse.Namespace) -> int:
    from ingestion.daily_job import run_daily_job

    config = _common.config(args)
    job = run_daily_job(
        config, clock=_common.clock(args.now), checks=not args.no_checks, days=args.days
    )
    print_job(job)
    return job.status
