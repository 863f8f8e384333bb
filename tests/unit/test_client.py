"""The client against the offline service over real HTTP: auth, typed errors, retries, records."""

from __future__ import annotations

import pytest

from ingestion.api.client import ClarityClient
from ingestion.api.contract import canonical_dimensions
from ingestion.api.errors import (
    ClarityAuthError,
    ClarityBadRequestError,
    ClarityForbiddenError,
    ClarityMalformedBodyError,
    ClarityNotSentError,
    ClarityQuotaError,
    ClarityServerError,
    ClarityUnexpectedError,
)
from tests.conftest import collection_time

PROJECT = "contoso-docs"


@pytest.fixture
def service(offline):
    offline.clock.set(collection_time(2))
    return offline


def client_for(service, attempts: list, project: str = PROJECT, token: str | None = None):
    return ClarityClient(
        project,
        token if token is not None else service.tokens[project],
        base_url=service.base_url,
        clock=service.clock.now,
        on_attempt=attempts.append,
        retry_delay=0.01,
        timeout=5,
    )


def spent(service, project: str = PROJECT) -> int:
    return service.requests_counted(project, service.clock.now().date())


def test_success_returns_blocks_and_records_one_attempt(service):
    attempts: list = []
    response = client_for(service, attempts).fetch(1, ["url"])
    assert response.dimensions == ("URL",)
    assert [b["metricName"] for b in response.blocks][:2] == ["DeadClickCount", "ExcessiveScroll"]
    assert len(response.blocks) == 9
    assert response.fetched_at == service.clock.now()
    assert len(attempts) == 1 and attempts[0].status == 200 and attempts[0].error_class is None
    assert attempts[0].parameters == "numOfDays=1&dimension1=URL"
    assert spent(service) == 1


@pytest.mark.parametrize(
    ("setup", "error", "status"),
    [
        (lambda s: s.expire_token(PROJECT), ClarityAuthError, 401),
        (lambda s: s.forbid_token(PROJECT), ClarityForbiddenError, 403),
        (
            lambda s: s.inject_fault("status", project=PROJECT, status=400),
            ClarityBadRequestError,
            400,
        ),
        (lambda s: s.inject_fault("status", project=PROJECT, status=429), ClarityQuotaError, 429),
    ],
)
def test_4xx_and_429_are_typed_and_never_retried(service, setup, error, status):
    setup(service)
    attempts: list = []
    client = client_for(service, attempts)
    with pytest.raises(error) as caught:
        client.fetch(1, [])
    assert caught.value.status == status
    assert len(attempts) == 1 and attempts[0].status == status
    assert attempts[0].counted_against_quota is True
    token = service.tokens[PROJECT]
    assert token not in str(caught.value) and token not in repr(client)
    assert token not in str(attempts[0].record())


def test_invalid_token_is_an_auth_error_without_the_token_in_it(service):
    attempts: list = []
    bogus = "not-a-real-token-0123456789"
    with pytest.raises(ClarityAuthError) as caught:
        client_for(service, attempts, token=bogus).fetch(1, [])
    assert bogus not in str(caught.value)
    assert "Settings -> Data Export" in str(caught.value)


def test_missing_token_fails_before_any_request(service):
    with pytest.raises(ClarityAuthError, match="secrets.toml"):
        client_for(service, [], token="")
    assert spent(service) == 0


def test_real_429_after_ten_requests(service):
    attempts: list = []
    client = client_for(service, attempts)
    for _ in range(10):
        client.fetch(1, [])
    with pytest.raises(ClarityQuotaError):
        client.fetch(1, [])
    assert len(attempts) == 11


@pytest.mark.parametrize("kind", ["status", "drop"])
def test_one_bounded_retry_on_5xx_or_dropped_connection(service, kind):
    service.inject_fault(kind, project=PROJECT, status=500, times=1)
    attempts: list = []
    response = client_for(service, attempts).fetch(1, [])
    assert len(response.blocks) == 16
    assert [a.attempt for a in attempts] == [1, 2]
    assert attempts[0].error_class == "server" and attempts[1].error_class is None


def test_persistent_5xx_gives_up_after_two_attempts(service):
    service.inject_fault("status", project=PROJECT, status=500, times=5)
    attempts: list = []
    with pytest.raises(ClarityServerError, match="tried again on the next run"):
        client_for(service, attempts).fetch(1, [])
    assert len(attempts) == 2
    assert spent(service) == 2


@pytest.mark.parametrize("kind", ["empty", "not-json", "object", "missing-keys"])
def test_malformed_bodies_are_typed_and_keep_the_body(service, kind):
    service.inject_fault(kind, project=PROJECT)
    attempts: list = []
    with pytest.raises(ClarityMalformedBodyError):
        client_for(service, attempts).fetch(1, [])
    assert len(attempts) == 1
    assert attempts[0].status == 200 and attempts[0].error_class == "malformed_body"
    assert attempts[0].body is not None


def test_timeout_is_a_server_error(service):
    service.inject_fault("delay", project=PROJECT, seconds=2, times=2)
    attempts: list = []
    client = client_for(service, attempts)
    client.timeout = 0.5
    with pytest.raises(ClarityServerError):
        client.fetch(1, [])
    assert len(attempts) == 2 and all(a.status is None for a in attempts)


def test_dimensions_are_validated_before_spending():
    assert canonical_dimensions(["url", "Country/Region"]) == ("Country", "URL")
    with pytest.raises(ValueError, match="Unknown Clarity dimension"):
        canonical_dimensions(["Pages"])
    with pytest.raises(ValueError, match="At most 3"):
        canonical_dimensions(["URL", "Device", "OS", "Browser"])


def test_each_request_is_on_the_ledger_before_it_is_sent(service):
    sent: list = []

    def on_send(attempt) -> None:
        # the server has not seen this request yet: the record comes first
        sent.append((attempt.request_id, attempt.error_class, spent(service)))

    attempts: list = []
    client = client_for(service, attempts)
    client.on_send = on_send
    client.fetch(1, ())
    assert sent == [(attempts[0].request_id, "interrupted", 0)]
    assert attempts[0].error_class is None and attempts[0].completed_at is not None
    assert spent(service) == 1


def test_a_request_whose_record_cannot_be_written_is_not_sent(service):
    def on_send(attempt) -> None:
        raise OSError(28, "No space left on device")

    client = client_for(service, [])
    client.on_send = on_send
    with pytest.raises(OSError):
        client.fetch(1, ())
    assert spent(service) == 0


def test_a_body_nested_too_deeply_is_a_malformed_answer_not_a_crash(service):
    service.inject_fault("status", project=PROJECT, status=200, body=b"[" * 100_000)
    attempts: list = []
    with pytest.raises(ClarityMalformedBodyError, match="nests arrays or objects too deeply"):
        client_for(service, attempts).fetch(1, (), may_retry=False)
    assert attempts[0].error_class == "malformed_body" and attempts[0].body is not None


def test_a_header_that_http_cannot_carry_is_not_sent_and_not_counted(service):
    token = service.tokens[PROJECT] + "\n"
    attempts: list = []
    with pytest.raises(ClarityNotSentError) as raised:
        client_for(service, attempts, token=token).fetch(1, ())
    assert token.strip() not in str(raised.value)
    assert attempts[0].counted_against_quota is False and attempts[0].error_class == "not_sent"
    assert spent(service) == 0


def test_an_unexpected_failure_while_reading_is_recorded_with_project_and_set(service, monkeypatch):
    import ingestion.api.client as client_module

    def broken(body: bytes):
        raise TypeError("an unforeseen shape")

    monkeypatch.setattr(client_module, "validate_blocks", broken)
    attempts: list = []
    with pytest.raises(ClarityUnexpectedError) as raised:
        client_for(service, attempts).fetch(1, ("URL",), may_retry=False)
    assert PROJECT in str(raised.value) and "[URL]" in str(raised.value)
    assert attempts[0].error_class == "unexpected" and attempts[0].counted_against_quota


def echoing_body(token: str) -> str:
    """A 500 body that quotes the request back: secrets in a URL and the Authorization header."""
    return (
        '{"error": "upstream failed for https://x.test/cb?token=S3CRET&client_secret=S3CRET2", '
        f'"request": {{"headers": {{"Authorization": "Bearer {token}"}}}}}}'
    )


def test_a_5xx_body_that_echoes_secrets_is_quoted_without_them(service):
    token = service.tokens[PROJECT]
    service.inject_fault("status", project=PROJECT, status=500, body=echoing_body(token), times=2)
    attempts: list = []
    with pytest.raises(ClarityServerError) as caught:
        client_for(service, attempts).fetch(1, [])
    message = str(caught.value)
    assert "server said" in message and "?token=***&client_secret=***" in message
    records = [str(attempt.record()) for attempt in attempts]  # what lands in `requests`
    for text in (message, *records):
        assert "S3CRET" not in text and token not in text


def test_a_token_across_the_snippets_cut_leaves_no_piece_of_it(service):
    token = service.tokens[PROJECT]
    body = "x" * 190 + token  # the first 200 characters end inside the token
    service.inject_fault("status", project=PROJECT, status=400, body=body)
    attempts: list = []
    with pytest.raises(ClarityBadRequestError) as caught:
        client_for(service, attempts).fetch(1, [])
    for text in (str(caught.value), attempts[0].error_message):
        assert token[:8] not in text and "x" * 190 + "***" in text
