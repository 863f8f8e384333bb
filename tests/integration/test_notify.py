"""Notifications from `clarity run`, received by a webhook on 127.0.0.1: an expired token (401),
a 429, missed collection days (one incident, told once when it opens and once when it
resolves), a token 7 days from its expiry; never a token in a message; a receiver that is down
changes nothing for the pipeline."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import duckdb
import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.api.snapshot import SnapshotMeta
from ingestion.config import duckdb_warehouse
from ingestion.outputs.notify import stuck_set_messages
from tests.conftest import START, collection_time
from tests.integration.helpers import run_cli
from tests.webhook import Receiver, closed_port_url

pytestmark = pytest.mark.integration

SHOP, DOCS, BLOG = "northwind-shop", "contoso-docs", "fabrikam-blog"
RUN = collection_time(9)  # the first `clarity run`, six days after the archive ends


def _archive(service: OfflineClarity, folder) -> None:
    """The shop's no-dimension one-day windows of days 1 to 3, as a collector kept them."""
    folder.mkdir()
    for day in (1, 2, 3):
        fetched = collection_time(day)
        meta = SnapshotMeta(SHOP, (), 1, fetched, "archive")
        (folder / f"{meta.snapshot_id}.json").write_text(
            json.dumps(service.response(SHOP, (), 1, fetched))
        )
        (folder / f"{meta.snapshot_id}.meta.json").write_text(json.dumps(meta.to_json()))


@pytest.fixture
def service():
    expiry = {SHOP: RUN + timedelta(days=7)}
    with OfflineClarity(
        projects=default_projects(), seed=7, start=START, days=12, token_expiry=expiry
    ) as running:
        yield running


def test_run_sends_each_message_once_and_never_a_token(service, tmp_path):
    projects = (SHOP, DOCS, BLOG)
    _archive(service, tmp_path / "archive")
    imported = run_cli(service, tmp_path, "import", str(tmp_path / "archive"), projects=projects)
    assert imported.returncode == 0, imported.stderr
    service.expire_token(BLOG)
    service.inject_fault("status", project=DOCS, status=429, times=1)
    with Receiver() as receiver:
        env = {"CLARITY_NOTIFY_URLS": receiver.url}
        first = run_cli(
            service, tmp_path, "run", "--now", RUN.isoformat(), env_extra=env, projects=projects
        )
        titles = receiver.titles()
        assert first.returncode == 3, first.stdout + first.stderr  # some requests failed
        again = run_cli(
            service,
            tmp_path,
            "run",
            "--now",
            (RUN + timedelta(hours=1)).isoformat(),
            env_extra=env,
            projects=projects,
        )
        assert receiver.titles() == titles, "a re-run sent something again"
    day = (RUN - timedelta(days=1)).date()
    expected = sorted(
        [
            f"Clarity: the token of {BLOG} was rejected (401)",
            f"Clarity: {DOCS} used its daily quota (429)",
            f"Clarity: the token of {SHOP} expires in 7 day(s)",
            # the three missed days are one incident, told when it opens and, as the days
            # after have values again, when it resolves: not one message per day
            f"Clarity: {SHOP} has no daily value since {day - timedelta(days=5)}",
            f"Clarity: resolved: missed collection on project {SHOP}",
            f"Clarity weekly digest 2026-W41: {SHOP}",
        ]
    )
    assert sorted(titles) == expected, "\n".join(sorted(titles))
    assert f"{len(expected)} sent" in first.stdout, first.stdout
    bodies = json.dumps(receiver.bodies)
    for token in service.tokens.values():
        assert token not in bodies and token not in first.stdout + first.stderr
    assert "Generate a new one in Clarity" in bodies  # says what to do
    # the next day, with a receiver that is down: logged, and the exit code is the one of the
    # ingestion (the fabrikam token is still rejected), as with a working receiver
    down = run_cli(
        service,
        tmp_path,
        "run",
        "--now",
        collection_time(10).isoformat(),
        env_extra={"CLARITY_NOTIFY_URLS": closed_port_url() + "?token=supersecret"},
        projects=projects,
    )
    assert down.returncode == again.returncode == 3, down.stdout + down.stderr
    assert "channel json://127.0.0.1" in down.stderr and "failed" in down.stderr
    assert "1 channel(s) failed (logged; the job goes on)" in down.stdout
    assert "supersecret" not in down.stdout + down.stderr


def test_status_shows_each_tokens_expiry(service, tmp_path):
    status = run_cli(service, tmp_path, "status", "--now", RUN.isoformat(), projects=(SHOP, BLOG))
    assert status.returncode == 0, status.stderr
    expires = RUN + timedelta(days=7)
    assert f"{SHOP}: expires {expires:%Y-%m-%d %H:%M} UTC (in 7 days)" in status.stdout
    assert f"{BLOG}: expiry unknown (the token is not a JWT" in status.stdout
    assert service.request_log == []  # no call spent


def test_a_set_failing_two_days_in_a_row_is_told_once_per_day(service, tmp_path):
    """An outage of two days: after the second day's ingest, every set of the project that only
    failed on both days gets a message (its data is lost after a third day)."""
    outage_start = collection_time(5).date()
    service.add_outage(BLOG, outage_start, days=2)
    for day in (5, 6):
        service.clock.set(collection_time(day))
        ingested = run_cli(service, tmp_path, "ingest", "--now", collection_time(day).isoformat())
        assert ingested.returncode == 3, ingested.stdout + ingested.stderr
    warehouse = duckdb_warehouse(tmp_path / "clarity.duckdb")
    first_day = stuck_set_messages(warehouse, collection_time(5), {BLOG: UTC})
    assert first_day == []  # one failed day is not yet a stuck set
    messages = stuck_set_messages(warehouse, collection_time(6), {BLOG: UTC})
    sets = sorted(m.title.split("[")[1].split("]")[0] for m in messages)
    con = duckdb.connect(str(tmp_path / "clarity.duckdb"), read_only=True)
    asked = con.execute(
        "select coalesce(nullif(dimensions, ''), 'no dimension') from clarity_raw.requests "
        "group by 1 having count(distinct cast(requested_at as date)) = 2"
    ).fetchall()
    con.close()
    assert len(sets) >= 5 and sets == sorted(label for (label,) in asked)
    today = collection_time(6).date()
    assert all(m.key.endswith(f":{today}") and m.severity == "failure" for m in messages)
    assert f"on {today - timedelta(days=1)} and on {today}" in messages[0].body
