"""The wire contract of the Clarity Data Export API, as seen on the wire (../shared/clarity-api.md):
the endpoint, dimension names and their canonical forms, the metric blocks and the six frustration
signals, the limits, the check that a 200 body has the documented shape, and what a project name,
a token and a base URL may be.

This is the one definition of the signals and blocks in Python; the dbt project's
`clarity_signals()` macro and seed, and the offline service's catalog, are checked against it by
tests/unit/test_contract_copies.py."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

API_BASE_URL = "https://www.clarity.ms/export-data/api/v1"
ENDPOINT = "project-live-insights"

# Quota: 10 requests per project per UTC day; a 429 after that.
DAILY_QUOTA = 10
VALID_NUM_DAYS = (1, 2, 3)
# At most this many rows per block, no pagination and no truncation signal.
ROW_CAP = 1000

# Dimension names as the API accepts them on the wire; `Country/Region` (the docs' spelling) is
# silently dropped by the API, so it is rewritten to `Country` before a request is sent.
VALID_DIMENSIONS = (
    "Browser",
    "Device",
    "Country",
    "OS",
    "Source",
    "Medium",
    "Campaign",
    "Channel",
    "URL",
)
DIMENSION_ALIASES = {"country/region": "Country"}
MAX_DIMENSIONS = 3

# Raw column that holds each dimension's value (the row key is matched case-insensitively;
# URL arrives as `Url`).
DIMENSION_COLUMNS = {
    "url": "url",
    "device": "device",
    "browser": "browser",
    "os": "os",
    "country": "country",
    "source": "source",
    "medium": "medium",
    "campaign": "campaign",
    "channel": "channel",
}


@dataclass(frozen=True)
class Signal:
    """A frustration signal: `key` names it in every table downstream (`<key>_sessions`,
    `<key>_rate`), `block` is the API's metricName of its metric block."""

    key: str
    block: str


# In wire order (the first six blocks of every body).
SIGNALS: tuple[Signal, ...] = (
    Signal("dead_click", "DeadClickCount"),
    Signal("excessive_scroll", "ExcessiveScroll"),
    Signal("rage_click", "RageClickCount"),
    Signal("quick_back", "QuickbackClick"),
    Signal("script_error", "ScriptErrorCount"),
    Signal("error_click", "ErrorClickCount"),
)
FRUSTRATION_BLOCKS = tuple(signal.block for signal in SIGNALS)
SIGNAL_KEYS = {signal.block: signal.key for signal in SIGNALS}
# Blocks that come with dimensions too (the first nine), then the top lists of a no-dimension body.
DIMENSIONED_BLOCKS = (*FRUSTRATION_BLOCKS, "ScrollDepth", "Traffic", "EngagementTime")
ALL_BLOCKS = (
    *DIMENSIONED_BLOCKS,
    "Browser",
    "Device",
    "OS",
    "Country",
    "PageTitle",
    "ReferrerUrl",
    "PopularPages",
)


def canonical_dimensions(dimensions: Sequence[str]) -> tuple[str, ...]:
    """Validate and canonicalise dimension names (case-insensitive; `Country/Region` -> `Country`).

    Returns them sorted, as the identity of a dimension set. Raises ValueError on an unknown name,
    before any request is spent on it.
    """
    by_lower = {name.lower(): name for name in VALID_DIMENSIONS}
    result: list[str] = []
    for raw in dimensions:
        key = raw.strip().lower()
        name = DIMENSION_ALIASES.get(key) or by_lower.get(key)
        if name is None:
            raise ValueError(
                f"Unknown Clarity dimension {raw!r}; use one of {', '.join(VALID_DIMENSIONS)}"
            )
        if name not in result:
            result.append(name)
    if len(result) > MAX_DIMENSIONS:
        raise ValueError(f"At most {MAX_DIMENSIONS} dimensions per request, got {result}")
    return tuple(sorted(result))


# A project's name (the configuration, the marts, archive sidecars). It is one segment of its
# environment variables (upper-cased, `-` as `_`); with a `.` it is quoted in a TOML table
# header (`[sources.clarity.projects."shop.example"]`).
PROJECT_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
PROJECT_NAME_RULE = "1 to 100 letters, digits, '_', '-' or '.', starting with a letter or digit"


def check_project_name(name: object) -> str | None:
    """What is wrong with a project name (None when nothing is)."""
    if not isinstance(name, str):
        return f"is {type(name).__name__} {name!r}, not text: a name is {PROJECT_NAME_RULE}"
    if PROJECT_NAME_PATTERN.fullmatch(name):
        return None
    if not name:
        problem = "is empty"
    elif not name[0].isascii() or not name[0].isalnum():
        problem = f"starts with {name[0]!r}"
    elif len(name) > 100:
        problem = f"is {len(name)} characters long"
    else:
        index = next(i for i, c in enumerate(name) if not PROJECT_NAME_PATTERN.fullmatch("a" + c))
        problem = f"has {name[index]!r} at position {index + 1}"
    return f"{problem}: a name is {PROJECT_NAME_RULE}"


def _unprintable(text: str) -> int | None:
    """The index of the first character that is not printable ASCII (a space counts as not)."""
    return next((i for i, char in enumerate(text) if not "!" <= char <= "~"), None)


def check_token(token: str) -> str | None:
    """What is wrong with a token as an Authorization header value, without a character of it
    (None when nothing is). Tokens are JWTs: printable ASCII, no spaces."""
    index = _unprintable(token)
    if index is None:
        return None
    kind = "whitespace or a control character"
    if ord(token[index]) > 127:
        kind = "a character that is not ASCII"
    return (
        f"has {kind} at position {index + 1} of {len(token)}: paste the token again, without "
        "spaces, quotes or line breaks"
    )


def masked_url(url: str) -> str:
    """`url` for a message: what is between `scheme://` and the last `@` (a user name and
    password) and what follows a `?` or `#` (query parameters) as `***`."""
    if "@" in url:
        userinfo, _, rest = url.rpartition("@")
        scheme, sep, _ = userinfo.partition("://")
        url = f"{scheme}{sep}***@{rest}" if sep else f"***@{rest}"
    cut = min((url.index(mark) for mark in "?#" if mark in url), default=None)
    return url if cut is None else f"{url[: cut + 1]}***"


def check_base_url(url: str) -> str | None:
    """What is wrong with an API base URL (None when nothing is); the text never holds a
    character of a user name or password in it."""
    if "@" in url:
        return (
            "has a user name or password (an '@'): the API takes the project's token, not a "
            "login; remove the part up to '@'"
        )
    if _unprintable(url) is not None:
        return "has whitespace, a control character or a character that is not ASCII"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "is not a URL: use http(s)://host[:port]/path"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http:// or https:// URL"
    if not parts.hostname:
        return "has no host: use http(s)://host[:port]/path"
    if "?" in url or "#" in url:
        return "has a query or fragment ('?' or '#'): give the path up to the API version only"
    return None


def query_parameters(num_of_days: int, dimensions: Sequence[str]) -> dict[str, str]:
    params = {"numOfDays": str(num_of_days)}
    for index, name in enumerate(dimensions, start=1):
        params[f"dimension{index}"] = name
    return params


class BodyShapeError(ValueError):
    """A body is not the documented JSON array of metric blocks. The message says what is wrong
    with the body only; the caller adds where it came from (an API answer, an archive file)."""


# `\ud800`-`\udfff` escapes: JSON allows unpaired ones, UTF-8 (and so Arrow) does not.
_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def without_lone_surrogates(value):
    """Unpaired surrogates written as `\\udXXX` text, so the value can be stored as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            without_lone_surrogates(key): without_lone_surrogates(item)
            for key, item in value.items()
        }
    return value


def validate_blocks(body: bytes) -> list:
    """Decode a body and check the documented shape: a JSON array of metric blocks, each with a
    string `metricName` and an `information` array of objects.

    Raises BodyShapeError saying what is wrong (an empty body, not JSON, not an array, a bad
    block)."""
    if not body or not body.strip():
        raise BodyShapeError("the body is empty")
    try:
        data = json.loads(body)  # the standard library keeps integers of any size exact
        if _LONE_SURROGATE.search(body):
            data = without_lone_surrogates(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyShapeError(f"the body is not JSON ({exc.__class__.__name__})") from None
    except RecursionError:
        raise BodyShapeError(
            "the body nests arrays or objects too deeply to be read (a metric block is two "
            "levels deep)"
        ) from None
    if not isinstance(data, list):
        raise BodyShapeError(
            f"the body is a JSON {type(data).__name__}, not an array of metric blocks"
        )
    for index, block in enumerate(data):
        problem = None
        if not isinstance(block, dict):
            problem = f"is a {type(block).__name__}, not an object"
        elif not isinstance(block.get("metricName"), str):
            problem = "has no string `metricName`"
        elif not isinstance(block.get("information"), list):
            problem = "has no `information` array"
        elif not all(isinstance(row, dict) for row in block["information"]):
            problem = "has an `information` entry that is not an object"
        if problem:
            raise BodyShapeError(f"metric block #{index} {problem}")
    return data
