"""What `clarity annotate` and `clarity incident` share: the project and its own today, a date
argument, what the marts know of an incident, and the lines that list recorded rows."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ingestion.errors import ConfigurationError
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.config import IngestConfig, ProjectConfig

log = logging.getLogger(__name__)


def project(config: IngestConfig, name: str) -> ProjectConfig:
    """The configured project `name`, or a usage error that lists the configured ones."""
    if name not in config.project_names:
        known = ", ".join(config.project_names) or "none"
        raise ConfigurationError(
            f"Unknown project {name!r} (configured: {known}): give one of these, or add it to "
            "[sources.clarity] project_names"
        )
    return config.project(name)


def today(project: ProjectConfig, now: datetime | None = None) -> date:
    """Today in the project's own time zone (the zone of its daily marts)."""
    from ingestion.api.client import utc_now

    return (now or utc_now()).astimezone(project.zone).date()


def parse_date(text: str, what: str, project: ProjectConfig, now: datetime | None = None) -> date:
    """A date argument: YYYY-MM-DD, or `today` / `yesterday` in the project's zone."""
    from datetime import timedelta

    words = {"today": 0, "yesterday": 1}
    if text.strip().lower() in words:
        return today(project, now) - timedelta(days=words[text.strip().lower()])
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"{what} {text!r} is not a date: give it as YYYY-MM-DD (e.g. 2026-11-12), or today "
            f"or yesterday (in {project.name}'s time zone, {project.timezone})"
        ) from None


def incident(config: IngestConfig, project: str, incident_id: str) -> tuple[bool, dict | None]:
    """What marts.fct_incidents knows of `incident_id`: (checked, row). `checked` is False when
    it could not be asked (marts not in a DuckDB file, not built yet, or the file busy); `row`
    is None when it was asked and the incident is not there."""
    path = config.marts_duckdb_path
    if path is None or not path.exists():
        return False, None
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        log.debug("marts not readable: %s", exc)
        return False, None
    try:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'fct_incidents'"
        ).fetchall()[0][0]
        if not found:
            return False, None
        cursor = con.execute(
            "select * from marts.fct_incidents where project = ? and incident_id = ?",
            [project, incident_id],
        )
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        return True, dict(zip(names, rows[0], strict=True)) if rows else None
    finally:
        con.close()


def incident_ids(config: IngestConfig, project: str, limit: int = 5) -> list[str]:
    """A few incident ids of `project` to suggest (the latest first), when the marts have them."""
    path = config.marts_duckdb_path
    if path is None or not path.exists():
        return []
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            rows = con.execute(
                "select incident_id from marts.fct_incidents where project = ? "
                "order by last_seen_on desc, incident_id limit ?",
                [project, limit],
            ).fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return []
    return [row[0] for row in rows]


def cell(value: Any) -> str:
    """One value of a listed row."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def print_recorded(
    config: IngestConfig,
    project: str,
    table: str,
    columns: tuple[str, ...],
    none_yet: str,
    order: tuple[str, ...] = (),
) -> int:
    """`--list`: the rows of journal `table` of `project`, one line each (in `order`, else as
    recorded), or `none_yet` when there is none."""
    from ingestion.warehouse import journal

    rows = [row for row in journal.read(config.warehouse, table) if row["project"] == project]
    if not rows:
        print(none_yet)
        return ExitCode.OK
    if order:
        rows.sort(key=lambda row: tuple(row[name] for name in order))
    for row in rows:
        print("  ".join(cell(row[name]) for name in columns))
    return ExitCode.OK
