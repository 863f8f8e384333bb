"""Secrets kept out of every text the pipeline logs, stores or sends: the token (`redact`), and
the values of secret-looking URL parameters in every form a URL takes (`mask_secret_params`).

Which names are secret is defined here once; the dbt project's macro `clarity_secret_params`
copies the two lists and `clarity_mask_secret_params` applies the same rule to URL columns
(tests/unit/test_contract_copies.py checks the lists, and the cases of
dbt_project/tests/core/assert_secret_masking_cases.sql, which every build runs, are checked
against this module too)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A parameter name is secret when it contains one of these, anywhere, case-insensitively
# (`id_token`, `refresh_token`, `client_secret`, `passwd`, `PHPSESSID`, `jsessionid`,
# `X-Amz-Signature`, `X-Amz-Credential`, `authorization`) ...
SECRET_NAME_WORDS = (
    "token",
    "secret",
    "passw",
    "passphrase",
    "pwd",
    "sess",
    "signature",
    "credential",
    "authoriz",
    "apikey",
    "jwt",
)
# ... or when one of its parts (the pieces between `-`, `_` and `.`) ends with one of these:
# `key`, `api_key`, `x-api-key`, `sig`, `oauth`, `code`, `promo_code`, `sid`; so that `keyword`,
# `author`, `design`, `signal` or `codec` stay readable (`monkey` does not: a false positive only
# hides a value, and the normalised page_url keeps no such parameter anyway).
SECRET_NAME_ENDINGS = (
    "key",
    "sig",
    "auth",
    "code",
    "pass",
    "pin",
    "otp",
    "sid",
    "hash",
    "ticket",
)

MASK = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret in `text` with `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def secret_name_pattern(name_char: str) -> str:
    """A regular expression of a secret parameter name made of `name_char` characters (the
    dbt macro clarity_secret_name_pattern builds the same one for SQL)."""
    name = f"{name_char}*"
    words = "|".join(SECRET_NAME_WORDS)
    endings = "|".join(SECRET_NAME_ENDINGS)
    return f"({name}({words}){name}|{name}({endings})([-_.]{name})?)"


# Texts end a name or a value where a URL would not have them: whitespace, quotes, brackets.
_NAME_CHAR = r"""[^=&;#?/%\s"'<>]"""
_NAME = secret_name_pattern(_NAME_CHAR)
_EQUALS = "(=|%(25)*3d)"
# where a parameter starts: the query, the next parameter, the fragment, each percent-encoded
# (once or more), `&amp;` (HTML-escaped); in a message also its start or after a space or quote
_QUERY_START = r"""([?&#]|&amp;|%(25)*(3f|26|23|3b)|^|(?<=[\s"'(,{\[]))"""
_MASKS = (
    # query and fragment parameters: the value runs to the next `&` or `#`
    (re.compile(f"({_QUERY_START}{_NAME}{_EQUALS})" + r"""[^&#\s"'<>]*""", re.I), r"\1***"),
    # path parameters (`/cart;jsessionid=...`) and `;` separators: to the next `;`, `/`, `?`,
    # `#` or `&`
    (re.compile(f"(;{_NAME}{_EQUALS})" + r"""[^;/?#&\s"'<>]*""", re.I), r"\1***"),
    # user info: `https://user:pass@host` -> `https://***@host`
    (re.compile(r"""([a-z][a-z0-9+.-]*://)[^/?#\s"'<>]*@""", re.I), r"\1***@"),
    # messages only: a JSON member (`"client_secret": "..."`) and an Authorization header value
    (re.compile(f'("{_NAME}"' + r'\s*:\s*")([^"\\]|\\.)*', re.I), r"\1***"),
    (re.compile(r"(\bbearer\s+)[a-z0-9._~+/=-]+", re.I), r"\1***"),
)


def mask_secret_params(text: str) -> str:
    """`text` with the value of every secret-looking URL parameter replaced by `***`, in each
    form: after `?`, `&`, `#` or `;` (path parameters), percent-encoded (`%3Ftoken%3D...`),
    HTML-escaped (`&amp;password=...`), user info (`https://***@host/`); in messages also
    JSON members and Bearer credentials. URL columns get the same rule in dbt."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` safe to log, store or send: the `secrets` (tokens) redacted, then every secret
    URL parameter masked. Every message that can quote a URL or an API body goes through it."""
    return mask_secret_params(redact(text, secrets))
