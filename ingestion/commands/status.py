"""`clarity status`: per project what is loaded, how fresh, the quota spent today and when
collection ran; each token's expiry (from its JWT, no call spent); what waits in the landing
folder and in quarantine."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.errors import ConfigurationError
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.collect.landing import Landing
    from ingestion.config import Environment, ProjectConfig
    from ingestion.warehouse.destination import Warehouse

log = logging.getLogger("clarity")

HELP = "last loads, quota used today and freshness per project"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_now(parser)


@dataclass
class Status:
    now: datetime
    warehouse: Warehouse
    landing: Landing
    statuses: list = field(default_factory=list)  # ingestion.warehouse.raw.ProjectStatus
    projects: list[ProjectConfig] = field(default_factory=list)
    fetches: dict = field(default_factory=dict)
    pending: int = 0  # landed responses not loaded yet
    bad: int = 0  # landed files the next load sets aside


def status(environment: Environment, now: datetime) -> Status:
    from ingestion.collect.landing import Landing
    from ingestion.warehouse.raw import project_statuses

    warehouse = environment.warehouse()
    result = Status(now, warehouse, Landing(environment.data_dir))
    result.statuses = project_statuses(warehouse, now)
    result.projects = configured_projects(environment)
    result.fetches = _common.recent_fetches(warehouse, now) if result.statuses else {}
    pending, bad = result.landing.scan_pending(now)
    result.pending, result.bad = len(pending), len(bad)
    return result


def configured_projects(environment: Environment) -> list[ProjectConfig]:
    """The configured projects (none when the configuration cannot be read)."""
    from ingestion.config import load_config

    try:
        return load_config(require_tokens=False, environment=environment).projects
    except ConfigurationError as exc:
        log.warning("configuration unreadable (%s): showing UTC days and no tokens", exc)
        return []


def expiry_text(token: str, now: datetime) -> str:
    from ingestion.api.token import token_expiry

    if not token:
        return "no token configured"
    expires = token_expiry(token)
    if expires is None:
        return "expiry unknown (the token is not a JWT with an `exp`)"
    days = (expires - now).total_seconds() / 86400
    if days <= 0:
        return f"EXPIRED on {expires:%Y-%m-%d %H:%M} UTC: generate a new token in Clarity"
    return f"expires {expires:%Y-%m-%d %H:%M} UTC (in {days:.0f} days)"


def print_status(result: Status) -> None:
    from zoneinfo import ZoneInfo

    from ingestion.api.contract import DAILY_QUOTA

    now = result.now
    zones = {p.name: p.zone for p in result.projects}
    print(f"warehouse: {result.warehouse.label}")
    if not result.statuses:
        print("  nothing loaded yet: run `clarity ingest` (or ./scripts/demo)")
    for s in result.statuses:
        fresh = s.freshness_hours(now)
        print(
            f"  {s.project}: {s.snapshots} snapshots, {s.metric_rows} metric rows; "
            f"last fetch {s.last_fetched_at:%Y-%m-%d %H:%M} UTC ({fresh:.1f} h ago); "
            f"last load {s.last_loaded_at:%Y-%m-%d %H:%M} UTC; "
            f"today {s.requests_today}/{DAILY_QUOTA} requests, {s.errors_today} failed"
        )
        _common.print_schedule(s.project, result.fetches, zones.get(s.project) or ZoneInfo("UTC"))
    if result.projects:
        print("tokens (read from each token's JWT `exp`, no call spent):")
        for project in result.projects:
            print(f"  {project.name}: {expiry_text(project.token, now)}")
    if result.pending:
        print(
            f"  {result.pending} landed response(s) not loaded yet: the next `clarity ingest` "
            "loads them"
        )
    if result.bad:
        print(f"  {result.bad} landed file(s) the next load sets aside in quarantine")
    _common.print_quarantine(result.landing)


def main(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(timezone.utc)
    print_status(status(_common.environment(args), now))
    return ExitCode.OK
