"""Simulated collections for the window solver's validation: request schedules, the snapshots
they give (wire bodies of the offline service turned into per-series values, pages by their
canonical URL) and the truth of any interval, straight from the simulated sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import numpy as np

from clarity_tools.offline import OfflineClarity, canonical_url
from clarity_tools.offline.catalog import SIGNALS
from clarity_tools.offline.simulation import SimulatedProject
from ingestion.api.snapshot import dimensions_key
from ingestion.collect.plan import plan_project
from ingestion.config import default_policy

DAY = 86_400.0
SITE: tuple[str, ...] = ()
URL = ("URL",)
DEVICE = ("Device",)
# the measures of every series: sessions, then each signal's sessions with it and its base
MEASURES: tuple[str, ...] = (
    "sessions",
    *(f"{signal}:{part}" for signal in SIGNALS for part in ("with", "base")),
)
# a signal session count is round(pct x base / 100) with pct rounded to 2 decimals
SIGNAL_ROUNDING = 0.5


@dataclass(frozen=True)
class Request:
    """One API call of a schedule: when, which dimension set, how many days."""

    at: datetime
    dimensions: tuple[str, ...]
    num_days: int


@dataclass
class Layout:
    """The snapshots of one dimension set: windows (n, 2) and values (n, members x measures),
    column ``m * len(MEASURES) + k`` holding measure k of member m (a page, a device...)."""

    dimensions: tuple[str, ...]
    windows: np.ndarray
    values: np.ndarray
    members: list[str | None] = field(default_factory=list)

    def column(self, member: int, measure: str) -> int:
        return member * len(MEASURES) + MEASURES.index(measure)

    @property
    def rounding(self) -> np.ndarray:
        """Input rounding per column: sessions are exact counts, signal counts are rounded."""
        per_member = [0.0 if m == "sessions" else SIGNAL_ROUNDING for m in MEASURES]
        return np.tile(per_member, max(1, len(self.members)))


def nightly(
    start: datetime,
    days: int,
    sets: Sequence[tuple[str, ...]],
    at: time = time(3, 0),
    jitter_minutes: float = 70.0,
    one_day_first: int = 3,
    seed: int = 0,
) -> list[Request]:
    """A nightly collector: a 3-day window of every set at ``at`` plus up to ``jitter_minutes``,
    and one-day windows as well on the first ``one_day_first`` nights."""
    rng = np.random.default_rng(seed)
    requests = []
    for number in range(1, days + 1):
        jitter = timedelta(minutes=float(rng.uniform(0, jitter_minutes)))
        moment = datetime.combine(start.date() + timedelta(days=number), at, tzinfo=UTC) + jitter
        for dims in sets:
            requests.append(Request(moment, dims, 3))
            if number <= one_day_first:
                requests.append(Request(moment, dims, 1))
    return requests


def daily(
    start: datetime,
    days: int,
    sets: Sequence[tuple[str, ...]],
    at: time = time(0, 10),
    outage: Sequence[int] = (),
    recover_sets: int = 2,
) -> list[Request]:
    """The planner's schedule (ingestion/collect/plan.py, the product's own): a run every day at
    ``at`` except the days of ``outage``; each run asks what `plan_project` plans for the sets'
    last successes (one-day windows when daily; after a gap one window per set, then nested
    windows for the first ``recover_sets`` sets while the budget lasts)."""
    policy = default_policy(recover_sets=recover_sets)
    last: dict[str, datetime] = {}
    requests = []
    for number in range(1, days + 1):
        if number in outage:
            continue
        moment = datetime.combine(start.date() + timedelta(days=number), at, tzinfo=UTC)
        plan = plan_project("sim", sets, moment, used_today=0, last_success=last, policy=policy)
        for planned in plan.requests:
            requests.append(Request(moment, tuple(planned.dimensions), planned.num_of_days))
            last[dimensions_key(planned.dimensions)] = moment
    return requests


def collect(
    service: OfflineClarity, project: str, requests: Sequence[Request]
) -> dict[tuple[str, ...], Layout]:
    """The snapshots of ``requests``, per dimension set, from the service's wire bodies."""
    layouts: dict[tuple[str, ...], Layout] = {}
    bodies: dict[tuple[str, ...], list[tuple[Request, list]]] = {}
    for request in requests:
        body = service.response(project, request.dimensions, request.num_days, request.at)
        bodies.setdefault(request.dimensions, []).append((request, body))
    for dims, answered in bodies.items():
        layouts[dims] = _layout(dims, answered)
    return layouts


def _layout(dims: tuple[str, ...], answered: list[tuple[Request, list]]) -> Layout:
    key = {"URL": "Url", "Device": "Device"}.get(dims[0]) if dims else None
    rows = [_members(body, key) for _, body in answered]
    members = sorted({m for row in rows for m in row}, key=lambda m: (m is None, m or ""))
    index = {m: k for k, m in enumerate(members or [None])}
    width = len(MEASURES)
    values = np.zeros((len(answered), max(1, len(members)) * width))
    for i, row in enumerate(rows):
        for member, measures in row.items():
            values[i, index[member] * width : (index[member] + 1) * width] += measures
    windows = np.array(
        [
            (request.at.timestamp() - DAY * request.num_days, request.at.timestamp())
            for request, _ in answered
        ]
    )
    return Layout(dims, windows, values, members if key else [None])


def _members(body: list, key: str | None) -> dict[str | None, np.ndarray]:
    """Per member (a canonical page, a device, or None for the site): the measures of a body."""
    blocks = {block["metricName"]: block.get("information") or [] for block in body}
    out: dict[str | None, np.ndarray] = {}

    def member_of(row: dict) -> str | None:
        if key is None:
            return None
        value = row.get(key)
        return canonical_url(value) if key == "Url" and value is not None else value

    for row in blocks.get("Traffic", []):
        if key == "Url" and row.get("Url") is None:
            continue
        measures = out.setdefault(member_of(row), np.zeros(len(MEASURES)))
        measures[0] += int(row["totalSessionCount"])
    for k, signal in enumerate(SIGNALS):
        for row in blocks.get(signal, []):
            base = int(row["sessionsCount"])
            measures = out.setdefault(member_of(row), np.zeros(len(MEASURES)))
            measures[1 + 2 * k] += round(float(row["sessionsWithMetricPercentage"]) * base / 100)
            measures[2 + 2 * k] += base
    return out


class Truth:
    """True values over any intervals, from the simulated sessions (non-bot sessions; a session
    counts in the interval of its start, a page visit in its session's)."""

    def __init__(self, project: SimulatedProject) -> None:
        human = ~project.is_bot
        self._session_start = project.start[human]
        self._session_has = project.s_has[human]
        self._device = project.codes["Device"][human].astype(np.int64)
        visit_human = ~project.is_bot[project.v_session]
        order = np.argsort(project.start[project.v_session][visit_human], kind="stable")
        self._visit_start = project.start[project.v_session][visit_human][order]
        self._visit_page = project.v_page[visit_human][order]
        self._visit_has = project.v_has[visit_human][order]
        self._canonical = project.site.canonical
        self._devices = _device_labels()

    def site(self, intervals: np.ndarray) -> np.ndarray:
        """(intervals, measures): sessions, then per signal (with, base)."""
        return _sums(
            self._session_start,
            np.zeros(self._session_start.size, dtype=np.int64),
            self._session_has,
            1,
            intervals,
        )[:, 0, :]

    def members(self, layout: Layout, intervals: np.ndarray) -> np.ndarray:
        """(intervals, members x measures), in the layout's column order."""
        if not layout.dimensions:
            return self.site(intervals)
        if layout.dimensions == URL:
            names = [self._canonical[p] for p in range(len(self._canonical))]
            start, code, has = self._visit_start, self._visit_page, self._visit_has
        else:
            names = self._devices
            start, code, has = self._session_start, self._device, self._session_has
        table = _sums(start, code, has, len(names), intervals)
        out = np.zeros((intervals.shape[0], len(layout.members) * len(MEASURES)))
        position = {name: k for k, name in enumerate(names)}
        width = len(MEASURES)
        for m, member in enumerate(layout.members):
            if member in position:
                out[:, m * width : (m + 1) * width] += table[:, position[member], :]
        return out


def _device_labels() -> list[str | None]:
    from clarity_tools.offline.simulation import LABELS

    return list(LABELS["Device"])


def _sums(
    starts: np.ndarray, codes: np.ndarray, has: np.ndarray, size: int, intervals: np.ndarray
) -> np.ndarray:
    """(intervals, codes, measures) sums of the units starting in each interval."""
    units = starts.size
    measures = np.ones((units, len(MEASURES)))
    measures[:, 1::2] = has
    order = np.lexsort((starts, codes))
    starts, codes, measures = starts[order], codes[order], measures[order]
    bounds = np.searchsorted(codes, np.arange(size + 1))
    low, high = np.ceil(intervals[:, 0]), np.ceil(intervals[:, 1])
    out = np.zeros((intervals.shape[0], size, len(MEASURES)))
    for code in range(size):
        first, last = bounds[code], bounds[code + 1]
        if first == last:
            continue
        mine = starts[first:last]
        cumulative = np.vstack([np.zeros((1, len(MEASURES))), np.cumsum(measures[first:last], 0)])
        out[:, code] = (
            cumulative[np.searchsorted(mine, high)] - cumulative[np.searchsorted(mine, low)]
        )
    return out
