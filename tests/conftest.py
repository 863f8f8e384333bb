"""Shared fixtures: the offline Clarity service on loopback and configs pointing at it."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
# dlt in this process, and every child that inherits its environment, reads the settings of an
# empty project folder, never the working copy's .dlt/ (tests/child.py gives each child its own)
_PROJECT = tempfile.mkdtemp(prefix="clarity-tests-project-")
atexit.register(shutil.rmtree, _PROJECT, ignore_errors=True)
os.environ["DLT_PROJECT_DIR"] = _PROJECT
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from clarity_tools.offline import OfflineClarity, default_projects  # noqa: E402
from ingestion.config import (  # noqa: E402
    IngestConfig,
    ProjectConfig,
    default_policy,
    duckdb_warehouse,
)

START = datetime(2026, 10, 1, tzinfo=timezone.utc)


def collection_time(day: int, minutes: int = 10) -> datetime:
    """00:10 UTC on simulated day `day` (day 1 = the day after START)."""
    return START + timedelta(days=day, minutes=minutes)


@pytest.fixture
def offline():
    """A fresh offline service per test: its own quota counters, faults and tokens."""
    with OfflineClarity(projects=default_projects(), seed=7, start=START, days=12) as service:
        yield service


def make_config(
    service: OfflineClarity, folder: Path, projects=None, warehouse=None, **policy
) -> IngestConfig:
    """A config of `service`'s projects with its data folder `folder` (and a DuckDB file there
    unless another warehouse is given); `policy` overrides single planner settings."""
    names = projects or list(service.tokens)
    return IngestConfig(
        projects=[ProjectConfig(name, service.tokens[name]) for name in names],
        base_url=service.base_url,
        origin="offline",
        warehouse=warehouse or duckdb_warehouse(folder / "clarity.duckdb"),
        data_dir=folder,
        policy=default_policy(**policy),
        retry_delay=0.01,
        request_timeout=10,
    )
