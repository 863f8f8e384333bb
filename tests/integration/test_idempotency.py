"""Idempotency after snowplow's integration tests, on every mart (core and frustration): load ten
days and build; load overlapping data (2- and 3-day catch-up windows, a forced re-run the same
day, our own archive re-imported, another collector's archive) and build incrementally; a
`dbt build --full-refresh` of a copy must then give the same marts, row for row.

test_incremental.py proves the same equality for the core marts on a failed request and a 23:00
re-run; this one adds the archive paths and the frustration marts, keyed on the grains the
marts declare in dbt's manifest. Both collect without nested-window recovery (recover_sets = 0),
so that the catch-up windows' dates are the window solver's; a low alert threshold gives alerts
to compare (the solved dates raise no collection alert); test_schedules.py proves the equality
with recovery, outages, time zones and schedules in the history."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from ingestion.warehouse import journal
from tests.conftest import START, collection_time, make_config
from tests.integration.compare import mart_keys, table_differences
from tests.integration.helpers import ingest_at, query, run_cli, table_counts

pytestmark = pytest.mark.integration

DIMENSION_SETS = ((), ("URL",), ("Device",))  # two runs a day still fit the quota
FIRST_DAYS = 10
# the builds' vars: alerts from one standard deviation on, so that fct_alerts has rows
BUILD = [*SCHEDULED_BUILD, "--vars", '{"clarity_alert_z_threshold": 1.0}']
# phase 2, by collection day (collection_time(d) is 00:10 UTC on date START + d and covers
# date START + d - 1): d=11 daily, d=12 skipped, d=13 asks 2 days, d=14 and d=15 skipped,
# d=16 asks 3 days, then a forced re-run at 01:00 the same day asks 1 day again
RERUN = collection_time(16, minutes=60)
# another collector fetched 1 day at 00:20 on a day we skipped (d=14): it covers date START + 13
FOREIGN_FETCH = collection_time(14, minutes=20)


def _date(day: int) -> date:
    return (START + timedelta(days=day)).date()


def _ingest_at(service: OfflineClarity, config, when: datetime, *, force: bool = False) -> None:
    assert not ingest_at(service, config, when, force=force).had_errors, f"ingest at {when} failed"


def _write_foreign_archive(service: OfflineClarity, folder: Path) -> int:
    """One-day site and URL bodies of every project, with sidecars, as another collector kept
    them; returns the number of bodies."""
    folder.mkdir()
    count = 0
    for project in service.projects:
        for dimensions in ((), ("URL",)):
            name = f"{project}_{'-'.join(dimensions) or 'site'}"
            body = service.response(project, dimensions, 1, FOREIGN_FETCH)
            (folder / f"{name}.json").write_text(json.dumps(body))
            meta = {
                "project": project,
                "dimensions": list(dimensions),
                "num_of_days": 1,
                "fetched_at": FOREIGN_FETCH.isoformat(),
                "origin": "archive",
            }
            (folder / f"{name}.meta.json").write_text(json.dumps(meta))
            count += 1
    return count


@pytest.fixture(scope="module")
def built_twice(tmp_path_factory):
    """(folder, incrementally built warehouse, its full-refresh copy, outputs of the imports)."""
    folder = tmp_path_factory.mktemp("idempotency")
    with OfflineClarity(projects=default_projects(), seed=23, start=START, days=18) as service:
        config = dataclasses.replace(
            make_config(service, folder, recover_sets=0), dimension_sets=DIMENSION_SETS
        )
        for day in range(1, FIRST_DAYS + 1):
            _ingest_at(service, config, collection_time(day))
        code, _ = run_dbt(BUILD, config.duckdb_path, target_path=folder / "t1")
        assert code == 0, "first dbt build failed"
        # a release recorded between the builds (every mart must have rows to compare): the
        # incremental build picks it up as the full refresh does
        journal.append(
            config.warehouse,
            journal.Annotation("northwind-shop", _date(8), "release", "release 2.1"),
        )

        for day in (11, 13, 16):
            _ingest_at(service, config, collection_time(day))
        _ingest_at(service, config, RERUN, force=True)

        before = table_counts(config.duckdb_path)
        own = run_cli(
            service,
            folder,
            "import",
            str(folder / "landing" / "loaded"),
            projects=service.projects,
        )
        assert own.returncode == 0, own.stderr + own.stdout
        assert table_counts(config.duckdb_path) == before
        foreign_bodies = _write_foreign_archive(service, folder / "other-collector")
        foreign = run_cli(
            service, folder, "import", str(folder / "other-collector"), projects=service.projects
        )
        assert foreign.returncode == 0, foreign.stderr + foreign.stdout

    incremental = config.duckdb_path
    code, _ = run_dbt(BUILD, incremental, target_path=folder / "t2")
    assert code == 0, "incremental dbt build failed"
    full = folder / "full-refresh.duckdb"
    shutil.copyfile(incremental, full)
    code, _ = run_dbt([*BUILD, "--full-refresh"], full, target_path=folder / "t3")
    assert code == 0, "full-refresh dbt build failed"
    return folder, incremental, full, (before, own.stdout, foreign_bodies, foreign.stdout)


def test_the_overlapping_load_holds_every_case(built_twice):
    folder, incremental, _, (before, own_out, foreign_bodies, foreign_out) = built_twice
    # the planner closed the gaps with 2- and 3-day windows; the re-run asked 1 day again
    asked = query(
        incremental,
        "select num_of_days, fetched_at, origin, count(*) from clarity_raw.snapshots "
        "where dimensions = '' and fetched_at > ? group by all order by fetched_at",
        [collection_time(FIRST_DAYS)],
    )
    projects = len(default_projects())
    utc = timezone.utc
    assert [(n, at.astimezone(utc), origin, k) for n, at, origin, k in asked] == [
        (1, collection_time(11), "offline", projects),
        (2, collection_time(13), "offline", projects),
        (1, FOREIGN_FETCH, "archive", projects),
        (3, collection_time(16), "offline", projects),
        (1, RERUN, "offline", projects),
    ]
    # our own archive re-imported: every body recognised, nothing new
    assert f"{before['snapshots']} file(s): 0 new, {before['snapshots']} already loaded" in (
        own_out
    )
    assert f"{foreign_bodies} file(s): {foreign_bodies} new, 0 already loaded" in foreign_out
    # the daily values of phase 2: own one-day windows, the archive's, the re-run's; no value
    # for the dates only a 2- or 3-day window (or 20 minutes of the archive) covers
    site = query(
        incremental,
        "select d.activity_date, s.origin, s.fetched_at, d.day_coverage "
        "from marts.fct_site_daily as d "
        "inner join clarity_raw.snapshots as s on d.snapshot_id = s.snapshot_id "
        "where d.project = 'contoso-docs' and d.activity_date >= ? order by 1",
        [_date(FIRST_DAYS)],
    )
    assert [(day, origin, at.astimezone(utc)) for day, origin, at, _ in site] == [
        (_date(10), "offline", collection_time(11)),
        (_date(13), "archive", FOREIGN_FETCH),
        (_date(15), "offline", RERUN),
    ]
    assert [coverage for *_, coverage in site] == pytest.approx([1430 / 1440, 1420 / 1440, 23 / 24])
    # the incremental page mart took the archived URL day in
    assert query(
        incremental,
        "select count(*) > 0 from marts.fct_page_daily where activity_date = ?",
        [_date(13)],
    ) == [(True,)]
    run_sql = folder / "t2" / "run" / "clarity" / "models" / "marts" / "core" / "fct_page_daily.sql"
    assert "delete from" in run_sql.read_text(), "the second build was not incremental"


def test_every_mart_has_a_declared_grain(built_twice):
    folder, incremental, _, _ = built_twice
    tables = {
        name
        for (name,) in query(
            incremental,
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' and table_type = 'BASE TABLE'",
        )
    }
    grains = mart_keys(folder / "t2")
    assert tables == set(grains), "a mart without a unique-grain test, or a stray table"
    assert {"fct_alerts", "fct_page_frustration_daily", "fct_page_trends_weekly"} <= tables


def test_incremental_build_equals_full_refresh_on_every_mart(built_twice):
    folder, incremental, full, _ = built_twice
    differences = []
    for table, key in sorted(mart_keys(folder / "t2").items()):
        assert query(incremental, f"select count(*) from marts.{table}")[0][0] > 0, table
        differences += table_differences(incremental, full, f"marts.{table}", key)
    assert not differences, "\n".join(differences)
