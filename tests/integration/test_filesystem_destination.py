"""Raw history as Parquet in a bucket (dlt's filesystem destination, a local folder here): ingest,
planning against what is loaded, status, the landing checkpoint and archive import work on it; a
bucket that cannot be written stops a run before any request; a load killed between extract and
load is finished by the next run without a call and without a doubled row."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.api.snapshot import SnapshotMeta
from tests.child import KILLED_AFTER_EXTRACT
from tests.conftest import START, collection_time
from tests.integration.compare import mart_keys, table_differences
from tests.integration.helpers import BLOG, query, run_cli

pytestmark = pytest.mark.integration

RAW_TABLES = ("snapshots", "metric_rows", "requests")
DOCS = "contoso-docs"


def _bucket_env(bucket: Path | str) -> dict[str, str]:
    url = bucket.as_uri() if isinstance(bucket, Path) else bucket
    return {"CLARITY_DESTINATION": "filesystem", "DESTINATION__FILESYSTEM__BUCKET_URL": url}


def _parquet(bucket: Path, sql: str) -> list[tuple]:
    """`sql` over the bucket's Parquet files; `{snapshots}` etc. name a raw table's files."""
    files = {t: f"read_parquet('{bucket}/clarity_raw/{t}/*.parquet')" for t in RAW_TABLES}
    con = duckdb.connect()
    try:
        return con.execute(sql.format(**files)).fetchall()
    finally:
        con.close()


def _counts(bucket: Path) -> dict[str, int]:
    return {t: _parquet(bucket, f"select count(*) from {{{t}}}")[0][0] for t in RAW_TABLES}


def _no_doubles(bucket: Path) -> None:
    assert _parquet(bucket, "select count(*) = count(distinct snapshot_id) from {snapshots}") == [
        (True,)
    ]
    assert _parquet(bucket, "select count(*) = count(distinct request_id) from {requests}") == [
        (True,)
    ]
    assert _parquet(
        bucket,
        "select count(*) from {metric_rows} where snapshot_id not in "
        "(select snapshot_id from {snapshots})",
    ) == [(0,)]


def test_ingest_plan_status_and_import_work_on_a_bucket(offline, tmp_path):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    env = _bucket_env(bucket)
    now = collection_time(2).isoformat()
    first = run_cli(offline, tmp_path, "ingest", "--now", now, env_extra=env)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "(Parquet)" in first.stdout and "checkpoint (Great Expectations): PASSED" in first.stdout
    assert "snapshots         10 rows" in first.stdout  # the checkpoint read the bucket
    assert not (tmp_path / "clarity.duckdb").exists()  # nothing went to a DuckDB file
    counts = _counts(bucket)
    assert counts["snapshots"] == 10 and counts["requests"] == 10 and counts["metric_rows"] > 0
    # append-only Parquet, the dlt load id on every row
    for table in RAW_TABLES:
        assert _parquet(bucket, f"select count(*) from {{{table}}} where _dlt_load_id is null") == [
            (0,)
        ]
    assert all(p.suffix == ".parquet" for p in (bucket / "clarity_raw" / "metric_rows").iterdir())

    # planning reads the bucket: today's sets are fetched, nothing is asked again
    served = len(offline.request_log)
    again = run_cli(offline, tmp_path, "ingest", "--now", now, env_extra=env)
    assert again.returncode == 0, again.stderr
    assert len(offline.request_log) == served and _counts(bucket) == counts
    status = run_cli(offline, tmp_path, "status", "--now", now, env_extra=env)
    assert status.returncode == 0, status.stderr
    assert f"{BLOG}: 10 snapshots" in status.stdout and "today 10/10 requests" in status.stdout

    # the archive of what was loaded, imported again: every body is already in the bucket
    imported = run_cli(
        offline, tmp_path, "import", str(tmp_path / "landing" / "loaded"), env_extra=env
    )
    assert imported.returncode == 0, imported.stderr + imported.stdout
    assert _counts(bucket) == counts
    _no_doubles(bucket)


def test_archive_import_into_an_empty_bucket(offline, tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    for day in (1, 2):
        fetched = collection_time(day)
        meta = SnapshotMeta(BLOG, ("URL",), 1, fetched, "archive")
        body = offline.response(BLOG, ("URL",), 1, fetched)
        (archive / f"{meta.snapshot_id}.json").write_text(json.dumps(body))
        (archive / f"{meta.snapshot_id}.meta.json").write_text(json.dumps(meta.to_json()))
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    env = _bucket_env(bucket)
    imported = run_cli(offline, tmp_path, "import", str(archive), env_extra=env)
    assert imported.returncode == 0, imported.stderr + imported.stdout
    counts = _counts(bucket)
    assert counts["snapshots"] == 2 and counts["requests"] == 0
    rows = sum(
        len(block["information"])
        for block in offline.response(BLOG, ("URL",), 1, collection_time(1))
    )
    assert _parquet(
        bucket,
        "select count(*) from {metric_rows} join {snapshots} using (snapshot_id) "
        f"where fetched_at = '{collection_time(1).isoformat()}'",
    ) == [(rows,)]
    again = run_cli(offline, tmp_path, "import", str(archive), env_extra=env)
    assert again.returncode == 0 and _counts(bucket) == counts
    assert offline.request_log == []


@pytest.mark.parametrize("kind", ["missing folder", "a file, not a folder"])
def test_a_bucket_that_cannot_be_written_stops_before_any_request(offline, tmp_path, kind):
    # (tests run as root, which writes through any permission bit: a missing folder and a path
    # that is a file are the unwritable buckets a test can make)
    bucket = tmp_path / "no-such-folder"
    if kind == "a file, not a folder":
        bucket = tmp_path / "a-file"
        bucket.write_text("not a folder")
    env = _bucket_env(bucket)
    for command in ("ingest", "import"):
        args = [command] if command == "ingest" else [command, str(tmp_path)]
        result = run_cli(offline, tmp_path, *args, env_extra=env)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"Cannot write to the bucket {bucket.as_uri()}" in result.stderr
        assert "no request was sent to Clarity" in result.stderr
        assert "Traceback" not in result.stderr
    assert offline.request_log == []
    assert not (tmp_path / "landing" / "pending").exists() or not any(
        (tmp_path / "landing" / "pending").iterdir()
    )


def test_no_bucket_configured_says_how_to_set_one(offline, tmp_path):
    env = {"CLARITY_DESTINATION": "filesystem", "DESTINATION__FILESYSTEM__BUCKET_URL": ""}
    result = run_cli(offline, tmp_path, "ingest", env_extra=env)
    assert result.returncode == 2
    assert "bucket_url" in result.stderr and "DESTINATION__FILESYSTEM__BUCKET_URL" in result.stderr
    assert offline.request_log == []


def test_a_load_killed_after_extract_is_finished_without_a_call(offline, tmp_path):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    env = _bucket_env(bucket)
    now = collection_time(1).isoformat()
    killed = run_cli(
        offline,
        tmp_path,
        "ingest",
        "--now",
        now,
        "--no-checks",
        env_extra=env,
        program=KILLED_AFTER_EXTRACT,
    )
    assert killed.returncode == -9 and "killed after extract" in killed.stderr, killed.stderr
    served = len(offline.request_log)
    assert served == 10
    assert not (bucket / "clarity_raw" / "metric_rows").exists()
    finished = run_cli(offline, tmp_path, "ingest", "--now", now, env_extra=env)
    assert finished.returncode == 0, finished.stderr + finished.stdout
    assert "finished a pending package first" in finished.stdout
    assert len(offline.request_log) == served  # no new API call
    counts = _counts(bucket)
    assert counts["snapshots"] == 10 and counts["requests"] == 10
    _no_doubles(bucket)
    # and a later day appends, still without doubles
    offline.clock.set(collection_time(2))
    later = run_cli(
        offline, tmp_path, "ingest", "--now", collection_time(2).isoformat(), env_extra=env
    )
    assert later.returncode == 0, later.stderr
    assert _counts(bucket)["snapshots"] == 20
    _no_doubles(bucket)


def test_clarity_run_builds_the_same_marts_from_a_bucket(tmp_path):
    """The daily job with the raw history in a bucket: dbt's duckdb target builds the marts from
    the Parquet files into the marts file, which is published and reported as usual; every mart
    equals the one built from the same answers loaded into a DuckDB file."""
    folders = {"bucket": tmp_path / "on-bucket", "duckdb": tmp_path / "on-duckdb"}
    bucket = folders["bucket"] / "bucket"
    bucket.mkdir(parents=True)
    envs = {
        name: {
            **(_bucket_env(bucket) if name == "bucket" else {}),
            "DBT_TARGET_PATH": str(folder / "dbt-target"),
            "DBT_LOG_PATH": str(folder / "dbt-target" / "logs"),
        }
        for name, folder in folders.items()
    }
    results = {}
    for name, folder in folders.items():
        # one service per warehouse, same seed: the same answers, each with its own quota
        with OfflineClarity(projects=default_projects(), seed=7, start=START, days=8) as service:
            for day in (1, 2, 3):
                service.clock.set(collection_time(day))
                done = run_cli(
                    service,
                    folder,
                    "ingest" if day < 3 else "run",
                    "--now",
                    collection_time(day).isoformat(),
                    *(["--no-checks"] if day < 3 else []),
                    env_extra=envs[name],
                    projects=(BLOG, DOCS),
                )
                assert done.returncode == 0, done.stdout + done.stderr
            results[name] = done.stdout
    assert "dbt build   ok" in results["bucket"] and "report      ok" in results["bucket"]
    marts = folders["bucket"] / "clarity.duckdb"
    assert (folders["bucket"] / "reports" / "clarity-report.html").exists()
    assert (folders["bucket"] / "clarity_published.duckdb").exists()
    # the marts file holds views over the bucket, no raw table of its own
    assert query(
        marts,
        "select table_type, count(*) from information_schema.tables "
        "where table_schema = 'clarity_raw' group by 1",
    ) == [("VIEW", 4)]
    keys = mart_keys(folders["bucket"] / "dbt-target")
    assert "fct_site_daily" in keys
    differences = []
    for table, key in sorted(keys.items()):
        differences += table_differences(
            marts,
            folders["duckdb"] / "clarity.duckdb",
            f"marts.{table}",
            key,
            labels=("bucket", "duckdb"),
        )
    assert not differences, "\n".join(differences)
    assert query(marts, "select count(*) from marts.fct_site_daily")[0][0] > 0
