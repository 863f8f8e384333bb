"""The quota view: how many requests each project has spent today (UTC; the API resets at 00:00
UTC), whether it hit a 429, and when each dimension set last succeeded, reconciled from three
records: the warehouse's `requests` and `snapshots` tables, the request records and bodies landed
but not loaded yet, and the ledger kept in dlt's source state (the larger count wins)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ingestion.api.snapshot import dimensions_key, to_utc
from ingestion.collect.landing import Landing
from ingestion.warehouse.destination import Warehouse
from ingestion.warehouse.raw import ProjectFacts, project_facts

log = logging.getLogger(__name__)

# The ledger in dlt's source state: {project: {"YYYY-MM-DD": requests}} of the last few days.
LEDGER_KEY = "quota_ledger"
LEDGER_DAYS_KEPT = 7


@dataclass
class QuotaView:
    used_today: int
    quota_exhausted_today: bool
    last_success: dict[str, datetime]


def update_ledger(state: dict, records: Sequence[dict]) -> None:
    """Count requests per project and UTC day in the source state; keep the last few days."""
    ledger: dict = state.setdefault(LEDGER_KEY, {})
    for record in records:
        if not record.get("counted_against_quota", True):
            continue
        day = to_utc(record["requested_at"]).date().isoformat()
        per_day = ledger.setdefault(record["project"], {})
        per_day[day] = per_day.get(day, 0) + 1
    newest = max((d for days in ledger.values() for d in days), default=None)
    if newest:
        oldest_kept = (date.fromisoformat(newest) - timedelta(days=LEDGER_DAYS_KEPT)).isoformat()
        for days in ledger.values():
            for day in [d for d in days if d < oldest_kept]:
                del days[day]


def ledger_count(state: dict, project: str, day: date) -> int:
    return int(state.get(LEDGER_KEY, {}).get(project, {}).get(day.isoformat(), 0))


def quota_views(
    warehouse: Warehouse,
    landing: Landing,
    source_state: dict,
    projects: Sequence[str],
    now: datetime,
) -> dict[str, QuotaView]:
    """Requests spent today per project: the warehouse's facts and the landed records not
    loaded yet, cross-checked with the quota ledger in dlt's state (the larger count wins)."""
    today = to_utc(now).date()
    warehouse_facts = project_facts(warehouse, today)
    pending_ids: dict[str, set[str]] = {}
    pending_429: set[str] = set()
    for record in landing.pending_request_records():
        if to_utc(record["requested_at"]).date() != today:
            continue
        pending_ids.setdefault(record["project"], set()).add(record["request_id"])
        if record.get("status") == 429:
            pending_429.add(record["project"])
    pending_last: dict[tuple[str, str], datetime] = {}
    for item in landing.pending_snapshots():
        key = (item.meta.project, dimensions_key(item.meta.dimensions))
        fetched = to_utc(item.meta.fetched_at)
        if key not in pending_last or fetched > pending_last[key]:
            pending_last[key] = fetched
    views = {}
    for project in projects:
        fact = warehouse_facts.get(project, ProjectFacts())
        spent = len(fact.request_ids_today | pending_ids.get(project, set()))
        ledger = ledger_count(source_state, project, today)
        if ledger > spent:
            log.warning(
                "%s: dlt state's quota ledger counts %d requests today, the warehouse and landing "
                "folder %d; planning with %d",
                project,
                ledger,
                spent,
                ledger,
            )
        last = dict(fact.last_success)
        for (proj, key), fetched in pending_last.items():
            if proj == project and (key not in last or fetched > last[key]):
                last[key] = fetched
        views[project] = QuotaView(
            used_today=max(spent, ledger),
            quota_exhausted_today=fact.quota_exhausted_today or project in pending_429,
            last_success=last,
        )
    return views
