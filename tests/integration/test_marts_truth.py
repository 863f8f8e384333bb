"""The core marts against the offline service's truth: daily sessions and frustration-signal rates
of fct_site_daily, fct_page_daily and fct_segment_daily, and the page URL rule, on the demo-like
warehouse (3 projects, 35 days collected at 00:10 UTC)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable

import duckdb
import pytest

from clarity_tools.offline import SIGNALS, canonical_url
from tests.integration.helpers import SIGNAL_KEYS, query

pytestmark = pytest.mark.integration

assert set(SIGNAL_KEYS) == set(SIGNALS)

# Only days whose window covers the UTC date almost entirely are compared: the 00:10 collection
# covers the date for 23 h 50 min (0.993); the 10 minutes shifted into the next date are the
# whole of the expected difference.
MIN_COVERAGE = 0.99
SESSIONS_TOLERANCE = 0.02  # relative
RATE_TOLERANCE = 0.01  # absolute: one percentage point
# Pages and segments are compared from this many true sessions on. The window is shifted by 10
# minutes, so a few sessions of a page move between dates; one moved session changes a rate by
# up to 1/n, which stays within one percentage point only from n = 100 on (below that, a single
# session is more than 1 point: 1 of 50 is 2 points). Smaller pages are counted but not compared.
MIN_COMPARED_SESSIONS = 100
# Solved estimates (a date no one-day window or nested slice gives: here the first run's 3-day
# windows of every set) hold the truth within their stated error for the share the docs state
# (STATED_COVERAGE): a count of estimates within it that would be this unlikely under that
# share (one-sided binomial tail) fails, whatever the number of estimates (9 site-days or 459
# segment-days); and they stay within this median relative error where the truth has 100
# sessions or more (the figures measured on this warehouse are printed by the tests).
STATED_COVERAGE = 0.90
UNLIKELY = 0.001
MAX_MEDIAN_ESTIMATE_ERROR = 0.08

SIGNAL_COLUMNS = ", ".join(f"{key}_sessions, {key}_base_sessions" for key in SIGNAL_KEYS.values())


def _rates(row: dict) -> dict[str, float | None]:
    return {
        block: (row[f"{key}_sessions"] / row[f"{key}_base_sessions"])
        if row[f"{key}_base_sessions"]
        else None
        for block, key in SIGNAL_KEYS.items()
    }


def _true_rates(truth: dict) -> dict[str, float | None]:
    sessions = truth["sessions"]
    return {
        block: truth["sessions_with"][block] / sessions if sessions else None
        for block in SIGNAL_KEYS
    }


def _rows(path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    finally:
        con.close()


class Errors:
    """Relative session errors and absolute rate errors, with the worst case kept for messages."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.sessions: list[tuple[float, str]] = []
        self.rates: list[tuple[float, str]] = []

    def add(self, where: str, sessions: int, true_sessions: int, rates, true_rates) -> None:
        self.sessions.append((abs(sessions - true_sessions) / true_sessions, where))
        for block in SIGNAL_KEYS:
            observed, expected = rates[block], true_rates[block]
            if observed is not None and expected is not None:
                self.rates.append((abs(observed - expected), f"{where} {block}"))

    @staticmethod
    def _summary(values: Iterable[tuple[float, str]]) -> tuple[float, float, str]:
        values = list(values)
        worst = max(values)
        return worst[0], statistics.median(v for v, _ in values), worst[1]

    def report(self) -> str:
        s_worst, s_median, s_where = self._summary(self.sessions)
        r_worst, r_median, r_where = self._summary(self.rates)
        text = (
            f"{self.label}: {len(self.sessions)} compared; sessions error worst "
            f"{s_worst:.2%} ({s_where}), median {s_median:.2%}; rate error worst "
            f"{r_worst * 100:.2f} pp ({r_where}), median {r_median * 100:.3f} pp"
        )
        print(text)
        return text

    def assert_within(self) -> None:
        text = self.report()
        assert max(self.sessions)[0] <= SESSIONS_TOLERANCE, text
        assert max(self.rates)[0] <= RATE_TOLERANCE, text


def test_site_daily_matches_the_truth(built_warehouse):
    service = built_warehouse.service
    rows = _rows(
        built_warehouse.path,
        f"select project, activity_date, day_coverage, value_source, sessions, sessions_error, "
        f"{SIGNAL_COLUMNS} "
        "from marts.fct_site_daily where day_coverage >= ? order by project, activity_date",
        [MIN_COVERAGE],
    )
    errors = Errors("fct_site_daily")
    estimates: list[tuple[int, float, int]] = []
    for row in rows:
        truth = service.truth_site_daily(row["project"], row["activity_date"])
        if row["value_source"] == "solved_estimate":  # the first run's 3-day windows
            estimates.append((row["sessions"], row["sessions_error"], truth["sessions"]))
            continue
        where = f"{row['project']} {row['activity_date']}"
        errors.add(where, row["sessions"], truth["sessions"], _rates(row), _true_rates(truth))
    _assert_estimates_within_their_error("fct_site_daily", estimates, minimum=3)
    # every collected day but the first and the last (catch-up window, today) of each project
    projects = {row["project"] for row in rows}
    assert projects == set(service.projects)
    assert len(rows) >= (built_warehouse.days - 2) * len(projects)
    errors.assert_within()


def test_page_daily_matches_the_truth(built_warehouse):
    service = built_warehouse.service
    rows = _rows(
        built_warehouse.path,
        f"select project, activity_date, page_url, value_source, sessions, sessions_error, "
        f"{SIGNAL_COLUMNS} "
        "from marts.fct_page_daily where day_coverage >= ? order by project, activity_date",
        [MIN_COVERAGE],
    )
    by_day: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        by_day.setdefault((row["project"], row["activity_date"]), {})[row["page_url"]] = row
    errors = Errors("fct_page_daily")
    pages_small = 0
    estimates: list[tuple[int, float, int]] = []
    for (project, day), pages in by_day.items():
        truth = service.truth_page_daily(project, day)
        solved = {
            url: row for url, row in pages.items() if row["value_source"] == "solved_estimate"
        }
        if solved:  # a date the first run's 3-day windows reach: estimates, checked as such
            for url, row in solved.items():
                true_sessions = truth[url]["sessions"] if url in truth else 0
                estimates.append((row["sessions"], row["sessions_error"], true_sessions))
            continue
        # every page of the truth is found under its canonical URL (variants folded)...
        lost = sorted(set(truth) - set(pages))
        assert not lost, f"{project} {day}: true pages missing from fct_page_daily: {lost[:5]}"
        # ...and a page the truth does not know is at most a session or two of the 10 minutes
        # the window reaches into the next date (or a bot-only page)
        for url, row in pages.items():
            if url not in truth:
                assert row["sessions"] <= 2, f"{project} {day}: unknown page {url} {row}"
        for url, page_truth in truth.items():
            if page_truth["sessions"] < MIN_COMPARED_SESSIONS:
                pages_small += 1
                continue
            row = pages[url]
            errors.add(
                f"{project} {day} {url}",
                row["sessions"],
                page_truth["sessions"],
                _rates(row),
                _true_rates(page_truth),
            )
    print(f"fct_page_daily: {pages_small} page-days under {MIN_COMPARED_SESSIONS} sessions skipped")
    compared_projects = {where.split()[0] for _, where in errors.sessions}
    assert len(by_day) >= (built_warehouse.days - 2) * len(service.projects)
    assert len(errors.sessions) >= 400
    assert len(compared_projects) >= 2  # the blog's pages rarely reach 100 sessions a day
    errors.assert_within()
    _assert_estimates_within_their_error("fct_page_daily", estimates, minimum=100)


def test_segment_daily_matches_the_truth(built_warehouse):
    service = built_warehouse.service
    rows = _rows(
        built_warehouse.path,
        f"select project, dimension, dimension_value, activity_date, value_source, sessions, "
        f"sessions_error, {SIGNAL_COLUMNS} "
        "from marts.fct_segment_daily where day_coverage >= ? and dimension <> 'Source+Medium'",
        [MIN_COVERAGE],
    )
    cache: dict[tuple, dict] = {}
    errors = Errors("fct_segment_daily")
    estimates: list[tuple[int, float, int]] = []  # (solved sessions, stated error, truth)
    for row in rows:
        key = (row["project"], row["dimension"], row["activity_date"])
        if key not in cache:
            cache[key] = service.truth_segment_daily(*key)
        value = None if row["dimension_value"] == "(not set)" else row["dimension_value"]
        truth = cache[key].get(value)
        if row["value_source"] == "solved_estimate":
            true_sessions = truth["sessions"] if truth else 0
            estimates.append((row["sessions"], row["sessions_error"], true_sessions))
            continue
        assert truth is not None or row["sessions"] <= 2, f"unknown segment {row}"
        if truth is None or truth["sessions"] < MIN_COMPARED_SESSIONS:
            continue
        errors.add(
            " ".join(str(part) for part in (*key, row["dimension_value"])),
            row["sessions"],
            truth["sessions"],
            _rates(row),
            _true_rates(truth),
        )
    assert {dimension for _, dimension, _ in cache} == {
        "Device",
        "Browser",
        "OS",
        "Country",
        "Channel",
        "Campaign",
    }
    assert len(errors.sessions) >= 1000
    errors.assert_within()
    _assert_estimates_within_their_error("fct_segment_daily", estimates, minimum=100)


def _assert_estimates_within_their_error(
    label: str, estimates: list[tuple[int, float, int]], minimum: int
) -> None:
    """Solved estimates (solved sessions, stated error, true sessions): within their stated error
    (half a session of rounding beside it) about as often as STATED_COVERAGE says, and a median
    relative error under MAX_MEDIAN_ESTIMATE_ERROR where the truth has 100 sessions or more."""
    assert len(estimates) >= minimum, (label, len(estimates))
    within = sum(abs(solved - true) <= error + 0.5 for solved, error, true in estimates)
    relative = [abs(solved - true) / true for solved, _, true in estimates if true >= 100]
    median = statistics.median(relative) if relative else float("nan")
    n = len(estimates)
    tail = sum(
        math.comb(n, k) * STATED_COVERAGE**k * (1 - STATED_COVERAGE) ** (n - k)
        for k in range(within + 1)
    )
    print(
        f"{label}: {n} solved estimates, {within / n:.1%} within the stated error (P = {tail:.3f} "
        f"under {STATED_COVERAGE:.0%}), median relative error {median:.2%} (truth >= 100 sessions)"
    )
    assert tail >= UNLIKELY, (label, within, n, tail)
    assert relative and median <= MAX_MEDIAN_ESTIMATE_ERROR, (label, median)


def test_page_urls_follow_the_canonical_rule(built_warehouse):
    """Every raw URL the simulation sent (masked) maps to the offline service's canonical URL."""
    pairs = query(
        built_warehouse.path,
        "select distinct page_url_raw, page_url from intermediate.int_snapshot_metrics_pivoted "
        "where page_url_raw is not null",
    )
    assert len(pairs) > 500
    wrong = [(raw, url, canonical_url(raw)) for raw, url in pairs if url != canonical_url(raw)]
    assert not wrong, f"{len(wrong)} URLs normalised differently, e.g. {wrong[:3]}"
    for name in ("token", "jsessionid"):  # ?token=... and the path parameter ;jsessionid=...
        secrets = [raw for raw, _ in pairs if f"{name}=" in raw]
        assert secrets and all(f"{name}=***" in raw for raw in secrets), name
