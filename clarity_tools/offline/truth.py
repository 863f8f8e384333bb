"""True values of a simulated project, computed straight from its sessions and visits: per day
(UTC by default, or the days of another time zone) and over any window. A session belongs to the
day or window of its start; "sessions" are non-bot sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np

from clarity_tools.offline.catalog import SEGMENT_DIMENSIONS, SIGNALS
from clarity_tools.offline.simulation import LABELS, SimulatedProject

Truth = dict[str, object]


def day_bounds(day: date, zone: tzinfo = UTC) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a calendar day of `zone` (23 or 25 hours on a DST change)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _day_range(project: SimulatedProject, day: date, zone: tzinfo = UTC) -> tuple[int, int]:
    return project.session_range(*day_bounds(day, zone))


def _by_signal(values: np.ndarray) -> dict[str, int]:
    return {signal: int(values[k]) for k, signal in enumerate(SIGNALS)}


def _average(total: float, count: int, digits: int = 2) -> float | None:
    return round(total / count, digits) if count else None


def site_daily(project: SimulatedProject, day: date, zone: tzinfo = UTC) -> Truth:
    """Site totals of ``day`` (a day of ``zone``): sessions, bots, users, page views, signals,
    scroll and time.

    ``distinct_users`` counts the users of bot sessions too, as Traffic's distinctUserCount does.
    """
    return _site(project, *_day_range(project, day, zone))


def site_window(project: SimulatedProject, start: datetime, end: datetime) -> Truth:
    """Site totals of the sessions starting in ``[start, end)``, as ``site_daily``."""
    return _site(project, *project.session_range(start, end))


def _site(project: SimulatedProject, first: int, last: int) -> Truth:
    human = ~project.is_bot[first:last]
    sessions = int(human.sum())
    scroll_n = int(project.s_visits[first:last][human].sum())
    return {
        "sessions": sessions,
        "bot_sessions": int((~human).sum()),
        "distinct_users": int(np.unique(project.user[first:last]).size),
        "page_views": int(project.s_page_views[first:last][human].sum()),
        "sessions_with": _by_signal(project.s_has[first:last][human].sum(axis=0)),
        "signal_page_views": _by_signal(project.s_affected[first:last][human].sum(axis=0)),
        "signal_events": _by_signal(project.s_events[first:last][human].sum(axis=0)),
        "average_scroll_depth": _average(
            float(project.s_scroll_sum[first:last][human].sum()), scroll_n
        ),
        "total_time": _average(float(project.s_total_time[first:last][human].sum()), sessions, 0),
        "active_time": _average(float(project.s_active_time[first:last][human].sum()), sessions, 0),
    }


def _grouped(
    codes: np.ndarray,
    human: np.ndarray,
    users: np.ndarray,
    page_views: np.ndarray,
    has: np.ndarray,
    size: int,
) -> dict[int, Truth]:
    """Per-code truth; only codes with at least one non-bot session."""
    sessions = np.bincount(codes[human], minlength=size)
    bots = np.bincount(codes[~human], minlength=size)
    views = np.bincount(codes[human], weights=page_views[human], minlength=size)
    with_signal = np.stack(
        [
            np.bincount(codes[human], weights=has[human, k], minlength=size)
            for k in range(len(SIGNALS))
        ],
        axis=1,
    )
    out: dict[int, Truth] = {}
    for code in np.flatnonzero(sessions).tolist():
        out[code] = {
            "sessions": int(sessions[code]),
            "bot_sessions": int(bots[code]),
            "distinct_users": len(set(users[codes == code].tolist())),
            "page_views": int(views[code]),
            "sessions_with": _by_signal(with_signal[code]),
        }
    return out


def page_daily(project: SimulatedProject, day: date, zone: tzinfo = UTC) -> dict[str, Truth]:
    """Per canonical page URL (``urls.canonical_url``): visits (= the page's sessions), bots, page
    views, signals; only pages with at least one non-bot visit that day (a day of ``zone``)."""
    return _pages(project, *_day_range(project, day, zone))


def page_window(project: SimulatedProject, start: datetime, end: datetime) -> dict[str, Truth]:
    """Per canonical page URL, as ``page_daily``, over the sessions starting in ``[start, end)``."""
    return _pages(project, *project.session_range(start, end))


def _pages(project: SimulatedProject, first: int, last: int) -> dict[str, Truth]:
    window = slice(int(project.visit_offsets[first]), int(project.visit_offsets[last]))
    session = project.v_session[window]
    human = ~project.is_bot[session]
    grouped = _grouped(
        project.v_page[window],
        human,
        project.user[session],
        project.v_page_views[window],
        project.v_has[window],
        project.site.n_pages,
    )
    return {project.site.canonical[page]: truth for page, truth in grouped.items()}


def segment_daily(
    project: SimulatedProject, dimension: str, day: date, zone: tzinfo = UTC
) -> dict[str | None, Truth]:
    """Per value of a session dimension (Device, Browser, OS, Country, Channel, Source, ...).

    Keys are wire values; a missing value (no Campaign, Source/Medium of Direct) is ``None``.
    """
    if dimension not in SEGMENT_DIMENSIONS:
        raise ValueError(f"dimension must be one of {SEGMENT_DIMENSIONS}, got {dimension!r}")
    first, last = _day_range(project, day, zone)
    human = ~project.is_bot[first:last]
    labels = LABELS[dimension]
    grouped = _grouped(
        project.codes[dimension][first:last].astype(np.int64),
        human,
        project.user[first:last],
        project.s_page_views[first:last],
        project.s_has[first:last],
        len(labels),
    )
    return {labels[code]: truth for code, truth in grouped.items()}
