"""HTTP client for the Clarity Data Export API: Bearer auth, a timeout, typed errors and at
most one bounded retry on 5xx or a dropped connection. Every attempt is reported twice: before it
is sent (`on_send`, so that a run killed while the request is in flight still counts it against
the daily quota) and once it is over (`on_attempt`)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from ingestion.api.contract import (
    API_BASE_URL,
    DAILY_QUOTA,
    ENDPOINT,
    VALID_NUM_DAYS,
    BodyShapeError,
    canonical_dimensions,
    query_parameters,
    validate_blocks,
)
from ingestion.api.errors import (
    INTERRUPTED,
    ClarityAuthError,
    ClarityBadRequestError,
    ClarityError,
    ClarityForbiddenError,
    ClarityMalformedBodyError,
    ClarityNotSentError,
    ClarityQuotaError,
    ClarityServerError,
    ClarityUnexpectedError,
)
from ingestion.api.secrets import scrub

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# An error body is quoted in the error's message (which reaches stdout, the `requests` table and
# notifications): its first characters, after the token and secret URL values are masked.
_ERROR_SNIPPET_CHARS = 200
_ERROR_BODY_READ = 65536


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Attempt:
    """One HTTP request sent to the API (or that failed to get an answer)."""

    request_id: str
    project: str
    requested_at: datetime
    completed_at: datetime | None  # None while the request is in flight
    parameters: str
    num_of_days: int
    dimensions: str
    attempt: int
    status: int | None
    error_class: str | None
    error_message: str | None
    counted_against_quota: bool
    response_bytes: int
    server_date: datetime | None = None
    body: bytes | None = field(default=None, repr=False)

    def record(self) -> dict:
        """The row written to the `requests` table (no body, no token)."""
        row = {k: v for k, v in self.__dict__.items() if k != "body"}
        return row


@dataclass
class FetchedResponse:
    """A successful (200, well-formed) response."""

    project: str
    dimensions: tuple[str, ...]
    num_of_days: int
    fetched_at: datetime
    body: bytes
    blocks: list
    attempt: Attempt


class ClarityClient:
    """Talks to one Clarity project (one token = one project)."""

    def __init__(
        self,
        project: str,
        token: str,
        *,
        base_url: str = API_BASE_URL,
        timeout: float,
        clock: Clock = utc_now,
        on_attempt: Callable[[Attempt], None] | None = None,
        on_send: Callable[[Attempt], None] | None = None,
        session: requests.Session | None = None,
        retry_delay: float = 2.0,
        origin: str = "api",
    ) -> None:
        if not token:
            raise ClarityAuthError(
                f"No token for Clarity project {project!r}: put it in .dlt/secrets.toml under "
                f'[sources.clarity.projects.{project}] token = "..." or set '
                f"SOURCES__CLARITY__PROJECTS__{project.upper().replace('-', '_')}__TOKEN."
            )
        self.project = project
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.clock = clock
        self.on_attempt = on_attempt
        self.on_send = on_send
        self.session = session or requests.Session()
        self.retry_delay = retry_delay
        self.origin = origin

    def __repr__(self) -> str:  # never show the token
        return f"ClarityClient(project={self.project!r}, base_url={self.base_url!r})"

    @property
    def url(self) -> str:
        return f"{self.base_url}/{ENDPOINT}"

    def fetch(
        self, num_of_days: int, dimensions: Sequence[str] = (), *, may_retry: bool = True
    ) -> FetchedResponse:
        """One export call. Raises a ClarityError subclass on any failure (see module doc).

        `may_retry=False` leaves out the retry on a 5xx or a dropped connection (each attempt
        spends a request of the day's quota)."""
        if num_of_days not in VALID_NUM_DAYS:
            raise ValueError(f"numOfDays must be 1, 2 or 3, got {num_of_days!r}")
        dims = canonical_dimensions(dimensions)
        params = query_parameters(num_of_days, dims)
        max_attempts = 2 if may_retry else 1
        for attempt_no in range(1, max_attempts + 1):
            attempt, error = self._attempt(params, num_of_days, dims, attempt_no)
            if error is None:
                return FetchedResponse(
                    project=self.project,
                    dimensions=dims,
                    num_of_days=num_of_days,
                    fetched_at=attempt.requested_at,
                    body=attempt.body or b"",
                    blocks=self._blocks,
                    attempt=attempt,
                )
            if isinstance(error, ClarityServerError) and attempt_no < max_attempts:
                log.warning(
                    "%s: %s; retrying once in %.0f s", self.project, error, self.retry_delay
                )
                time.sleep(self.retry_delay)
                continue
            raise error
        raise AssertionError("unreachable")

    def _attempt(
        self, params: dict[str, str], num_of_days: int, dims: tuple[str, ...], attempt_no: int
    ) -> tuple[Attempt, ClarityError | None]:
        label = f"[{', '.join(dims) or 'no dimension'}] numOfDays={num_of_days}"
        attempt = Attempt(
            request_id=uuid.uuid4().hex,
            project=self.project,
            requested_at=self.clock(),
            completed_at=None,
            parameters="&".join(f"{k}={v}" for k, v in params.items()),
            num_of_days=num_of_days,
            dimensions=",".join(dims),
            attempt=attempt_no,
            status=None,
            error_class=INTERRUPTED,
            error_message=(
                "the run stopped while this request was in flight (killed or crashed); it "
                "counts against the day's quota"
            ),
            counted_against_quota=True,
            response_bytes=0,
        )
        if self.on_send is not None:
            self.on_send(attempt)  # on disk before the request leaves: raises if it cannot be
        status: int | None = None
        body = b""
        error: ClarityError | None = None
        self._blocks: list = []
        counted = True
        try:
            response = self.session.get(
                self.url,
                params=params,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
            status = response.status_code
            body = response.content
            attempt.server_date = _parse_http_date(response.headers.get("Date"))
            error = self._error_for(status, body)
            if error is None:
                self._blocks = validate_blocks(body)
        except BodyShapeError as exc:
            error = ClarityMalformedBodyError(
                f"Clarity answered 200 for project {self.project!r} {label}, but {exc}: the "
                "body was kept in the landing folder's `quarantine/` for inspection and this "
                "dimension set is asked again on the next run.",
                status=200,
                body=body,
            )
        except _NOT_SENT as exc:
            # raised while the request was being built: nothing left this machine. The message
            # names the class only: these exceptions quote the header (the token) or the URL.
            counted = False
            error = ClarityNotSentError(
                f"The request for project {self.project!r} {label} was not sent "
                f"({exc.__class__.__name__}): the token or the base_url cannot be carried in an "
                "HTTP request. Check the token in .dlt/secrets.toml (paste it again, without "
                "spaces or line breaks) and base_url; nothing was spent."
            )
        except requests.RequestException as exc:
            error = ClarityServerError(
                f"No answer from the Clarity API for project {self.project!r} {label} "
                f"({exc.__class__.__name__}). Check the network; the request counts against "
                "today's quota and is tried again on the next run.",
            )
        except Exception as exc:  # noqa: BLE001 - one request must never stop the others
            error = ClarityUnexpectedError(
                f"Reading Clarity's answer for project {self.project!r} {label} failed "
                f"({exc.__class__.__name__}); the request counts against today's quota and the "
                "set is asked again on the next run.",
                status=status,
                body=body,
            )
        attempt.completed_at = self.clock()
        attempt.status = status
        attempt.error_class = error.error_class if error else None
        attempt.error_message = scrub(str(error), [self._token]) if error else None
        attempt.counted_against_quota = counted
        attempt.response_bytes = len(body)
        attempt.body = body if (error is None or isinstance(error, _KEEPS_BODY)) else None
        if self.on_attempt is not None:
            self.on_attempt(attempt)
        return attempt, error

    def _error_for(self, status: int, body: bytes) -> ClarityError | None:
        project = self.project
        if status == 200:
            return None
        # scrubbed before it is cut, so that a secret across the cut cannot leave a piece
        text = body[:_ERROR_BODY_READ].decode("utf-8", "replace")
        snippet = scrub(text, [self._token]).strip()[:_ERROR_SNIPPET_CHARS]
        detail = f" (server said: {snippet!r})" if snippet else ""
        if status == 401:
            return ClarityAuthError(
                f"Clarity rejected the token for project {project!r} (401){detail}. Tokens expire: "
                "generate a new one in Clarity (Settings -> Data Export) and update "
                ".dlt/secrets.toml or the environment variable.",
                status=status,
            )
        if status == 403:
            return ClarityForbiddenError(
                f"The token for project {project!r} is not allowed to export data (403){detail}. "
                "Ask a project admin to create the Data Export token.",
                status=status,
            )
        if status == 429:
            return ClarityQuotaError(
                f"Project {project!r} has used its {DAILY_QUOTA} requests for this UTC day "
                f"(429){detail}. "
                "Nothing more is asked today; the next run after 00:00 UTC continues.",
                status=status,
            )
        if 400 <= status < 500:
            return ClarityBadRequestError(
                f"Clarity refused the request for project {project!r} ({status}){detail}. "
                "Check numOfDays (1-3) and the dimension names in the configuration.",
                status=status,
            )
        return ClarityServerError(
            f"Clarity answered {status} for project {project!r}{detail}. Server faults can last "
            "days; the dimension set is tried again on the next run, within the quota.",
            status=status,
        )


# requests' exceptions raised before anything is sent (a header value or URL it cannot encode)
_NOT_SENT = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)
# answers whose body is kept (in quarantine) for inspection
_KEEPS_BODY = (ClarityMalformedBodyError, ClarityUnexpectedError)


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None
