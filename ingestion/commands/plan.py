"""`clarity plan`: what today's run would ask and the quota left, per project, with when
collection ran in the last 7 days; no request is sent."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.collect.plan import ProjectPlan
    from ingestion.config import IngestConfig

HELP = "show what today would fetch and the quota left (no calls)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", action="append")
    parser.add_argument("--force", action="store_true")
    _common.add_now(parser)


@dataclass
class Plans:
    config: IngestConfig
    plans: list[ProjectPlan]
    fetches: dict  # the daily fetches of the last 7 days, per project


def plan(
    config: IngestConfig,
    now: datetime,
    *,
    force: bool = False,
    projects: Sequence[str] | None = None,
) -> Plans:
    from ingestion.ingest import make_plans

    plans = make_plans(config, now, force=force, projects=projects)
    return Plans(config, plans, _common.recent_fetches(config.warehouse, now))


def print_plans(result: Plans) -> None:
    for project_plan in result.plans:
        project = result.config.project(project_plan.project)
        print(
            f"{project_plan.project} on {project_plan.day} (UTC, the quota's day; the project's "
            f"days are {project.timezone}): {project_plan.used_today} of {project_plan.budget} "
            f"used, reserve {project_plan.reserve}; {len(project_plan.requests)} to ask, "
            f"{project_plan.quota_left_after} left after"
        )
        for request in project_plan.requests:
            dims = ", ".join(request.dimensions) or "no dimension"
            print(f"  ask   [{dims}] numOfDays={request.num_of_days}  ({request.reason})")
        for skipped in project_plan.skipped:
            dims = ", ".join(skipped.dimensions) or "no dimension"
            print(f"  skip  [{dims}]  ({skipped.reason})")
        if project_plan.fallbacks:
            print(
                f"  note: the budget left after one window per set buys too few nested windows "
                f"for [{'], ['.join(k or 'no dimension' for k in project_plan.fallbacks)}]: "
                "the days between its windows are estimated"
            )
        for line in forecast_lines(project_plan):
            print(line)
        _common.print_schedule(project_plan.project, result.fetches, project.zone)


def _dates(days: Sequence[date]) -> str:
    return ", ".join(f"{day:%a %d %b}" for day in days)


def forecast_lines(project_plan: ProjectPlan) -> list[str]:
    """Per set due today, the dates its requests make exact, estimated or lost (sets with the
    same forecast on one line), then the totals in set-days."""
    if not project_plan.forecasts:
        return []
    groups: dict[tuple, list[str]] = {}
    for forecast in project_plan.forecasts:
        key = (forecast.exact, forecast.estimated, forecast.lost, forecast.waiting)
        groups.setdefault(key, []).append(", ".join(forecast.dimensions) or "no dimension")
    lines = ["  days since each set's last success, by what today's requests make of them:"]
    for (exact, estimated, lost, waiting), sets in groups.items():
        parts = [
            f"{label} {_dates(days)}"
            for label, days in (
                ("exact", exact),
                ("estimated", estimated),
                ("lost", lost),
                ("waiting for the next run", waiting),
            )
            if days
        ]
        names = (
            "every set due"
            if len(sets) == len(project_plan.forecasts)
            else ("[" + "], [".join(sets) + "]")
        )
        lines.append(f"    {names}: {'; '.join(parts)}")
    totals = project_plan.set_days()
    lines.append(
        f"    set-days: {totals['exact']} exact, {totals['estimated']} estimated, "
        f"{totals['lost']} lost, {totals['waiting']} waiting"
    )
    return lines


def main(args: argparse.Namespace) -> int:
    config = _common.config(args, require_tokens=False)
    now = args.now or datetime.now(timezone.utc)
    policy = config.policy
    if policy.paused:
        print(
            f"collection is paused: daily_budget is {policy.daily_budget}"
            f" (reserve {policy.reserve}); nothing is asked until it is raised"
        )
    print_plans(plan(config, now, force=args.force, projects=args.project or None))
    return ExitCode.OK
