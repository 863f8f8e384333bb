"""Aggregate a window of simulated sessions into the exact wire JSON of project-live-insights.
A missing dimension value (no Campaign; Source/Medium of Direct traffic) is sent as JSON null."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from clarity_tools.offline.catalog import (
    DIMENSIONED_BLOCKS,
    ROW_KEYS,
    SIGNALS,
    VALID_DIMENSIONS,
)
from clarity_tools.offline.simulation import LABELS, SimulatedProject

ROW_CAP = 1000
TOP_N = 10
Row = dict[str, object]


def clean_dimensions(requested: Iterable[str | None]) -> tuple[str, ...]:
    """Keep valid dimension names in request order, without duplicates; drop the rest silently."""
    kept: list[str] = []
    for name in requested:
        if name in VALID_DIMENSIONS and name not in kept:
            kept.append(name)
    return tuple(kept)


def build_response(
    project: SimulatedProject,
    dimensions: Sequence[str],
    num_days: int,
    now: datetime,
    row_cap: int | None = ROW_CAP,
) -> list[dict]:
    """The response body (as Python objects) for a call at ``now`` with these parameters."""
    if num_days not in (1, 2, 3):
        raise ValueError(f"num_days must be 1, 2 or 3, got {num_days!r}")
    dims = clean_dimensions(dimensions)
    first, last = project.session_range(now - timedelta(days=num_days), now)
    if not dims:
        return _site_response(project, first, last)
    return _dimensioned_response(project, dims, first, last, row_cap)


def _num(value: float) -> float | int:
    """Whole numbers as JSON integers (``0``, ``100``), the rest as floats, as on the wire."""
    return int(value) if float(value).is_integer() else float(value)


def _percentages(with_signal: int, sessions: int) -> tuple[float | int, float | int]:
    if sessions == 0:
        return 0, 100
    share = round(100 * with_signal / sessions, 2)
    return _num(share), _num(round(100 - share, 2))


def _average(total: float, count: float, digits: int | None = 2) -> float | int | None:
    if count == 0:
        return None
    return _num(round(total / count, digits)) if digits is not None else _num(total / count)


def _seconds(total: float, count: float) -> str | None:
    return None if count == 0 else str(int(round(total / count)))


@dataclass
class _Units:
    """The things rows count: sessions, or page visits when URL is a dimension."""

    key: np.ndarray
    bot: np.ndarray
    user: np.ndarray
    has: np.ndarray
    events: np.ndarray
    affected: np.ndarray
    page_views: np.ndarray
    scroll_sum: np.ndarray
    scroll_n: np.ndarray
    total_time: np.ndarray
    active_time: np.ndarray


@dataclass
class _Groups:
    """Per-group sums over units; ``first`` is each group's first unit (row order)."""

    keys: np.ndarray
    first: np.ndarray
    sessions: np.ndarray
    bots: np.ndarray
    users: np.ndarray
    with_signal: np.ndarray
    events: np.ndarray
    affected: np.ndarray
    page_views: np.ndarray
    bot_page_views: np.ndarray
    scroll_sum: np.ndarray
    scroll_n: np.ndarray
    total_time: np.ndarray
    active_time: np.ndarray


def _session_units(project: SimulatedProject, first: int, last: int, key: np.ndarray) -> _Units:
    window = slice(first, last)
    return _Units(
        key=key,
        bot=project.is_bot[window],
        user=project.user[window],
        has=project.s_has[window],
        events=project.s_events[window],
        affected=project.s_affected[window],
        page_views=project.s_page_views[window],
        scroll_sum=project.s_scroll_sum[window],
        scroll_n=project.s_visits[window],
        total_time=project.s_total_time[window],
        active_time=project.s_active_time[window],
    )


def _visit_units(project: SimulatedProject, first: int, last: int, key: np.ndarray) -> _Units:
    window = slice(int(project.visit_offsets[first]), int(project.visit_offsets[last]))
    session = project.v_session[window]
    return _Units(
        key=key,
        bot=project.is_bot[session],
        user=project.user[session],
        has=project.v_has[window],
        events=project.v_events[window],
        affected=project.v_affected[window],
        page_views=project.v_page_views[window],
        scroll_sum=project.v_scroll[window],
        scroll_n=np.ones(session.size, dtype=np.int64),
        total_time=project.v_total_time[window],
        active_time=project.v_active_time[window],
    )


def _sum(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(index, weights=values, minlength=size).astype(np.int64)


def _distinct_per_group(inverse: np.ndarray, users: np.ndarray, size: int) -> np.ndarray:
    """Number of distinct users in each group (``inverse`` = each unit's group index)."""
    radix = int(users.max()) + 1 if users.size else 1
    pairs = np.unique(inverse.astype(np.int64) * radix + users)
    return np.bincount(pairs // radix, minlength=size)


def _group(units: _Units) -> _Groups:
    keys, first, inverse = np.unique(units.key, return_index=True, return_inverse=True)
    size = keys.size
    human = ~units.bot
    hi = inverse[human]
    per_signal = [
        np.stack([_sum(hi, values[human, k], size) for k in range(len(SIGNALS))], axis=1)
        for values in (units.has, units.events, units.affected)
    ]
    return _Groups(
        keys=keys,
        first=first,
        sessions=np.bincount(hi, minlength=size),
        bots=np.bincount(inverse[units.bot], minlength=size),
        users=_distinct_per_group(inverse, units.user, size),
        with_signal=per_signal[0],
        events=per_signal[1],
        affected=per_signal[2],
        page_views=_sum(hi, units.page_views[human], size),
        bot_page_views=_sum(inverse[units.bot], units.page_views[units.bot], size),
        scroll_sum=_sum(hi, units.scroll_sum[human], size),
        scroll_n=_sum(hi, units.scroll_n[human], size),
        total_time=_sum(hi, units.total_time[human], size),
        active_time=_sum(hi, units.active_time[human], size),
    )


def _signal_row(g: dict[str, list], i: int, k: int) -> Row:
    with_pct, without_pct = _percentages(g["with_signal"][i][k], g["sessions"][i])
    return {
        "sessionsCount": str(g["sessions"][i]),
        "sessionsWithMetricPercentage": with_pct,
        "sessionsWithoutMetricPercentage": without_pct,
        "pagesViews": str(g["affected"][i][k]),
        "subTotal": str(g["events"][i][k]),
    }


def _traffic_row(g: dict[str, list], i: int, bot_only_rows: bool) -> Row:
    """Traffic; rows seen only by bots (URL dimension) report the bots' pages per session."""
    sessions, bots = g["sessions"][i], g["bots"][i]
    if sessions or not bot_only_rows:
        per_session = _average(g["page_views"][i], sessions, None)
    else:
        per_session = _average(g["bot_page_views"][i], bots, None)
    return {
        "totalSessionCount": str(sessions),
        "totalBotSessionCount": str(bots),
        "distinctUserCount": str(g["users"][i]),
        "pagesPerSessionPercentage": per_session,
    }


def _block_row(block: str, g: dict[str, list], i: int, bot_only_rows: bool = False) -> Row:
    if block == "ScrollDepth":
        return {"averageScrollDepth": _average(g["scroll_sum"][i], g["scroll_n"][i])}
    if block == "Traffic":
        return _traffic_row(g, i, bot_only_rows)
    if block == "EngagementTime":
        sessions = g["sessions"][i]
        return {
            "totalTime": _seconds(g["total_time"][i], sessions),
            "activeTime": _seconds(g["active_time"][i], sessions),
        }
    return _signal_row(g, i, SIGNALS.index(block))


def _as_lists(groups: _Groups) -> dict[str, list]:
    return {name: value.tolist() for name, value in vars(groups).items()}


# ---------------------------------------------------------------- no dimension: 16 blocks


def _site_response(project: SimulatedProject, first: int, last: int) -> list[dict]:
    units = _session_units(project, first, last, np.zeros(last - first, dtype=np.int64))
    groups = _as_lists(_group(units)) if last > first else None
    blocks = []
    for block in DIMENSIONED_BLOCKS:
        row = _block_row(block, groups, 0) if groups else _zero_row(block)
        blocks.append({"metricName": block, "information": [row]})
    return blocks + _top_lists(project, first, last)


def _zero_row(block: str) -> Row:
    zero = {
        "sessions": [0],
        "bots": [0],
        "users": [0],
        "page_views": [0],
        "bot_page_views": [0],
        "scroll_sum": [0],
        "scroll_n": [0],
        "total_time": [0],
        "active_time": [0],
        "with_signal": [[0] * len(SIGNALS)],
        "events": [[0] * len(SIGNALS)],
        "affected": [[0] * len(SIGNALS)],
    }
    return _block_row(block, zero, 0)


def _top_rows(
    counts: np.ndarray, labels: Sequence[str | None], name_key: str, count_key: str
) -> list[Row]:
    present = np.flatnonzero(counts)
    order = present[np.lexsort((present, -counts[present]))][:TOP_N]
    return [{name_key: labels[i], count_key: str(int(counts[i]))} for i in order]


def _top_lists(project: SimulatedProject, first: int, last: int) -> list[dict]:
    human = ~project.is_bot[first:last]
    blocks = []
    for block in ("Browser", "Device", "OS", "Country"):
        codes = project.codes[block][first:last][human]
        counts = np.bincount(codes, minlength=len(LABELS[block]))
        blocks.append((block, _top_rows(counts, LABELS[block], "name", "sessionsCount")))
    visits = slice(int(project.visit_offsets[first]), int(project.visit_offsets[last]))
    human_visit = ~project.is_bot[project.v_session[visits]]
    site = project.site
    page_counts = np.bincount(project.v_page[visits][human_visit], minlength=site.n_pages)
    blocks.append(("PageTitle", _top_rows(page_counts, site.titles, "name", "sessionsCount")))
    referrers = project.codes["Referrer"][first:last][human]
    ref_counts = np.bincount(referrers, minlength=len(LABELS["Referrer"]))
    blocks.append(
        ("ReferrerUrl", _top_rows(ref_counts, LABELS["Referrer"], "name", "sessionsCount"))
    )
    url_counts = np.bincount(project.v_url[visits][human_visit], minlength=len(site.raw_urls))
    blocks.append(("PopularPages", _top_rows(url_counts, site.raw_urls, "url", "visitsCount")))
    return [{"metricName": name, "information": rows} for name, rows in blocks]


# ---------------------------------------------------------------- dimensions: 9 blocks


def _labels_of(project: SimulatedProject, dimension: str) -> Sequence[str | None]:
    return project.site.raw_urls if dimension == "URL" else LABELS[dimension]


def _combined_key(codes: list[np.ndarray], radices: list[int]) -> np.ndarray:
    key = np.zeros(codes[0].size if codes else 0, dtype=np.int64)
    for code, radix in zip(codes, radices, strict=True):
        key = key * radix + code
    return key


def _decode(
    keys: np.ndarray, dims: tuple[str, ...], radices: list[int], project: SimulatedProject
) -> list[dict[str, str | None]]:
    columns: list[list] = []
    rest = keys.copy()
    for dim, radix in zip(reversed(dims), reversed(radices), strict=True):
        labels = _labels_of(project, dim)
        columns.append([labels[c] for c in (rest % radix).tolist()])
        rest //= radix
    columns.reverse()
    names = [ROW_KEYS[d] for d in dims]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _dimension_codes(
    project: SimulatedProject, dims: tuple[str, ...], first: int, last: int, per_visit: bool
) -> list[np.ndarray]:
    window = slice(int(project.visit_offsets[first]), int(project.visit_offsets[last]))
    session = project.v_session[window] if per_visit else None
    codes = []
    for dim in dims:
        if dim == "URL":
            codes.append(project.v_url[window].astype(np.int64))
        elif per_visit:
            codes.append(project.codes[dim][session].astype(np.int64))
        else:
            codes.append(project.codes[dim][first:last].astype(np.int64))
    return codes


def _capped(
    order: np.ndarray,
    sessions: np.ndarray,
    bots: np.ndarray,
    first: np.ndarray,
    row_cap: int | None,
) -> np.ndarray:
    """Keep the ``row_cap`` rows with most sessions (then bots), in first-appearance order."""
    if row_cap is None or order.size <= row_cap:
        return order
    ranked = order[np.lexsort((first[order], -bots[order], -sessions[order]))][:row_cap]
    return ranked[np.argsort(first[ranked], kind="stable")]


def _dimensioned_response(
    project: SimulatedProject, dims: tuple[str, ...], first: int, last: int, row_cap: int | None
) -> list[dict]:
    per_visit = "URL" in dims
    radices = [len(_labels_of(project, d)) for d in dims]
    key = _combined_key(_dimension_codes(project, dims, first, last, per_visit), radices)
    make_units = _visit_units if per_visit else _session_units
    groups = _group(make_units(project, first, last, key))
    row_dims = _decode(groups.keys, dims, radices, project)
    g = _as_lists(groups)
    by_first = np.argsort(groups.first, kind="stable")
    human_rows = by_first[groups.sessions[by_first] > 0]
    human_rows = _capped(human_rows, groups.sessions, groups.bots, groups.first, row_cap)
    null_rows = _null_url_rows(project, dims, first, last) if per_visit else []
    traffic_cap = None if row_cap is None else max(0, row_cap - len(null_rows))
    traffic_rows = by_first if per_visit else human_rows
    traffic_rows = _capped(traffic_rows, groups.sessions, groups.bots, groups.first, traffic_cap)
    blocks = []
    for block in DIMENSIONED_BLOCKS:
        rows = traffic_rows if block == "Traffic" else human_rows
        information = [{**_block_row(block, g, i, per_visit), **row_dims[i]} for i in rows.tolist()]
        if block == "Traffic":
            information = null_rows + information
        blocks.append({"metricName": block, "information": information})
    return blocks


def _null_url_rows(
    project: SimulatedProject, dims: tuple[str, ...], first: int, last: int
) -> list[Row]:
    """Traffic rows with ``"Url": null``: users whose page view Clarity could not attribute."""
    lost = np.flatnonzero(project.unattributed[first:last]) + first
    if lost.size == 0:
        return []
    others = tuple(d for d in dims if d != "URL")
    radices = [len(LABELS[d]) for d in others]
    codes = [project.codes[d][lost].astype(np.int64) for d in others]
    key = _combined_key(codes, radices) if others else np.zeros(lost.size, dtype=np.int64)
    keys, first_seen, inverse = np.unique(key, return_index=True, return_inverse=True)
    distinct = _distinct_per_group(inverse, project.user[lost], keys.size)
    labels = _decode(keys, others, radices, project) if others else [{}] * keys.size
    rows = []
    for i in np.argsort(first_seen, kind="stable").tolist():
        values = {ROW_KEYS[d]: (None if d == "URL" else labels[i][ROW_KEYS[d]]) for d in dims}
        rows.append(
            {
                "totalSessionCount": "0",
                "totalBotSessionCount": "0",
                "distinctUserCount": str(int(distinct[i])),
                "pagesPerSessionPercentage": 1,
                **values,
            }
        )
    return rows
