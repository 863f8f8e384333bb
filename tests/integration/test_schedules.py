"""Daily analytics for every collection schedule, in one warehouse: projects collected daily at
00:10, 03:00, 07:00 and 17:00 UTC and at 00:10 in New York, two projects that lost one and two
days to an outage (500s) and recovered them with nested windows, and a project known only from
an imported archive of 3-day windows (its dates valued by the window solver). Built in two
phases (the second incremental), then compared with a full refresh, mart for mart."""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.api.contract import SIGNAL_KEYS
from ingestion.api.snapshot import SnapshotMeta
from ingestion.config import ProjectConfig
from ingestion.ingest import import_files
from ingestion.load.archive import ArchiveDefaults
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from ingestion.warehouse import journal
from tests.conftest import START, make_config
from tests.integration.compare import mart_keys, table_differences
from tests.integration.helpers import BLOG, ingest_at, query, run_cli

pytestmark = pytest.mark.integration

NEW_YORK = ZoneInfo("America/New_York")
# project -> (time of day of the daily run, its zone)
SCHEDULES = {
    "at-0010": (time(0, 10), UTC),
    "at-0300": (time(3, 0), UTC),
    "at-0700": (time(7, 0), UTC),
    "at-1700": (time(17, 0), UTC),
    "ny-0010": (time(0, 10), NEW_YORK),
}
# project -> (first UTC day of the outage, as a collection day number, days)
OUTAGES = {"outage-1d": (5, 1), "outage-2d": (8, 2)}
ARCHIVED = "archived-3d"
DAYS = 12
FIRST_PHASE = 6
DIMENSION_SETS = ((), ("URL",), ("Device",))  # nested recovery of two sets fits the quota


def _day(number: int) -> date:
    return START.date() + timedelta(days=number)


def _run_at(project: str, number: int) -> datetime:
    at, zone = SCHEDULES.get(project, (time(0, 10), UTC))
    return datetime.combine(_day(number), at, tzinfo=zone).astimezone(UTC)


def _specs():
    """Copies of the docs site (about 1,500 sessions a day), one per schedule."""
    base = next(spec for spec in default_projects() if spec.name == "contoso-docs")
    names = [*SCHEDULES, *OUTAGES, ARCHIVED]
    return [
        dataclasses.replace(base, name=name, host=f"{name}.example", regressions=())
        for name in names
    ]


def _archive(service: OfflineClarity, folder) -> int:
    """A nightly collector's archive: 3-day windows at 03:00 UTC, site and URL, with sidecars."""
    folder.mkdir()
    bodies = 0
    for number in range(1, DAYS + 1):
        fetched = datetime.combine(_day(number), time(3, 0), tzinfo=UTC)
        for dimensions in ((), ("URL",)):
            meta = SnapshotMeta(ARCHIVED, dimensions, 3, fetched, "archive")
            body = service.response(ARCHIVED, dimensions, 3, fetched)
            (folder / f"{meta.snapshot_id}.json").write_text(json.dumps(body))
            (folder / f"{meta.snapshot_id}.meta.json").write_text(json.dumps(meta.to_json()))
            bodies += 1
    return bodies


@pytest.fixture(scope="module")
def schedules(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schedules")
    service = OfflineClarity(projects=_specs(), seed=3, start=START, days=DAYS + 2)
    with service:
        for project, (first, days) in OUTAGES.items():
            service.add_outage(project, _day(first), days)
        configs = {}
        for project in [*SCHEDULES, *OUTAGES]:
            config = make_config(service, folder, projects=[project])
            zone = SCHEDULES.get(project, (None, UTC))[1]
            config.projects = [ProjectConfig(project, service.tokens[project], str(zone))]
            configs[project] = dataclasses.replace(config, dimension_sets=DIMENSION_SETS)
        failed_runs = []

        def collect(numbers):
            for number in numbers:
                for project, config in configs.items():
                    report = ingest_at(service, config, _run_at(project, number))
                    if report.had_errors:
                        failed_runs.append((project, number))

        collect(range(1, FIRST_PHASE + 1))
        db = configs["at-0010"].duckdb_path
        code, _ = run_dbt(SCHEDULED_BUILD, db, target_path=folder / "t1")
        assert code == 0, "first dbt build failed"
        # a release recorded between the builds, so that fct_annotation_effects has rows to
        # compare (incremental against full refresh) like every mart
        journal.append(
            configs["at-0010"].warehouse,
            journal.Annotation("at-0010", _day(FIRST_PHASE - 2), "release", "release 2.1"),
        )
        collect(range(FIRST_PHASE + 1, DAYS + 1))
        bodies = _archive(service, folder / "archive")
        archive_config = dataclasses.replace(configs["at-0010"], projects=[])
        imported = import_files(archive_config, [folder / "archive"], ArchiveDefaults())
    assert not imported.errors and imported.landed == bodies, imported.errors
    code, _ = run_dbt(SCHEDULED_BUILD, db, target_path=folder / "t2")
    assert code == 0, "incremental dbt build failed"
    full = folder / "full-refresh.duckdb"
    shutil.copyfile(db, full)
    code, _ = run_dbt([*SCHEDULED_BUILD, "--full-refresh"], full, target_path=folder / "t3")
    assert code == 0, "full-refresh dbt build failed"
    return db, full, service, folder, failed_runs


def _site_rows(db, project: str) -> list[tuple]:
    return query(
        db,
        "select activity_date, value_source, window_start_at, window_end_at, day_coverage, "
        "sessions, distinct_users, "
        + ", ".join(f"{key}_sessions, {key}_base_sessions" for key in SIGNAL_KEYS.values())
        + " from marts.fct_site_daily where project = ? order by activity_date",
        [project],
    )


def test_only_the_outage_days_failed(schedules):
    *_, failed_runs = schedules
    assert sorted(failed_runs) == [("outage-1d", 5), ("outage-2d", 8), ("outage-2d", 9)]


@pytest.mark.parametrize("project", [*SCHEDULES, *OUTAGES])
def test_every_date_between_the_first_and_last_collection_has_one_daily_row(schedules, project):
    db, *_ = schedules
    dates = [row[0] for row in _site_rows(db, project)]
    assert dates == [dates[0] + timedelta(days=k) for k in range(len(dates))], "a gap"
    # the first run took the 72 hours the API keeps as three days (nested windows); the last
    # run gave the date its window overlaps most
    assert len(dates) == DAYS + 2
    # the URL set is recovered like the site (recover_sets = 2: no dimension and URL)
    page_dates = query(
        db, "select distinct activity_date from marts.fct_page_daily where project = ?", [project]
    )
    assert sorted(d for (d,) in page_dates) == dates


@pytest.mark.parametrize("project", [*SCHEDULES, *OUTAGES])
def test_each_daily_value_is_exact_for_its_own_24_hours(schedules, project):
    db, _, service, *_ = schedules
    for day, source, start, end, coverage, sessions, users, *signals in _site_rows(db, project):
        truth = service.truth_site_window(project, start, end)
        assert end - start == timedelta(hours=24), day
        assert 0.5 <= coverage <= 1
        tolerance = 0 if source == "one_day_window" else 1  # a slice: each window rounds
        assert abs(sessions - truth["sessions"]) <= tolerance, (day, source)
        assert (users is None) == (source == "nested_difference")
        for k, (block, _) in enumerate(SIGNAL_KEYS.items()):
            with_signal, base = signals[2 * k], signals[2 * k + 1]
            assert abs(with_signal - truth["sessions_with"][block]) <= 1, (day, block)
            true_rate = truth["sessions_with"][block] / truth["sessions"]
            assert abs(with_signal / base - true_rate) <= 0.005, (day, block)


def test_the_days_lost_to_an_outage_are_recovered_from_nested_windows(schedules):
    db, *_ = schedules
    recovered = query(
        db,
        "select project, activity_date from marts.fct_site_daily "
        "where value_source = 'nested_difference' and project like 'outage-%' order by 1, 2",
    )
    # outage-1d missed the run of day 5 (date 4); outage-2d the runs of days 8 and 9 (dates 7,
    # 8); the first run of every project recovered the two days before its window too
    assert recovered == [
        ("outage-1d", _day(-2)),
        ("outage-1d", _day(-1)),
        ("outage-1d", _day(4)),
        ("outage-2d", _day(-2)),
        ("outage-2d", _day(-1)),
        ("outage-2d", _day(7)),
        ("outage-2d", _day(8)),
    ]
    pages = query(
        db,
        "select count(*), count(distinct page_url) from marts.fct_page_daily "
        "where project = 'outage-2d' and activity_date in (?, ?) "
        "and value_source = 'nested_difference'",
        [_day(7), _day(8)],
    )[0]
    assert pages[0] > 20 and pages[1] > 10
    reasons = query(
        db,
        "select activity_date, site_value_source from marts.fct_collection_daily "
        "where project = 'outage-2d' and activity_date between ? and ? order by 1",
        [_day(6), _day(9)],
    )
    assert reasons == [
        (_day(6), "one_day_window"),
        (_day(7), "nested_difference"),
        (_day(8), "nested_difference"),
        (_day(9), "one_day_window"),
    ]


def test_dates_are_the_projects_own(schedules):
    db, _, service, *_ = schedules
    assert query(db, "select timezone from marts.dim_projects where project = 'ny-0010'") == [
        ("America/New_York",)
    ]
    rows = _site_rows(db, "ny-0010")
    one_day = [row for row in rows if row[1] == "one_day_window"]
    local_error = utc_error = 0
    for day, _, start, _end, coverage, sessions, *_ in one_day:
        # 00:10 in New York: the window is the local date shifted by ten minutes
        assert start.astimezone(NEW_YORK).time() == time(0, 10)
        assert coverage == pytest.approx(1430 / 1440)
        local = service.truth_site_daily("ny-0010", day, NEW_YORK)["sessions"]
        assert abs(sessions - local) <= 0.03 * local
        local_error += abs(sessions - local)
        utc_error += abs(sessions - service.truth_site_daily("ny-0010", day)["sessions"])
    # read as UTC dates, the same values would be four to five hours off
    assert local_error * 3 < utc_error


def test_calendar_day_errors_per_schedule(schedules, capsys):
    """How far each schedule's daily values are from the calendar days (for the record; a
    window is exact for its own 24 hours, above)."""
    db, _, service, *_ = schedules
    table = {}
    for project, (_at, zone) in SCHEDULES.items():
        errors = []
        for row in _site_rows(db, project):
            day, sessions = row[0], row[5]
            truth = service.truth_site_daily(project, day, zone)["sessions"]
            errors.append(abs(sessions - truth) / truth)
        table[project] = (statistics.median(errors), max(errors))
    with capsys.disabled():
        print("\nfct_site_daily.sessions against calendar days, per collection schedule:")
        for project, (median, worst) in table.items():
            print(f"  {project}: median {median:.2%}, worst {worst:.2%}")
    assert table["at-0010"][1] < 0.03 and table["ny-0010"][1] < 0.03
    assert table["at-0700"][0] > table["at-0010"][0]  # a shifted period is less the calendar day


def test_an_archive_of_three_day_windows_gives_page_windows_and_solved_daily_values(schedules):
    db, _, service, *_ = schedules
    url_snapshots = query(
        db,
        "select count(*) from clarity_raw.snapshots where project = ? and dimensions = 'URL'",
        [ARCHIVED],
    )[0][0]
    assert url_snapshots == DAYS
    windows = query(
        db,
        "select count(distinct snapshot_id), count(*), min(num_of_days), max(num_of_days), "
        "count(distinct frustration_rank) from marts.fct_page_windows where project = ?",
        [ARCHIVED],
    )[0]
    assert windows[0] == url_snapshots and windows[1] > 10 * url_snapshots
    assert windows[2:4] == (3, 3) and windows[4] > 10
    # no one-day window: every date the windows span (14, the last one awaiting collection) is
    # an estimate of the solver, none a collection alert
    for mart in ("fct_site_daily", "fct_page_daily"):
        sources = query(
            db,
            f"select value_source, count(distinct activity_date) from marts.{mart} "
            "where project = ? group by 1",
            [ARCHIVED],
        )
        assert sources == [("solved_estimate", DAYS + 2)], mart
    missing = query(
        db,
        "select activity_date, missing_reason from marts.fct_collection_daily "
        "where project = ? and is_missing",
        [ARCHIVED],
    )
    assert [reason for _, reason in missing] == ["awaiting_collection"]
    alerts = query(
        db,
        "select count(*) from marts.fct_alerts where project = ? and scope = 'collection'",
        [ARCHIVED],
    )
    assert alerts == [(0,)]
    # the estimates hold the truth of their 24-hour periods within the stated error
    rows = query(
        db,
        "select window_start_at, window_end_at, sessions, sessions_error from marts.fct_site_daily "
        "where project = ?",
        [ARCHIVED],
    )
    truths = [
        service.truth_site_window(ARCHIVED, start, end)["sessions"] for start, end, *_ in rows
    ]
    within = sum(
        abs(sessions - true) <= error + 0.5
        for (_, _, sessions, error), true in zip(rows, truths, strict=True)
    )
    assert within >= 0.85 * len(rows), (within, len(rows))
    relative = [abs(row[2] - true) / true for row, true in zip(rows, truths, strict=True)]
    assert statistics.median(relative) <= 0.08, relative


def test_incremental_build_equals_full_refresh_on_every_mart(schedules):
    db, full, _, folder, _ = schedules
    differences = []
    for table, key in sorted(mart_keys(folder / "t2").items()):
        assert query(db, f"select count(*) from marts.{table}")[0][0] > 0, table
        differences += table_differences(db, full, f"marts.{table}", key)
    assert not differences, "\n".join(differences)


def test_plan_forecasts_what_a_small_budget_makes_of_a_gap(offline, tmp_path):
    first = run_cli(offline, tmp_path, "ingest", "--now", _run_at(BLOG, 1).isoformat())
    assert first.returncode == 0, first.stderr
    planned = run_cli(
        offline,
        tmp_path,
        "plan",
        "--now",
        _run_at(BLOG, 4).isoformat(),
        env_extra={"SOURCES__CLARITY__DAILY_BUDGET": "4"},
    )
    assert planned.returncode == 0, planned.stderr
    asks = [line for line in planned.stdout.splitlines() if line.startswith("  ask ")]
    # two runs missed: four of the ten sets get one 3-day window each, nothing left to nest
    assert len(asks) == 4
    assert all("numOfDays=3" in ask and "one window over the gap" in ask for ask in asks)
    assert "too few nested windows for [no dimension], [URL]" in planned.stdout
    # the six sets the budget cannot reach lose the day tomorrow's window no longer reaches
    assert "set-days: 0 exact, 12 estimated, 6 lost, 12 waiting" in planned.stdout
    lost = _day(1).strftime("%a %d %b")
    assert f"lost {lost}; waiting for the next run" in planned.stdout
    assert "collection over the last 7 days:" in planned.stdout
