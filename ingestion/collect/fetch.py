"""Ask one project's planned requests, one after another, landing every attempt on disk as it
happens: its record before it is sent, its answer after. A 401, 403 or 429 stops the project for
today (asking again would spend the quota for nothing), and so does a landing folder that cannot
be written (an answer that cannot be kept must not be asked for); a 400, a server fault or an
answer that cannot be read skips that set, which the next run asks again. Every attempt spends a
request of the day's quota, so the client retries a server fault only with a request to spare
beyond the ones still planned: a run never sends more than its budget."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ingestion.api.client import ClarityClient
from ingestion.api.errors import (
    ClarityAuthError,
    ClarityError,
    ClarityForbiddenError,
    ClarityNotSentError,
    ClarityQuotaError,
)
from ingestion.collect.landing import Landing, LandingWriteError
from ingestion.collect.plan import ProjectPlan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchSettings:
    """How to reach the API (from the configuration)."""

    base_url: str
    timeout: float
    retry_delay: float
    origin: str  # api | offline: written on every landed body and request record


@dataclass
class ProjectOutcome:
    plan: ProjectPlan
    fetched: int = 0
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    stopped_because: str | None = None


def fetch_project(
    plan: ProjectPlan,
    token: str,
    landing: Landing,
    settings: FetchSettings,
    clock: Callable[[], datetime],
) -> ProjectOutcome:
    """Ask the plan's requests in order; what arrived is on disk before this returns."""
    outcome = ProjectOutcome(plan=plan)
    log.debug(
        "%s: %d request(s) planned, %d used today, budget %d",
        plan.project,
        len(plan.requests),
        plan.used_today,
        plan.budget,
    )
    if not plan.requests:
        return outcome
    client = ClarityClient(
        plan.project,
        token,
        base_url=settings.base_url,
        timeout=settings.timeout,
        clock=clock,
        on_attempt=lambda attempt: landing.record_attempt(attempt, origin=settings.origin),
        on_send=lambda attempt: landing.record_sent(attempt, origin=settings.origin),
        retry_delay=settings.retry_delay,
        origin=settings.origin,
    )
    attempts: list[int] = []
    client.on_attempt = _counting(client.on_attempt, attempts)
    try:
        _ask(client, plan, outcome, attempts)
    except LandingWriteError as exc:
        outcome.errors.append(str(exc))
        outcome.stopped_because = "landing_not_writable"
        log.error("%s: %s", plan.project, exc)
    except Exception as exc:  # noqa: BLE001 - one project's fault must not stop the others
        outcome.errors.append(f"unexpected {exc.__class__.__name__} while asking")
        outcome.stopped_because = "unexpected"
        log.error("%s: unexpected %s; stopping this project", plan.project, type(exc).__name__)
        log.debug("the unexpected error", exc_info=True)
    finally:
        log.info(
            "%s: %d/%d fetched, %d rows, %d used today before this run%s",
            plan.project,
            outcome.fetched,
            len(plan.requests),
            outcome.rows,
            plan.used_today,
            f", stopped: {outcome.stopped_because}" if outcome.stopped_because else "",
        )
    return outcome


def _counting(on_attempt, attempts: list[int]):
    def record(attempt) -> None:
        attempts.append(1)
        on_attempt(attempt)

    return record


def _ask(
    client: ClarityClient, plan: ProjectPlan, outcome: ProjectOutcome, attempts: list[int]
) -> None:
    budget = plan.spendable
    for index, request in enumerate(plan.requests, start=1):
        label = (
            f"[{', '.join(request.dimensions) or 'no dimension'}] numOfDays={request.num_of_days}"
        )
        # a retry only with a request to spare beyond this one and the ones still planned
        spare = budget - len(attempts) - (len(plan.requests) - index + 1)
        try:
            response = client.fetch(request.num_of_days, request.dimensions, may_retry=spare > 0)
        except (
            ClarityAuthError,
            ClarityForbiddenError,
            ClarityQuotaError,
            ClarityNotSentError,
        ) as exc:
            outcome.errors.append(f"{label}: {exc}")
            outcome.stopped_because = exc.error_class
            log.error("%s %s: %s Stopping this project for today.", plan.project, label, exc)
            return
        except ClarityError as exc:
            outcome.errors.append(f"{label}: {exc}")
            log.error("%s %s: %s", plan.project, label, exc)
            continue
        outcome.fetched += 1
        rows = sum(len(block["information"]) for block in response.blocks)
        outcome.rows += rows
        log.debug(
            "%s (%d/%d) %s: %d blocks, %d rows",
            plan.project,
            index,
            len(plan.requests),
            label,
            len(response.blocks),
            rows,
        )
