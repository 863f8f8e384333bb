"""Constants of the Clarity Data Export API and the defaults of this pipeline."""

from __future__ import annotations

import os
from pathlib import Path

API_BASE_URL = "https://www.clarity.ms/export-data/api/v1"
ENDPOINT = "project-live-insights"

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
VALID_NUM_DAYS = (1, 2, 3)

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

FRUSTRATION_BLOCKS = (
    "DeadClickCount",
    "ExcessiveScroll",
    "RageClickCount",
    "QuickbackClick",
    "ScriptErrorCount",
    "ErrorClickCount",
)
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
ROW_CAP = 1000

# Quota: 10 requests per project per UTC day.
DAILY_QUOTA = 10

DEFAULT_DIMENSION_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ("URL",),
    ("URL", "Device"),
    ("Device",),
    ("Browser",),
    ("OS",),
    ("Country",),
    ("Channel",),
    ("Source", "Medium"),
    ("Campaign",),
)

REQUEST_TIMEOUT_SECONDS = 60.0
PIPELINE_NAME = "clarity"
DATASET_NAME = "clarity_raw"


def project_root() -> Path:
    """The repository root (the folder holding pyproject.toml)."""
    return Path(__file__).resolve().parent.parent


def duckdb_path() -> Path:
    """The warehouse file shared by `clarity` and the dbt profile (env CLARITY_DUCKDB_PATH)."""
    configured = os.environ.get("CLARITY_DUCKDB_PATH")
    path = Path(configured) if configured else project_root() / "data" / "clarity.duckdb"
    return path.expanduser().resolve()


# DuckDB's buffer manager takes up to 80% of RAM by default and keeps what it read or wrote
# cached; a cap makes large loads and builds spill to a temp folder instead. The loader and the
# dbt profile read the same variable. Any DuckDB size string ("1GB", "512MB"); "" = DuckDB's own.
DEFAULT_DUCKDB_MEMORY_LIMIT = "1GB"


def duckdb_memory_limit() -> str | None:
    """The DuckDB memory_limit for the loader and dbt (env CLARITY_DUCKDB_MEMORY_LIMIT)."""
    configured = os.environ.get("CLARITY_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT)
    return configured.strip() or None


def data_dir() -> Path:
    """Where landed response bodies and dlt's working folder live (env CLARITY_DATA_DIR)."""
    configured = os.environ.get("CLARITY_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return duckdb_path().parent
