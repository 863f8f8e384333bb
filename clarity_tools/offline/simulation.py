"""Simulated Clarity sessions and page visits of a project, as numpy arrays sorted by start time.

Deterministic: the same spec, seed, start and days always give the same arrays.
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np

from clarity_tools.offline.catalog import (
    ACQUISITIONS,
    BASE_SIGNAL_RATES,
    BOT_COMBOS,
    BOT_COUNTRIES,
    BROWSERS,
    CHANNELS,
    COUNTRIES,
    DEVICE_COMBOS,
    DEVICES,
    EXTRA_EVENTS,
    OPERATING_SYSTEMS,
    SIGNALS,
    TRACK_NONE,
)
from clarity_tools.offline.projects import ProjectSpec
from clarity_tools.offline.sitemap import NOMINAL_SHARE, SiteMap, build_sitemap, random_token

logger = logging.getLogger(__name__)

WARMUP_DAYS = 3  # simulated before ``start`` so that 3-day windows at the start are full
DAY = 86_400
MAX_PAGES_PER_SESSION = 4
PAGES_PER_SESSION_P = (0.62, 0.22, 0.11, 0.05)
TOKEN_SHARE = 0.6  # share of visits to the token page whose URL carries a secret (_add_token_urls)


def _labels(values: list[str | None]) -> list[str | None]:
    """Distinct values in first-seen order (None last), the code book of a dimension."""
    seen = list(dict.fromkeys(v for v in values if v is not None))
    return seen + [None] if None in values else seen


SOURCES = _labels([a.source for a in ACQUISITIONS])
MEDIUMS = _labels([a.medium for a in ACQUISITIONS])
CAMPAIGNS = _labels([a.campaign for a in ACQUISITIONS])
REFERRERS = _labels([a.referrer for a in ACQUISITIONS])
ACQ_CODES: dict[str, np.ndarray] = {
    "Channel": np.array([CHANNELS.index(a.channel) for a in ACQUISITIONS], dtype=np.int16),
    "Source": np.array([SOURCES.index(a.source) for a in ACQUISITIONS], dtype=np.int16),
    "Medium": np.array([MEDIUMS.index(a.medium) for a in ACQUISITIONS], dtype=np.int16),
    "Campaign": np.array([CAMPAIGNS.index(a.campaign) for a in ACQUISITIONS], dtype=np.int16),
    "Referrer": np.array([REFERRERS.index(a.referrer) for a in ACQUISITIONS], dtype=np.int16),
}
ACQ_TRACKED = np.array([a.tracking != TRACK_NONE for a in ACQUISITIONS])
DIRECT = next(i for i, a in enumerate(ACQUISITIONS) if a.channel == "Direct")

# Code book (wire values; None = missing, shown as JSON null) of every segment dimension.
LABELS: dict[str, list[str | None]] = {
    "Browser": list(BROWSERS),
    "Device": list(DEVICES),
    "Country": list(COUNTRIES),
    "OS": list(OPERATING_SYSTEMS),
    "Source": SOURCES,
    "Medium": MEDIUMS,
    "Campaign": CAMPAIGNS,
    "Channel": list(CHANNELS),
    "Referrer": REFERRERS,
}


@dataclass
class SimulatedProject:
    """Sessions (``s_*``, sorted by start) and their page visits (``v_*``, grouped by session).

    Visits of session ``i`` are ``visit_offsets[i]:visit_offsets[i + 1]``; signal arrays have
    one column per entry of ``SIGNALS``.
    """

    spec: ProjectSpec
    site: SiteMap
    first: datetime
    end: datetime
    start: np.ndarray
    is_bot: np.ndarray
    user: np.ndarray
    unattributed: np.ndarray
    codes: dict[str, np.ndarray]
    visit_offsets: np.ndarray
    s_visits: np.ndarray
    s_page_views: np.ndarray
    s_scroll_sum: np.ndarray
    s_total_time: np.ndarray
    s_active_time: np.ndarray
    s_has: np.ndarray
    s_events: np.ndarray
    s_affected: np.ndarray
    v_session: np.ndarray
    v_page: np.ndarray
    v_url: np.ndarray
    v_page_views: np.ndarray
    v_scroll: np.ndarray
    v_total_time: np.ndarray
    v_active_time: np.ndarray
    v_has: np.ndarray
    v_events: np.ndarray
    v_affected: np.ndarray
    regressions: list[dict] = field(default_factory=list)

    @property
    def n_sessions(self) -> int:
        return int(self.start.size)

    def session_range(self, window_start: datetime, window_end: datetime) -> tuple[int, int]:
        """Index range of the sessions starting in ``[window_start, window_end)``."""
        bounds = [int(np.ceil(window_start.timestamp())), int(np.ceil(window_end.timestamp()))]
        first, last = np.searchsorted(self.start, bounds, side="left")
        return int(first), int(max(first, last))


def _rng(seed: int, name: str, stream: str) -> np.random.Generator:
    words = [seed & 0xFFFFFFFF, zlib.crc32(name.encode()), zlib.crc32(stream.encode())]
    return np.random.default_rng(np.random.SeedSequence(words))


def _norm(weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    return weights / total if total > 0 else np.full(weights.size, 1.0 / weights.size)


def _draw(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` indices with probabilities ``p`` (inverse CDF, fast for large sizes)."""
    cdf = np.cumsum(p)
    picks = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(picks, p.size - 1)


def _weights(pairs: tuple[tuple[str, float], ...], names: tuple[str, ...]) -> np.ndarray:
    table = dict(pairs)
    return np.array([table.get(name, 0.0) for name in names], dtype=float)


def _diurnal_cdf() -> np.ndarray:
    """Per-minute intensity over a UTC day: lowest at 00:00, highest at 12:00."""
    minutes = np.arange(1440)
    intensity = 0.03 + np.sin(np.pi * minutes / 1440) ** 2
    return np.cumsum(intensity)


def _start_times(rng: np.random.Generator, day_starts: np.ndarray, counts: np.ndarray):
    cdf = _diurnal_cdf()
    day = np.repeat(day_starts, counts)
    minute = np.searchsorted(cdf, rng.random(day.size) * cdf[-1], side="right")
    return day + minute * 60 + rng.integers(0, 60, size=day.size)


def _combo_probabilities(spec: ProjectSpec) -> np.ndarray:
    device_w = dict(spec.device_weights)
    within = {d: sum(w for dev, _, _, w in DEVICE_COMBOS if dev == d) for d in DEVICES}
    return _norm(np.array([device_w.get(d, 0.0) * w / within[d] for d, _, _, w in DEVICE_COMBOS]))


def _acquisition_probabilities(spec: ProjectSpec) -> np.ndarray:
    channel_w = dict(spec.channel_weights)
    within = {c: sum(a.weight for a in ACQUISITIONS if a.channel == c) for c in CHANNELS}
    return _norm(
        np.array(
            [channel_w.get(a.channel, 0.0) * a.weight / within[a.channel] for a in ACQUISITIONS]
        )
    )


def _combo_codes(combos: tuple[tuple[str, str, str, float], ...], picks: np.ndarray):
    device = np.array([DEVICES.index(c[0]) for c in combos], dtype=np.int16)[picks]
    browser = np.array([BROWSERS.index(c[1]) for c in combos], dtype=np.int16)[picks]
    os_ = np.array([OPERATING_SYSTEMS.index(c[2]) for c in combos], dtype=np.int16)[picks]
    return device, browser, os_


@dataclass
class _Sessions:
    start: np.ndarray
    is_bot: np.ndarray
    user: np.ndarray
    unattributed: np.ndarray
    device: np.ndarray
    browser: np.ndarray
    os: np.ndarray
    country: np.ndarray
    acquisition: np.ndarray

    def sorted(self) -> _Sessions:
        order = np.argsort(self.start, kind="stable")
        return _Sessions(**{name: value[order] for name, value in vars(self).items()})


def _simulate_sessions(
    spec: ProjectSpec, rng: np.random.Generator, first: datetime, n_days: int
) -> _Sessions:
    day_starts = int(first.timestamp()) + DAY * np.arange(n_days)
    weekly = np.array([spec.weekly[(first.weekday() + k) % 7] for k in range(n_days)])
    n_human = rng.poisson(spec.daily_sessions * weekly)
    n_bots = rng.poisson(np.full(n_days, spec.daily_sessions * spec.bot_share))
    humans, bots = int(n_human.sum()), int(n_bots.sum())
    start = np.concatenate(
        [_start_times(rng, day_starts, n_human), _start_times(rng, day_starts, n_bots)]
    )
    is_bot = np.arange(humans + bots) >= humans
    combos = np.concatenate(
        [
            _draw(rng, _combo_probabilities(spec), humans),
            len(DEVICE_COMBOS) + _draw(rng, _norm(np.array([c[3] for c in BOT_COMBOS])), bots),
        ]
    )
    device, browser, os_ = _combo_codes(DEVICE_COMBOS + BOT_COMBOS, combos)
    country_p = _norm(_weights(spec.country_weights, COUNTRIES))
    bot_country_p = _norm(_weights(BOT_COUNTRIES, COUNTRIES))
    country = np.concatenate(
        [_draw(rng, country_p, humans), _draw(rng, bot_country_p, bots)]
    ).astype(np.int16)
    acquisition = np.concatenate(
        [_draw(rng, _acquisition_probabilities(spec), humans), np.full(bots, DIRECT)]
    ).astype(np.int16)
    return _Sessions(
        start=start.astype(np.int64),
        is_bot=is_bot,
        user=_users(spec, rng, humans, bots),
        unattributed=rng.random(humans + bots) < spec.unattributed_share,
        device=device,
        browser=browser,
        os=os_,
        country=country,
        acquisition=acquisition,
    ).sorted()


def _users(spec: ProjectSpec, rng: np.random.Generator, humans: int, bots: int) -> np.ndarray:
    """Returning visitors come from a pool (so users < sessions); new visitors and bots are new."""
    pool = max(1, int(spec.daily_sessions * 0.5))
    returning = rng.random(humans) < spec.returning_share
    n_returning = int(returning.sum())
    user = np.empty(humans + bots, dtype=np.int64)
    human_ids = user[:humans]  # a view: assigning through it fills ``user``
    human_ids[returning] = rng.integers(0, pool, size=n_returning)
    human_ids[~returning] = pool + np.arange(humans - n_returning)
    user[humans:] = pool + humans - n_returning + np.arange(bots)
    return user


def _pick_pages(site: SiteMap, rng: np.random.Generator, sessions: _Sessions) -> np.ndarray:
    """Up to four distinct pages per session (column 0 = landing page); -1 = no visit."""
    n = sessions.start.size
    popularity = _norm(site.weights)
    pages = _draw(rng, popularity, n * MAX_PAGES_PER_SESSION).reshape(n, MAX_PAGES_PER_SESSION)
    tracked = ACQ_TRACKED[sessions.acquisition] & ~sessions.is_bot
    landing_p = _norm(site.weights * site.landing)
    pages[tracked, 0] = _draw(rng, landing_p, int(tracked.sum()))
    bot_pages = np.flatnonzero(site.bot_only)
    to_bot_page = sessions.is_bot & (rng.random(n) < 0.5)
    pages[to_bot_page, 0] = rng.choice(bot_pages, size=int(to_bot_page.sum()))
    n_regular = int((~site.bot_only).sum())
    wanted = 1 + _draw(rng, np.array(PAGES_PER_SESSION_P), n)
    wanted = np.where(sessions.is_bot, 1, np.minimum(wanted, n_regular))
    for column in range(1, MAX_PAGES_PER_SESSION):
        for _ in range(6):
            dup = (pages[:, column : column + 1] == pages[:, :column]).any(axis=1)
            if not dup.any():
                break
            pages[dup, column] = _draw(rng, popularity, int(dup.sum()))
        dup = (pages[:, column : column + 1] == pages[:, :column]).any(axis=1)
        pages[dup | (column >= wanted), column] = -1
    return pages


def _pick_urls(
    site: SiteMap, rng: np.random.Generator, v_page: np.ndarray, v_landing_acq: np.ndarray
) -> np.ndarray:
    """One raw URL variant per visit; tagged landing visits use the acquisition's tagged URL."""
    count = site.plain_count[v_page]
    other = 1 + np.floor(rng.random(v_page.size) * np.maximum(count - 1, 1)).astype(np.int64)
    offset = np.where((rng.random(v_page.size) < NOMINAL_SHARE) | (count == 1), 0, other)
    url = site.plain_start[v_page] + offset
    tagged = v_landing_acq >= 0
    t_count = np.zeros(v_page.size, dtype=np.int64)
    t_count[tagged] = site.track_count[v_page[tagged], v_landing_acq[tagged]]
    use_tag = tagged & (t_count > 0)
    t_start = site.track_start[v_page[use_tag], v_landing_acq[use_tag]]
    pick = np.floor(rng.random(int(use_tag.sum())) * t_count[use_tag]).astype(np.int64)
    url[use_tag] = site.track_ids[t_start + pick]
    return url


def _add_token_urls(
    spec: ProjectSpec,
    site: SiteMap,
    rng: np.random.Generator,
    v_page: np.ndarray,
    v_url: np.ndarray,
    v_bot: np.ndarray,
) -> None:
    """Most visits of the token page carry a secret of their own: ``?token=<random>``, or (every
    visit of an odd number) a session id as a Java servlet container writes it, the path
    parameter ``;jsessionid=<random>``."""
    if not spec.token_page:
        return
    page = site.page_index(spec.token_page)
    hits = np.flatnonzero((v_page == page) & ~v_bot & (rng.random(v_page.size) < TOKEN_SHARE))
    for visit in hits:
        secret = random_token(rng, 16)
        marker = ";jsessionid=" if visit % 2 else "?token="
        v_url[visit] = site.add_raw_url(f"{site.nominal[page]}{marker}{secret}", page)


def _signal_probabilities(
    spec: ProjectSpec,
    site: SiteMap,
    rng: np.random.Generator,
    first: datetime,
    v_page,
    v_device,
    v_start,
) -> np.ndarray:
    sigma = spec.rate_spread
    page_factor = np.exp(rng.normal(-(sigma**2) / 2, sigma, size=(site.n_pages, len(SIGNALS))))
    page_factor = np.clip(page_factor, 0.25, 4.0)
    device_sigma = 0.6 * sigma
    device_factor = np.exp(
        rng.normal(-(device_sigma**2) / 2, device_sigma, size=(len(DEVICES), len(SIGNALS)))
    )
    device_factor = np.clip(device_factor, 0.5, 2.0)
    base = np.array(BASE_SIGNAL_RATES) * spec.frustration
    p = np.clip(base * page_factor[v_page] * device_factor[v_device], 0.0, 0.9)
    # the page's rate before (and between) its regressions, then each regression's days
    for regression in spec.regressions:
        on_page = v_page == site.page_index(regression.page_path)
        p[on_page, SIGNALS.index(regression.signal)] = regression.rate_before
    for regression in spec.regressions:
        on_page = v_page == site.page_index(regression.page_path)
        begins = first + timedelta(days=WARMUP_DAYS + regression.offset_days)
        during = on_page & (v_start >= int(begins.timestamp()))
        if regression.days is not None:
            during &= v_start < int((begins + timedelta(days=regression.days)).timestamp())
        p[during, SIGNALS.index(regression.signal)] = regression.rate_after
    return p


def _visit_measures(
    spec: ProjectSpec,
    site: SiteMap,
    rng: np.random.Generator,
    first: datetime,
    v_page,
    v_device,
    v_start,
    v_bot,
) -> dict[str, np.ndarray]:
    n = v_page.size
    page_views = (1 + rng.poisson(0.15, size=n)).astype(np.int32)
    scroll_mean = rng.uniform(0.35, 0.8, size=site.n_pages)[v_page]
    scroll = np.rint(100 * rng.beta(scroll_mean * 4, (1 - scroll_mean) * 4)).astype(np.int32)
    time_offset = rng.normal(0, 0.4, size=site.n_pages)[v_page]
    total = np.clip(np.rint(rng.lognormal(np.log(40) + time_offset, 1.0)), 1, 3600)
    active = np.floor(total * rng.beta(2, 5, size=n))
    p = _signal_probabilities(spec, site, rng, first, v_page, v_device, v_start)
    p[v_bot] = 0.0
    has = rng.random((n, len(SIGNALS))) < p
    events = has * (1 + rng.poisson(np.array(EXTRA_EVENTS), size=(n, len(SIGNALS))))
    affected_cap = 1 + rng.binomial(page_views[:, None] - 1, 0.5, size=(n, len(SIGNALS)))
    affected = has * np.minimum(events, affected_cap)
    return {
        "page_views": page_views,
        "scroll": scroll,
        "total_time": total.astype(np.int32),
        "active_time": active.astype(np.int32),
        "has": has,
        "events": events.astype(np.int32),
        "affected": affected.astype(np.int32),
    }


def _per_session(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    if offsets.size <= 1:
        return np.zeros((0, *values.shape[1:]), dtype=np.int64)
    return np.add.reduceat(values.astype(np.int64), offsets[:-1], axis=0)


def _regression_records(spec: ProjectSpec, site: SiteMap, start: datetime) -> list[dict]:
    return [
        {
            "project": spec.name,
            "page": site.canonical[site.page_index(r.page_path)],
            "signal": r.signal,
            "from_date": (start + timedelta(days=r.offset_days)).date(),
            # the first day at the rate before again (None: up to the end)
            "until_date": (
                (start + timedelta(days=r.offset_days + r.days)).date()
                if r.days is not None
                else None
            ),
            "rate_before": r.rate_before,
            "rate_after": r.rate_after,
        }
        for r in spec.regressions
    ]


def simulate_project(spec: ProjectSpec, seed: int, start: datetime, days: int) -> SimulatedProject:
    """Simulate ``spec`` over ``[start - 3 days, start + days)``; ``start`` is a UTC midnight."""
    start = normalise_start(start)
    first = start - timedelta(days=WARMUP_DAYS)
    n_days = days + WARMUP_DAYS
    site = build_sitemap(spec, _rng(seed, spec.name, "site"))
    sessions = _simulate_sessions(spec, _rng(seed, spec.name, "sessions"), first, n_days)
    rng = _rng(seed, spec.name, "visits")
    pages = _pick_pages(site, rng, sessions)
    valid = pages >= 0
    s_visits = valid.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(s_visits)]).astype(np.int64)
    v_session = np.repeat(np.arange(sessions.start.size), s_visits)
    v_page = pages[valid]
    first_column = np.zeros_like(valid)
    first_column[:, 0] = True
    tracked = ACQ_TRACKED[sessions.acquisition] & ~sessions.is_bot
    v_landing_acq = np.where(
        first_column[valid] & tracked[v_session], sessions.acquisition[v_session], -1
    ).astype(np.int64)
    v_url = _pick_urls(site, rng, v_page, v_landing_acq)
    v_bot = sessions.is_bot[v_session]
    _add_token_urls(spec, site, rng, v_page, v_url, v_bot)
    measures = _visit_measures(
        spec, site, rng, first, v_page, sessions.device[v_session], sessions.start[v_session], v_bot
    )
    acq = sessions.acquisition
    project = SimulatedProject(
        spec=spec,
        site=site,
        first=first,
        end=start + timedelta(days=days),
        start=sessions.start,
        is_bot=sessions.is_bot,
        user=sessions.user,
        unattributed=sessions.unattributed,
        codes={
            "Device": sessions.device,
            "Browser": sessions.browser,
            "OS": sessions.os,
            "Country": sessions.country,
            **{name: codes[acq] for name, codes in ACQ_CODES.items()},
        },
        visit_offsets=offsets,
        s_visits=s_visits.astype(np.int64),
        s_page_views=_per_session(measures["page_views"], offsets),
        s_scroll_sum=_per_session(measures["scroll"], offsets),
        s_total_time=_per_session(measures["total_time"], offsets),
        s_active_time=_per_session(measures["active_time"], offsets),
        s_has=_per_session(measures["has"], offsets) > 0,
        s_events=_per_session(measures["events"], offsets),
        s_affected=_per_session(measures["affected"], offsets),
        v_session=v_session,
        v_page=v_page.astype(np.int64),
        v_url=v_url,
        v_page_views=measures["page_views"],
        v_scroll=measures["scroll"],
        v_total_time=measures["total_time"],
        v_active_time=measures["active_time"],
        v_has=measures["has"],
        v_events=measures["events"],
        v_affected=measures["affected"],
        regressions=_regression_records(spec, site, start),
    )
    _freeze(project)
    return project


def _freeze(project: SimulatedProject) -> None:
    """Make every array read-only: simulations are shared between service instances."""
    for value in vars(project).values():
        arrays = value.values() if isinstance(value, dict) else [value]
        for array in arrays:
            if isinstance(array, np.ndarray):
                array.flags.writeable = False


def normalise_start(start: datetime | date) -> datetime:
    """``start`` as an aware UTC datetime; it must fall on a UTC midnight."""
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    if (start.hour, start.minute, start.second, start.microsecond) != (0, 0, 0, 0):
        raise ValueError(f"start must be a UTC midnight, got {start.isoformat()}")
    return start


@lru_cache(maxsize=16)
def simulate_projects(
    specs: tuple[ProjectSpec, ...], seed: int, start: datetime, days: int
) -> dict[str, SimulatedProject]:
    """Simulate every project (cached: instances with the same arguments share the arrays)."""
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"project names must be unique, got {names}")
    began = time.perf_counter()
    projects = {spec.name: simulate_project(spec, seed, start, days) for spec in specs}
    logger.info(
        "simulated %d projects, %d sessions in %.2f s",
        len(projects),
        sum(p.n_sessions for p in projects.values()),
        time.perf_counter() - began,
    )
    return projects
