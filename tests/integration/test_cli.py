"""The `clarity` command in a subprocess, as cron would run it: a kill between extract and load,
archive import, plan and status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ingestion.config import token_env_var
from tests.child import CLARITY, KILLED_AFTER_EXTRACT, child_env, popen_python
from tests.conftest import collection_time
from tests.integration.helpers import BLOG, query, run_cli, scalar, table_counts

pytestmark = pytest.mark.integration


def test_killed_between_extract_and_load_the_next_run_loads_without_calling(offline, tmp_path):
    now = collection_time(1).isoformat()
    killed = run_cli(
        offline,
        tmp_path,
        "ingest",
        "--now",
        now,
        "--no-checks",
        program=KILLED_AFTER_EXTRACT,
    )
    assert killed.returncode == -9 and "killed after extract" in killed.stderr, killed.stderr
    served = len(offline.request_log)
    assert served == 10
    assert (
        not (tmp_path / "clarity.duckdb").exists()
        or scalar(
            tmp_path / "clarity.duckdb",
            "select count(*) from information_schema.tables where table_name = 'metric_rows'",
        )
        == 0
    )
    finished = run_cli(offline, tmp_path, "ingest", "--now", now)
    assert finished.returncode == 0, finished.stderr + finished.stdout
    assert "finished a pending package first" in finished.stdout
    assert len(offline.request_log) == served  # no new API call
    counts = table_counts(tmp_path / "clarity.duckdb")
    assert counts["snapshots"] == 10 and counts["requests"] == 10
    assert (
        scalar(
            tmp_path / "clarity.duckdb",
            "select count(distinct snapshot_id) from clarity_raw.metric_rows",
        )
        == 10
    )


def test_a_users_own_settings_never_reach_the_commands_of_the_tests(offline, tmp_path, monkeypatch):
    """A user who configured a project (its own `.dlt/config.toml`, in the folder this process
    runs in) still gets the suite's results: the commands the tests start never read it."""
    user = tmp_path / "user-project"
    (user / ".dlt").mkdir(parents=True)
    (user / ".dlt" / "config.toml").write_text(
        '[sources.clarity]\nbase_url = "https://example.invalid"\ndaily_budget = 0\n'
        "daly_budget = 1\n"
    )
    monkeypatch.chdir(user)
    monkeypatch.setenv("DLT_PROJECT_DIR", str(user))
    # where it is read, that configuration stops every command (the unknown key)
    read = subprocess.run(
        [sys.executable, *CLARITY, "plan"],
        cwd=user,
        env=child_env(user, {"CLARITY_DUCKDB_PATH": str(tmp_path / "user.duckdb")}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert read.returncode == 2 and "Unknown key 'daly_budget'" in read.stderr, read.stderr
    now = collection_time(1).isoformat()
    result = run_cli(offline, tmp_path, "ingest", "--now", now, "--no-checks")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{BLOG}: 10/10 fetched" in result.stdout
    assert len(offline.request_log) == 10


def test_a_budget_of_zero_pauses_collection_and_plan_says_so(offline, tmp_path):
    paused = {"SOURCES__CLARITY__DAILY_BUDGET": "0"}
    planned = run_cli(offline, tmp_path, "plan", env_extra=paused)
    assert planned.returncode == 0, planned.stderr
    assert "collection is paused: daily_budget is 0" in planned.stdout
    assert "  ask " not in planned.stdout and planned.stdout.count("collection is paused") == 11
    ingested = run_cli(offline, tmp_path, "ingest", env_extra=paused)
    assert ingested.returncode == 0, ingested.stderr
    assert offline.request_log == []


def test_plan_and_status_spend_nothing(offline, tmp_path):
    now = collection_time(1).isoformat()
    planned = run_cli(offline, tmp_path, "plan", "--now", now)
    assert planned.returncode == 0, planned.stderr
    assert "0 of 10 used" in planned.stdout and planned.stdout.count("  ask ") == 10
    # a first run: one 3-day window per set (ten sets, ten requests), its days estimated
    assert "every set due: estimated " in planned.stdout
    assert "set-days: 0 exact, 30 estimated, 0 lost, 0 waiting" in planned.stdout
    assert offline.request_log == []
    assert run_cli(offline, tmp_path, "ingest", "--now", now).returncode == 0
    again = run_cli(offline, tmp_path, "plan", "--now", now)
    assert "10 of 10 used" in again.stdout and "already fetched today" in again.stdout
    # the next day's run: one-day windows, the day before exact
    offline.clock.set(collection_time(2))
    now = collection_time(2).isoformat()
    assert run_cli(offline, tmp_path, "ingest", "--now", now).returncode == 0
    status = run_cli(offline, tmp_path, "status", "--now", now)
    assert status.returncode == 0
    assert f"{BLOG}: 20 snapshots" in status.stdout and "today 10/10 requests" in status.stdout
    # when collection ran and how well it covered the project's days
    assert "collection over the last 7 days:" in status.stdout
    assert "00:10 UTC: gives" in status.stdout and "day coverage 0.99" in status.stdout
    assert offline.tokens[BLOG] not in planned.stdout + again.stdout + status.stdout


def test_missing_token_is_a_clear_usage_error(offline, tmp_path):
    result = run_cli(
        offline, tmp_path, "ingest", env_extra={token_env_var(BLOG): ""}, projects=(BLOG,)
    )
    assert result.returncode == 2
    assert "No token for Clarity project 'fabrikam-blog'" in result.stderr
    assert "SOURCES__CLARITY__PROJECTS__FABRIKAM_BLOG__TOKEN" in result.stderr


def test_archive_import_with_flags_and_sidecars_is_idempotent(offline, tmp_path):
    archive = tmp_path / "other-collector"
    archive.mkdir()
    offline.clock.set(collection_time(3))
    for days in (1, 3):
        body = offline.response(BLOG, (), days, offline.clock.now())
        (archive / f"blog_{days}.json").write_text(json.dumps(body))
    fetched = offline.clock.now().isoformat()
    warehouse = tmp_path / "wh"
    args = ["import", "--project", BLOG, "--fetched-at", fetched]
    first = run_cli(offline, warehouse, *args, "--num-days", "1", str(archive / "blog_1.json"))
    assert first.returncode == 0, first.stderr + first.stdout
    assert "1 new" in first.stdout
    second = run_cli(offline, warehouse, *args, "--num-days", "1", str(archive / "blog_1.json"))
    assert second.returncode == 0 and "1 already loaded" in second.stdout
    third = run_cli(offline, warehouse, *args, "--num-days", "3", str(archive / "blog_3.json"))
    assert "1 new" in third.stdout
    db = warehouse / "clarity.duckdb"
    assert query(db, "select origin, num_of_days from clarity_raw.snapshots order by 2") == [
        ("archive", 1),
        ("archive", 3),
    ]
    rows = table_counts(db)["metric_rows"]
    # our own archive folder (bodies + .meta.json sidecars) re-imports as a no-op
    again = run_cli(offline, warehouse, "import", str(warehouse / "landing" / "loaded"))
    assert again.returncode == 0 and "2 already loaded" in again.stdout
    assert table_counts(db)["metric_rows"] == rows
    # a body that is not the documented shape is refused, named, and nothing is loaded from it
    bad = archive / "bad.json"
    bad.write_text('{"not": "an array"}')
    refused = run_cli(offline, warehouse, *args, "--num-days", "2", str(bad))
    assert refused.returncode == 3 and "bad.json" in refused.stderr
    assert table_counts(db)["snapshots"] == 2
    # an error names the file and what is wrong with it, not an API answer it never was
    not_json = archive / "notes.json"
    not_json.write_text("these are my notes, not a body")
    refused = run_cli(offline, warehouse, *args, "--num-days", "2", str(not_json))
    assert refused.returncode == 3
    assert f"{not_json}: the body is not JSON (JSONDecodeError)" in refused.stderr
    assert "nothing was loaded from it" in refused.stderr
    assert "API" not in refused.stderr and "asked again" not in refused.stderr
    sidecar = archive / "blog_1.meta.json"
    sidecar.write_text("{")
    refused = run_cli(offline, warehouse, "import", str(archive / "blog_1.json"))
    assert refused.returncode == 3
    assert "its sidecar blog_1.meta.json is not a snapshot description" in refused.stderr


def test_import_without_metadata_says_what_to_give(offline, tmp_path):
    body = tmp_path / "x.json"
    body.write_text("[]")
    result = run_cli(offline, tmp_path, "import", str(body))
    assert result.returncode == 3
    assert "--project" in result.stderr and "--fetched-at" in result.stderr


def test_checkpoint_failure_exits_non_zero_and_keeps_the_rows(offline, tmp_path):
    offline.clock.set(collection_time(2))
    body = offline.response(BLOG, (), 1, offline.clock.now())
    del body[0]["information"][0]["sessionsCount"]  # a frustration row missing a required key
    path = tmp_path / "missing-key.json"
    path.write_text(json.dumps(body))
    result = run_cli(
        offline,
        tmp_path,
        "import",
        str(path),
        "--project",
        BLOG,
        "--fetched-at",
        offline.clock.now().isoformat(),
        "--num-days",
        "1",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout and "sessions_count" in result.stdout
    assert "stay in clarity_raw" in result.stderr
    db = tmp_path / "clarity.duckdb"
    assert table_counts(db)["metric_rows"] == sum(len(b["information"]) for b in body)


def test_serve_offline_and_ingest_from_another_process(tmp_path):
    import socket
    import time

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    project = tmp_path / "project"  # the server's cwd and dlt project folder
    project.mkdir()
    server = popen_python(
        [*CLARITY, "serve-offline", "--port", str(port), "--days", "5"],
        project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                state = requests.get(f"{root}/_offline/state", timeout=1).json()
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("serve-offline did not answer within 10 s")
        now = collection_time(2)
        requests.post(f"{root}/_offline/clock", json={"now": now.isoformat()}, timeout=5)

        class Remote:  # what run_cli needs of a service
            base_url = state["base_url"]
            tokens = state["tokens"]

        result = run_cli(Remote, tmp_path, "ingest", "--now", now.isoformat())
        assert result.returncode == 0, result.stderr + result.stdout
        assert f"{BLOG}: 10/10 fetched" in result.stdout
        after = requests.get(f"{root}/_offline/state", timeout=5).json()
        assert after["counters"][BLOG][now.date().isoformat()] == 10
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert table_counts(tmp_path / "clarity.duckdb")["snapshots"] == 10


def test_a_second_writer_is_refused_while_one_runs(offline, tmp_path):
    from ingestion.collect.lock import data_folder_lock

    with data_folder_lock(tmp_path, "ingest"):
        result = run_cli(offline, tmp_path, "ingest", "--now", collection_time(1).isoformat())
    assert result.returncode == 1
    assert "clarity ingest (pid" in result.stderr and "spend the same quota twice" in result.stderr
    assert offline.request_log == []


def test_a_locked_warehouse_stops_before_spending_and_names_the_holder(offline, tmp_path):
    import duckdb

    db = tmp_path / "clarity.duckdb"
    duckdb.connect(str(db)).close()
    project = tmp_path / "project"
    project.mkdir()
    holder = popen_python(
        [
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        project,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run_cli(offline, tmp_path, "ingest", "--now", collection_time(1).isoformat())
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert f"PID {holder.pid}" in result.stderr and "Another connection holds" in result.stderr
    assert offline.request_log == []
    # once the holder is gone the same command works and nothing was half-written
    again = run_cli(offline, tmp_path, "ingest", "--now", collection_time(1).isoformat())
    assert again.returncode == 0, again.stderr
    assert table_counts(db)["snapshots"] == 10
