"""What is worth a message, and sending each once: thresholds of token expiry, the ingest outcomes
that need a person, the state that stops repeats, secrets kept out, failing channels logged."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import jwt
import pytest

from ingestion.api.client import ClarityClient
from ingestion.api.errors import ClarityServerError
from ingestion.collect.fetch import ProjectOutcome
from ingestion.collect.plan import ProjectPlan
from ingestion.outputs.notify import (
    Message,
    Notifier,
    ingest_messages,
    load_messages,
    messages_of_incidents,
    messages_of_withdrawn,
    token_messages,
)
from tests.webhook import Receiver, closed_port_url

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _jwt(expires: datetime) -> str:
    return jwt.encode({"exp": int(expires.timestamp())}, "k" * 32, algorithm="HS256")


@pytest.mark.parametrize(
    ("left", "key"),
    [
        (timedelta(days=15), None),
        (timedelta(days=14), "14"),
        (timedelta(days=8), "14"),
        (timedelta(days=7), "7"),
        (timedelta(hours=30), "7"),
        (timedelta(hours=20), "1"),
        (timedelta(hours=-1), "expired"),
    ],
)
def test_token_expiry_is_told_at_14_7_and_1_days_before(left, key):
    expires = NOW + left
    messages = token_messages({"shop": _jwt(expires), "docs": "not-a-jwt"}, NOW)
    assert [m.key for m in messages] == ([f"token:shop:{expires:%Y-%m-%d}:{key}"] if key else [])


def test_ingest_outcomes_that_need_a_person():
    plan = ProjectPlan("p", date(2026, 11, 30), 10, 0, 0)
    outcomes = {
        "auth": ProjectOutcome(
            plan, errors=["[URL] numOfDays=1: rejected"], stopped_because="auth"
        ),
        "quota": ProjectOutcome(
            plan, errors=["[] numOfDays=1: 500", "[URL] numOfDays=1: 429"], stopped_because="quota"
        ),
        "fine": ProjectOutcome(plan, fetched=10),
    }
    messages = ingest_messages(outcomes, NOW.date())
    assert [m.key for m in messages] == [
        "ingest:auth:auth:2026-11-30",
        "ingest:quota:quota:2026-11-30",
        "ingest:quota:failed:2026-11-30",  # the 500 before the 429
    ]
    assert "Settings -> Data Export" in messages[0].body


def test_a_stop_without_a_message_of_its_own_is_told_among_the_failures():
    plan = ProjectPlan("p", date(2026, 11, 30), 10, 0, 0)
    full = "Cannot write to /data/landing/pending (No space left on device): free some space"
    outcomes = {"p": ProjectOutcome(plan, errors=[full], stopped_because="landing_not_writable")}
    [message] = ingest_messages(outcomes, NOW.date())
    assert message.key == "ingest:p:failed:2026-11-30" and full in message.body


def test_a_failed_load_and_files_set_aside_are_told_once_a_day():
    messages = load_messages(
        ["Loading ... failed: the disk is full"], ["x.json: not JSON"], NOW.date()
    )
    assert [m.key for m in messages] == ["load:failed:2026-11-30", "load:quarantine:2026-11-30"]
    assert "the disk is full" in messages[0].body and messages[0].severity == "failure"
    assert "x.json: not JSON" in messages[1].body and "clarity quarantine" in messages[1].body
    assert load_messages([], [], NOW.date()) == []


def test_each_message_is_sent_once_without_secrets(tmp_path, caplog):
    token = "secret-token-123"
    message = Message(
        "k1", "Title", f"token {token} at https://x.example/?token=abc&lang=en", "failure"
    )
    with Receiver() as receiver:
        notifier = Notifier([receiver.url], tmp_path / "state.json", secrets=[token])
        first = notifier.send([message], NOW)
        second = notifier.send([message, Message("k2", "Other", "body")], NOW)
    assert [m.key for m in first.sent] == ["k1"] and second.already_sent == 1
    assert [m.key for m in second.sent] == ["k2"]
    assert [body["title"] for body in receiver.bodies] == ["Title", "Other"]
    text = json.dumps(receiver.bodies)
    assert token not in text and "abc" not in text and "?token=***&lang=en" in text
    assert set(json.loads((tmp_path / "state.json").read_text())["sent"]) == {"k1", "k2"}


def test_a_failing_channel_is_logged_and_the_message_kept_for_next_time(tmp_path, caplog):
    url = closed_port_url() + "?apikey=hidden"
    notifier = Notifier([url], tmp_path / "state.json")
    with caplog.at_level(logging.WARNING):
        report = notifier.send([Message("k1", "Title", "body")], NOW)
    assert report.failed_channels == 1 and [m.key for m in report.unsent] == ["k1"]
    assert "notification channel json://127.0.0.1" in caplog.text and "hidden" not in caplog.text
    with Receiver() as receiver:
        Notifier([receiver.url], tmp_path / "state.json").send([Message("k1", "Title", "b")], NOW)
    assert receiver.titles() == ["Title"]  # not sent before, so sent now


def test_no_channels_sends_nothing_and_keeps_no_state(tmp_path):
    report = Notifier([], tmp_path / "state.json").send([Message("k", "t", "b")], NOW)
    assert report.sent == [] and not (tmp_path / "state.json").exists()


def test_a_failed_request_whose_body_echoed_secrets_is_told_without_them(offline, tmp_path):
    """The client's error, as the ingest outcome quotes it, in a notification: clean already
    (so is the `requests` row), and the notifier masks again whatever it sends."""
    project = "contoso-docs"
    token = offline.tokens[project]
    echo = (
        f'{{"url": "https://x.test/?token=S3CRET&client_secret=S3CRET2", "auth": "Bearer {token}"}}'
    )
    offline.inject_fault("status", project=project, status=500, body=echo, times=2)
    client = ClarityClient(project, token, base_url=offline.base_url, timeout=5, retry_delay=0)
    with pytest.raises(ClarityServerError) as caught:
        client.fetch(1, [])
    plan = ProjectPlan(project, NOW.date(), 10, 0, 0)
    outcome = ProjectOutcome(plan, errors=[f"[] numOfDays=1: {caught.value}"])
    messages = ingest_messages({project: outcome}, NOW.date())
    unmasked = Message("k-raw", "Raw", f"{echo} https://u:S3CRET3@h.test/a;jsessionid=S3CRET4")
    with Receiver() as receiver:
        # no secrets given: the message must not need the notifier's redaction of the token
        Notifier([receiver.url], tmp_path / "state.json").send([*messages, unmasked], NOW)
    text = json.dumps(receiver.bodies)
    assert len(receiver.bodies) == 2 and "server said" in text
    assert "S3CRET" not in text and token not in text


def _incident(**changes) -> dict:
    incident = {
        "incident_id": "abc",
        "project": "shop",
        "scope": "page",
        "page_url": "https://shop.example/checkout",
        "metric": "rage_click",
        "opened_on": date(2026, 11, 2),
        "last_seen_on": date(2026, 11, 5),
        "resolved_on": None,
        "status": "open",
        "resolution": None,
        "alert_days": 4,
        "peak_on": date(2026, 11, 3),
        "peak_strength": 11.46,
        "peak_observed": 0.25,
        "peak_expected": 0.02,
        "triage_status": None,
    }
    return {**incident, **changes}


def test_an_incident_is_told_when_it_opens_and_when_it_resolves():
    (opened,) = messages_of_incidents([_incident()], {"shop": "clarity42"})
    assert opened.key == "incident:abc:opened"
    assert opened.title == "Clarity: rage click up on https://shop.example/checkout (shop)"
    assert "since 2026-11-02" in opened.body and "last seen 2026-11-05" in opened.body
    assert "25.0% of sessions on 2026-11-03 against 2.0% expected" in opened.body
    assert "z = 11.5" in opened.body and "4 alert day(s)" in opened.body
    assert "/projects/view/clarity42/impressions?" in opened.body
    assert "start=2026-11-02" in opened.body and "end=2026-11-05" in opened.body
    resolved = _incident(status="resolved", resolved_on=date(2026, 11, 8))
    first, then = messages_of_incidents([resolved], {})
    assert (first.key, then.key) == ("incident:abc:opened", "incident:abc:resolved")
    assert "In Clarity" not in first.body  # no Clarity id, no link
    assert then.title == "Clarity: resolved: rage click on https://shop.example/checkout (shop)"
    assert "back near the baseline since 2026-11-08" in then.body and then.severity == "info"


def test_an_incident_marked_wont_fix_or_snoozed_sends_nothing():
    muted = [_incident(triage_status="wont_fix"), _incident(triage_status="snoozed")]
    assert messages_of_incidents(muted, {}) == []
    fixed = _incident(triage_status="fixed", status="resolved", resolved_on=date(2026, 11, 8))
    assert len(messages_of_incidents([fixed], {})) == 2  # a fix is confirmed by its resolution


def test_a_collection_incident_says_which_days_and_how_it_ended():
    missed = _incident(
        scope="collection",
        page_url=None,
        metric="collection",
        opened_on=date(2026, 11, 2),
        last_seen_on=date(2026, 11, 4),
        alert_days=3,
        peak_strength=3.0,
        peak_observed=0.0,
        peak_expected=0.5,
    )
    (opened,) = messages_of_incidents([missed], {"shop": "clarity42"})
    assert opened.title == "Clarity: shop has no daily value since 2026-11-02"
    assert "2026-11-02 to 2026-11-04 (3 day(s) in a row" in opened.body
    assert "clarity.microsoft.com" not in opened.body
    recovered = {**missed, "status": "resolved", "resolved_on": date(2026, 11, 5)}
    _, told = messages_of_incidents([{**recovered, "resolution": "recovered"}], {})
    assert "every day of it got a value after all" in told.body
    _, told = messages_of_incidents([{**recovered, "resolution": "collecting_again"}], {})
    assert "values again from 2026-11-05; the missed days stay missing" in told.body


def test_only_incidents_seen_or_resolved_lately_are_told():
    old = _incident(last_seen_on=date(2026, 10, 1))  # open, its last alert long ago
    recent = _incident(incident_id="new", last_seen_on=date(2026, 11, 25))
    ended = _incident(
        incident_id="ended",
        last_seen_on=date(2026, 11, 10),
        status="resolved",
        resolved_on=date(2026, 11, 24),
    )
    since = date(2026, 11, 23)
    keys = [m.key for m in messages_of_incidents([old, recent, ended], {}, since)]
    assert keys == ["incident:new:opened", "incident:ended:resolved"]


def test_an_incident_told_opened_that_left_the_marts_is_withdrawn_once():
    sent = {
        "incident:gone:opened": "2026-11-02T00:10:00+00:00",
        "incident:done:opened": "2026-11-01T00:10:00+00:00",
        "incident:done:resolved": "2026-11-04T00:10:00+00:00",
        "incident:kept:opened": "2026-11-03T00:10:00+00:00",
        "alert:x": "2026-11-03T00:10:00+00:00",
    }
    (message,) = messages_of_withdrawn(sent, {"kept"})
    assert message.key == "incident:gone:withdrawn"
    assert message.title == "Clarity: the incident told on 2026-11-02 is no longer one"
    assert "gone" in message.body and message.severity == "info"
