"""Incidents from planted regressions: contoso-docs alone, its authentication page regressing
twice (4 days each, 12 days apart) against the offline service, collected daily and built at
four moments (during each episode and after each ends): two page incidents, each resolved
after clarity_incident_resolve_days calm tested days, and each told once when it opens and once
when it resolves, to a webhook on 127.0.0.1, however often the notifications run."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from clarity_tools.demo import SIMULATION_START, collect, collection_moment
from clarity_tools.offline import OfflineClarity, PlantedRegression, default_projects
from ingestion.outputs import notify
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.conftest import make_config
from tests.integration.helpers import query
from tests.webhook import Receiver

pytestmark = pytest.mark.integration

DOCS = "contoso-docs"
PAGE = "/docs/api/authentication"
EPISODES = ((12, 4), (24, 4))  # (offset_days, days) of the two regressions
CHECKPOINTS = (15, 23, 27, 35)  # collection days after which the marts are built and notified
RESOLVE_DAYS = 3  # clarity_incident_resolve_days' default
DETECTION_DAYS = 3  # as in test_alerts: the first alert comes at most this many days late


@pytest.fixture(scope="module")
def episodes(tmp_path_factory):
    """The warehouse built at each checkpoint, the incidents then, and what the webhook got."""
    folder = tmp_path_factory.mktemp("incidents")
    spec = next(p for p in default_projects() if p.name == DOCS)
    spec = replace(
        spec,
        regressions=tuple(
            PlantedRegression(page_path=PAGE, offset_days=offset, days=days)
            for offset, days in EPISODES
        ),
    )
    service = OfflineClarity(
        projects=[spec], seed=7, start=SIMULATION_START, days=CHECKPOINTS[-1] + 2
    )
    seen: list[list[dict]] = []
    sends: list[notify.SendReport] = []
    with service, Receiver() as receiver:
        config = make_config(service, folder)
        notifier = notify.Notifier([receiver.url], folder / notify.STATE_FILE)
        collected = 0
        for checkpoint in CHECKPOINTS:
            moments = [collection_moment(day) for day in range(collected + 1, checkpoint + 1)]
            totals = collect(service, config, len(moments), moments=moments)
            assert totals["errors"] == 0
            collected = checkpoint
            code, _ = run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=folder / "target")
            assert code == 0, f"dbt build failed after collection day {checkpoint}"
            now = collection_moment(checkpoint) + timedelta(minutes=30)
            seen.append(_incidents(config.duckdb_path))
            for _ in range(2):  # the hourly job runs again: nothing more is sent
                messages = notify.incident_messages(config.duckdb_path, now.date())
                sends.append(notifier.send(messages, now))
        bodies = list(receiver.bodies)
    return {
        "db": config.duckdb_path,
        "regressions": service.planted_regressions,
        "seen": seen,
        "sends": sends,
        "bodies": bodies,
        "state": folder / notify.STATE_FILE,
    }


def _incidents(db) -> list[dict]:
    columns = ["incident_id", "scope", "page_url", "metric", "opened_on", "last_seen_on"]
    columns += ["resolved_on", "status", "alert_days", "peak_observed", "peak_expected"]
    rows = query(db, f"select {', '.join(columns)} from marts.fct_incidents order by opened_on")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _page_incidents(incidents: list[dict], page: str) -> list[dict]:
    return [i for i in incidents if i["scope"] == "page" and i["page_url"] == page]


def test_two_episodes_on_one_page_are_two_incidents_each_resolved_when_it_ends(episodes):
    regressions = episodes["regressions"]
    page = regressions[0]["page"]
    final = _page_incidents(episodes["seen"][-1], page)
    assert len(final) == len(EPISODES) == len(regressions), final
    for incident, regression in zip(final, regressions, strict=True):
        assert incident["metric"] == "rage_click"
        begins, ends = regression["from_date"], regression["until_date"]
        assert begins <= incident["opened_on"] <= begins + timedelta(days=DETECTION_DAYS)
        assert incident["last_seen_on"] < ends, "an alert after the regression ended"
        assert incident["status"] == "resolved"
        # resolved on the RESOLVE_DAYS-th tested day once the rate is back at rate_before
        # (the regression's last day may alert no more, its baseline having absorbed part of
        # it, but is not calm; days under 100 sessions are not tested)
        tested = [
            day
            for (day,) in query(
                episodes["db"],
                "select activity_date from intermediate.int_signal_rates_tested "
                "where scope = 'page' and page_url = ? and metric = 'rage_click' "
                "and activity_date >= ? and day_sessions >= 100 and baseline_sessions >= 100 "
                "and z_score is not null order by activity_date",
                [page, ends],
            )
        ]
        assert incident["resolved_on"] == tested[RESOLVE_DAYS - 1]
        assert incident["peak_observed"] > 5 * regression["rate_before"]
        assert incident["peak_expected"] < incident["peak_observed"] / 2
        alerts = query(
            episodes["db"],
            "select count(*) from marts.fct_alerts where scope = 'page' and page_url = ? "
            "and metric = 'rage_click' and activity_date between ? and ?",
            [page, incident["opened_on"], incident["last_seen_on"]],
        )[0][0]
        assert incident["alert_days"] == alerts > 1  # one incident for several alert rows


def test_an_incident_is_open_while_its_episode_lasts_and_keeps_its_id(episodes):
    page = episodes["regressions"][0]["page"]
    first, second, third, last = (_page_incidents(seen, page) for seen in episodes["seen"])
    assert [i["status"] for i in first] == ["open"]
    assert [i["status"] for i in second] == ["resolved"]
    assert [i["status"] for i in third] == ["resolved", "open"]
    assert [i["status"] for i in last] == ["resolved", "resolved"]
    assert first[0]["incident_id"] == second[0]["incident_id"] == last[0]["incident_id"]
    assert third[1]["incident_id"] == last[1]["incident_id"]


def test_each_incident_is_told_once_when_it_opens_and_once_when_it_resolves(episodes):
    final = episodes["seen"][-1]
    sent = [message for report in episodes["sends"] for message in report.sent]
    keys = [message.key for message in sent]
    assert len(keys) == len(set(keys)), "a message was sent twice"
    expected = {
        f"incident:{incident['incident_id']}:{kind}"
        for incident in final
        for kind in ("opened", "resolved")
        if kind == "opened" or incident["status"] == "resolved"
    }
    assert set(keys) == expected
    assert len(episodes["bodies"]) == len(keys)  # the webhook got each one, once
    assert all(not report.sent for report in episodes["sends"][1::2]), "the re-run sent again"
    # the page's messages, in the order of the episodes: opened, resolved, opened, resolved
    page_ids = [
        i["incident_id"] for i in _page_incidents(final, episodes["regressions"][0]["page"])
    ]
    page_keys = [key for key in keys if key.split(":")[1] in page_ids]
    assert page_keys == [
        f"incident:{page_ids[0]}:opened",
        f"incident:{page_ids[0]}:resolved",
        f"incident:{page_ids[1]}:opened",
        f"incident:{page_ids[1]}:resolved",
    ]
    opened = next(m for m in sent if m.key == f"incident:{page_ids[0]}:opened")
    assert "rage click up on" in opened.title and PAGE in opened.title
    assert "since" in opened.body and "expected" in opened.body and "z = " in opened.body
    resolved = next(m for m in sent if m.key == f"incident:{page_ids[0]}:resolved")
    assert resolved.title.startswith("Clarity: resolved: rage click on")
    assert "back near the baseline since" in resolved.body
