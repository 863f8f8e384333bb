"""Validation and benchmark of the window solver (ingestion/solve/) against the offline service's
truth: accuracy per collection schedule and kind, coverage of the stated errors, the partition
and regularisation choices, borrowing a related series' shape, incremental blocks, and the time
to solve one project-year.

    .venv/bin/python -m clarity_tools.solver_check [--days 75] [--seed 3] [--year-days 365]
"""

from __future__ import annotations

import argparse
import sys
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np

from clarity_tools.offline import OfflineClarity, default_projects
from clarity_tools.solver_sim import (
    DEVICE,
    MEASURES,
    SITE,
    URL,
    Layout,
    Request,
    Truth,
    collect,
    daily,
    nightly,
)
from ingestion.solve import (
    ESTIMATE,
    EXACT,
    FLAT_DAY,
    Reference,
    Solution,
    WeekProfile,
    best_covering,
    calendar_days,
    days_touched,
    fetch_periods,
    solve,
    solve_with_shape,
)
from ingestion.solve.incremental import Blocks, affected_targets, solve_blocks

START = datetime(2026, 1, 5, tzinfo=UTC)
PROJECT = "contoso-docs"
SIGNAL = "DeadClickCount"
MIN_SESSIONS = 20  # relative errors and rates only for periods with at least this many
# A typical web day in the audience's zone (low at night, high by day): an assumption to
# measure, not the simulator's curve (that one is ORACLE, lowest at 00:00, highest at 12:00).
GENERIC_DAY = (
    0.55, 0.40, 0.30, 0.25, 0.25, 0.30, 0.45, 0.70, 0.95, 1.15, 1.25, 1.30,
    1.30, 1.30, 1.30, 1.25, 1.20, 1.15, 1.10, 1.10, 1.10, 1.05, 0.90, 0.75,
)  # fmt: skip
ORACLE_DAY = tuple(0.03 + float(np.sin(np.pi * (h + 0.5) / 24)) ** 2 for h in range(24))


@dataclass(frozen=True)
class Scenario:
    """A collection schedule and the dimension sets recovered with nested windows."""

    name: str
    title: str
    requests: list[Request]
    nested_sets: tuple[tuple[str, ...], ...] = ()


def scenarios(days: int, seed: int = 0) -> list[Scenario]:
    """The schedules of the issue: (a)-(d) and an archive of 3-day windows only."""
    sets = (SITE, URL, DEVICE)
    return [
        Scenario("a", "3-day at 03:00 + 0-70 min, 1-day on the first 3 days",
                 nightly(START, days, sets, seed=seed)),
        Scenario("b", "3-day at 03:00 + 0-70 min, no 1-day window",
                 nightly(START, days, sets, one_day_first=0, seed=seed)),
        Scenario("c", "1-day at 00:10, nested recovery, 2-day outage",
                 daily(START, days, sets, outage=(8, 9)), nested_sets=(SITE, URL)),
        Scenario("d", "1-day at 07:00 (nested first run)",
                 daily(START, days, sets, at=time(7, 0)), nested_sets=(SITE, URL)),
        Scenario("e", "archive: 3-day at 03:00 sharp, nothing else",
                 nightly(START, days, sets, jitter_minutes=0, one_day_first=0)),
    ]  # fmt: skip


# ------------------------------------------------------------------ metrics


@dataclass
class Errors:
    """Errors of one (scenario, set, kind): relative sessions errors (%), signal-rate errors
    (pp), and whether each stated error covered the truth (every measure, every member)."""

    sessions: np.ndarray
    rate_pp: np.ndarray
    covered: np.ndarray

    def row(self) -> str:
        if self.sessions.size == 0:
            return "-"
        s, r = self.sessions, self.rate_pp
        rate = f"{np.median(r):.2f}/{np.percentile(r, 90):.2f}" if r.size else "-"
        cover = f"{100 * self.covered.mean():.0f}%" if self.covered.size else "-"
        return (
            f"{s.size:5d} | {np.median(s):5.2f} | {np.percentile(s, 90):5.2f} | {s.max():6.2f}"
            f" | {rate} | {cover}"
        )


def errors_of(
    layout: Layout, solution: Solution, truth: np.ndarray, kind: int, sessions_only_big=True
) -> Errors:
    """The errors of the targets of ``kind`` against ``truth`` (targets x columns)."""
    width = len(MEASURES)
    members = max(1, len(layout.members))
    sessions_col = np.arange(members) * width
    with_col = sessions_col + MEASURES.index(f"{SIGNAL}:with")
    base_col = sessions_col + MEASURES.index(f"{SIGNAL}:base")
    true_sessions = truth[:, sessions_col]
    chosen = (solution.kind[:, sessions_col] == kind) & (true_sessions >= MIN_SESSIONS)
    value = solution.value
    rel = np.abs(value[:, sessions_col] - true_sessions)[chosen] / true_sessions[chosen] * 100
    rate = value[:, with_col] / np.maximum(value[:, base_col], 1e-9)
    true_rate = truth[:, with_col] / np.maximum(true_sessions, 1e-9)
    pp = np.abs(rate - true_rate)[chosen] * 100
    judged = solution.kind == kind
    covered = (np.abs(value - truth) <= solution.error + 1e-6)[judged]
    return Errors(rel, pp, covered if kind == ESTIMATE else np.zeros(0, dtype=bool))


# ------------------------------------------------------------------ solving a scenario


@dataclass
class Solved:
    layout: Layout
    periods: np.ndarray
    solution: Solution
    truth: np.ndarray


def solve_scenario(
    service: OfflineClarity,
    scenario: Scenario,
    truth: Truth,
    borrow_site: bool = True,
) -> dict[tuple[str, ...], Solved]:
    """Every set of a scenario solved for its fetch periods (the site first: with
    ``borrow_site`` the other sets' prior follows the site's solution)."""
    layouts = collect(service, PROJECT, scenario.requests)
    out: dict[tuple[str, ...], Solved] = {}
    site_shape = None
    for dims in (SITE, URL, DEVICE):
        layout = layouts[dims]
        periods = fetch_periods(layout.windows)
        shape = site_shape if (borrow_site and dims) else None
        solution = solve(layout.windows, layout.values, periods, shape=shape,
                         rounding=layout.rounding)  # fmt: skip
        if not dims:
            site_shape = Reference(solution.partition.nodes, solution.intervals[:, 0])
        out[dims] = Solved(layout, periods, solution, truth.members(layout, periods))
    return out


def accuracy_section(service: OfflineClarity, truth: Truth, days: int, seed: int) -> list[str]:
    lines = [
        "## Accuracy per schedule, set and kind (periods between fetches vs their truth)",
        f"sessions: relative error % (periods with >= {MIN_SESSIONS} sessions); "
        f"rate: {SIGNAL} share, percentage points; cover: stated error held the truth "
        "(every measure and member of the estimated periods)",
        "",
        "| schedule | set | kind | n | median % | p90 % | worst % | rate pp med/p90 | cover |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario in scenarios(days, seed):
        for dims, solved in solve_scenario(service, scenario, truth).items():
            for kind, name in ((EXACT, "exact"), (ESTIMATE, "estimate")):
                e = errors_of(solved.layout, solved.solution, solved.truth, kind)
                if e.sessions.size:
                    lines.append(f"| {scenario.name} | {_set_name(dims)} | {name} | {e.row()} |")
    return lines


def _set_name(dims: tuple[str, ...]) -> str:
    return "+".join(dims) if dims else "site"


# ------------------------------------------------------------------ every date, nested sets


def dates_section(service: OfflineClarity, truth: Truth, days: int) -> list[str]:
    """(c) and (d): every date has a value in every set; nested sets exact; (d) as today."""
    lines = ["## Every date (c: 00:10 with a 2-day outage; d: 07:00)", ""]
    for scenario in scenarios(days)[2:4]:
        for dims, solved in solve_scenario(service, scenario, truth).items():
            report = date_report(solved, dims in scenario.nested_sets)
            lines.append(f"- {scenario.name} {_set_name(dims)}: {report.text}")
    return lines


@dataclass(frozen=True)
class DateReport:
    dates: int
    with_value: int
    exact: int
    matches_windows: bool
    text: str


def date_report(solved: Solved, nested: bool) -> DateReport:
    """The dates between the first and the last one a period serves (each period serves the
    date it overlaps most; each date takes the period covering it best): how many have a value
    and how many are exact; for one-day windows, whether the period's value is the window's."""
    first, last = days_touched(solved.periods)
    dates, _ = calendar_days(first, last)
    choice = best_covering(solved.periods, dates)
    served = np.flatnonzero(choice.period >= 0)
    span = np.arange(served.min(), served.max() + 1)
    chosen = choice.period[span]
    values = solved.solution.value[np.maximum(chosen, 0)]
    has_value = int(np.sum((chosen >= 0) & ~np.isnan(values).any(axis=1)))
    kinds = solved.solution.kind[np.maximum(chosen, 0)]
    exact = int(np.sum((chosen >= 0) & (kinds == EXACT).all(axis=1)))
    one_day = solved.layout.windows[:, 1] - solved.layout.windows[:, 0] < 86_401
    same = _one_day_windows_kept(solved, one_day)
    text = (
        f"{span.size} dates, {has_value} with a value in every series, {exact} exact in every "
        f"series{' (a nested set)' if nested else ''}; one-day windows kept as they are: "
        f"{'yes' if same else 'no'}"
    )
    return DateReport(span.size, has_value, exact, same, text)


def _one_day_windows_kept(solved: Solved, one_day: np.ndarray) -> bool:
    """Each one-day window's period has exactly the window's values (all series)."""
    windows = solved.layout.windows[one_day]
    for row, (start, end) in zip(np.flatnonzero(one_day), windows, strict=True):
        hit = np.flatnonzero(
            (np.abs(solved.periods[:, 0] - start) < 1) & (np.abs(solved.periods[:, 1] - end) < 1)
        )
        if hit.size:
            got = solved.solution.value[hit[0]]
            want = solved.layout.values[row]
            if np.nanmax(np.abs(got - want)) > 1e-3 * max(1.0, float(np.max(want))):
                return False
    return True


# ------------------------------------------------------------------ partition


def partition_section(service: OfflineClarity, truth: Truth, days: int) -> list[str]:
    """Calendar days solved directly (their edges in the partition) against the 24-hour
    periods between fetches given to the date they cover best, both vs the calendar truth."""
    lines = [
        "## Partition: calendar days solved directly (A) or periods between fetches mapped to "
        "the date they cover best (B), site sessions vs the calendar-day truth",
        "",
        "| schedule | A median % | A p90 % | B median % | B p90 % | B day_coverage min |",
        "|---|---|---|---|---|---|",
    ]
    schedules = {
        "a (03:00 + jitter)": nightly(START, days, (SITE,)),
        "e (3-day at 03:00)": nightly(START, days, (SITE,), jitter_minutes=0, one_day_first=0),
        "00:10 daily": daily(START, days, (SITE,)),
        "07:00 daily": daily(START, days, (SITE,), at=time(7, 0)),
        "17:00 daily": daily(START, days, (SITE,), at=time(17, 0)),
    }
    for name, requests in schedules.items():
        layout = collect(service, PROJECT, requests)[SITE]
        a, b, coverage = compare_partitions(layout, truth)
        lines.append(
            f"| {name} | {np.median(a):.2f} | {np.percentile(a, 90):.2f} | {np.median(b):.2f}"
            f" | {np.percentile(b, 90):.2f} | {coverage:.2f} |"
        )
    return lines


def compare_partitions(layout: Layout, truth: Truth) -> tuple[np.ndarray, np.ndarray, float]:
    """Relative errors (%) of the calendar days (excluding the first and last, which no
    window covers whole) under A and under B, and B's lowest day coverage."""
    periods = fetch_periods(layout.windows)
    first, last = days_touched(periods)
    dates, bounds = calendar_days(first, last)
    dates, bounds = dates[1:-1], bounds[1:-1]
    true_days = truth.site(bounds)[:, 0]
    direct = solve(layout.windows, layout.values[:, :1], bounds).value[:, 0]
    by_period = solve(layout.windows, layout.values[:, :1], periods).value[:, 0]
    choice = best_covering(periods, dates)
    mapped = np.where(choice.period >= 0, by_period[np.maximum(choice.period, 0)], np.nan)
    rel = lambda v: np.abs(v - true_days) / true_days * 100  # noqa: E731
    return rel(direct), rel(mapped), float(choice.day_coverage.min())


# ------------------------------------------------------------------ regularisation


def _variants() -> dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], Solution]]:
    def one_level(w, y, t):
        return solve_with_shape(w, y, t, FLAT_DAY, deviation=0.0)

    def week(w, y, t, **kw):
        return solve(w, y, t, **kw)

    return {
        "smooth rate only (flat, no week, parts of a day tied)": one_level,
        "one level, smoothing 3e-3 (windows fitted loosely)": lambda w, y, t: solve_with_shape(
            w, y, t, FLAT_DAY, deviation=0.0, smoothing=3e-3
        ),
        "+ days of the week measured": lambda w, y, t: week(w, y, t, deviation=0.0),
        "+ parts of a day free, deviation 1": lambda w, y, t: week(w, y, t, deviation=1.0),
        "+ parts of a day free, deviation 3 (chosen)": lambda w, y, t: week(w, y, t),
        "+ parts of a day free, deviation 10": lambda w, y, t: week(w, y, t, deviation=10.0),
        "diurnal profile, aligned (assumed)": lambda w, y, t: week(
            w, y, t, profile=WeekProfile(GENERIC_DAY), deviation=10.0
        ),
        "diurnal profile, 12 h off (assumed wrong)": lambda w, y, t: week(
            w, y, t, profile=WeekProfile(GENERIC_DAY[12:] + GENERIC_DAY[:12]), deviation=10.0
        ),
        "simulator's own diurnal (oracle)": lambda w, y, t: week(
            w, y, t, profile=WeekProfile(ORACLE_DAY), deviation=10.0
        ),
    }


def regularisation_section(services: Sequence[tuple[OfflineClarity, str]], days: int) -> list[str]:
    """Site sessions of the periods between fetches, per prior, over the given projects."""
    names = {"a": "a", "b": "b", "e": "e"}
    header = " | ".join(f"{n} median/p90 %" for n in names)
    lines = [
        "## Regularisation (site sessions, periods between fetches; "
        f"{', '.join(p for _, p in services)}; 2 jitter seeds)",
        "",
        f"| prior | {header} |",
        "|---|" + "---|" * len(names),
    ]
    cases: dict[str, list[tuple[Layout, np.ndarray, np.ndarray]]] = {n: [] for n in names}
    for service, project in services:
        truth = Truth(service.simulated(project))
        for seed in (0, 1):
            plans = {
                "a": nightly(START, days, (SITE,), seed=seed),
                "b": nightly(START, days, (SITE,), one_day_first=0, seed=seed),
                "e": nightly(START, days, (SITE,), jitter_minutes=0, one_day_first=0),
            }
            for n in names:
                if n == "e" and seed:
                    continue
                layout = collect(service, project, plans[n])[SITE]
                periods = fetch_periods(layout.windows)
                cases[n].append((layout, periods, truth.site(periods)[:, 0]))
    for label, variant in _variants().items():
        cells = []
        for n in names:
            rel = np.concatenate(
                [
                    np.abs(variant(lay.windows, lay.values[:, :1], per).value[:, 0] - t) / t * 100
                    for lay, per, t in cases[n]
                ]
            )
            cells.append(f"{np.median(rel):.2f}/{np.percentile(rel, 90):.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def borrowing_section(service: OfflineClarity, truth: Truth, days: int) -> list[str]:
    """A segment's (Device) and a page's split of undetermined periods following the site's
    solution, against plain regularisation, on the estimated periods."""
    lines = [
        "## Borrowing the site's shape (estimated periods; relative sessions % and cover)",
        "",
        "| schedule | set | own prior median/p90 | site's shape median/p90 | cover own/site |",
        "|---|---|---|---|---|",
    ]
    for scenario in (scenarios(days)[2], scenarios(days)[1]):
        plain = solve_scenario(service, scenario, truth, borrow_site=False)
        borrowed = solve_scenario(service, scenario, truth, borrow_site=True)
        for dims in (URL, DEVICE):
            a = errors_of(plain[dims].layout, plain[dims].solution, plain[dims].truth, ESTIMATE)
            b = errors_of(
                borrowed[dims].layout, borrowed[dims].solution, borrowed[dims].truth, ESTIMATE
            )
            if a.sessions.size == 0:
                continue
            lines.append(
                f"| {scenario.name} | {_set_name(dims)} | {_pair(a.sessions)} | "
                f"{_pair(b.sessions)} | {100 * a.covered.mean():.0f}%/"
                f"{100 * b.covered.mean():.0f}% |"
            )
    return lines


def _pair(values: np.ndarray) -> str:
    return f"{np.median(values):.2f}/{np.percentile(values, 90):.2f}"


# ------------------------------------------------------------------ incremental


def incremental_section(service: OfflineClarity, truth: Truth, days: int) -> list[str]:
    """One solve of all history against fixed blocks (what a daily run re-solves), and the
    cost of a day's increment."""
    blocks = Blocks()
    lines = [
        f"## Incremental: one solve of everything vs blocks (stride {blocks.stride_days:g} d, "
        f"look-back {blocks.lookback_days:g} d, look-ahead {blocks.lookahead_days:g} d), "
        "site sessions",
        "",
        "| schedule | whole median/p90 % cover | blocks median/p90 % cover | targets a new "
        "day may change | one day's re-solve |",
        "|---|---|---|---|---|",
    ]
    for scenario in (scenarios(days)[0], scenarios(days)[1], scenarios(days)[2],
                     scenarios(days)[4]):  # fmt: skip
        layout = collect(service, PROJECT, [r for r in scenario.requests if not r.dimensions])[SITE]
        periods = fetch_periods(layout.windows)
        true_periods = truth.site(periods)
        whole = solve(layout.windows, layout.values, periods, rounding=layout.rounding)
        blocked = solve_blocks(layout.windows, layout.values, periods, rounding=layout.rounding)
        last = layout.windows[:, 1] == layout.windows[:, 1].max()
        changed = affected_targets(periods, layout.windows[last], blocks)
        began = clock.perf_counter()
        touched = np.unique(blocks.block_of(periods[changed, 1]))
        solve_blocks(layout.windows, layout.values, periods, only=touched, previous=blocked,
                     rounding=layout.rounding)  # fmt: skip
        cost = clock.perf_counter() - began
        lines.append(
            f"| {scenario.name} | {_summary(whole, true_periods)} | "
            f"{_summary(blocked, true_periods)} | {int(changed.sum())} of {periods.shape[0]}"
            f" | {1000 * cost:.0f} ms |"
        )
    return lines


def _summary(solution, true_periods: np.ndarray) -> str:
    t = true_periods[:, 0]
    rel = np.abs(solution.value[:, 0] - t) / t * 100
    estimated = solution.kind == ESTIMATE
    cover = (np.abs(solution.value - true_periods) <= solution.error + 1e-6)[estimated]
    cover_text = f"{100 * cover.mean():.0f}%" if cover.size else "-"
    return f"{np.median(rel):.2f}/{np.percentile(rel, 90):.2f} {cover_text}"


# ------------------------------------------------------------------ timing


def timing_section(year_days: int, seed: int) -> list[str]:
    """Time to solve one project-year: the site and the URL set (every page, sessions and
    six signals with their bases), best of three, for the nightly and the daily schedule."""
    service = _service([PROJECT], year_days + 5, seed)
    lines = [
        f"## Time to solve one project-year ({year_days} days, {PROJECT}: site + URL set)",
        "",
        "| schedule | windows per set | series | seconds (best of 3) |",
        "|---|---|---|---|",
    ]
    plans = {
        "a (nightly 3-day, jitter)": nightly(START, year_days, (SITE, URL)),
        "daily 00:10 (planner)": daily(START, year_days, (SITE, URL)),
    }
    for name, requests in plans.items():
        layouts = collect(service, PROJECT, requests)
        seconds = min(_time_year(layouts) for _ in range(3))
        series = layouts[SITE].values.shape[1] + layouts[URL].values.shape[1]
        lines.append(f"| {name} | {layouts[SITE].windows.shape[0]} | {series} | {seconds:.2f} |")
    return lines


def _time_year(layouts: dict[tuple[str, ...], Layout]) -> float:
    began = clock.perf_counter()
    for dims in (SITE, URL):
        layout = layouts[dims]
        solve(layout.windows, layout.values, fetch_periods(layout.windows),
              rounding=layout.rounding)  # fmt: skip
    return clock.perf_counter() - began


# ------------------------------------------------------------------ main


def _service(projects: Sequence[str], days: int, seed: int) -> OfflineClarity:
    specs = [spec for spec in default_projects() if spec.name in projects]
    return OfflineClarity(projects=specs, seed=seed, start=START, days=days)


def report(days: int = 75, seed: int = 3, year_days: int = 365) -> str:
    """Every section of the validation, as Markdown."""
    service = _service([PROJECT, "northwind-shop", "fabrikam-blog"], days + 5, seed)
    truth = Truth(service.simulated(PROJECT))
    others = [(service, name) for name in (PROJECT, "northwind-shop", "fabrikam-blog")]
    sections = [
        [f"# Window solver check ({PROJECT}, {days} days, seed {seed})"],
        accuracy_section(service, truth, days, seed=0),
        dates_section(service, truth, days),
        partition_section(service, truth, days),
        regularisation_section(others, days),
        borrowing_section(service, truth, days),
        incremental_section(service, truth, days),
    ]
    if year_days:
        sections.append(timing_section(year_days, seed))
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=75, help="days of collection per schedule")
    parser.add_argument("--seed", type=int, default=3, help="simulation seed")
    parser.add_argument(
        "--year-days", type=int, default=365, help="days of the timing run (0: skip it)"
    )
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    text = report(args.days, args.seed, args.year_days)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
