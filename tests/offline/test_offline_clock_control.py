"""The simulated clock (Date header, rolling windows), request log and control endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests

from clarity_tools.offline import Clock, OfflineClarity

from .conftest import BLOG, DOCS, SHOP, START, Api


def _sessions(api: Api, project: str, days: int) -> int:
    return int(api.blocks(project, numOfDays=days)["Traffic"][0]["totalSessionCount"])


def test_clock_is_frozen_until_set_or_advanced() -> None:
    clock = Clock(datetime(2026, 10, 1))
    assert clock.now() == datetime(2026, 10, 1, tzinfo=UTC)
    assert clock.now() == clock.now()
    assert clock.advance(timedelta(hours=2)) == datetime(2026, 10, 1, 2, tzinfo=UTC)
    assert clock.advance(30) == datetime(2026, 10, 1, 2, 0, 30, tzinfo=UTC)
    clock.set(datetime(2026, 9, 1, 12, tzinfo=UTC))
    assert clock.now().isoformat() == "2026-09-01T12:00:00+00:00"


def test_date_header_follows_the_simulated_clock(api: Api, service: OfflineClarity) -> None:
    assert service.clock.now() == START
    service.clock.set(datetime(2026, 10, 14, 0, 10, 30, tzinfo=UTC))
    response = api.get(BLOG, numOfDays=1)
    assert parsedate_to_datetime(response.headers["Date"]) == service.clock.now()
    service.clock.advance(timedelta(days=1, minutes=5))
    later = api.get(BLOG, numOfDays=1)
    assert later.headers["Date"] == "Thu, 15 Oct 2026 00:15:30 GMT"


def test_window_rolls_with_the_clock(api: Api, service: OfflineClarity) -> None:
    service.clock.set(START + timedelta(days=8))
    at_midnight = _sessions(api, SHOP, 1)
    three_days = _sessions(api, SHOP, 3)
    service.clock.advance(timedelta(hours=12))
    at_noon = _sessions(api, SHOP, 1)
    assert at_noon != at_midnight
    assert 2.5 * at_midnight < three_days < 3.5 * at_midnight
    service.clock.set(START + timedelta(days=8))
    assert _sessions(api, SHOP, 1) == at_midnight


def test_request_log_has_one_entry_per_request(api: Api, service: OfflineClarity) -> None:
    service.clock.set(START + timedelta(days=2, hours=3))
    api.get(DOCS, numOfDays=2, dimension1="Country/Region", dimension2="OS")
    api.get(headers={}, numOfDays=1)
    log = service.request_log
    assert [(e["project"], e["status"], e["counted"]) for e in log] == [
        (DOCS, 200, True),
        (None, 401, False),
    ]
    assert log[0]["time"] == START + timedelta(days=2, hours=3)
    assert log[0]["params"] == {
        "numOfDays": "2",
        "dimension1": "Country/Region",
        "dimension2": "OS",
    }
    assert log[0]["dimensions"] == ("OS",)
    assert all("Authorization" not in str(entry) for entry in log)


def test_control_endpoints(api: Api, service: OfflineClarity) -> None:
    state = api.http.get(api.control("state"), timeout=5).json()
    assert state["now"] == START.isoformat() and state["tokens"] == service.tokens
    assert state["base_url"] == service.base_url
    moved = api.http.post(api.control("clock"), json={"now": "2026-10-20T00:10:00Z"}, timeout=5)
    assert moved.json()["now"] == "2026-10-20T00:10:00+00:00"
    api.http.post(api.control("clock"), json={"advance_seconds": 3600}, timeout=5)
    assert service.clock.now() == datetime(2026, 10, 20, 1, 10, tzinfo=UTC)
    fault = {"kind": "status", "project": BLOG, "status": 500, "times": 2, "body": "oops"}
    assert api.http.post(api.control("fault"), json=fault, timeout=5).status_code == 200
    assert api.get(BLOG, numOfDays=1).content == b"oops"
    counters = api.http.get(api.control("state"), timeout=5).json()["counters"]
    assert counters == {BLOG: {"2026-10-20": 1}}
    bad = api.http.post(api.control("fault"), json={"kind": "nope"}, timeout=5)
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
    api.http.post(api.control("token"), json={"project": DOCS, "action": "forbid"}, timeout=5)
    assert api.get(DOCS, numOfDays=1).status_code == 403


def test_stop_releases_the_port() -> None:
    service = OfflineClarity(start=START, days=40).start()
    url = service.base_url
    service.stop()
    try:
        requests.get(f"{url}/project-live-insights", timeout=2)
    except requests.ConnectionError:
        return
    raise AssertionError("the server still answers after stop()")
