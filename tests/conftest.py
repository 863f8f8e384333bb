"""Shared fixtures: the offline Clarity service on loopback and configs pointing at it."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from ingestion.config import IngestConfig, ProjectConfig  # noqa: E402
from ingestion.offline import OfflineClarity, default_projects  # noqa: E402
from ingestion.plan import PlanPolicy  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=timezone.utc)


def collection_time(day: int, minutes: int = 10) -> datetime:
    """00:10 UTC on simulated day `day` (day 1 = the day after START)."""
    return START + timedelta(days=day, minutes=minutes)


@pytest.fixture(scope="session")
def offline_session():
    """One offline service for the whole run (tests reset its clock and faults as they need)."""
    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=12) as service:
        yield service


@pytest.fixture
def offline():
    """A fresh offline service per test: its own quota counters, faults and tokens."""
    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=12) as service:
        yield service


def make_config(service: OfflineClarity, folder: Path, projects=None, **policy) -> IngestConfig:
    names = projects or list(service.tokens)
    return IngestConfig(
        projects=[ProjectConfig(name, service.tokens[name]) for name in names],
        base_url=service.base_url,
        origin="offline",
        duckdb_path=folder / "clarity.duckdb",
        data_dir=folder,
        policy=PlanPolicy(**policy),
        retry_delay=0.01,
        request_timeout=10,
    )
