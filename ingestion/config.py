"""Read the pipeline's configuration: `.dlt/config.toml` (committed defaults), the git-ignored
`.dlt/secrets.toml` (tokens) and env vars such as SOURCES__CLARITY__PROJECTS__<NAME>__TOKEN."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingestion import settings
from ingestion.client import canonical_dimensions
from ingestion.destinations import Warehouse
from ingestion.errors import ConfigurationError
from ingestion.plan import PlanPolicy


def use_project_settings_dir() -> None:
    """Point dlt at the repository's `.dlt/` unless the caller chose another folder."""
    if "DLT_PROJECT_DIR" not in os.environ and not (Path.cwd() / ".dlt").is_dir():
        os.environ["DLT_PROJECT_DIR"] = str(settings.project_root())
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


@dataclass
class ProjectConfig:
    name: str
    token: str = field(repr=False)


@dataclass
class IngestConfig:
    projects: list[ProjectConfig]
    base_url: str = settings.API_BASE_URL
    dimension_sets: tuple[tuple[str, ...], ...] = settings.DEFAULT_DIMENSION_SETS
    policy: PlanPolicy = field(default_factory=PlanPolicy)
    request_timeout: float = settings.REQUEST_TIMEOUT_SECONDS
    origin: str = "api"
    duckdb_path: Path = field(default_factory=settings.duckdb_path)
    data_dir: Path = field(default_factory=settings.data_dir)
    retry_delay: float = 2.0

    @property
    def warehouse(self) -> Warehouse:
        """The raw layer's destination: env CLARITY_DESTINATION (duckdb by default)."""
        return Warehouse.from_env(self.duckdb_path)

    def project(self, name: str) -> ProjectConfig:
        for project in self.projects:
            if project.name == name:
                return project
        raise ConfigurationError(f"Unknown project {name!r}; configured: {self.project_names}")

    @property
    def project_names(self) -> list[str]:
        return [p.name for p in self.projects]


def parse_dimension_sets(raw: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    sets: list[tuple[str, ...]] = []
    for item in raw:
        if isinstance(item, str):
            item = [part for part in item.split(",") if part.strip()]
        dims = canonical_dimensions(item)
        if dims in sets:
            raise ConfigurationError(f"Dimension set {list(dims)} is listed twice")
        sets.append(dims)
    return tuple(sets)


def token_env_var(project: str) -> str:
    """The environment variable for a project's token (names upper-cased, `-` as `_`)."""
    return f"SOURCES__CLARITY__PROJECTS__{project.upper().replace('-', '_')}__TOKEN"


def load_config(*, require_tokens: bool = True) -> IngestConfig:
    """The configuration from dlt's providers (toml files and environment variables)."""
    use_project_settings_dir()
    import dlt  # noqa: PLC0415 - dlt reads its providers on first use

    section = "sources.clarity"
    names = dlt.config.get(f"{section}.project_names")
    if names is None:
        projects_table = dlt.secrets.get(f"{section}.projects") or {}
        names = list(projects_table.keys()) if isinstance(projects_table, dict) else []
    if isinstance(names, str):
        text = names.strip()
        names = json.loads(text) if text.startswith("[") else text.split(",")
    names = [str(n).strip() for n in names if str(n).strip()]
    projects = []
    for name in names:
        env = token_env_var(name)
        token = dlt.secrets.get(f"{section}.projects.{name}.token") or os.environ.get(env)
        if not token and require_tokens:
            raise ConfigurationError(
                f"No token for Clarity project {name!r}: add it to .dlt/secrets.toml "
                f'([sources.clarity.projects.{name}] token = "...") or set {env}.'
            )
        projects.append(ProjectConfig(name=name, token=token or ""))
    if not projects and require_tokens:
        raise ConfigurationError(
            "No Clarity projects configured: copy .dlt/example.secrets.toml to .dlt/secrets.toml "
            "and add one [sources.clarity.projects.<name>] table with a token per project "
            "(or run ./scripts/demo to use the offline service)."
        )
    raw_sets = dlt.config.get(f"{section}.dimension_sets")
    policy = PlanPolicy(
        budget=int(dlt.config.get(f"{section}.daily_budget") or settings.DAILY_QUOTA),
        reserve=int(dlt.config.get(f"{section}.reserve") or 0),
        gap_slack_hours=float(dlt.config.get(f"{section}.gap_slack_hours") or 3.0),
        initial_num_days=int(dlt.config.get(f"{section}.initial_num_days") or 3),
    )
    return IngestConfig(
        projects=projects,
        base_url=dlt.config.get(f"{section}.base_url") or settings.API_BASE_URL,
        dimension_sets=(
            parse_dimension_sets(raw_sets) if raw_sets else settings.DEFAULT_DIMENSION_SETS
        ),
        policy=policy,
        request_timeout=float(
            dlt.config.get(f"{section}.request_timeout") or settings.REQUEST_TIMEOUT_SECONDS
        ),
    )
