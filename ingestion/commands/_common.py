"""What several commands share: the --now option, the configuration from the command line,
the landing checkpoint after a load, and the lines about quarantine and collection times."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.collect.landing import Landing
    from ingestion.config import Environment, IngestConfig
    from ingestion.quality.report import QualityReport
    from ingestion.warehouse.destination import Warehouse


def timestamp(text: str) -> datetime:
    """A --now or --fetched-at value: ISO 8601, UTC when it has no offset."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def add_now(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        type=timestamp,
        help="act as if it were this UTC time (for the offline service and backfill tests)",
    )


def clock(now: datetime | None) -> Callable[[], datetime]:
    """The clock of a run: fixed at --now, else the wall clock."""
    from ingestion.api.client import utc_now

    return (lambda: now) if now else utc_now


def environment(args: argparse.Namespace) -> Environment:
    """The CLARITY_* environment, with the warehouse file of --duckdb."""
    from ingestion.config import Environment

    return Environment.read(args.duckdb)


def config(args: argparse.Namespace, *, require_tokens: bool = True) -> IngestConfig:
    """The configuration, with --duckdb and --base-url where the command has them."""
    from ingestion.config import load_config, valid_base_url

    loaded = load_config(require_tokens=require_tokens, environment=environment(args))
    if getattr(args, "base_url", None) is not None:
        loaded.base_url = valid_base_url(args.base_url, "--base-url")
    return loaded


# -- the landing checkpoint ----------------------------------------------------------------------
def checkpoint(warehouse: Warehouse, load_ids: list[str], *, skip: bool) -> QualityReport | None:
    """The Great Expectations checkpoint on what the loads `load_ids` wrote (None when skipped
    or nothing was loaded)."""
    if skip or not load_ids:
        return None
    from ingestion.quality.checkpoint import run_raw_checkpoint

    return run_raw_checkpoint(warehouse, load_ids)


def print_checkpoint(result: QualityReport | None) -> ExitCode:
    if result is None:
        return ExitCode.OK
    print(result.summary())
    if result.success:
        return ExitCode.OK
    print(
        "The rows are loaded and stay in clarity_raw; fix the cause (or report the API "
        "change) before relying on the marts.",
        file=sys.stderr,
    )
    return ExitCode.FAILED


def check_loaded(args: argparse.Namespace, warehouse: Warehouse, load_ids: list[str]) -> ExitCode:
    """The checkpoint after a load (unless --no-checks), printed."""
    return print_checkpoint(checkpoint(warehouse, load_ids, skip=args.no_checks))


# -- lines several commands print ----------------------------------------------------------------
def print_quarantined(entries: list[str]) -> None:
    """The files a load just set aside."""
    if entries:
        print(
            f"  {len(entries)} landed file(s) set aside in quarantine (see `clarity quarantine`):",
            file=sys.stderr,
        )
        for entry in entries:
            print(f"    {entry}", file=sys.stderr)


def print_quarantine(landing: Landing) -> None:
    """Every file in quarantine, with why and when it was set aside."""
    entries = landing.quarantined()
    if not entries:
        return
    print(
        f"quarantine ({landing.quarantine}): {len(entries)} file(s) set aside, never loaded; "
        "`clarity quarantine --retry` tries them again"
    )
    for entry in entries:
        when = f"{entry.quarantined_at:%Y-%m-%d %H:%M} UTC" if entry.quarantined_at else "?"
        source = f" from {entry.source}" if entry.source else ""
        print(f"  {entry.name} ({entry.error_class}, {when}{source}): {entry.reason}")


def recent_fetches(warehouse: Warehouse, now: datetime) -> dict:
    """The daily fetches of the last 7 days, per project."""
    from ingestion.warehouse.raw import recent_daily_fetches

    return recent_daily_fetches(warehouse, now - timedelta(days=7))


def print_schedule(project: str, fetches: dict, zone) -> None:
    from ingestion.collect.schedule import schedule_lines

    print("  collection over the last 7 days:")
    for line in schedule_lines(fetches.get(project, []), zone):
        print(line)


def print_solved(report) -> None:
    """One line on what the window solver wrote (nothing when it did not run)."""
    if report is not None and report.layouts:
        print(
            f"solved {report.periods} period(s) of {report.layouts} layout(s) that no one-day "
            f"window gives ({report.rows} row(s), {report.seconds:.1f} s)"
        )
