"""How well a collection schedule covers a project's days: a one-day window fetched at time T is
the 24 hours before T, and gives the daily value of the date (of the project's time zone) it
overlaps most, covering that date by `day_coverage`. `clarity plan` and `clarity status` show it
for the last days, and say what to do when it is low."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from ingestion.api.snapshot import to_utc

# Below this, a daily value is noticeably not the calendar day (docs block clarity_day_coverage).
GOOD_COVERAGE = 0.9
ADVICE = (
    "run `clarity ingest` hourly (cron `0 * * * *`): it spends the quota once a day, right "
    "after the day boundary, so each window covers its date almost whole"
)


@dataclass(frozen=True)
class Collection:
    """One daily collection: when it ran, in the project's zone, and the date it gives."""

    fetched_at: datetime  # UTC
    local_time: datetime
    serves: date
    day_coverage: float


def _local_midnight_utc(day: date, zone: tzinfo) -> datetime:
    return to_utc(datetime(day.year, day.month, day.day, tzinfo=zone))


def collection(fetched_at: datetime, zone: tzinfo) -> Collection:
    """The date a one-day window fetched at `fetched_at` gives, and how much of it it covers
    (ties: the earlier date)."""
    end = to_utc(fetched_at)
    start = end - timedelta(days=1)
    local_start = start.astimezone(zone).date()
    best: tuple[float, date] | None = None
    for offset in range(3):
        day = local_start + timedelta(days=offset)
        day_start = _local_midnight_utc(day, zone)
        day_end = _local_midnight_utc(day + timedelta(days=1), zone)
        overlap = (min(end, day_end) - max(start, day_start)).total_seconds()
        if overlap <= 0:
            continue
        coverage = overlap / (day_end - day_start).total_seconds()
        if best is None or coverage > best[0]:
            best = (coverage, day)
    assert best is not None
    return Collection(end, end.astimezone(zone), best[1], best[0])


def schedule_lines(fetch_times: Iterable[datetime], zone: tzinfo) -> list[str]:
    """Lines for a terminal: each recent collection (time of day in the zone, the date it gives,
    its coverage), then the advice when any coverage is below GOOD_COVERAGE."""
    collections = sorted((collection(t, zone) for t in fetch_times), key=lambda c: c.fetched_at)
    if not collections:
        return ["    no daily (one-day, no-dimension) collection in the last 7 days"]
    name = getattr(zone, "key", None) or str(zone)
    lines = [
        f"    {c.local_time:%a %d %b %H:%M} {name}: gives {c.serves:%a %d %b}, "
        f"day coverage {c.day_coverage:.2f}"
        for c in collections
    ]
    low = min(c.day_coverage for c in collections)
    if low < GOOD_COVERAGE:
        lines.append(f"    coverage as low as {low:.2f}: {ADVICE}")
    return lines
