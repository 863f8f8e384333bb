"""How a collection time covers a project's days, as `clarity plan` and `status` show it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ingestion.collect.schedule import ADVICE, collection, schedule_lines

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("hour", "serves", "coverage"),
    [
        (0, date(2026, 11, 1), 1.0),
        (7, date(2026, 11, 1), 17 / 24),
        (12, date(2026, 11, 1), 0.5),  # a tie gives the earlier date
        (17, date(2026, 11, 2), 17 / 24),
    ],
)
def test_a_window_gives_the_date_it_overlaps_most(hour, serves, coverage):
    found = collection(datetime(2026, 11, 2, hour, tzinfo=UTC), ZoneInfo("UTC"))
    assert found.serves == serves
    assert found.day_coverage == pytest.approx(coverage)


def test_days_are_the_projects_own_and_can_have_25_hours():
    # 05:10 UTC on 2 November is 00:10 in New York: the window covers 23 h 50 min of the local
    # 1 November, a day of 25 hours (the clocks went back)
    found = collection(datetime(2026, 11, 2, 5, 10, tzinfo=UTC), NEW_YORK)
    assert found.serves == date(2026, 11, 1)
    assert found.day_coverage == pytest.approx((23 * 60 + 50) / (25 * 60))
    assert found.local_time.hour == 0 and found.local_time.minute == 10


def test_low_coverage_comes_with_the_advice():
    times = [datetime(2026, 11, day, 7, tzinfo=UTC) for day in (2, 3)]
    lines = schedule_lines(times, ZoneInfo("UTC"))
    assert lines[0].strip() == "Mon 02 Nov 07:00 UTC: gives Sun 01 Nov, day coverage 0.71"
    assert lines[-1].strip() == f"coverage as low as 0.71: {ADVICE}"
    good = schedule_lines([datetime(2026, 11, 2, 0, 10, tzinfo=UTC)], ZoneInfo("UTC"))
    assert len(good) == 1 and "0.99" in good[0]
    assert "no daily" in schedule_lines([], ZoneInfo("UTC"))[0]
