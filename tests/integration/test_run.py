"""`clarity run`, the daily job for cron, end to end against the offline service: ingest, dbt
build, publish, report and notify under one lock; run again the same day, it spends nothing and
sends nothing new."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from tests.conftest import START, collection_time
from tests.integration.helpers import BLOG, query, run_cli
from tests.webhook import Receiver

pytestmark = pytest.mark.integration


def test_run_twice_in_a_day_spends_and_sends_once(tmp_path):
    first_run = collection_time(1)
    expiry = {BLOG: first_run + timedelta(days=13)}
    with (
        OfflineClarity(
            projects=default_projects(), seed=7, start=START, days=4, token_expiry=expiry
        ) as service,
        Receiver() as receiver,
    ):
        env = {"CLARITY_NOTIFY_URLS": receiver.url}
        first = run_cli(service, tmp_path, "run", "--now", first_run.isoformat(), env_extra=env)
        assert first.returncode == 0, first.stdout + first.stderr
        for step in ("ingest", "checkpoint", "dbt build", "publish", "report", "notify"):
            assert any(
                line.startswith(f"{step} ") and " ok " in line
                for line in (first.stdout.splitlines())
            ), (step, first.stdout)
        _assert_one_summary_with_the_dbt_log(first.stdout, tmp_path)
        spent = len(service.request_log)
        assert spent == 10
        token, digest = receiver.titles()
        assert token == f"Clarity: the token of {BLOG} expires in 13 day(s)"
        # the first run of the ISO week (on or after digest_weekday, Monday) sends the digest
        assert digest == f"Clarity weekly digest 2026-W40: {BLOG}"
        attached = receiver.bodies[1]["attachments"][0]["filename"]
        assert attached == "clarity-digest-2026-W40.html"
        second = run_cli(
            service,
            tmp_path,
            "run",
            "--now",
            (first_run + timedelta(hours=1)).isoformat(),
            env_extra=env,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert len(service.request_log) == spent  # nothing asked again
        assert len(receiver.bodies) == 2  # nothing sent again
    assert "skipped: nothing new was loaded" in second.stdout
    # (the digest sent this week is not made again, so it is not counted)
    assert "0 sent, 1 sent before" in second.stdout
    report = tmp_path / "reports" / "clarity-report.html"
    published = tmp_path / "clarity_published.duckdb"
    assert report.exists() and "<svg" in report.read_text()
    assert query(published, "select count(*) > 0 from marts.fct_site_daily") == [(True,)]


def _assert_one_summary_with_the_dbt_log(stdout: str, folder) -> None:
    """A cron mail a person reads: a line per step, dbt's per-node log in a file it names."""
    lines = stdout.splitlines()
    assert len(lines) < 30, stdout
    assert not any(" of " in line and "START" in line for line in lines), stdout
    (dbt_line,) = [line for line in lines if line.startswith("dbt build ")]
    assert re.search(
        r"dbt build +ok +\d+ nodes: \d+ passed, 0 warned, 0 errored, 0 skipped"
        r"(, \d+ no-op)? in [\d.]+ s; per-node log: (\S+)$",
        dbt_line,
    ), dbt_line
    log_file = Path(dbt_line.rsplit("per-node log: ", 1)[1])
    assert log_file == folder / "logs" / "dbt-build.log" and log_file.exists()
    log = log_file.read_text()
    # the per-node lines (a mart's start, whatever its materialization) and the end
    assert re.search(r"START sql \w+ model marts\.fct_site_daily", log), log[-2000:]
    assert "Completed successfully" in log
    assert "\x1b[" not in log  # no colour codes in a file


def test_a_second_run_while_one_holds_the_lock_is_refused(tmp_path):
    from ingestion.collect.lock import data_folder_lock

    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=4) as service:
        with data_folder_lock(tmp_path, "run"):
            refused = run_cli(service, tmp_path, "run", "--now", collection_time(1).isoformat())
        assert service.request_log == []
    assert refused.returncode == 1
    assert "is using" in refused.stderr and "clarity run" in refused.stderr


def test_a_failing_dbt_node_is_named_with_its_message_in_the_build_summary(tmp_path):
    """The dbt step of `clarity run` on a build that fails: the node and dbt's message under it,
    the rest in the log (here a warehouse without raw tables: the staging view cannot bind)."""
    import duckdb

    from ingestion.daily_job import _build_detail
    from ingestion.exit_codes import ExitCode
    from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt_summarised

    warehouse = tmp_path / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    build = run_dbt_summarised(
        [*SCHEDULED_BUILD, "--select", "stg_clarity__snapshots+1"],
        warehouse,
        tmp_path / "logs" / "dbt-build.log",
        target_path=tmp_path / "target",
    )
    status, detail, lines = _build_detail(build)
    assert status == ExitCode.FAILED and build.code == 1
    assert detail.startswith("FAILED (exit 1): ") and "1 errored" in detail, detail
    assert f"per-node log: {tmp_path / 'logs' / 'dbt-build.log'}" in detail
    assert build.counts["skipped"] > 0  # what needs the failed view is skipped, and counted
    (line,) = lines
    assert line.startswith("errored model stg_clarity__snapshots: ") and "snapshots" in line[40:]
    assert "stg_clarity__snapshots" in build.log_file.read_text()
