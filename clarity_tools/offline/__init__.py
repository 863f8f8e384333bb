"""The offline Clarity service: simulated projects behind a loopback HTTP server that answers
like the Microsoft Clarity Data Export API, with a caller-controlled clock and per-day truth."""

from clarity_tools.offline.catalog import SIGNALS, VALID_DIMENSIONS
from clarity_tools.offline.clock import Clock
from clarity_tools.offline.faults import FAULT_KINDS
from clarity_tools.offline.projects import (
    PlantedRegression,
    ProjectSpec,
    default_projects,
    large_project,
)
from clarity_tools.offline.server import (
    API_PATH,
    DAILY_QUOTA,
    OfflineClarity,
    make_token,
    run_standalone,
)
from clarity_tools.offline.urls import canonical_url

__all__ = [
    "API_PATH",
    "DAILY_QUOTA",
    "FAULT_KINDS",
    "SIGNALS",
    "VALID_DIMENSIONS",
    "Clock",
    "OfflineClarity",
    "PlantedRegression",
    "ProjectSpec",
    "canonical_url",
    "default_projects",
    "large_project",
    "make_token",
    "run_standalone",
]
