"""The demo's collection moments: at --collect-at in --timezone, plus a seeded jitter."""

from __future__ import annotations

from datetime import UTC, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clarity_tools.demo import collection_moment, collection_moments
from ingestion.cli import build_parser


def test_no_jitter_is_the_daily_moment_of_each_day():
    paris = ZoneInfo("Europe/Paris")
    assert collection_moments(5, time(7, 0), paris) == [
        collection_moment(day, time(7, 0), paris) for day in range(1, 6)
    ]


def test_the_jitter_is_within_bounds_and_the_same_for_the_same_seed():
    moments = collection_moments(30, time(0, 10), UTC, jitter_minutes=70, seed=7)
    delays = [m - collection_moment(d, time(0, 10)) for d, m in enumerate(moments, start=1)]
    assert all(timedelta(0) <= delay <= timedelta(minutes=70) for delay in delays)
    assert len(set(delays)) > 20
    assert moments == collection_moments(30, time(0, 10), UTC, jitter_minutes=70, seed=7)
    assert moments != collection_moments(30, time(0, 10), UTC, jitter_minutes=70, seed=8)


def test_the_demo_options_parse_and_refuse_what_they_cannot_use(capsys):
    parser = build_parser()
    args = parser.parse_args(["demo", "--windows", "nightly-3day", "--jitter-minutes", "70"])
    assert (args.windows, args.jitter_minutes) == ("nightly-3day", 70)
    defaults = parser.parse_args(["demo"])
    assert (defaults.windows, defaults.jitter_minutes) == ("daily", 0)
    for bad in (["--windows", "weekly"], ["--jitter-minutes", "-5"], ["--jitter-minutes", "x"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["demo", *bad])
    assert "--jitter-minutes" in capsys.readouterr().err
