"""Secret URL values masked in every form by the loader (ingestion/api/secrets.py), with the same
results as the dbt macros on the cases every dbt build checks
(dbt_project/tests/core/assert_secret_masking_cases.sql), and in the forms only messages take."""

from __future__ import annotations

import re

import pytest

from clarity_tools.offline import canonical_url
from ingestion import PROJECT_ROOT
from ingestion.api.secrets import mask_secret_params, redact, scrub

DBT_CASES = PROJECT_ROOT / "dbt_project" / "tests" / "core" / "assert_secret_masking_cases.sql"


def dbt_cases() -> list[tuple[str, str, str]]:
    """(raw URL, masked URL, page URL) of the dbt test's `values`."""
    text = DBT_CASES.read_text()
    found = re.findall(r"\(\s*'([^']*)',\s*'([^']*)',\s*'([^']*)'\s*\)", text)
    assert len(found) >= 15, "the cases of the dbt test were not found"
    return found


@pytest.mark.parametrize(("raw", "masked", "page"), dbt_cases())
def test_the_loader_masks_the_dbt_cases_alike(raw, masked, page):
    assert mask_secret_params(raw) == masked
    assert mask_secret_params(masked) == masked  # masking twice changes nothing
    if "://" in raw:  # the offline service's rule is for absolute URLs
        assert canonical_url(masked) == page


SECRET_NAMES = [
    "token",
    "id_token",
    "refresh_token",
    "access_token",
    "auth_token",
    "csrfToken",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "key",
    "apikey",
    "api_key",
    "x-api-key",
    "apiKeyId",
    "jsessionid",
    "PHPSESSID",
    "sessid",
    "session",
    "sid",
    "sig",
    "signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "Key-Pair-Id",
    "auth",
    "oauth",
    "authorization",
    "code",
    "otp",
    "pin",
    "ticket",
    "hash",
    "jwt",
]
READABLE_NAMES = [
    "page",
    "lang",
    "q",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "ref",
    "gclid",
    "fbclid",
    "keyword",
    "keywords",
    "author",
    "design",
    "signal",
    "signup",
    "codec",
    "sort",
    "category",
    "id",
    "state",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
@pytest.mark.parametrize("start", ["?", "&", "#", ";", "%3F", "%26", "%253F", "&amp;"])
def test_names_that_hold_a_secret_word_are_masked_after_every_separator(name, start):
    url = f"https://x.test/a?lang=en{start}{name}=S3CRET"
    masked = mask_secret_params(url)
    assert "S3CRET" not in masked and masked.endswith(f"{name}=***")


@pytest.mark.parametrize("name", READABLE_NAMES)
def test_harmless_names_stay_readable(name):
    url = f"https://x.test/a?{name}=v1&x=2#{name}=v2"
    assert mask_secret_params(url) == url


def test_messages_lose_secrets_in_their_own_forms_too():
    body = (
        '{"error": "bad redirect https://x.test/cb?token=S3CRET1&client_secret=S3CRET2 '
        'and token=S3CRET3", "client_secret": "S3CRET4", "header": "Bearer S3CRET5", '
        "'sig=S3CRET6' https://u:S3CRET7@h.test/}"
    )
    masked = mask_secret_params(body)
    assert "S3CRET" not in masked
    assert '"client_secret": "***"' in masked and "Bearer ***" in masked
    assert "?token=***&client_secret=*** and" in masked  # a value ends at a space


def test_scrub_redacts_the_token_then_masks():
    assert redact("a T0K b T0K", ["T0K", ""]) == "a *** b ***"
    assert scrub("T0K at https://x.test/?key=S3CRET", ["T0K"]) == "*** at https://x.test/?key=***"
