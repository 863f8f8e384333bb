"""Authentication, parameter errors and the 10-requests-per-UTC-day quota of the offline service."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from clarity_tools.offline import OfflineClarity

from .conftest import BLOG, DOCS, SHOP, START, Api

NOW = START + timedelta(days=5, hours=15)


@pytest.fixture(autouse=True)
def _clock(service: OfflineClarity) -> None:
    service.clock.set(NOW)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Token offline-shop-0000"},
        {"Authorization": "Bearer not-a-known-token"},
        {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjB9.c2ln"},
    ],
    ids=["missing", "empty", "no-token", "wrong-scheme", "unknown", "jwt-shaped"],
)
def test_bad_credentials_get_401_and_are_not_counted(
    api: Api, service: OfflineClarity, headers: dict[str, str]
) -> None:
    response = api.get(headers=headers, numOfDays=1)
    assert response.status_code == 401
    assert response.content == b""
    assert all(service.requests_counted(p, NOW.date()) == 0 for p in service.projects)


def test_tokens_are_per_project_and_not_jwt_shaped(service: OfflineClarity) -> None:
    tokens = service.tokens
    assert set(tokens) == {SHOP, DOCS, BLOG}
    assert len(set(tokens.values())) == 3
    for project, token in tokens.items():
        assert token.startswith(f"offline-{project}-") and token.count(".") == 0


def test_token_maps_to_its_project(api: Api, service: OfflineClarity) -> None:
    shop = api.blocks(SHOP, numOfDays=1)["Traffic"][0]["totalSessionCount"]
    blog = api.blocks(BLOG, numOfDays=1)["Traffic"][0]["totalSessionCount"]
    assert int(shop) > 10 * int(blog)
    assert service.requests_counted(SHOP, NOW.date()) == 1
    assert service.requests_counted(BLOG, NOW.date()) == 1


def test_expired_token_gets_401_and_forbidden_token_403(api: Api, service: OfflineClarity) -> None:
    service.expire_token(SHOP)
    service.forbid_token(DOCS)
    expired, forbidden = api.get(SHOP, numOfDays=1), api.get(DOCS, numOfDays=1)
    assert (expired.status_code, expired.content) == (401, b"")
    assert (forbidden.status_code, forbidden.content) == (403, b"")
    assert api.get(BLOG, numOfDays=1).status_code == 200
    service.restore_token(SHOP)
    assert api.get(SHOP, numOfDays=1).status_code == 200


@pytest.mark.parametrize("value", [None, "0", "4", "7", "-1", "abc", "1.0", ""])
def test_bad_num_of_days_gets_400_with_a_non_json_body(
    api: Api, service: OfflineClarity, value: str | None
) -> None:
    params = {} if value is None else {"numOfDays": value}
    response = api.get(DOCS, dimension1="URL", **params)
    assert response.status_code == 400
    assert len(response.content) < 100
    with pytest.raises(ValueError):
        json.loads(response.content)
    assert service.requests_counted(DOCS, NOW.date()) == 1


@pytest.mark.parametrize("value", ["1", "2", "3"])
def test_num_of_days_1_to_3_are_accepted(api: Api, value: str) -> None:
    assert api.get(BLOG, numOfDays=value).status_code == 200


def test_quota_429_after_ten_requests_then_reset_next_utc_day(
    api: Api, service: OfflineClarity
) -> None:
    statuses = [api.get(SHOP, numOfDays=1).status_code for _ in range(10)]
    assert statuses == [200] * 10
    over = [api.get(SHOP, numOfDays=1) for _ in range(4)]
    assert [r.status_code for r in over] == [429] * 4
    assert [r.content for r in over] == [b"", b"Exceeded daily limit"] * 2
    assert service.requests_counted(SHOP, NOW.date()) == 14
    assert api.get(DOCS, numOfDays=1).status_code == 200, "quota is per project"
    service.clock.set(NOW.replace(hour=23, minute=59, second=59))
    assert api.get(SHOP, numOfDays=1).status_code == 429
    service.clock.advance(timedelta(seconds=1))
    assert api.get(SHOP, numOfDays=1).status_code == 200
    assert service.requests_counted(SHOP, NOW.date() + timedelta(days=1)) == 1


def test_failed_requests_count_against_the_quota(api: Api, service: OfflineClarity) -> None:
    for _ in range(5):
        assert api.get(BLOG, numOfDays=9).status_code == 400
    service.inject_fault("status", project=BLOG, times=5, status=500)
    for _ in range(5):
        assert api.get(BLOG, numOfDays=1).status_code == 500
    assert api.get(BLOG, numOfDays=1).status_code == 429
    assert service.requests_counted(BLOG, NOW.date()) == 11
