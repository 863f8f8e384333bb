"""`clarity run`, the daily job for cron, end to end against the offline service: ingest, dbt
build, publish, report and notify under one lock; run again the same day, it spends nothing and
sends nothing new."""

from __future__ import annotations

from datetime import timedelta

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
        spent = len(service.request_log)
        assert spent == 10
        assert receiver.titles() == [f"Clarity: the token of {BLOG} expires in 13 day(s)"]
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
        assert len(receiver.bodies) == 1  # nothing sent again
    assert "skipped: nothing new was loaded" in second.stdout
    assert "0 sent, 1 sent before" in second.stdout
    report = tmp_path / "reports" / "clarity-report.html"
    published = tmp_path / "clarity_published.duckdb"
    assert report.exists() and "<svg" in report.read_text()
    assert query(published, "select count(*) > 0 from marts.fct_site_daily") == [(True,)]


def test_a_second_run_while_one_holds_the_lock_is_refused(tmp_path):
    from ingestion.collect.lock import data_folder_lock

    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=4) as service:
        with data_folder_lock(tmp_path, "run"):
            refused = run_cli(service, tmp_path, "run", "--now", collection_time(1).isoformat())
        assert service.request_log == []
    assert refused.returncode == 1
    assert "is using" in refused.stderr and "clarity run" in refused.stderr
