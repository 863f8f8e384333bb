"""Injected faults of the offline service: each kind, how often it fires and what it matches."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import requests

from clarity_tools.offline import OfflineClarity

from .conftest import BLOG, DOCS, SHOP, START, Api

NOW = START + timedelta(days=12, hours=6)


@pytest.fixture(autouse=True)
def _clock(service: OfflineClarity) -> None:
    service.clock.set(NOW)


def test_status_fault_answers_that_status_and_body(api: Api, service: OfflineClarity) -> None:
    service.inject_fault("status", status=500)
    service.inject_fault("status", status=503, body=b"Service Unavailable")
    first, second = api.get(SHOP, numOfDays=1), api.get(SHOP, numOfDays=1)
    assert (first.status_code, first.content) == (500, b"")
    assert (second.status_code, second.content) == (503, b"Service Unavailable")
    assert api.get(SHOP, numOfDays=1).status_code == 200


def test_empty_fault_is_a_200_with_no_body(api: Api, service: OfflineClarity) -> None:
    service.inject_fault("empty")
    response = api.get(DOCS, numOfDays=1)
    assert (response.status_code, response.content) == (200, b"")


def test_not_json_fault_is_a_200_html_page(api: Api, service: OfflineClarity) -> None:
    service.inject_fault("not-json")
    response = api.get(DOCS, numOfDays=1)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_object_fault_is_a_json_object(api: Api, service: OfflineClarity) -> None:
    service.inject_fault("object")
    response = api.get(DOCS, numOfDays=1)
    assert response.status_code == 200 and isinstance(response.json(), dict)


@pytest.mark.parametrize("dimension", [None, "URL"])
def test_missing_keys_fault_drops_information_and_sessions_count(
    api: Api, service: OfflineClarity, dimension: str | None
) -> None:
    service.inject_fault("missing-keys")
    params = {"dimension1": dimension} if dimension else {}
    body = api.get(SHOP, numOfDays=1, **params).json()
    assert isinstance(body, list)
    assert sum("information" not in block for block in body) == 1
    rows = [row for block in body[:6] for row in block.get("information", [])]
    assert sum("sessionsCount" not in row for row in rows) == 1


def test_drop_fault_closes_the_connection_without_a_response(
    api: Api, service: OfflineClarity
) -> None:
    service.inject_fault("drop", project=BLOG)
    with pytest.raises(requests.ConnectionError):
        api.get(BLOG, numOfDays=1)
    assert api.get(BLOG, numOfDays=1).status_code == 200
    assert service.requests_counted(BLOG, NOW.date()) == 2
    assert [entry["status"] for entry in service.request_log] == [None, 200]


def test_delay_fault_answers_late(api: Api, service: OfflineClarity) -> None:
    service.inject_fault("delay", seconds=0.3)
    began = time.perf_counter()
    response = api.get(BLOG, numOfDays=1)
    assert response.status_code == 200 and time.perf_counter() - began >= 0.3


def test_fault_fires_times_then_is_gone(api: Api, service: OfflineClarity) -> None:
    service.inject_fault("status", times=3, status=500)
    statuses = [api.get(DOCS, numOfDays=1).status_code for _ in range(4)]
    assert statuses == [500, 500, 500, 200]


def test_fault_matches_project_and_dimensions(api: Api, service: OfflineClarity) -> None:
    service.inject_fault("status", project=SHOP, dimensions=("URL",), status=502)
    assert api.get(DOCS, numOfDays=1, dimension1="URL").status_code == 200
    assert api.get(SHOP, numOfDays=1).status_code == 200
    assert api.get(SHOP, numOfDays=1, dimension1="URL", dimension2="Device").status_code == 200
    assert api.get(SHOP, numOfDays=1, dimension1="URL").status_code == 502
    service.inject_fault("status", dimensions=("Device", "URL"), status=504)
    assert api.get(BLOG, numOfDays=1, dimension1="URL", dimension2="Device").status_code == 504
    service.inject_fault("empty", dimensions=())
    assert api.get(BLOG, numOfDays=1, dimension1="OS").content != b""
    assert api.get(BLOG, numOfDays=1).content == b""


def test_unknown_fault_kind_is_rejected(service: OfflineClarity) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        service.inject_fault("explode")
    with pytest.raises(KeyError):
        service.inject_fault("empty", project="nope")


def test_an_outage_answers_500_to_one_project_on_its_days(
    api: Api, service: OfflineClarity
) -> None:
    first_day = NOW.date()
    service.add_outage(DOCS, first_day, 2)
    for offset in (0, 1):
        service.clock.set(NOW + timedelta(days=offset))
        down = api.get(DOCS, numOfDays=1)
        assert (down.status_code, down.content) == (500, b"")
        assert api.get(SHOP, numOfDays=1).status_code == 200
    assert service.requests_counted(DOCS, first_day) == 1  # failed calls spend the quota
    assert service.state()["outages"] == [
        {
            "project": DOCS,
            "from": first_day.isoformat(),
            "until": (first_day + timedelta(days=2)).isoformat(),
        }
    ]
    service.clock.set(NOW + timedelta(days=2))
    assert api.get(DOCS, numOfDays=1).status_code == 200
