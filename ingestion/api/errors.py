"""Typed errors of the Clarity API client; each message says what to do next and never holds a
token or a secret URL parameter (ingestion/api/secrets.py: `scrub`)."""

from __future__ import annotations


class ClarityError(Exception):
    """Base class: `str(error)` is safe to log (never holds a token)."""

    error_class = "clarity_error"
    #: whether asking again later today can succeed without a change by the user
    retry_later = False

    def __init__(self, message: str, *, status: int | None = None, body: bytes | None = None):
        super().__init__(message)
        self.status = status
        self.body = body


class ClarityAuthError(ClarityError):
    """401: the token is missing, invalid or expired."""

    error_class = "auth"


class ClarityForbiddenError(ClarityError):
    """403: the token is valid but not allowed to export this project's data."""

    error_class = "forbidden"


class ClarityQuotaError(ClarityError):
    """429: the project's daily request quota is spent."""

    error_class = "quota"


class ClarityBadRequestError(ClarityError):
    """400 and other 4xx: the request itself is wrong; sending it again will not help."""

    error_class = "bad_request"


class ClarityServerError(ClarityError):
    """5xx, or the connection dropped / timed out, after the one bounded retry."""

    error_class = "server"
    retry_later = True


class ClarityMalformedBodyError(ClarityError):
    """200, but the body is not the documented JSON array of metric blocks."""

    error_class = "malformed_body"
    retry_later = True


class ClarityNotSentError(ClarityError):
    """The request could not even be built (a header or URL that HTTP cannot carry): nothing was
    sent, so nothing was spent; every other request of the project would fail the same way."""

    error_class = "not_sent"


class ClarityUnexpectedError(ClarityError):
    """An answer arrived but reading it failed in a way no other class describes; the request
    counts against the quota and the set is asked again on the next run."""

    error_class = "unexpected"
    retry_later = True


# The error class of a request record written before the request is sent and never completed:
# the run was killed or crashed while it was in flight. It counts against the quota.
INTERRUPTED = "interrupted"
