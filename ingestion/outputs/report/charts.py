"""The report's charts, one per section, drawn with Altair (Vega-Lite) and rendered offline by
vl-convert to SVG (inline in the HTML) or PNG (beside the Markdown): nothing is fetched."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ingestion.outputs.report.data import LOW_COVERAGE, ProjectReport

if TYPE_CHECKING:
    import altair as alt

WIDTH = 640
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
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


def _alt():
    import altair as alt  # only the report needs it

    return alt


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_view(stroke=None)


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
    data["source"] = data["value_source"].fillna("missing")
    data["sessions_low"] = data["sessions"] - data["sessions_error"]
    data["sessions_high"] = data["sessions"] + data["sessions_error"]
    base = alt.Chart(data).encode(
        x=alt.X("activity_date:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))
    )
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
            y="sessions:Q",
            shape=alt.Shape(
                "coverage:N",
                title="day coverage",
                scale=alt.Scale(domain=["full", "low"], range=["circle", "triangle-down"]),
            ),
            color=alt.Color(
                "source:N",
                title="value from",
                scale=alt.Scale(domain=list(SOURCE_COLOURS), range=list(SOURCE_COLOURS.values())),
            ),
            tooltip=tooltip,
        )
        .transform_filter("datum.sessions != null")
    )
    stated_error = (
        base.mark_rule(color=SOURCE_COLOURS["solved_estimate"], opacity=0.6)
        .encode(y="sessions_low:Q", y2="sessions_high:Q", tooltip=tooltip)
        .transform_filter("datum.sessions_error != null && datum.source == 'solved_estimate'")
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
    return _configured(alt.vconcat(top, bottom).resolve_scale(color="independent"))


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
    ).encode(y=alt.Y("label_y:Q", scale=None), text="label:N", tooltip=tooltip)
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
            tooltip=["rank:Q", "page_url:N", alt.Tooltip("excess:Q", format=".1f"), "sessions:Q"],
        )
        .properties(width=260, height=28 * max(len(order), 1), title="Pages to fix first")
    )
    spark = (
        alt.Chart(report.page_trends)
        .mark_line(color="#7570b3")
        .encode(
            x=alt.X("activity_date:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0)),
            y=alt.Y("score:Q", title=None, axis=alt.Axis(tickCount=2)),
            tooltip=[
                "page_url:N",
                alt.Tooltip("activity_date:T", title="date"),
                alt.Tooltip("score:Q", format=".2f"),
            ],
        )
        .properties(width=300, height=36)
        .facet(
            row=alt.Row("page_url:N", sort=order, title=None, header=alt.Header(labels=False)),
            spacing=6,
            title="7-day shrunk score over the period",
        )
    )
    return _configured(alt.hconcat(bars, spark))


def segments_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """The six signals' rates by device and by browser over the latest week (heat maps)."""
    alt = _alt()
    charts = []
    for dimension in ("Device", "Browser"):
        data = report.segments[report.segments["dimension"] == dimension]
        order = list(dict.fromkeys(data.sort_values("sessions", ascending=False)["value"]))
        charts.append(
            alt.Chart(data)
            .mark_rect()
            .encode(
                x=alt.X("signal:N", title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("value:N", sort=order, title=dimension),
                color=alt.Color(
                    "rate:Q",
                    title="share of sessions",
                    scale=alt.Scale(scheme="oranges"),
                    legend=alt.Legend(format="%"),
                ),
                tooltip=["value:N", "signal:N", alt.Tooltip("rate:Q", format=".1%"), "sessions:Q"],
            )
            .properties(width=WIDTH - 120, height=22 * max(len(order), 1), title=dimension)
        )
    return _configured(alt.vconcat(*charts))


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
                "sessions:Q",
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
            x=alt.X("activity_date:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0)),
            y=alt.Y("sessions:Q", title=None, axis=alt.Axis(tickCount=2)),
            tooltip=[
                alt.Tooltip("label:N", title="referrer"),
                alt.Tooltip("activity_date:T", title="date"),
                "sessions:Q",
            ],
        )
        .properties(width=300, height=36)
        .facet(
            row=alt.Row("label:N", sort=order, title=None, header=alt.Header(labels=False)),
            spacing=6,
            title="Sessions per day (no point: not in that day's top 10)",
        )
    )
    return _configured(alt.hconcat(bars, spark))


def scroll_depth_chart(report: ProjectReport) -> alt.TopLevelMixin:
    """Average scroll depth by device over the period, each day's average weighted by its
    sessions."""
    alt = _alt()
    data = report.scroll_depth
    order = list(data["dimension_value"])
    return _configured(
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
    x = alt.X("activity_date:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))
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
            tooltip=[alt.Tooltip("activity_date:T", title="date"), "outcome:N", "count:Q"],
        )
    )
    missing = (
        alt.Chart(collection[collection["is_missing"]])
        .mark_point(shape="cross", color="#444444", size=80)
        .encode(
            x=x,
            y=alt.value(8),
            tooltip=[alt.Tooltip("activity_date:T", title="date"), "missing_reason:N"],
        )
    )
    health = alt.layer(bars, missing).properties(
        width=WIDTH, height=110, title="Collection: requests per day (x: a day without a value)"
    )
    if report.alerts.empty:  # no empty timeline: the table below says there was no alert
        return _configured(health)
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
                "scope:N",
                "metric:N",
                "page_url:N",
                alt.Tooltip("observed:Q", format=".3f"),
                alt.Tooltip("expected:Q", format=".3f"),
                alt.Tooltip("strength:Q", format=".1f"),
            ],
        )
        .properties(width=WIDTH, height=90, title="Alerts of the period")
    )
    return _configured(
        alt.vconcat(alerts, health).resolve_scale(
            x="shared", color="independent", size="independent"
        )
    )


SECTIONS = (
    ("daily", "Sessions and frustration, day by day", daily_chart),
    ("pages", "Pages to fix first", pages_chart),
    ("segments", "Signals by device and browser, latest week", segments_chart),
    ("referrers", "Where visitors come from", referrers_chart),
    ("scroll", "Scroll depth by device", scroll_depth_chart),
    ("health", "Alerts and collection health", health_chart),
)


def to_svg(chart: alt.TopLevelMixin, prefix: str) -> str:
    """The chart as SVG markup for inlining; its ids (gradients, clip paths) get `prefix`, as
    every chart's SVG numbers them from 0 and ids must be unique in one HTML document."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(chart.to_json())
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r")\b")
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def to_png(chart: alt.TopLevelMixin) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_json(), scale=2)
