"""The dlt pipeline against the offline service over HTTP into a temporary DuckDB file: daily runs,
quota, faults, de-duplication and the pending-package recovery."""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import timedelta
from pathlib import Path

import pytest

from clarity_tools.offline import OfflineClarity, large_project
from ingestion.collect.landing import Landing
from ingestion.config import DEFAULT_DIMENSION_SETS
from ingestion.ingest import import_files, ingest, make_plans
from ingestion.load import loader
from ingestion.load.archive import ArchiveDefaults
from tests.conftest import START, collection_time, make_config
from tests.integration.helpers import load_landed, query, scalar, table_counts

pytestmark = pytest.mark.integration

DOCS, SHOP, BLOG = "contoso-docs", "northwind-shop", "fabrikam-blog"


def spent(service, project):
    return service.requests_counted(project, service.clock.now().date())


def test_first_run_loads_the_budget_for_every_project(offline, tmp_path):
    config = make_config(offline, tmp_path)
    offline.clock.set(collection_time(1))
    report = ingest(config, clock=offline.clock.now)
    budget = 10
    n_projects = len(config.projects)
    assert not report.had_errors
    counts = table_counts(config.duckdb_path)
    assert counts["snapshots"] == budget * n_projects
    assert counts["requests"] == budget * n_projects
    for project in config.project_names:
        assert spent(offline, project) == budget
    # every row of every body is in metric_rows, and the body is archived on disk
    for snapshot_id, row_count, path in query(
        config.duckdb_path, "select snapshot_id, row_count, source_path from clarity_raw.snapshots"
    ):
        assert (
            scalar(
                config.duckdb_path,
                "select count(*) from clarity_raw.metric_rows where snapshot_id = ?",
                [snapshot_id],
            )
            == row_count
        )
        assert Path(path).is_file()
    loaded = list((tmp_path / "landing" / "loaded").rglob("*.json"))
    assert len([p for p in loaded if not p.name.endswith(".meta.json")]) == counts["snapshots"]
    assert list((tmp_path / "landing" / "pending").glob("*.json")) == []
    # the first run takes the 72 hours the API still has: one 3-day window for each of the ten
    # sets, which spends the whole budget (none is left for nested windows); no-dimension
    # bodies have 16 blocks
    asked = query(
        config.duckdb_path,
        "select dimensions, list(num_of_days order by num_of_days) from clarity_raw.snapshots "
        "where project = ? group by 1 order by 1",
        [BLOG],
    )
    assert asked == sorted((",".join(sorted(d)), [3]) for d in DEFAULT_DIMENSION_SETS)
    assert (
        scalar(
            config.duckdb_path,
            "select min(block_count) from clarity_raw.snapshots where dimensions = ''",
        )
        == 16
    )
    assert report.load.load_ids


def test_next_day_asks_one_day_and_ten_runs_a_day_stay_in_budget(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG], recover_sets=0)
    offline.clock.set(collection_time(1))
    ingest(config, clock=offline.clock.now)
    offline.clock.set(collection_time(2))
    for attempt in range(10):
        offline.clock.advance(timedelta(minutes=5))
        ingest(config, clock=offline.clock.now, force=attempt % 2 == 1)
    assert spent(offline, BLOG) == 10  # the budget, never the 11th request that gets 429
    days = query(
        config.duckdb_path,
        "select num_of_days, count(*) from clarity_raw.snapshots group by 1 order by 1",
    )
    assert days == [(1, 10), (3, 10)]
    assert (
        scalar(config.duckdb_path, "select count(*) from clarity_raw.requests where status = 429")
        == 0
    )


def test_ledger_survives_a_lost_working_folder(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG], daily_budget=6)
    offline.clock.set(collection_time(1))
    ingest(config, clock=offline.clock.now)
    # a new machine: the dlt working folder and landing folder are gone, the warehouse remains
    import shutil

    shutil.rmtree(tmp_path / ".dlt_pipelines")
    shutil.rmtree(tmp_path / "landing")
    plan = make_plans(config, offline.clock.now(), force=True)[0]
    assert plan.used_today == 6 and plan.requests == []


def test_a_gap_is_closed_with_a_longer_window(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG], recover_sets=0)
    offline.clock.set(collection_time(1))
    ingest(config, clock=offline.clock.now)
    offline.clock.set(collection_time(4))  # the cron missed two days
    ingest(config, clock=offline.clock.now)
    rows = query(
        config.duckdb_path,
        "select distinct num_of_days from clarity_raw.snapshots where fetched_at = ?",
        [offline.clock.now()],
    )
    assert rows == [(3,)]


def test_401_for_one_project_does_not_stop_the_other(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[DOCS, BLOG])
    offline.expire_token(DOCS)
    offline.clock.set(collection_time(1))
    report = ingest(config, clock=offline.clock.now)
    assert report.outcomes[DOCS].stopped_because == "auth"
    assert report.outcomes[BLOG].fetched == len(DEFAULT_DIMENSION_SETS)
    assert spent(offline, DOCS) == 0  # unknown/expired tokens are not counted by the service
    rows = query(
        config.duckdb_path,
        "select status, error_class, error_message from clarity_raw.requests where project = ?",
        [DOCS],
    )
    assert rows and rows[0][0] == 401 and rows[0][1] == "auth"
    assert offline.tokens[DOCS] not in rows[0][2]
    assert (
        scalar(
            config.duckdb_path,
            "select count(*) from clarity_raw.snapshots where project = ?",
            [DOCS],
        )
        == 0
    )


def test_403_stops_the_project_with_a_clear_record(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG])
    offline.forbid_token(BLOG)
    offline.clock.set(collection_time(1))
    report = ingest(config, clock=offline.clock.now)
    assert report.outcomes[BLOG].stopped_because == "forbidden"
    assert scalar(config.duckdb_path, "select count(*) from clarity_raw.requests") == 1


def test_429_mid_run_stops_spending_and_keeps_what_arrived(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG], recover_sets=0)
    offline.clock.set(collection_time(1))
    offline.inject_fault("status", project=BLOG, status=429, dimensions=("Device",))
    report = ingest(config, clock=offline.clock.now)
    assert report.outcomes[BLOG].stopped_because == "quota"
    assert report.outcomes[BLOG].fetched == 3  # none, URL, URL+Device came before Device
    assert spent(offline, BLOG) == 4
    offline.clock.advance(timedelta(hours=2))
    again = ingest(config, clock=offline.clock.now)
    assert again.outcomes[BLOG].plan.requests == []  # no more spending after a 429 today
    assert spent(offline, BLOG) == 4
    offline.clock.set(collection_time(2))  # the next UTC day resumes
    ingest(config, clock=offline.clock.now)
    assert spent(offline, BLOG) == len(DEFAULT_DIMENSION_SETS)


def test_500_on_one_set_others_load_and_the_set_is_retried_next_run(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG])
    offline.clock.set(collection_time(1))
    offline.inject_fault("status", project=BLOG, status=500, times=1, dimensions=("URL",))
    report = ingest(config, clock=offline.clock.now)
    # the whole budget is planned, so there is no request to spare for a retry
    assert report.outcomes[BLOG].fetched == 10 - 1
    assert spent(offline, BLOG) == 10
    assert (
        scalar(config.duckdb_path, "select count(*) from clarity_raw.requests where status = 500")
        == 1
    )
    offline.clock.set(collection_time(2))
    ingest(config, clock=offline.clock.now)
    url_days = query(
        config.duckdb_path,
        "select num_of_days from clarity_raw.snapshots where dimensions = 'URL' order by 1",
    )
    # the first run's one URL window (3 days) failed; the next run asks the set again as never
    # fetched: the 72 hours the API still has, one window (the other nine sets take the rest)
    assert url_days == [(3,)]


def test_a_run_of_500s_never_spends_more_than_the_budget(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG], recover_sets=0, daily_budget=6)
    offline.clock.set(collection_time(1))
    offline.inject_fault("status", project=BLOG, status=500, times=100)
    report = ingest(config, clock=offline.clock.now)
    assert report.outcomes[BLOG].fetched == 0 and len(report.outcomes[BLOG].errors) == 6
    assert spent(offline, BLOG) == 6  # one attempt per planned request, no retry, no 429
    rows = query(config.duckdb_path, "select status, attempt from clarity_raw.requests")
    assert rows == [(500, 1)] * 6
    # with requests to spare (budget 6, one set planned) the client retries once
    offline.clock.set(collection_time(2))
    one_set = dataclasses.replace(config, dimension_sets=((),))
    ingest(one_set, clock=offline.clock.now)
    assert spent(offline, BLOG) == 2


def test_400_on_one_set_is_recorded_and_the_others_load(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG])
    offline.clock.set(collection_time(1))
    offline.inject_fault("status", project=BLOG, status=400, dimensions=("OS",))
    report = ingest(config, clock=offline.clock.now)
    assert report.outcomes[BLOG].fetched == len(DEFAULT_DIMENSION_SETS) - 1
    assert report.outcomes[BLOG].stopped_because is None
    rows = query(
        config.duckdb_path,
        "select dimensions, error_class, attempt from clarity_raw.requests where status = 400",
    )
    assert rows == [("OS", "bad_request", 1)]  # never retried


@pytest.mark.parametrize("kind", ["empty", "not-json", "object", "missing-keys"])
def test_malformed_body_is_quarantined_recorded_and_retried(offline, tmp_path, kind):
    config = make_config(offline, tmp_path, projects=[BLOG], recover_sets=0)
    offline.clock.set(collection_time(1))
    offline.inject_fault(kind, project=BLOG, dimensions=())
    report = ingest(config, clock=offline.clock.now)
    assert report.had_errors
    rows = query(
        config.duckdb_path,
        "select body_path from clarity_raw.requests where error_class = 'malformed_body'",
    )
    assert len(rows) == 1
    quarantined = tmp_path / "landing" / "quarantine"
    assert rows[0][0].startswith(str(quarantined))
    [entry] = Landing(tmp_path).quarantined()  # the body, its description and why
    assert str(entry.body_path) == rows[0][0]
    assert entry.meta_path is not None and entry.error_class == "malformed_body"
    assert "asked again on the next run" in entry.reason
    assert (
        scalar(
            config.duckdb_path, "select count(*) from clarity_raw.snapshots where dimensions = ''"
        )
        == 0
    )
    offline.clock.advance(timedelta(hours=1))
    plan = make_plans(config, offline.clock.now())[0]
    assert [r.dimensions for r in plan.requests] == []  # the budget is spent: 10 used today
    offline.clock.set(collection_time(2))
    ingest(config, clock=offline.clock.now)
    assert (
        scalar(
            config.duckdb_path, "select count(*) from clarity_raw.snapshots where dimensions = ''"
        )
        == 1
    )


def test_a_block_of_1000_rows_is_flagged(tmp_path):
    with OfflineClarity(projects=[large_project()], seed=7, start=START, days=4) as service:
        config = make_config(service, tmp_path, initial_num_days=1)
        service.clock.set(collection_time(1))
        report = ingest(config, clock=service.clock.now)
    # the checkpoint's warning says which project and set to look at (the load still passes)
    from ingestion.quality.checkpoint import run_raw_checkpoint

    quality = run_raw_checkpoint(config.warehouse, report.load.load_ids)
    assert quality.success, quality.summary()
    (warning,) = [w for w in quality.warnings if "possibly_truncated" in w]
    assert f"{large_project().name} Device,URL" in warning, warning
    flagged = query(
        config.duckdb_path,
        "select dimensions from clarity_raw.snapshots where possibly_truncated",
    )
    assert ("Device,URL",) in flagged
    assert ("",) not in flagged and ("Device",) not in flagged
    assert (
        scalar(
            config.duckdb_path,
            "select max(row_count) from clarity_raw.snapshots where dimensions = 'Device,URL'",
        )
        == 9 * 1000
    )


def test_loading_the_same_response_twice_adds_nothing(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG])
    offline.clock.set(collection_time(1))
    ingest(config, clock=offline.clock.now)
    before = table_counts(config.duckdb_path)
    landing = Landing(tmp_path)
    # put every loaded body back into pending, as if a crash had happened before archiving
    for meta_path in (tmp_path / "landing" / "loaded").rglob("*.meta.json"):
        from ingestion.api.snapshot import SnapshotMeta

        meta = SnapshotMeta.from_json(json.loads(meta_path.read_text()))
        body = meta_path.with_name(meta_path.name.replace(".meta.json", ".json")).read_bytes()
        landing.land_body(meta, body)
    report = ingest(config, clock=offline.clock.now)
    assert report.load.duplicates_skipped == before["snapshots"]
    assert table_counts(config.duckdb_path) == before
    assert list((tmp_path / "landing" / "pending").glob("*.json")) == []


def test_a_landed_body_corrupted_on_disk_is_quarantined_and_the_rest_loads(offline, tmp_path):
    config = make_config(offline, tmp_path, projects=[BLOG])
    landing = Landing(tmp_path)
    offline.clock.set(collection_time(2))
    from ingestion.api.snapshot import SnapshotMeta

    good = SnapshotMeta(BLOG, (), 1, offline.clock.now(), "archive")
    bad = SnapshotMeta(BLOG, ("URL",), 1, offline.clock.now(), "archive")
    landing.land_body(good, json.dumps(offline.response(BLOG, (), 1, offline.clock.now())).encode())
    landing.land_body(bad, b'[{"metricName": "Traffic", "information": [')  # truncated
    report = load_landed(config, "run-1")
    assert report.snapshots_loaded == 1
    assert offline.request_log == []
    [entry] = Landing(tmp_path).quarantined()
    assert entry.body_path == tmp_path / "landing" / "quarantine" / f"{bad.snapshot_id}.json"
    assert entry.error_class == "unparseable_body" and "not JSON" in entry.reason
    assert list((tmp_path / "landing" / "pending").glob("*.json")) == []


def _collect_three_days(offline, folder: Path):
    config = make_config(offline, folder)
    for day in (1, 2, 3):
        offline.clock.set(collection_time(day))
        assert not ingest(config, clock=offline.clock.now).had_errors
    return config


def test_a_large_import_loads_oldest_first_in_bounded_loads(offline, tmp_path, monkeypatch):
    collector = _collect_three_days(offline, tmp_path / "collector")
    loaded = tmp_path / "collector" / "landing" / "loaded"
    bodies = [p for p in loaded.rglob("*.json") if not p.name.endswith(".meta.json")]
    day_bytes = sum(p.stat().st_size for p in bodies) // 3
    monkeypatch.setattr(loader, "LOAD_CHUNK_BYTES", day_bytes // 2)

    config = make_config(offline, tmp_path / "importer")
    report = import_files(config, [loaded], ArchiveDefaults())
    db = config.duckdb_path
    assert report.load.snapshots_loaded == len(bodies) == table_counts(db)["snapshots"]
    assert table_counts(db)["metric_rows"] == table_counts(collector.duckdb_path)["metric_rows"]
    loads = query(
        db,
        "select _dlt_load_id, min(fetched_at), max(fetched_at) from clarity_raw.snapshots "
        "group by 1 order by 1",
    )
    assert len(loads) >= 6, "a chunk of half a day's bodies: at least two loads a day"
    for earlier, later in itertools.pairwise(loads):
        assert later[1] >= earlier[2], "loads must follow fetch order (oldest first)"
    # every metric row is written by the load of its snapshot (dbt's pruning relies on it)
    assert (
        scalar(
            db,
            "select count(*) from clarity_raw.metric_rows as m "
            "join clarity_raw.snapshots as s using (snapshot_id) "
            "where m._dlt_load_id <> s._dlt_load_id",
        )
        == 0
    )


def test_a_load_failing_mid_import_keeps_the_finished_loads(offline, tmp_path, monkeypatch):
    _collect_three_days(offline, tmp_path / "collector")
    loaded = tmp_path / "collector" / "landing" / "loaded"
    bodies = [p for p in loaded.rglob("*.json") if not p.name.endswith(".meta.json")]
    monkeypatch.setattr(loader, "LOAD_CHUNK_BYTES", sum(p.stat().st_size for p in bodies) // 3)
    real_load_chunk = loader._load_chunk
    calls = []

    def second_load_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise loader.LoadFailedError("the warehouse went away")
        return real_load_chunk(*args, **kwargs)

    monkeypatch.setattr(loader, "_load_chunk", second_load_fails)
    config = make_config(offline, tmp_path / "importer")
    with pytest.raises(loader.LoadFailedError):
        import_files(config, [loaded], ArchiveDefaults())
    first_load = table_counts(config.duckdb_path)["snapshots"]
    landing = Landing(config.data_dir)
    assert 0 < first_load < len(bodies)
    assert len(landing.pending_snapshots()) == len(bodies) - first_load

    # the next run loads what was left, without the files being given again
    monkeypatch.setattr(loader, "_load_chunk", real_load_chunk)
    report = load_landed(config, "next-run")
    assert report.snapshots_loaded == len(bodies) - first_load
    assert table_counts(config.duckdb_path)["snapshots"] == len(bodies)
    assert landing.pending_snapshots() == []
