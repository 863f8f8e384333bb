"""The report's "Did it work?" section: one sentence per annotation of the period (a release, a
fix, a note) from fct_annotation_effects, e.g. "rage clicks on /checkout: 8.1% -> 2.3% after the
fix of 12 Nov (z = -9.4)", or why it cannot tell yet."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from ingestion.outputs.report.data import ProjectReport

TITLE = "Did it work?"
# how each signal reads in a sentence
SIGNAL_LABELS = {
    "dead_click": "dead clicks",
    "excessive_scroll": "excessive scrolling",
    "rage_click": "rage clicks",
    "quick_back": "quick backs",
    "script_error": "script errors",
    "error_click": "error clicks",
}
MAX_CHANGES = 3  # the clearest changes said per annotation
EMPTY = (
    "No release or fix recorded in the period: record one with "
    '`clarity annotate PROJECT DATE "what changed" [--page URL] [--kind release|fix|note]` '
    "(or `clarity incident PROJECT ID fixed`), and the next build compares each signal over "
    "the days before and after it."
)
NOTE = (
    "Each signal's share of sessions over the days before the date against the days after it "
    "(the date itself in neither), with a two-proportion z test (pooled variance): |z| of 1.96 "
    "or more is a clear change at the 5 % level. Days the window solver estimated are left out "
    "of the counts. It assumes independent sessions and a rate steady within each side, and "
    "compares two periods: it does not prove the change caused the difference."
)


def where(row: dict[str, Any]) -> str:
    """The page's path (with its query), or "the site"."""
    url = row.get("page_url")
    if not url or url != url:
        return "the site"
    parts = urlsplit(str(url))
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _percent(rate: float) -> str:
    share = float(rate) * 100
    return f"{share:.2f}%" if share < 1 else f"{share:.1f}%"


def _event(row: dict[str, Any]) -> str:
    """`the fix of 12 Nov`"""
    return f"the {row['kind']} of {row['annotation_date']:%d %b}"


def _left_out(row: dict[str, Any]) -> str:
    """How many estimated days the counts leave out (the same for every signal of a scope)."""
    estimated = int(row["estimated_days_before"]) + int(row["estimated_days_after"])
    return f"{estimated} estimated day(s) left out" if estimated else ""


def _rates(row: dict[str, Any]) -> str:
    """`rage clicks 8.1% -> 2.3%`"""
    label = SIGNAL_LABELS.get(row["signal"], str(row["signal"]).replace("_", " "))
    return f"{label} {_percent(row['rate_before'])} -> {_percent(row['rate_after'])}"


def _change(row: dict[str, Any]) -> str:
    signal = SIGNAL_LABELS.get(row["signal"], str(row["signal"]).replace("_", " "))
    return (
        f"{signal} on {where(row)}: {_percent(row['rate_before'])} -> "
        f"{_percent(row['rate_after'])} after {_event(row)} (z = {float(row['z']):.1f})"
    )


def sentences(rows: list[dict[str, Any]]) -> list[str]:
    """One sentence per annotation from its rows of fct_annotation_effects (ordered by date,
    annotation and |z|, as marts.annotation_effects gives them)."""
    by_annotation: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_annotation.setdefault(row["annotation_id"], []).append(row)
    return [_sentence(group) for group in by_annotation.values()]


def _sentence(group: list[dict[str, Any]]) -> str:
    first = group[0]
    text = f" (“{first['text']}”)" if first.get("text") else ""
    days = int(first["effect_days"])
    if first["outcome"] == "after_window_incomplete":
        return (
            f"{where(first)}: not enough days after yet: {int(first['days_after'])} of the "
            f"{days} days after {_event(first)}{text} have data so far."
        )
    left_out = _left_out(first)
    if not any(int(row["days_before"]) + int(row["days_after"]) for row in group):
        return (
            f"{where(first)}: no daily value on either side of {_event(first)}{text}: is it the "
            "page's URL as the report lists it?"
            if first.get("page_url") == first.get("page_url") and first.get("page_url")
            else f"the site: no daily value on either side of {_event(first)}{text}."
        )
    if all(row["outcome"] == "too_few_sessions" for row in group):
        return (
            f"{where(first)}: too few sessions to tell after {_event(first)}{text} "
            f"({int(first['sessions_before']):,} before, {int(first['sessions_after']):,} after, "
            f"over {days} days each side{'; ' + left_out if left_out else ''})."
        )
    clear = [row for row in group if row["outcome"] in ("lower", "higher")]
    if clear:
        changes = "; ".join(_change(row) for row in clear[:MAX_CHANGES])
        return f"{changes}{text}{f' ({left_out})' if left_out else ''}."
    tested = [row for row in group if row["z"] is not None and row["z"] == row["z"]]
    if not tested:
        return (
            f"{where(first)}: no signal seen on either side of {_event(first)}{text}, nothing "
            "to compare."
        )
    largest = tested[0]
    return (
        f"{where(first)}: no signal changed clearly after {_event(first)}{text} (largest: "
        f"{_rates(largest)}, z = {float(largest['z']):.1f}{'; ' + left_out if left_out else ''})."
    )


def lines(report: ProjectReport) -> list[str]:
    """The section's sentences for `report` (none when nothing is recorded in the period)."""
    if report.effects is None or report.effects.empty:
        return []
    return sentences(report.effects.to_dict("records"))


def completeness(report: ProjectReport) -> str:
    """What the section stands on, said in its headline as every section's is: the days of
    the period with a recorded annotation."""
    marks = report.annotations
    days = 0 if marks is None or marks.empty else int(marks["annotation_date"].nunique())
    return f"{days} of {report.period.days} days with an annotation"


def html_section(report: ProjectReport) -> str:
    """The section as HTML: a list of sentences and how to read them, or what to do."""
    heading = (
        f'<h3 id="{html.escape(report.project)}-effects">{TITLE}'
        f'<span class="completeness"> · {html.escape(completeness(report))}</span></h3>'
    )
    said = lines(report)
    if not said:
        return f'{heading}<p class="empty" data-section="effects">{html.escape(EMPTY)}</p>'
    items = "".join(f"<li>{html.escape(line)}</li>" for line in said)
    return (
        f'{heading}<ul class="effects" data-section="effects">{items}</ul>'
        f'<p class="meta">{html.escape(NOTE)}</p>'
    )


def markdown_section(report: ProjectReport) -> list[str]:
    """The section as Markdown lines."""
    said = lines(report)
    heading = f"### {TITLE} · {completeness(report)}"
    if not said:
        return [heading, "", EMPTY, ""]
    return [heading, "", *(f"- {line}" for line in said), "", NOTE, ""]
