"""The weekly digest: for each project, the report's summary of its latest week (each figure with
its days and their kind), the pages to fix first with their links into Clarity, the incidents
opened, resolved and still open, and what the annotated releases and fixes did ("Did it work?"),
as one message to the notify URLs with the report attached where the channel takes
attachments. One digest per ISO week (the week of the day it is sent): its key is the week, so
the notifier's state sends it once.

`clarity digest` sends it (or prints it); `clarity run` sends it from the first run of each week
on or after the `digest_weekday` setting once the marts are current."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ingestion.outputs.clarity_links import NO_ID
from ingestion.outputs.marts import DEFAULT_DAYS
from ingestion.outputs.notify import DIGEST_OFF, WEEKDAYS, Message
from ingestion.outputs.report import effects
from ingestion.outputs.report.data import SUMMARY_DAYS, ProjectReport, read_reports
from ingestion.outputs.report.page import NO_PAGES, incident_cells, period_line, summary_lines

DIGEST_PAGES = 5  # pages to fix listed per project


@dataclass(frozen=True)
class Digest:
    week: str  # ISO week of the day it is made for, e.g. 2026-W49: sent once per week
    title: str
    body: str
    projects: int
    project: str | None = None  # the one project it is of (`clarity digest --project`)

    def message(self, attachments: Sequence[Path] = ()) -> Message:
        return Message(
            digest_key(self.week, self.project),
            self.title,
            self.body,
            "info",
            tuple(map(str, attachments)),
        )


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def is_due(now: datetime, weekday: str) -> bool:
    """Whether `clarity run` at `now` (UTC) sends this week's digest: from `weekday` on (the
    notifier's state keeps it to once a week); never with `off`."""
    if weekday == DIGEST_OFF:
        return False
    return now.weekday() >= WEEKDAYS.index(weekday)


def build_digest(
    duckdb_path: Path,
    today: date,
    *,
    project: str | None = None,
    days: int = DEFAULT_DAYS,
) -> Digest:
    """The digest of every project with data (or only `project`) for the week of `today`.
    NoMartsError when the marts are not built."""
    reports = read_reports(duckdb_path, days, project)
    week = iso_week(today)
    blocks = [_project_block(report) for report in reports]
    if not blocks:
        blocks = ["No project has a daily value yet: nothing to summarise this week."]
    names = ", ".join(r.project for r in reports) or "no data yet"
    return Digest(
        week=week,
        title=f"Clarity weekly digest {week}: {names}",
        body="\n\n".join(blocks),
        projects=len(reports),
        project=project,
    )


def _project_block(report: ProjectReport) -> str:
    end = report.end
    start = end - timedelta(days=SUMMARY_DAYS - 1)
    lines = [
        f"{report.project}: the {SUMMARY_DAYS} days {start:%d %b} to {end:%d %b %Y}",
        f"The report's range: {period_line(report)}.",
    ]
    lines += [f"- {line}" for line in summary_lines(report, pages=False)]
    lines += _pages(report) or [f"- {NO_PAGES}"]
    lines += _incidents(report, start)
    lines += _effects(report)
    return "\n".join(lines)


def _pages(report: ProjectReport) -> list[str]:
    """The pages to fix first, each with its links into Clarity when the project has an id."""
    pages = report.pages.head(DIGEST_PAGES).to_dict("records")
    if not pages:
        return []
    lines = ["Pages to fix first (7 days; excess frustrated sessions, shrunk score 0-100):"]
    linked = False
    for row in pages:
        lines.append(
            f"  {int(row['rank'])}. {row['page_url']}: {row['excess']:+.1f} excess, score "
            f"{row['score']:.2f}, {int(row['sessions']):,} sessions"
        )
        if row.get("recordings_url"):
            linked = True
            lines.append(f"     recordings {row['recordings_url']}")
            lines.append(f"     heatmap    {row['heatmap_url']}")
    if not linked:
        lines.append(f"  ({NO_ID})")
    return lines


@dataclass
class DigestResult:
    digest: Digest
    report: Path | None  # the report attached (None when it could not be written)
    delivered: bool = False
    already_sent: bool = False
    failed_channels: int = 0

    def message(self) -> Message:
        return self.digest.message([self.report] if self.report else [])

    @property
    def line(self) -> str:
        """What `clarity digest` and `clarity run` say of it."""
        if self.already_sent:
            return f"digest of {self.digest.week} sent before (`clarity digest --again` resends)"
        if not self.delivered:
            return f"digest of {self.digest.week} NOT sent: every channel failed (see the log)"
        failed = f"; {self.failed_channels} channel(s) failed" if self.failed_channels else ""
        return (
            f"digest of {self.digest.week} sent ({self.digest.projects} project(s), report "
            f"{self.report.name if self.report else 'not attached'}){failed}"
        )


def digest_key(week: str, project: str | None = None) -> str:
    """The notifier's key of the digest of an ISO week: one per week, of every project; the
    digest of one project (`clarity digest --project`) has its own and does not count as the
    week's."""
    return f"digest:{week}" + (f":{project}" if project else "")


def prepare(
    duckdb_path: Path | None,
    reports: Path,
    now: datetime,
    *,
    project: str | None = None,
) -> DigestResult:
    """The digest of the week of `now` from the marts of `duckdb_path` and the report it
    attaches, written to `<reports>/clarity-digest-<week>.html` (None when it cannot be written).
    NoMartsError when the marts are not built or not in a DuckDB file (None: a server
    warehouse)."""
    from ingestion.outputs.marts import NoMartsError
    from ingestion.outputs.report import write_report

    if duckdb_path is None:
        raise NoMartsError(
            "the digest reads the marts of a DuckDB file (the duckdb destination, or a bucket's "
            "marts file); with the marts in PostgreSQL there is no digest yet"
        )
    digest = build_digest(duckdb_path, now.date(), project=project)
    report: Path | None = reports / f"clarity-digest-{digest.week}.html"
    try:
        write_report(duckdb_path, report, project=project)
    except (NoMartsError, OSError):
        report = None
    return DigestResult(digest, report)


def _incidents(report: ProjectReport, start: date) -> list[str]:
    """The incidents of the week: opened or resolved in it, and those still open, each with
    its link into Clarity when there is one."""
    import pandas as pd

    rows = report.incidents.to_dict("records")
    week = pd.Timestamp(start)
    opened = [r for r in rows if pd.Timestamp(r["opened_on"]) >= week]
    resolved = [
        r for r in rows if r["status"] == "resolved" and pd.Timestamp(r["resolved_on"]) >= week
    ]
    # open and not marked by a person (fixed, won't fix, snoozed: effective_status says which)
    still_open = [r for r in rows if r["effective_status"] == "open"]
    marked = sum(1 for r in rows if r["status"] == "open" and r["effective_status"] != "open")
    if not (opened or resolved or still_open):
        return ["Incidents: none opened, resolved or open this week."]
    lines = [
        f"Incidents: {len(opened)} opened and {len(resolved)} resolved this week, "
        f"{len(still_open)} open"
        + (f" ({marked} more marked fixed, won't fix or snoozed)" if marked else "")
        + ":"
    ]
    listed = {r["incident_id"]: r for r in [*still_open, *opened, *resolved]}
    for row in listed.values():
        what, where, first, last, days, peak, status = incident_cells(row)
        lines.append(
            f"  - {what} on {where}: opened {first}, last seen {last}, {days} alert day(s), "
            f"peak {peak}; {status} (id {row['incident_id']})"
        )
        url = row.get("recordings_url")
        if isinstance(url, str):
            lines.append(f"     {'recordings' if row['scope'] == 'page' else 'dashboard'} {url}")
    return lines


def _effects(report: ProjectReport) -> list[str]:
    """What the annotations of the period did to the signals ("Did it work?")."""
    said = effects.lines(report)
    if not said:
        return []
    return [f"{effects.TITLE}", *(f"  - {line}" for line in said)]
