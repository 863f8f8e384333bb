"""The numbers of the report, per project, as the charts want them: the daily series, the pages
to fix first and their trends, the signals by device and browser of the latest week, where
visitors come from (the top referrers of the period's daily lists) and scroll depth by device,
the incidents and alerts and collection health over the period (each asked of
outputs/marts.py), and a short summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.outputs import marts
from ingestion.outputs.clarity_links import clarity_links, page_links
from ingestion.outputs.marts import SEGMENT_DAYS, TOP_PAGES, MartsReader, NoMartsError, Project
from ingestion.outputs.periods import Comparison, Completeness, Placement

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NoMartsError", "ProjectReport", "Summary", "read_reports"]

SUMMARY_DAYS = 7  # the summary's headline figures: the latest week, against the week before
LOW_COVERAGE = 0.9  # a daily value whose 24 hours cover less of the date is marked
REQUIRED_MARTS = (
    "fct_site_daily",
    "fct_collection_daily",
    "fct_page_frustration_daily",
    "fct_segment_daily",
    "fct_top_list_daily",
    "fct_alerts",
    "fct_incidents",
    "dim_projects",
)
TOP_REFERRERS = 8  # the referring sites the report lists and draws
HEATMAP_DIMENSIONS = ("Device", "Browser")  # the segments the heatmaps show
# A heatmap cell's rate is drawn only over at least this many sessions (the alert rule's own
# minimum, var clarity_alert_min_sessions): under 100 one session moves the share by a point or
# more, so a dark cell of 24 sessions says nothing; such a cell is drawn "too few".
HEATMAP_MIN_SESSIONS = 100
ALERT_COLUMNS = [
    "activity_date", "scope", "metric", "page_url", "observed", "expected", "strength", "rule"
]  # fmt: skip
COLLECTION_COLUMNS = [
    "activity_date", "requests", "failed_requests", "quota_used", "is_missing", "missing_reason"
]  # fmt: skip


@dataclass
class Summary:
    week: Completeness  # the latest SUMMARY_DAYS dates: days with values, by kind
    score_week: float | None  # sessions-weighted frustration score of those days
    comparison: Comparison  # like for like with the week before
    top_pages: list[tuple[str, float]]  # (page, excess frustrated sessions, 7 days)
    open_alerts: int  # signal alerts of the latest 7 days
    missing_days: int  # dates of the period without a daily value
    pages_days: int = 0  # dates of the 7 days the pages to fix are ranked over with a value
    placement: Placement | None = None  # score_week among the site's own days (no score: None)

    @property
    def sessions_week(self) -> int:
        return self.week.sessions


@dataclass
class ProjectReport:
    project: str
    timezone: str
    start: date
    end: date
    daily: pd.DataFrame
    pages: pd.DataFrame
    page_trends: pd.DataFrame
    segments: pd.DataFrame
    referrers: pd.DataFrame  # the period's top referring sites, from the daily top-10 lists
    referrer_days: pd.DataFrame  # their sessions on each date whose list holds them
    scroll_depth: pd.DataFrame  # scroll depth by device over the period, weighted by sessions
    alerts: pd.DataFrame  # the daily detail, drawn on the health timeline
    incidents: pd.DataFrame  # open, then seen or resolved in the period, with links into Clarity
    collection: pd.DataFrame
    period: Completeness  # the period's days with values: its range is the data's range
    week: Completeness  # the same of its latest SUMMARY_DAYS dates
    summary: Summary = field(init=False)
    annotations: pd.DataFrame | None = None  # dated in the period: marks on the daily chart
    effects: pd.DataFrame | None = None  # their signals before and after (fct_annotation_effects)


def read_reports(duckdb_path: Path, days: int, project: str | None = None) -> list[ProjectReport]:
    """One ProjectReport per project (or only `project`), each over its latest `days` dates."""
    with marts.connect(duckdb_path, require=REQUIRED_MARTS) as con:
        reader = marts.frames(con)
        projects = reader.projects_with_data()
        if project is not None:
            projects = [found for found in projects if found.name == project]
            if not projects:
                raise NoMartsError(f"no daily values for project {project!r} in {duckdb_path}")
        return [_project(reader, found, days) for found in projects]


def _project(reader: MartsReader[pd.DataFrame], found: Project, days: int) -> ProjectReport:
    import pandas as pd

    project, timezone, end = found.name, found.timezone, found.last_activity_date
    start = end - timedelta(days=days - 1)
    daily = reader.site_daily(project, start, end, ["sessions", "frustration_score"])
    pages = reader.pages_to_fix(project, limit=TOP_PAGES).rename(
        columns={
            "excess_frustrated_sessions_7d": "excess",
            "shrunk_score_7d": "score",
            "site_score_7d": "site_score",
            "sessions_7d": "sessions",
        }
    )[["rank", "page_url", "activity_date", "excess", "score", "site_score", "sessions"]]
    links = [
        page_links(found.clarity_project_id, url, ranked_on.date())
        for url, ranked_on in zip(
            pages["page_url"], pd.to_datetime(pages["activity_date"]), strict=True
        )
    ]
    pages["recordings_url"] = [link.recordings for link in links]
    pages["heatmap_url"] = [link.heatmap for link in links]
    page_trends = reader.page_scores(project, list(pages["page_url"]), start, end).rename(
        columns={"shrunk_score_7d": "score"}
    )
    week_start = end - timedelta(days=SEGMENT_DAYS - 1)
    segments = reader.segments(project, HEATMAP_DIMENSIONS, week_start, end)
    referrers = reader.top_list(project, "referrer", start, end, by_host=True, limit=TOP_REFERRERS)
    referrer_days = reader.top_list_days(
        project, "referrer", list(referrers["item"]), start, end, by_host=True
    )
    scroll_depth = reader.engagement_by_segment(project, "Device", start, end)
    alerts = reader.alerts(project, start, end)
    alerts["page_url"] = alerts["page_url"].fillna("(site)")
    collection = reader.collection_health(project, start, end)
    incidents = _incidents(reader, found, start)
    report = ProjectReport(
        project=project,
        timezone=timezone,
        start=start,
        end=end,
        daily=daily,
        pages=pages,
        page_trends=page_trends,
        segments=_signal_rates(segments),
        referrers=referrers[["item", "sessions", "days_listed", "days_with_lists", "best_rank"]],
        referrer_days=referrer_days[["activity_date", "item", "sessions"]],
        scroll_depth=scroll_depth[
            ["dimension_value", "avg_scroll_depth", "measured_sessions", "days_measured"]
        ],
        alerts=alerts[ALERT_COLUMNS],
        incidents=incidents,
        collection=collection[COLLECTION_COLUMNS],
        period=_completeness(reader, project, start, end, days),
        week=_completeness(reader, project, end - timedelta(days=SUMMARY_DAYS - 1), end),
    )
    report.summary = _summary(report)
    if report.summary.score_week is not None:
        report.summary.placement = Placement.of(
            reader.score_percentile(project, report.summary.score_week, end)
        )
    report.annotations = reader.annotations(project, start, end)
    report.effects = reader.annotation_effects(project, start, end)
    return report


def _incidents(reader: MartsReader[pd.DataFrame], found: Project, start: date) -> pd.DataFrame:
    """The project's incidents the report lists: every open one, then those seen or resolved
    since `start`; each with the link to its recordings in Clarity over its days (None without a
    Clarity id or a page)."""
    import pandas as pd

    incidents = reader.incidents(found.name, start)
    incidents["recordings_url"] = [
        clarity_links(
            found.clarity_project_id,
            url if isinstance(url, str) else None,  # the site's: null (NaN in the frame)
            pd.Timestamp(opened).date(),
            pd.Timestamp(last).date(),
        ).recordings
        if scope != "collection"
        else None
        for scope, url, opened, last in zip(
            incidents["scope"],
            incidents["page_url"],
            incidents["opened_on"],
            incidents["last_seen_on"],
            strict=True,
        )
    ]
    return incidents


def _completeness(
    reader: MartsReader[pd.DataFrame], project: str, start: date, end: date, days: int = 0
) -> Completeness:
    rows = reader.period_completeness(start, end, project).to_dict("records")
    return Completeness.of(rows[0] if rows else None, days or (end - start).days + 1)


def _signal_rates(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per segment and signal as the heatmaps draw it: the week's recombined rate, the
    sessions it is a share of (`base_sessions`, those the signal's block counted), the
    segment's sessions and the dates with data."""
    return segments.assign(
        value=segments["dimension_value"],
        signal=segments["signal"].str.replace("_", " "),
        sessions=segments["sessions"].fillna(0).astype("int64"),
        base_sessions=segments["base_sessions"].fillna(0).astype("int64"),
        days_with_data=segments["days_with_data"].fillna(0).astype("int64"),
    )[["dimension", "value", "signal", "rate", "base_sessions", "sessions", "days_with_data"]]


def _score(days: pd.DataFrame) -> float | None:
    """The sessions-weighted frustration score of some days (the score is linear in the rates,
    so weighting the days by sessions recombines the counts)."""
    scored = days[days["frustration_score"].notna() & days["sessions"].notna()]
    weight = scored["sessions"].sum()
    if not weight:
        return None
    return float((scored["frustration_score"] * scored["sessions"]).sum() / weight)


def _like_for_like(daily: pd.DataFrame, end: date) -> Comparison:
    """The latest week against the week before on the dates (one week apart) with a value in
    both."""
    import pandas as pd

    valued = daily[daily["sessions"].notna()].set_index("activity_date")
    this_week = [pd.Timestamp(end - timedelta(days=back)) for back in range(SUMMARY_DAYS)]
    pairs = [
        (day, day - pd.Timedelta(days=SUMMARY_DAYS))
        for day in this_week
        if day in valued.index and day - pd.Timedelta(days=SUMMARY_DAYS) in valued.index
    ]
    if not pairs:
        return Comparison(0)
    now = valued.loc[[day for day, _ in pairs]]
    before = valued.loc[[day for _, day in pairs]]
    return Comparison(
        common_days=len(pairs),
        sessions=int(now["sessions"].sum()),
        previous_sessions=int(before["sessions"].sum()),
        score=_score(now),
        previous_score=_score(before),
    )


def _summary(report: ProjectReport) -> Summary:
    import pandas as pd

    end = report.end
    week_start = pd.Timestamp(end - timedelta(days=SUMMARY_DAYS - 1))
    daily = report.daily
    recent = report.alerts[
        (report.alerts["activity_date"] >= week_start) & (report.alerts["scope"] != "collection")
    ]
    pages_days = 0
    if not report.pages.empty:
        ranked_on = pd.Timestamp(report.pages["activity_date"].iloc[0])
        dates = daily["activity_date"]
        pages_days = int(
            daily[
                (dates > ranked_on - pd.Timedelta(days=7))
                & (dates <= ranked_on)
                & daily["sessions"].notna()
            ].shape[0]
        )
    return Summary(
        week=report.week,
        score_week=_score(daily[daily["activity_date"] >= week_start]),
        comparison=_like_for_like(daily, end),
        top_pages=[
            (row["page_url"], float(row["excess"]))
            for row in report.pages.head(3).to_dict("records")
        ],
        open_alerts=len(recent),
        missing_days=int(report.daily["is_missing"].sum()),
        pages_days=pages_days,
    )
