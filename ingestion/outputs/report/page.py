"""Write the report: one self-contained HTML file (inline CSS and SVG, no script, nothing
fetched), or Markdown with the charts as PNG files beside it, for chat and e-mail."""

from __future__ import annotations

import html
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingestion.outputs.assistant.docs import DocsBlock, read_blocks
from ingestion.outputs.clarity_links import NO_ID
from ingestion.outputs.marts import DEFAULT_DAYS, SEGMENT_DAYS
from ingestion.outputs.report import charts, effects
from ingestion.outputs.report.data import ProjectReport, Summary, read_reports
from ingestion.outputs.report.drawing import TIMEOUT, Drawer, DrawerHere, open_drawer

log = logging.getLogger(__name__)

# what the links of the pages to fix open, said under their table
CLARITY_LINKS_NOTE = (
    "The links open each page's recordings and heatmap in the Clarity dashboard over the 7 days "
    "ranked. Microsoft does not document these addresses: they may change."
)
# the summary's line when no page is ranked yet, and why
NO_PAGES = (
    "No page to fix yet: pages are ranked once a page has a daily value, and no date of the "
    "period has one."
)
# what the incident table's columns are, said under it
INCIDENTS_NOTE = (
    "One row per incident: an episode of daily alerts on one signal and page (or the site), "
    "resolved once the rate has been back near its baseline for a few tested days, or a run of "
    "days without a daily value. Peak: the day's share of sessions with the signal against the "
    "baseline's share, and the z of the test. The daily detail is in the mart fct_alerts."
)
# what the referrer section's numbers are, said under its table
TOP_LIST_NOTE = (
    "From the daily top-10 referrer lists, URLs of one site added up: a day a site was not in "
    "the top 10 adds nothing (its count is unknown, not zero), so each sum is a lower bound of "
    "its sessions in the period, and a site never in a daily top 10 is not shown."
)

# each section's "how to read this" is the dbt docs block of this name (dbt_project/docs/
# report.md), so the report and dbt docs say the same thing
HOW_TO_READ = "report_how_to_read_{key}"

# the text's font is the charts' (charts.FONT: the one their labels are measured with)
STYLE = (
    f"body {{ font-family: {charts.FONT}; }}"
    + """
body { color: #222; margin: 2em auto;
       max-width: 1080px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-top: 2px solid #ddd; padding-top: 1em; margin-top: 2em; }
h3 { font-size: 1.05em; color: #444; }
.meta { color: #666; font-size: 0.9em; }
.summary { background: #f6f6f2; border-left: 4px solid #1b9e77; padding: 0.6em 1em; }
.summary li { margin: 0.2em 0; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
td, th { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
td.num { text-align: right; }
.chart svg { max-width: 100%; height: auto; }
.empty { color: #555; font-style: italic; }
.how-to-read { color: #444; font-size: 0.85em; max-width: 60em; }
h3 .completeness { color: #666; font-size: 0.85em; font-weight: normal; }
"""
)


@dataclass
class ReportResult:
    path: Path
    projects: int
    charts: int
    bytes: int
    seconds: float


def write_report(
    duckdb_path: Path,
    out: Path,
    *,
    days: int = DEFAULT_DAYS,
    project: str | None = None,
    fmt: str = "html",
) -> ReportResult:
    """Read the marts of `duckdb_path` and write the report to `out` (written to a temporary
    file and renamed, so a reader never sees half a report)."""
    if fmt not in ("html", "md"):
        raise ValueError(f"--format must be html or md, got {fmt!r}")
    started = time.perf_counter()
    # the drawing process starts its engine while the marts are read
    with open_drawer() as drawer:
        reports = read_reports(duckdb_path, days, project)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "md":
            text, drawn = _markdown(reports, out, drawer)
        else:
            text, drawn = _html(reports, drawer)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    result = ReportResult(out, len(reports), drawn, out.stat().st_size, 0.0)
    result.seconds = time.perf_counter() - started
    log.info("report of %d project(s) written to %s in %.1f s", len(reports), out, result.seconds)
    return result


def summary_lines(report: ProjectReport, *, pages: bool = True) -> list[str]:
    """The summary at the top of a project's section, as plain sentences: each figure says
    over how many days it is and of which kind, the comparison is like for like (`pages`:
    with the line of the pages to fix first)."""
    s: Summary = report.summary
    lines = [s.week.sessions_sentence()]
    if s.score_week is not None:
        estimated = (
            " (all estimated)"
            if s.week.estimated == s.week.with_value
            else f" ({s.week.estimated} of them estimated)"
            if s.week.estimated
            else ""
        )
        placed = f" {s.placement.sentence()}" if s.placement else ""
        lines.append(
            f"Site frustration score {s.score_week:.2f} (0 to 100) over those days"
            f"{estimated}.{placed}"
        )
    lines.append(s.comparison.sentence())
    if pages and s.top_pages:
        listed = "; ".join(f"{page} ({excess:+.1f})" for page, excess in s.top_pages)
        lines.append(
            f"Pages to fix first (excess frustrated sessions over the {s.pages_days} of 7 days "
            f"with a value): {listed}."
        )
    elif pages:
        lines.append(NO_PAGES)
    lines.append(s.week.alerts_sentence(s.open_alerts))
    if s.missing_days:
        lines.append(f"{s.missing_days} day(s) of the period without a daily value.")
    return lines


def empty_reason(report: ProjectReport, key: str) -> str | None:
    """Why a section has nothing to draw yet (what is missing and why), or None when it has."""
    if key == "daily" and not report.period.with_value:
        return "No daily value in the period yet: no collection has given a date a value."
    if key == "pages" and report.pages.empty:
        return NO_PAGES
    if key == "segments" and report.segments["rate"].notna().sum() == 0:
        return (
            "No device or browser breakdown in the latest week yet: none of its dates has a "
            "value of the Device or Browser set."
        )
    if key == "referrers" and report.referrers.empty:
        return (
            "No referrer list in the period yet: the daily top-10 lists come only from a "
            "one-day window (a nested difference or a solved date has none), and no date of "
            "the period has one."
        )
    if key == "scroll" and report.scroll_depth["avg_scroll_depth"].notna().sum() == 0:
        return (
            "No scroll depth by device yet: averages come only from a one-day window of the "
            "Device set (a nested difference or a solved date has none), and no date of the "
            "period has one."
        )
    return None


def how_to_read(key: str, blocks: dict[str, DocsBlock] | None = None) -> str:
    """A section's "how to read this", the text of its docs block as plain sentences (no
    Markdown emphasis); KeyError when the block is missing."""
    block = (blocks if blocks is not None else read_blocks())[HOW_TO_READ.format(key=key)]
    return " ".join(block.text.replace("**", "").replace("`", "").split())


def section_completeness(report: ProjectReport, key: str) -> str:
    """What a section's figures stand on, said in its headline: how many of its days have a
    value ("26 of 28 days with a value")."""
    period = report.period
    if key == "daily":
        kinds = f" ({period.kinds()})" if period.with_value else ""
        return f"{period.with_value} of {period.days} days with a value{kinds}"
    if key == "pages":
        if report.pages.empty:
            return "0 of 7 days with a page value"
        ranked_on = report.pages["activity_date"].iloc[0]
        return f"{report.summary.pages_days} of 7 days with a value, ranked on {ranked_on:%d %b}"
    if key == "segments":
        days = int(report.segments["days_with_data"].max()) if not report.segments.empty else 0
        return f"{days} of {SEGMENT_DAYS} days with a device or browser value"
    if key == "referrers":
        lists = report.referrers["days_with_lists"]
        days = int(lists.max()) if not lists.empty else 0
        return f"{days} of {period.days} days with a referrer list"
    if key == "scroll":
        measured = report.scroll_depth["days_measured"]
        days = int(measured.max()) if measured.notna().any() else 0
        return f"{days} of {period.days} days with a scroll depth"
    if key == "health":
        return (
            f"{period.with_value} of {period.days} days with a value, {period.exact} of them "
            "exact (the days alerts test)"
        )
    raise KeyError(f"no completeness for section {key!r}")


def period_line(report: ProjectReport) -> str:
    """The range the section shows: the data's, first to last date with a value."""
    period = report.period
    if period.first is None or period.last is None:
        return f"No daily value yet ({report.timezone} days)"
    return (
        f"{period.first:%d %b %Y} to {period.last:%d %b %Y}: {period.with_value} day(s) with a "
        f"value of the latest {period.days} ({period.kinds()}; {report.timezone} days)"
    )


def _title(reports: list[ProjectReport]) -> str:
    names = ", ".join(r.project for r in reports)
    return f"Clarity report: {names}" if reports else "Clarity report"


def _html(reports: list[ProjectReport], drawer: Drawer | DrawerHere) -> tuple[str, int]:
    drawn = 0
    blocks = read_blocks()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(_title(reports))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(_title(reports))}</h1>",
        f'<p class="meta">Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from the warehouse '
        "marts. Dates are each project's own days.</p>",
    ]
    for report in reports:
        parts.append(f'<section id="{html.escape(report.project)}">')
        parts.append(f"<h2>{html.escape(report.project)}</h2>")
        parts.append(f'<p class="meta period">{html.escape(period_line(report))}</p>')
        items = "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(report))
        parts.append(f'<ul class="summary">{items}</ul>')
        for key, title, draw in charts.SECTIONS:
            parts.append(
                f'<h3 id="{html.escape(report.project)}-{key}">{html.escape(title)}'
                f'<span class="completeness"> · '
                f"{html.escape(section_completeness(report, key))}</span></h3>"
            )
            empty = empty_reason(report, key)
            if empty:
                parts.append(f'<p class="empty" data-section="{key}">{html.escape(empty)}</p>')
                continue
            parts.append(f'<p class="how-to-read">{html.escape(how_to_read(key, blocks))}</p>')
            drawing = drawer.draw(charts.spec(draw(report)))
            prefix = f"{_slug(report.project)}-{key}"
            # a part drawn while the next is built, placed when every chart is sent
            parts.append(
                lambda drawing=drawing, prefix=prefix, key=key: (
                    f'<div class="chart" data-section="{key}">'
                    f"{charts.prefixed_ids(drawing.result(TIMEOUT), prefix)}</div>"
                )
            )
            drawn += 1
            parts.append(_table(report, key))
        parts.append(effects.html_section(report))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(part() if callable(part) else part for part in parts), drawn


def _table(report: ProjectReport, key: str) -> str:
    """The numbers behind a chart, where a table helps (pages, alerts)."""
    if key == "pages" and not report.pages.empty:
        linked = _linked(report)
        rows = "".join(
            f'<tr><td class="num">{int(r["rank"])}</td><td>{html.escape(r["page_url"])}</td>'
            f'<td class="num">{r["excess"]:.1f}</td><td class="num">{r["score"]:.2f}</td>'
            f'<td class="num">{int(r["sessions"]):,}</td>'
            + (f"<td>{_clarity_cell(r)}</td>" if linked else "")
            + "</tr>"
            for r in report.pages.to_dict("records")
        )
        return (
            "<table><tr><th>rank</th><th>page</th><th>excess</th><th>shrunk score</th>"
            "<th>sessions, 7 days</th>"
            + ("<th>in Clarity, 7 days</th>" if linked else "")
            + f"</tr>{rows}</table>"
            f'<p class="meta">{html.escape(_links_note(linked))}</p>'
        )
    if key == "referrers":
        if report.referrers.empty:
            return "<p>No referrer list in the period.</p>"
        rows = "".join(
            f"<tr><td>{html.escape(charts.NO_REFERRER.get(r['item'], r['item']))}</td>"
            f'<td class="num">{int(r["sessions"]):,}</td>'
            f'<td class="num">{int(r["days_listed"])} of {int(r["days_with_lists"])}</td>'
            f'<td class="num">{int(r["best_rank"])}</td></tr>'
            for r in report.referrers.to_dict("records")
        )
        return (
            "<table><tr><th>referring site</th><th>sessions in the daily lists</th>"
            f"<th>days in the top 10</th><th>best rank</th></tr>{rows}</table>"
            f'<p class="meta">{html.escape(TOP_LIST_NOTE)}</p>'
        )
    if key == "scroll":
        if report.scroll_depth.empty:
            return "<p>No device breakdown in the period.</p>"
        rows = "".join(
            f"<tr><td>{html.escape(r['dimension_value'])}</td>"
            f'<td class="num">{_number(r["avg_scroll_depth"], ".1f")}</td>'
            f'<td class="num">{_number(r["measured_sessions"], ",.0f")}</td></tr>'
            for r in report.scroll_depth.to_dict("records")
        )
        return (
            "<table><tr><th>device</th><th>average scroll depth (%)</th>"
            f"<th>sessions</th></tr>{rows}</table>"
        )
    if key == "health":
        return _incidents_table(report)
    return ""


def incident_cells(row: dict) -> list[str]:
    """One incident as the report's table and Markdown show it: what, where, opened, last
    seen, days, peak (observed against expected, z), status (and a person's triage)."""
    collection = row["scope"] == "collection"
    what = "missed collection" if collection else str(row["metric"]).replace("_", " ")
    page = row["page_url"]
    where = (
        f"project {row['project']}"
        if collection
        else (page if isinstance(page, str) else "the whole site")
    )
    if collection:
        peak = f"{int(row['peak_strength'])} day(s), coverage {row['peak_observed']:.2f}"
    else:
        peak = (
            f"{_percent(row['peak_observed'])} vs {_percent(row['peak_expected'])} "
            f"(z {row['peak_strength']:.1f})"
        )
    status = str(row["status"])
    if status == "resolved":
        status += f" {_day(row['resolved_on'])}"
        if row.get("resolution") == "recovered":
            status += " (recovered)"
    triage = row.get("triage_status")
    if isinstance(triage, str) and triage:
        status += f"; {TRIAGE_LABELS.get(triage, triage)}"
        if triage == "snoozed":
            status += f" until {_day(row['snoozed_until'])}"
    return [
        what,
        where,
        _day(row["opened_on"]),
        _day(row["last_seen_on"]),
        str(int(row["alert_days"])),
        peak,
        status,
    ]


INCIDENT_HEADERS = ["what", "where", "opened", "last seen", "days", "peak", "status"]
# a person's triage (`clarity incident`) as the status column says it
TRIAGE_LABELS = {"fixed": "marked fixed", "wont_fix": "won't fix", "snoozed": "snoozed"}


def _incidents_table(report: ProjectReport) -> str:
    """The incidents of the period (open first, then resolved), one row per episode, with a
    link to each page's recordings in Clarity; the daily alerts stay in fct_alerts."""
    incidents = report.incidents
    if incidents.empty:
        return (
            '<p class="empty incidents">No incident open or seen in the period.'
            f'</p><p class="meta">{html.escape(INCIDENTS_NOTE)}</p>'
        )
    linked = bool(incidents["recordings_url"].notna().any())
    rows = []
    for r in incidents.to_dict("records"):
        cells = incident_cells(r)
        tds = "".join(
            f'<td class="num">{html.escape(c)}</td>'
            if n in (4, 5)
            else f"<td>{html.escape(c)}</td>"
            for n, c in enumerate(cells)
        )
        if linked:
            url = r["recordings_url"]
            kind = "recordings" if r["scope"] == "page" else "dashboard"
            tds += (
                f'<td><a class="incident-link" data-kind="{kind}" href="{html.escape(url)}" '
                f'target="_blank" rel="noopener noreferrer">{kind}</a></td>'
                if isinstance(url, str)
                else "<td>-</td>"
            )
        rows.append(f'<tr data-status="{html.escape(str(r["status"]))}">{tds}</tr>')
    headers = "".join(f"<th>{h}</th>" for h in INCIDENT_HEADERS)
    headers += "<th>in Clarity</th>" if linked else ""
    return (
        f'<table class="incidents"><tr>{headers}</tr>{"".join(rows)}</table>'
        f'<p class="meta">{html.escape(INCIDENTS_NOTE)}</p>'
    )


def _markdown_incidents(report: ProjectReport) -> list[str]:
    """The incidents as a Markdown table (open first)."""
    if report.incidents.empty:
        return ["No incident open or seen in the period.", "", INCIDENTS_NOTE, ""]
    lines = [
        "| " + " | ".join(INCIDENT_HEADERS) + " |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for r in report.incidents.to_dict("records"):
        cells = [c.replace("|", "\\|") for c in incident_cells(r)]
        cells[1] = f"`{cells[1]}`" if r["scope"] == "page" else cells[1]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, "", INCIDENTS_NOTE, ""]


def _day(value: object) -> str:
    """A date of a frame (a Timestamp) or a record as `03 Dec`; a dash when null."""
    if value is None or value != value:
        return "-"
    return f"{value:%d %b}"


def _linked(report: ProjectReport) -> bool:
    """Whether the pages to fix have links into Clarity (the project has a Clarity id)."""
    return bool(report.pages["recordings_url"].notna().any())


def _links_note(linked: bool) -> str:
    return CLARITY_LINKS_NOTE if linked else f"{NO_ID[0].upper()}{NO_ID[1:]}."


def _clarity_cell(row: dict) -> str:
    """The links of one page to fix into Clarity (new tab, no opener)."""
    return " · ".join(
        f'<a class="clarity-link" data-kind="{kind}" href="{html.escape(row[column])}" '
        f'target="_blank" rel="noopener noreferrer">{kind}</a>'
        for kind, column in (("recordings", "recordings_url"), ("heatmap", "heatmap_url"))
    )


def _markdown_pages(report: ProjectReport) -> list[str]:
    """The pages to fix as a Markdown table, with their links into Clarity."""
    if report.pages.empty:
        return []
    linked = _linked(report)
    lines = [
        "| rank | page | excess | shrunk score | sessions, 7 days |"
        + (" in Clarity, 7 days |" if linked else ""),
        "|---:|---|---:|---:|---:|" + ("---|" if linked else ""),
    ]
    for r in report.pages.to_dict("records"):
        links = (
            f" [recordings](<{r['recordings_url']}>) · [heatmap](<{r['heatmap_url']}>) |"
            if linked
            else ""
        )
        page = str(r["page_url"]).replace("|", "\\|")
        lines.append(
            f"| {int(r['rank'])} | `{page}` | {r['excess']:.1f} | {r['score']:.2f} | "
            f"{int(r['sessions']):,} |{links}"
        )
    return [*lines, "", _links_note(linked), ""]


def _percent(value: object) -> str:
    """A share of 0..1 as a percentage (two decimals under 1%), or a dash when null."""
    if value is None or value != value:
        return "-"
    share = float(value) * 100
    return f"{share:.2f}%" if share < 1 else f"{share:.1f}%"


def _number(value: object, spec: str) -> str:
    """`value` formatted, or a dash when it is null (NaN in a frame)."""
    if value is None or value != value:
        return "-"
    return format(value, spec)


def _markdown(
    reports: list[ProjectReport], out: Path, drawer: Drawer | DrawerHere
) -> tuple[str, int]:
    drawn = 0
    pngs = []
    folder = out.with_name(f"{out.stem}_charts")
    folder.mkdir(parents=True, exist_ok=True)
    blocks = read_blocks()
    lines = [f"# {_title(reports)}", "", f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.", ""]
    for report in reports:
        lines += [
            f"## {report.project}",
            "",
            period_line(report),
            "",
        ]
        lines += [f"- {line}" for line in summary_lines(report)]
        lines.append("")
        for key, title, draw in charts.SECTIONS:
            headline = f"### {title} · {section_completeness(report, key)}"
            empty = empty_reason(report, key)
            if empty:
                lines += [headline, "", empty, ""]
                continue
            png = folder / f"{_slug(report.project)}-{key}.png"
            pngs.append((png, drawer.draw(charts.spec(draw(report)), "png")))
            drawn += 1
            lines += [headline, "", f"*{how_to_read(key, blocks)}*", ""]
            lines += [f"![{title}]({folder.name}/{png.name})", ""]
            if key == "pages":
                lines += _markdown_pages(report)
            if key == "health":
                lines += _markdown_incidents(report)
        lines += effects.markdown_section(report)
    for png, drawing in pngs:
        png.write_bytes(drawing.result(TIMEOUT))
    return "\n".join(lines), drawn


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
