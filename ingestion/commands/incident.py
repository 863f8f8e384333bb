"""`clarity incident`: mark an incident of fct_incidents fixed, won't fix, snoozed until a date,
or reopened, append-only in the warehouse (schema clarity_journal). Marking it fixed also
records a fix annotation on its page, so that fct_annotation_effects says whether it worked."""

from __future__ import annotations

import argparse
import logging

from ingestion.commands import _common, _journal
from ingestion.errors import ConfigurationError
from ingestion.exit_codes import ExitCode

log = logging.getLogger(__name__)

HELP = "mark an incident fixed, won't fix, snoozed until a date, or reopened"
# the command's words -> the journal's actions
ACTIONS = {"fixed": "fixed", "wont-fix": "wont_fix", "snooze": "snoozed", "reopen": "reopened"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="the project (as configured)")
    parser.add_argument(
        "incident_id", nargs="?", help="the incident (incident_id of fct_incidents, the report)"
    )
    parser.add_argument("action", nargs="?", choices=tuple(ACTIONS), help="what to record")
    parser.add_argument("--until", help="snooze: until this date (YYYY-MM-DD, in the future)")
    parser.add_argument("--note", help="a note kept with the action")
    parser.add_argument(
        "--date",
        help="fixed: the date of the fix (default today, in the project's time zone)",
    )
    parser.add_argument(
        "--list", action="store_true", help="show the actions recorded for the project"
    )
    _common.add_now(parser)


def main(args: argparse.Namespace) -> int:
    config = _common.config(args, require_tokens=False)
    project = _journal.project(config, args.project)
    if args.list:
        return _list(config, project.name)
    if args.incident_id is None or args.action is None:
        raise ConfigurationError(
            "Give the incident and what to record: clarity incident PROJECT INCIDENT_ID "
            "fixed|wont-fix|snooze|reopen [--until DATE] [--note TEXT] (--list shows what is "
            "recorded)"
        )
    action = ACTIONS[args.action]
    today = _journal.today(project, args.now)
    until = _until(args, project, today) if action == "snoozed" else None
    if args.until is not None and action != "snoozed":
        raise ConfigurationError("--until is for snooze only")
    if args.date is not None and action != "fixed":
        raise ConfigurationError("--date is for fixed only (the date of the fix)")

    checked, known = _journal.incident(config, project.name, args.incident_id)
    if checked and known is None:
        suggestions = _journal.incident_ids(config, project.name)
        raise ConfigurationError(
            f"No incident {args.incident_id!r} of {project.name} in marts.fct_incidents"
            + (f" (latest: {', '.join(suggestions)})" if suggestions else "")
            + ": copy its id from the report's incidents, or run dbt build first"
        )
    if not checked:
        log.warning(
            "incident %s could not be checked (marts.fct_incidents is not built or not "
            "readable here): recording it as given",
            args.incident_id,
        )

    from ingestion.warehouse import journal

    entries: list[journal.Entry] = [
        journal.IncidentAction(
            project=project.name,
            incident_id=args.incident_id,
            action=action,
            snoozed_until=until,
            note=args.note,
        )
    ]
    # a fix of a page or site regression is an annotation whose effect on the signals is
    # measured; a collection incident has no signal to measure
    if action == "fixed" and (known or {}).get("scope") != "collection":
        fixed_on = (
            _journal.parse_date(args.date, "--date", project, args.now) if args.date else today
        )
        entries.append(
            journal.Annotation(
                project=project.name,
                annotation_date=fixed_on,
                kind="fix",
                text=args.note or _fix_text(args.incident_id, known),
                page_url=(known or {}).get("page_url"),
                incident_id=args.incident_id,
            )
        )
    journal.append(config.warehouse, *entries)
    print(_recorded(project.name, args.incident_id, entries))
    return ExitCode.OK


def _until(args: argparse.Namespace, project, today) -> object:
    if args.until is None:
        raise ConfigurationError(
            "snooze needs --until DATE (YYYY-MM-DD, after today in "
            f"{project.name}'s time zone, {project.timezone})"
        )
    until = _journal.parse_date(args.until, "--until", project, args.now)
    if until <= today:
        raise ConfigurationError(
            f"--until {until.isoformat()} is not in the future (today is {today.isoformat()} in "
            f"{project.timezone}): give a later date"
        )
    return until


def _fix_text(incident_id: str, known: dict | None) -> str:
    if known and known.get("metric"):
        return f"fix of incident {incident_id} ({known['metric']})"
    return f"fix of incident {incident_id}"


def _recorded(project: str, incident_id: str, entries: list) -> str:
    action = entries[0]
    words = {
        "fixed": "fixed",
        "wont_fix": "won't fix",
        "snoozed": f"snoozed until {action.snoozed_until:%d %b %Y}" if action.snoozed_until else "",
        "reopened": "reopened",
    }[action.action]
    line = f"recorded: incident {incident_id} of {project} {words}"
    if len(entries) > 1:
        fix = entries[1]
        line += (
            f"; a fix annotation on {fix.page_url or 'the whole site'} dated "
            f"{fix.annotation_date:%d %b %Y} (the next dbt build measures its effect)"
        )
    return line


def _list(config, project: str) -> int:
    from ingestion.warehouse import journal

    return _journal.print_recorded(
        config,
        project,
        journal.INCIDENT_ACTIONS,
        ("recorded_at", "incident_id", "action", "snoozed_until", "note"),
        f"no incident action for {project} yet: clarity incident {project} ID fixed",
    )
