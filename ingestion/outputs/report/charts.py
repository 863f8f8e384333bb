"""The report's charts, one per section, built with Altair as Vega-Lite specs, which drawing.py
renders offline with vl-convert to SVG (inline in the HTML) or PNG (beside the Markdown):
nothing is fetched."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from ingestion.outputs.report.data import (
    HEATMAP_DIMENSIONS,
    HEATMAP_MIN_SESSIONS,
    LOW_COVERAGE,
    ProjectReport,
)

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

# Encodings are channel objects (alt.Y, alt.Tooltip, alt.ColorValue), never shorthand strings,
# alt.value or alt.condition: Altair parses those against its whole schema, about 8 ms each,
# which was most of the time spent building the charts.
WIDTH = 640
# Text is measured (legend and axis layout) with Liberation Sans, which vl-convert embeds in
# memory: a system font such as DejaVu Sans is read from disk for every label measured (about
# 1 ms each; it tripled the drawing time of the report). Browsers then take the first of these
# they have, each about as wide as Liberation Sans (Arial's metrics): Arial or Helvetica, or on a
# Linux without them DejaVu Sans Condensed (DejaVu Sans is wider and would overrun the labels'
# room).
FONT = "Liberation Sans, Arial, Helvetica, DejaVu Sans Condensed, sans-serif"
PALETTE = {"site": "#d95f02", "page": "#7570b3", "collection": "#666666"}
ANNOTATION_COLOUR = "#3b5ba5"  # the rules that mark releases and fixes on the daily chart
ANNOTATION_ROW = 12  # pixels between the rows of their labels
NO_REFERRER = {"(not set)": "(no referrer: direct)"}  # how a referrer list's null name reads
# where a day's value comes from (value_source), one colour each
SOURCE_COLOURS = {
    "one_day_window": "#1b9e77",
    "nested_difference": "#e7298a",
    "solved_exact": "#66a61e",
    "solved_estimate": "#e6ab02",
}
# how each value_source reads in every legend, tooltip and table (docs block
# clarity_value_source); "missing" is a date without a value
SOURCE_LABELS = {
    "one_day_window": "exact: a one-day window",
    "nested_difference": "exact: two nested windows",
    "solved_exact": "exact: solved from a chain of windows",
    "solved_estimate": "estimate: solved from overlapping windows",
    "missing": "no value",
}
COVERAGE_LABELS = {
    "full": f"{LOW_COVERAGE:.0%} of its date or more",
    "low": f"under {LOW_COVERAGE:.0%}",
}
TOO_FEW = "#dddddd"  # a heatmap cell of fewer than HEATMAP_MIN_SESSIONS sessions: no rate colour
SPARK_PAGE_CHARS = 40  # a sparkline label's page, cut at its start beyond this
DATE_TICKS = 8  # at most this many date labels on a time axis, one per day or per few days


def source_label(value_source: object) -> str:
    """A value_source as people read it (the enum itself when it is a new one)."""
    if value_source is None or value_source != value_source:
        return SOURCE_LABELS["missing"]
    return SOURCE_LABELS.get(str(value_source), str(value_source))


def _date_axis(dates) -> alt.X:
    """The x of a time chart over `dates`: a label on the first date and every `step` days
    after it (one a day up to DATE_TICKS days, more apart beyond), never an hour (a label
    "%d %b" per hour repeats the date) and never two days apart across a month's end."""
    import pandas as pd

    alt = _alt()
    known = pd.to_datetime(pd.Series(list(dates))).dropna()
    first = known.min() if not known.empty else None
    span = (known.max() - first).days + 1 if first is not None else 1
    step = max(1, math.ceil(span / DATE_TICKS))
    ticks = (
        [
            {"year": day.year, "month": day.month, "date": day.day}
            for day in (first + pd.Timedelta(days=k) for k in range(0, span, step))
        ]
        if first is not None
        else []
    )
    return alt.X(
        "activity_date:T",
        title=None,
        axis=alt.Axis(format="%d %b", labelAngle=0, values=ticks),
    )


def _alt():
    import altair as alt  # only the report needs it

    return alt


# room around each chart, pixels: a browser's fallback font can be a few per cent wider than the
# one the labels were measured with, and a long title or label would pass the chart's edge
PADDING = {"left": 20, "right": 24, "top": 5, "bottom": 5}
# every chart's configuration, set on its spec when it is drawn (Altair's .configure() copies
# the whole chart)
CONFIG = {"font": FONT, "view": {"stroke": None}, "padding": PADDING}


def daily_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """Sessions and the site's frustration score per day; a missing day is a gap, a day whose
    value covers less than LOW_COVERAGE of its date is marked, the colour says where the value
    comes from (a one-day window, nested windows, the window solver), and a solved estimate
    carries its stated error as a bar."""
    alt = _alt()
    data = report.daily.copy()
    data["coverage"] = data["day_coverage"].apply(
        lambda c: "missing" if c != c or c is None else ("low" if c < LOW_COVERAGE else "full")
    )
    data["source"] = data["value_source"].map(source_label)
    data["coverage"] = data["coverage"].map(lambda c: COVERAGE_LABELS.get(c, c))
    data["sessions_low"] = data["sessions"] - data["sessions_error"]
    data["sessions_high"] = data["sessions"] + data["sessions_error"]
    base = alt.Chart(data).encode(x=_date_axis(data["activity_date"]))
    tooltip = [
        alt.Tooltip("activity_date:T", title="date"),
        alt.Tooltip("sessions:Q"),
        alt.Tooltip("frustration_score:Q", format=".2f", title="score"),
        alt.Tooltip("day_coverage:Q", format=".2f", title="day coverage"),
        alt.Tooltip("source:N", title="value from"),
        alt.Tooltip("sessions_error:Q", format=".0f", title="± sessions (estimate)"),
        alt.Tooltip("missing_reason:N", title="missing because"),
    ]
    sessions = base.mark_line(color="#1b9e77", point=False).encode(
        y=alt.Y("sessions:Q", title="sessions")
    )
    marked = (
        base.mark_point(filled=True, size=60)
        .encode(
            y=alt.Y("sessions:Q"),
            shape=alt.Shape(
                "coverage:N",
                title="day coverage",
                scale=alt.Scale(
                    domain=list(COVERAGE_LABELS.values()), range=["circle", "triangle-down"]
                ),
            ),
            color=alt.Color(
                "source:N",
                title="value from",
                scale=alt.Scale(
                    domain=[SOURCE_LABELS[source] for source in SOURCE_COLOURS],
                    range=list(SOURCE_COLOURS.values()),
                ),
                legend=alt.Legend(labelLimit=320),
            ),
            tooltip=tooltip,
        )
        .transform_filter("datum.sessions != null")
    )
    stated_error = (
        base.mark_rule(color=SOURCE_COLOURS["solved_estimate"], opacity=0.6)
        .encode(y=alt.Y("sessions_low:Q"), y2=alt.Y2("sessions_high:Q"), tooltip=tooltip)
        .transform_filter(
            f"datum.sessions_error != null && datum.source == '{SOURCE_LABELS['solved_estimate']}'"
        )
    )
    missing = (
        base.mark_rule(color="#bbbbbb", strokeDash=[3, 3])
        .encode(tooltip=tooltip)
        .transform_filter("datum.sessions == null")
    )
    top = alt.layer(sessions, stated_error, marked, missing, *annotation_marks(report)).properties(
        width=WIDTH, height=170, title="Sessions per day (gaps: days without a value)"
    )
    score = base.mark_line(color="#d95f02", point=alt.OverlayMarkDef(size=25)).encode(
        y=alt.Y("frustration_score:Q", title="score (0-100)"), tooltip=tooltip
    )
    bottom = alt.layer(score, *annotation_marks(report, labelled=False)).properties(
        width=WIDTH, height=110, title="Site frustration score per day"
    )
    return alt.vconcat(top, bottom).resolve_scale(color="independent")


def annotation_marks(report: ProjectReport, *, labelled: bool = True) -> list:
    """The annotations of the period as vertical rules on a daily chart, each labelled with its
    kind, date and page (none when nothing is recorded)."""
    alt = _alt()
    marks = report.annotations
    if marks is None or marks.empty:
        return []
    data = marks.assign(
        # labels of nearby dates on three rows, so that they do not overwrite each other
        label_y=[ANNOTATION_ROW * (i % 3) for i in range(len(marks))],
        label=[
            f"{kind} {day:%d %b}" + ("" if page != page or page is None else f" {_path(page)}")
            for kind, day, page in zip(
                marks["kind"], marks["annotation_date"], marks["page_url"], strict=True
            )
        ],
    )
    colour = ANNOTATION_COLOUR
    tooltip = [
        alt.Tooltip("annotation_date:T", title="date"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("text:N"),
        alt.Tooltip("page_url:N", title="page"),
    ]
    base = alt.Chart(data).encode(x=alt.X("annotation_date:T"))
    rule = base.mark_rule(color=colour, strokeDash=[4, 2], strokeWidth=1.5).encode(tooltip=tooltip)
    if not labelled:
        return [rule]
    text = base.mark_text(
        color=colour, align="left", baseline="top", dx=3, dy=2, fontSize=10, limit=160
    ).encode(y=alt.Y("label_y:Q", scale=None), text=alt.Text("label:N"), tooltip=tooltip)
    return [rule, text]


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(str(url)).path or "/"


def pages_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """The pages to fix first: their excess frustrated sessions (bars) and, beside, their
    7-day shrunk score over the period (one sparkline per page)."""
    alt = _alt()
    order = list(report.pages["page_url"])
    bars = (
        alt.Chart(report.pages)
        .mark_bar(color="#7570b3")
        .encode(
            y=alt.Y("page_url:N", sort=order, title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X("excess:Q", title="excess frustrated sessions, 7 days"),
            tooltip=[
                alt.Tooltip("rank:Q"),
                alt.Tooltip("page_url:N"),
                alt.Tooltip("excess:Q", format=".1f"),
                alt.Tooltip("sessions:Q"),
            ],
        )
        .properties(width=260, height=28 * max(len(order), 1), title="Pages to fix first")
    )
    trends = report.page_trends.copy()
    labels = {
        page: spark_label(rank, page, trends[trends["page_url"] == page])
        for rank, page in enumerate(order, start=1)
    }
    trends["label"] = trends["page_url"].map(labels)
    spark = (
        alt.Chart(trends)
        .mark_line(color="#7570b3", point=alt.OverlayMarkDef(size=10))
        .encode(
            x=_date_axis(trends["activity_date"]),
            y=alt.Y("score:Q", title=None, axis=alt.Axis(tickCount=2)),
            tooltip=[
                alt.Tooltip("page_url:N"),
                alt.Tooltip("activity_date:T", title="date"),
                alt.Tooltip("score:Q", format=".2f"),
            ],
        )
        .properties(width=300, height=36)
        .facet(
            row=alt.Row(
                "label:N",
                sort=[labels[page] for page in order],
                title=None,
                header=alt.Header(
                    labelOrient="top", labelAngle=0, labelAnchor="start", labelLimit=300
                ),
            ),
            spacing=6,
            title="7-day shrunk score over the period",
        )
    )
    return alt.hconcat(bars, spark)


def spark_label(rank: int, page_url: str, trend: pd.DataFrame) -> str:
    """A sparkline's label: the page's rank, the page (without its scheme, its start cut when
    long so that the label keeps its end) and its last value
    ("1. shop.example/checkout (last 8.12)")."""
    page = page_url.split("://", 1)[-1]
    if len(page) > SPARK_PAGE_CHARS:
        page = "…" + page[-(SPARK_PAGE_CHARS - 1) :]
    scored = trend[trend["score"].notna()].sort_values("activity_date")
    if scored.empty:
        return f"{rank}. {page} (no value in the period)"
    return f"{rank}. {page} (last {float(scored['score'].iloc[-1]):.2f})"


def segments_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """The six signals' rates by device and by browser over the latest week (heat maps), each
    cell with the sessions its rate is a share of; a cell of fewer than HEATMAP_MIN_SESSIONS
    is grey and says "too few" instead of taking a rate colour."""
    alt = _alt()
    charts = []
    for dimension in HEATMAP_DIMENSIONS:
        data = report.segments[report.segments["dimension"] == dimension].copy()
        if data.empty:  # no blank heatmap: a set not collected (or no value yet) is left out
            continue
        order = list(dict.fromkeys(data.sort_values("sessions", ascending=False)["value"]))
        enough = data["base_sessions"] >= HEATMAP_MIN_SESSIONS
        data["enough"] = enough
        data["rate_shown"] = data["rate"].where(enough)
        data["cell"] = [
            f"{n:,}" if ok else f"too few: {n:,}"
            for n, ok in zip(data["base_sessions"], enough, strict=True)
        ]
        darkest = data["rate_shown"].max()
        data["dark"] = (
            enough & (data["rate_shown"] > 0.6 * darkest) if darkest == darkest else False
        )
        base = alt.Chart(data).encode(
            x=alt.X("signal:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:N", sort=order, title=dimension),
        )
        tooltip = [
            alt.Tooltip("value:N"),
            alt.Tooltip("signal:N"),
            alt.Tooltip("rate:Q", format=".1%"),
            alt.Tooltip("base_sessions:Q", title="sessions"),
        ]
        cells = base.mark_rect(stroke="#ffffff", strokeWidth=1).encode(
            color=alt.ColorValue(
                TOO_FEW,
                condition={
                    "test": "datum.enough",
                    "field": "rate_shown",
                    "type": "quantitative",
                    "title": "share of sessions",
                    "scale": {"scheme": "oranges"},
                    "legend": {"format": "%"},
                },
            ),
            tooltip=tooltip,
        )
        text = base.mark_text(fontSize=9).encode(
            text=alt.Text("cell:N"),
            color=alt.ColorValue("#333333", condition={"test": "datum.dark", "value": "#ffffff"}),
            tooltip=tooltip,
        )
        charts.append(
            alt.layer(cells, text).properties(
                width=WIDTH - 120,
                height=22 * max(len(order), 1),
                title=f"{dimension} (in each cell: its sessions; grey: fewer than "
                f"{HEATMAP_MIN_SESSIONS}, too few for a rate)",
            )
        )
    return alt.vconcat(*charts)


def referrers_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """Where visitors come from: the referring sites with the most sessions in the period's
    daily top-10 lists (bars), and beside each its sessions on the dates whose list holds it
    (a date without a point: not in that day's top 10, its count unknown)."""
    alt = _alt()
    data = report.referrers.assign(label=report.referrers["item"].replace(NO_REFERRER))
    order = list(data["label"])
    bars = (
        alt.Chart(data)
        .mark_bar(color="#1b9e77")
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("sessions:Q", title="sessions in the daily top-10 lists"),
            tooltip=[
                alt.Tooltip("label:N", title="referrer"),
                alt.Tooltip("sessions:Q"),
                alt.Tooltip("days_listed:Q", title="days in the top 10"),
                alt.Tooltip("days_with_lists:Q", title="days with a list"),
            ],
        )
        .properties(width=260, height=28 * max(len(order), 1), title="Top referring sites")
    )
    days = report.referrer_days.assign(label=report.referrer_days["item"].replace(NO_REFERRER))
    spark = (
        alt.Chart(days)
        .mark_line(color="#1b9e77", point=alt.OverlayMarkDef(size=12))
        .encode(
            x=_date_axis(days["activity_date"]),
            y=alt.Y("sessions:Q", title=None, axis=alt.Axis(tickCount=2)),
            tooltip=[
                alt.Tooltip("label:N", title="referrer"),
                alt.Tooltip("activity_date:T", title="date"),
                alt.Tooltip("sessions:Q"),
            ],
        )
        .properties(width=300, height=36)
        .facet(
            row=alt.Row(
                "label:N",
                sort=order,
                title=None,
                header=alt.Header(
                    labelOrient="top", labelAngle=0, labelAnchor="start", labelLimit=300
                ),
            ),
            spacing=6,
            title="Sessions per day (no point: not in that day's top 10)",
        )
    )
    return alt.hconcat(bars, spark)


def scroll_depth_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """Average scroll depth by device over the period, each day's average weighted by its
    sessions."""
    alt = _alt()
    data = report.scroll_depth
    order = list(data["dimension_value"])
    return (
        alt.Chart(data)
        .mark_bar(color="#7570b3")
        .encode(
            y=alt.Y("dimension_value:N", sort=order, title="Device"),
            x=alt.X(
                "avg_scroll_depth:Q",
                title="average scroll depth (% of the page)",
                scale=alt.Scale(domain=[0, 100]),
            ),
            tooltip=[
                alt.Tooltip("dimension_value:N", title="device"),
                alt.Tooltip("avg_scroll_depth:Q", format=".1f", title="scroll depth (%)"),
                alt.Tooltip("measured_sessions:Q", title="sessions"),
                alt.Tooltip("days_measured:Q", title="days"),
            ],
        )
        .properties(width=WIDTH - 120, height=22 * max(len(order), 1))
    )


# why the bars and the crosses of one date do not match: the requests of a date fetch the dates
# before it (a date's value exists only once the date has ended)
HEALTH_SUBTITLE = (
    "A date's value is fetched by the requests sent after it ends (usually the next day's): "
    "failed requests on one day leave the dates before it without a value."
)


def health_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """Collection health (requests per day, failures stacked, missing days marked) under the
    alerts of the period on the same timeline."""
    alt = _alt()
    collection = report.collection.copy()
    collection["succeeded"] = collection["requests"] - collection["failed_requests"]
    requests = collection.melt(
        id_vars=["activity_date", "missing_reason"],
        value_vars=["succeeded", "failed_requests"],
        var_name="outcome",
        value_name="count",
    ).replace({"failed_requests": "failed"})
    x = _date_axis(collection["activity_date"])
    bars = (
        alt.Chart(requests)
        .mark_bar(width={"band": 0.8})
        .encode(
            x=x,
            y=alt.Y("count:Q", title="requests"),
            color=alt.Color(
                "outcome:N",
                title="requests",
                scale=alt.Scale(domain=["succeeded", "failed"], range=["#a6cee3", "#e31a1c"]),
            ),
            tooltip=[
                alt.Tooltip("activity_date:T", title="sent on"),
                alt.Tooltip("outcome:N"),
                alt.Tooltip("count:Q"),
            ],
        )
    )
    missing = (
        alt.Chart(collection[collection["is_missing"]])
        .mark_point(shape="cross", color="#444444", size=80)
        .encode(
            x=x,
            y=alt.YValue(8),
            tooltip=[
                alt.Tooltip("activity_date:T", title="date"),
                alt.Tooltip("missing_reason:N"),
            ],
        )
    )
    health = alt.layer(bars, missing).properties(
        width=WIDTH,
        height=110,
        title=alt.TitleParams(
            "Collection: requests by the day they were sent (x: a date without a value)",
            subtitle=HEALTH_SUBTITLE,
        ),
    )
    if report.alerts.empty:  # no empty timeline: the incidents table below says there is none
        return health
    alerts_data = report.alerts.copy()
    alerts_data["series"] = (
        alerts_data["scope"] + ": " + alerts_data["metric"].str.replace("_", " ")
    )
    alerts = (
        alt.Chart(alerts_data)
        .mark_circle(opacity=0.8)
        .encode(
            x=x,
            y=alt.Y("series:N", title=None),
            size=alt.Size("strength:Q", title="strength", scale=alt.Scale(range=[40, 400])),
            color=alt.Color(
                "scope:N",
                title="alert on",
                scale=alt.Scale(domain=list(PALETTE), range=list(PALETTE.values())),
            ),
            tooltip=[
                alt.Tooltip("activity_date:T", title="date"),
                alt.Tooltip("scope:N"),
                alt.Tooltip("metric:N"),
                alt.Tooltip("page_url:N"),
                alt.Tooltip("observed:Q", format=".3f"),
                alt.Tooltip("expected:Q", format=".3f"),
                alt.Tooltip("strength:Q", format=".1f"),
            ],
        )
        .properties(width=WIDTH, height=90, title="Alerts of the period")
    )
    return alt.vconcat(alerts, health).resolve_scale(
        x="shared", color="independent", size="independent"
    )


SECTIONS = (
    ("daily", "Sessions and frustration, day by day", daily_chart),
    ("pages", "Pages to fix first", pages_chart),
    ("segments", "Signals by device and browser, latest week", segments_chart),
    ("referrers", "Where visitors come from", referrers_chart),
    ("scroll", "Scroll depth by device", scroll_depth_chart),
    ("health", "Alerts and collection health", health_chart),
)


def spec(chart: alt.TopLevelMixin) -> str:
    """The chart's Vega-Lite spec as JSON, with CONFIG, to draw with outputs/report/drawing.py."""
    import json

    doc = chart.to_dict(validate=False)
    config = doc.setdefault("config", {})
    for key, value in CONFIG.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return json.dumps(doc)


def prefixed_ids(svg: str, prefix: str) -> str:
    """A chart's SVG markup for inlining, its ids (gradients, clip paths) prefixed with `prefix`,
    as every chart's SVG numbers them from 0 and ids must be unique in one HTML document."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r")\b")
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
