"""The pipeline's configuration, typed, with one home per setting: a field of a configspec
(`ClaritySettings`, `ProjectSettings`) holds its type, default, range and documentation.

Settings come from dlt's providers: `.dlt/config.toml` (committed), the git-ignored
`.dlt/secrets.toml` (tokens) and environment variables (`SOURCES__CLARITY__DAILY_BUDGET`,
`SOURCES__CLARITY__PROJECTS__<NAME>__TOKEN`, ...), resolved by dlt's own config injection
(`@configspec`). Where the warehouse lives comes from `CLARITY_*` environment variables, which the
dbt profile reads too. A value of the wrong type or out of range stops with a ConfigurationError
naming the key, where it came from and what is allowed; 0 means 0 (`daily_budget = 0` pauses
collection). A key that is none of these (a typo) stops too, naming the nearest one; so do
duplicate project names, a token with a space or line break in it and a base URL with a login.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.common.configuration.providers import SettingsTomlProvider
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.configuration.utils import get_resolved_traces

from ingestion import PROJECT_ROOT
from ingestion.api.contract import (
    API_BASE_URL,
    DAILY_QUOTA,
    VALID_NUM_DAYS,
    canonical_dimensions,
    check_base_url,
    check_project_name,
    check_token,
    masked_url,
)
from ingestion.collect.plan import PlanPolicy
from ingestion.errors import ConfigurationError
from ingestion.outputs.notify import DIGEST_OFF, WEEKDAYS, parse_urls
from ingestion.warehouse.destination import DESTINATION_KINDS, PostgresSettings, Warehouse

SECTION = ("sources", "clarity")
PIPELINE_NAME = "clarity"
DATASET_NAME = "clarity_raw"

# Asked in this order until the day's budget is spent.
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
# Where the warehouse lives: environment variables (read by Environment below), the first ones
# shared with the dbt profile (profiles.yml repeats these two defaults: a profile cannot read
# Python; tests/unit/test_config.py checks them).
DUCKDB_PATH_ENV = "CLARITY_DUCKDB_PATH"
DEFAULT_DUCKDB_PATH = "data/clarity.duckdb"  # relative to the project root
DATA_DIR_ENV = "CLARITY_DATA_DIR"
DESTINATION_ENV = "CLARITY_DESTINATION"
POSTGRES_ENV_PREFIX = "CLARITY_PG_"
# DuckDB's buffer manager takes up to 80% of RAM by default and keeps what it read or wrote
# cached; a cap makes large loads and builds spill to a temp folder instead. Any DuckDB size
# string ("1GB", "512MB"); "" = DuckDB's own default.
MEMORY_LIMIT_ENV = "CLARITY_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"
NOTIFY_URLS_ENV = "CLARITY_NOTIFY_URLS"
RAW_PARQUET_ENV = "CLARITY_RAW_PARQUET"
PUBLISHED_PATH_ENV = "CLARITY_PUBLISHED_PATH"


@dataclass(frozen=True)
class Range:
    """The values a numeric setting allows, both ends included, written beside the field
    (`Annotated[int, Range(0, 10)]`). `at_most` names what bounds it from above instead of
    `high` once every setting is read: `daily_budget` (that setting's value) or
    `dimension_sets` (the number of sets configured); `high` is then the bound of the
    defaults."""

    low: float
    high: float
    at_most: str | None = None


@configspec
class ClaritySettings(BaseConfiguration):
    """`[sources.clarity]`: what to ask, how much of the quota to spend, where the API is. Each
    field is the setting: its type, its default, its range, and its documentation (the README's
    configuration table says the same, tests/unit/test_config.py checks it)."""

    base_url: str = API_BASE_URL
    """the API (or the offline service)"""
    daily_budget: Annotated[int, Range(0, DAILY_QUOTA)] = DAILY_QUOTA
    """requests per project per UTC day this pipeline may spend; **0 pauses collection**
    (`clarity plan` says so)"""
    reserve: Annotated[int, Range(0, DAILY_QUOTA, at_most="daily_budget")] = 0
    """requests per day kept back for manual calls"""
    request_timeout: Annotated[float, Range(1, 600)] = 60.0
    """seconds per HTTP request"""
    gap_slack_hours: Annotated[float, Range(0, 23)] = 3.0
    """a gap under N x 24 h + slack still asks numOfDays = N"""
    initial_num_days: Annotated[int, Range(min(VALID_NUM_DAYS), max(VALID_NUM_DAYS))] = 3
    """numOfDays for a set never fetched before"""
    recover_sets: Annotated[
        int, Range(0, len(DEFAULT_DIMENSION_SETS), at_most="dimension_sets")
    ] = 2
    """after a gap (an outage, a stopped cron, a first run) every due set gets one window over
    the gap first; the budget left then buys nested 1-, 2- and 3-day windows (asked back to back,
    their differences are the exact days of the gap) for the first N sets"""
    max_parallel_projects: Annotated[int, Range(1, 64)] = 8
    """projects asked at the same time (each project's own requests stay one after another:
    its quota and its 429 stop are its own)"""
    dimension_sets: list | None = None
    """asked in this order until the budget is spent; `dimension_sets = []` is an error (to
    pause collection set `daily_budget = 0`; for the defaults leave the key out)"""
    project_names: list | None = None
    """which projects to collect (a name with a `.` is quoted in a table header:
    `[sources.clarity.projects."shop.example"]`)"""
    notify_urls: list | None = None
    """where notifications go (`secrets.toml`; or env `CLARITY_NOTIFY_URLS`, comma-separated or
    a JSON list)"""
    report_dir: str | None = None
    """where `clarity run` writes the report"""
    digest_weekday: str = "monday"
    """the UTC weekday from which `clarity run` sends the weekly digest to the notify URLs (once
    per ISO week, the report attached); `off` sends none (`clarity digest` still does)"""


@configspec
class ProjectSettings(BaseConfiguration):
    """`[sources.clarity.projects.<name>]`: one project's settings."""

    token: str | None = None
    """per project, in `[sources.clarity.projects.<name>]` of `secrets.toml` (or
    `SOURCES__CLARITY__PROJECTS__<NAME>__TOKEN`); a token with a space, a line break (as `echo`
    leaves) or a control character stops with its position, never its text"""
    timezone: str = "UTC"
    """per project, in `[sources.clarity.projects.<name>]`: the day boundary of its daily marts
    and of "already fetched today" (the quota stays on UTC days)"""
    clarity_project_id: str | None = None
    """per project, optional: the id in the project's dashboard address
    (`clarity.microsoft.com/projects/view/<id>/...`, letters and digits); with it every page to
    fix links to its recordings and heatmap in Clarity, without it the outputs say there is no
    link"""


def setting_ranges(spec: type[BaseConfiguration] = ClaritySettings) -> dict[str, Range]:
    """The Range written beside each numeric field of `spec`."""
    return {
        name: meta
        for name, hint in spec.get_resolvable_fields().items()
        for meta in getattr(hint, "__metadata__", ())
        if isinstance(meta, Range)
    }


# The allowed values of each numeric key (read from the fields: checked after dlt resolved and
# coerced the types).
RANGES: dict[str, Range] = setting_ranges()
# The keys of each table: a key that is not one of them stops every command (a typo must not be
# ignored: `daly_budget = 0` would collect as usual). `projects` holds one table per project.
SETTINGS_KEYS: tuple[str, ...] = (*ClaritySettings.get_resolvable_fields(), "projects")
PROJECT_KEYS: tuple[str, ...] = tuple(ProjectSettings.get_resolvable_fields())


def plan_policy(settings: ClaritySettings, **overrides: Any) -> PlanPolicy:
    """The planner's policy: the settings of the same names (`overrides` replace single ones)."""
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(PlanPolicy)}
    return PlanPolicy(**{**values, **overrides})


def default_policy(**overrides: Any) -> PlanPolicy:
    """The planner's policy of the default settings (tests override single values)."""
    return plan_policy(ClaritySettings(), **overrides)


@dataclass
class ProjectConfig:
    name: str
    token: str = field(repr=False)
    timezone: str = ProjectSettings.timezone
    clarity_project_id: str | None = ProjectSettings.clarity_project_id

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class IngestConfig:
    """Everything a run needs, resolved and typed."""

    projects: list[ProjectConfig]
    warehouse: Warehouse
    data_dir: Path
    base_url: str = ClaritySettings.base_url
    dimension_sets: tuple[tuple[str, ...], ...] = DEFAULT_DIMENSION_SETS
    policy: PlanPolicy = field(default_factory=default_policy)
    request_timeout: float = ClaritySettings.request_timeout
    max_parallel_projects: int = ClaritySettings.max_parallel_projects
    origin: str = "api"
    retry_delay: float = 2.0
    notify_urls: list[str] = field(default_factory=list, repr=False)
    report_dir: Path | None = None
    digest_weekday: str = ClaritySettings.digest_weekday
    # with the filesystem destination: the DuckDB file of the marts (see marts_duckdb_path)
    marts_file: Path | None = None
    # where dbt reads the raw Parquet of a bucket, when not the bucket's own URL
    raw_parquet: str | None = None
    # the published copy of the marts (None: beside the marts file)
    published_path: Path | None = None

    def project(self, name: str) -> ProjectConfig:
        for project in self.projects:
            if project.name == name:
                return project
        raise ConfigurationError(f"Unknown project {name!r}; configured: {self.project_names}")

    @property
    def project_names(self) -> list[str]:
        return [p.name for p in self.projects]

    @property
    def duckdb_path(self) -> Path | None:
        return self.warehouse.duckdb_path

    @property
    def marts_duckdb_path(self) -> Path | None:
        """The DuckDB file that holds the marts: the warehouse file; with the raw history in a
        bucket, the file dbt's duckdb target builds them into from the Parquet
        (CLARITY_DUCKDB_PATH); None on PostgreSQL (the marts are in the server)."""
        if self.warehouse.kind == "duckdb":
            return self.warehouse.duckdb_path
        return self.marts_file

    @property
    def project_settings(self) -> dict[str, dict[str, str | None]]:
        """What the loader records of each project (raw table `projects`): its time zone and
        its Clarity project id."""
        return {
            p.name: {"timezone": p.timezone, "clarity_project_id": p.clarity_project_id}
            for p in self.projects
        }

    @property
    def reports(self) -> Path:
        """Where `clarity run` writes the report."""
        return self.report_dir or self.data_dir / "reports"


# -- where the warehouse lives: the CLARITY_* environment variables, read here only -----------
@dataclass(frozen=True)
class Environment:
    """The CLARITY_* environment variables, read by `Environment.read` and nowhere else in the
    package (dbt's profile reads the warehouse's own ones itself: profiles/profiles.yml; the dbt
    runner hands it the DuckDB file and the Parquet folder as values)."""

    # the warehouse file: --duckdb, else CLARITY_DUCKDB_PATH, else data/clarity.duckdb
    duckdb_path: Path
    # landed bodies and dlt's working folder: CLARITY_DATA_DIR, else beside the DuckDB file
    data_dir: Path
    # the raw layer's destination: CLARITY_DESTINATION (duckdb, postgres or filesystem)
    destination: str = "duckdb"
    # CLARITY_DUCKDB_MEMORY_LIMIT for the loader and dbt (None: DuckDB's default)
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT
    # CLARITY_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE (checked for the postgres destination)
    postgres: Mapping[str, str] = field(default_factory=dict, repr=False)
    # CLARITY_NOTIFY_URLS: Apprise URLs, a JSON list or separated by commas or whitespace
    notify_urls: str = field(default="", repr=False)
    # CLARITY_RAW_PARQUET: where dbt reads the Parquet of a bucket (default: the bucket's own)
    raw_parquet: str | None = None
    # CLARITY_PUBLISHED_PATH: the read-only copy `clarity publish` writes and `clarity mcp` reads
    published_path: Path | None = None

    @classmethod
    def read(
        cls, duckdb: Path | None = None, environ: Mapping[str, str] = os.environ
    ) -> Environment:
        """The environment of this process; `duckdb` (the command line's --duckdb) before
        CLARITY_DUCKDB_PATH."""

        def path(value: str | Path) -> Path:
            return Path(value).expanduser().resolve()

        warehouse_file = path(
            duckdb or environ.get(DUCKDB_PATH_ENV) or PROJECT_ROOT / DEFAULT_DUCKDB_PATH
        )
        kind = environ.get(DESTINATION_ENV, "duckdb").strip().lower() or "duckdb"
        return cls(
            duckdb_path=warehouse_file,
            data_dir=path(environ[DATA_DIR_ENV])
            if environ.get(DATA_DIR_ENV)
            else warehouse_file.parent,
            destination=kind,
            memory_limit=environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT).strip() or None,
            postgres={k: v for k, v in environ.items() if k.startswith(POSTGRES_ENV_PREFIX)},
            notify_urls=environ.get(NOTIFY_URLS_ENV, ""),
            raw_parquet=environ.get(RAW_PARQUET_ENV) or None,
            published_path=path(environ[PUBLISHED_PATH_ENV])
            if environ.get(PUBLISHED_PATH_ENV)
            else None,
        )

    def warehouse(self) -> Warehouse:
        """The raw layer's destination (a ConfigurationError says what is missing)."""
        if self.destination not in DESTINATION_KINDS:
            raise ConfigurationError(
                f"{DESTINATION_ENV} must be one of {', '.join(DESTINATION_KINDS)}, "
                f"got {self.destination!r}"
            )
        if self.destination == "postgres":
            return Warehouse("postgres", postgres=self._postgres_settings())
        if self.destination == "filesystem":
            return Warehouse("filesystem", bucket_url=bucket_url())
        return Warehouse("duckdb", duckdb_path=self.duckdb_path, memory_limit=self.memory_limit)

    def _postgres_settings(self) -> PostgresSettings:
        """CLARITY_PG_* (the dbt profile's `postgres` target reads the same variables)."""
        pg = self.postgres
        missing = [v for v in ("CLARITY_PG_USER", "CLARITY_PG_DATABASE") if not pg.get(v)]
        if missing:
            raise ConfigurationError(
                f"{DESTINATION_ENV}=postgres needs {', '.join(missing)} (and CLARITY_PG_HOST, "
                "CLARITY_PG_PORT, CLARITY_PG_PASSWORD as needed) in the environment."
            )
        port = pg.get("CLARITY_PG_PORT", "5432")
        if not port.isdigit():
            raise ConfigurationError(f"CLARITY_PG_PORT must be a port number, got {port!r}")
        return PostgresSettings(
            host=pg.get("CLARITY_PG_HOST", "127.0.0.1"),
            port=int(port),
            user=pg["CLARITY_PG_USER"],
            password=pg.get("CLARITY_PG_PASSWORD", ""),
            database=pg["CLARITY_PG_DATABASE"],
        )

    def notify_url_list(self) -> list[str]:
        """CLARITY_NOTIFY_URLS as a list (a ConfigurationError if its JSON is broken)."""
        try:
            return parse_urls(self.notify_urls)
        except ValueError as exc:
            raise ConfigurationError(
                f"{NOTIFY_URLS_ENV} is not a JSON list of URLs ({exc}): write a JSON list, or "
                "URLs separated by commas or spaces."
            ) from None


def duckdb_warehouse(path: Path) -> Warehouse:
    """A DuckDB warehouse at `path`, with the memory limit of the environment."""
    memory_limit = Environment.read().memory_limit
    return Warehouse("duckdb", duckdb_path=Path(path).resolve(), memory_limit=memory_limit)


def bucket_url() -> str:
    """The filesystem destination's bucket, from dlt's own config (`[destination.filesystem]
    bucket_url` in .dlt/config.toml, or env DESTINATION__FILESYSTEM__BUCKET_URL)."""
    use_project_settings_dir()
    import dlt

    url = dlt.config.get("destination.filesystem.bucket_url")
    if not url:
        raise ConfigurationError(
            f"{DESTINATION_ENV}=filesystem needs a bucket: set [destination.filesystem] "
            'bucket_url = "file:///abs/folder" (or s3://, gs://, az://) in .dlt/config.toml, '
            "or DESTINATION__FILESYSTEM__BUCKET_URL."
        )
    url = str(url)
    if "://" not in url:  # a plain local path
        url = Path(url).expanduser().resolve().as_uri()
    return url


# -- settings from dlt's providers ---------------------------------------------------------------
def use_project_settings_dir() -> None:
    """Point dlt at the repository's `.dlt/` unless the caller chose another folder."""
    if "DLT_PROJECT_DIR" not in os.environ and not (Path.cwd() / ".dlt").is_dir():
        os.environ["DLT_PROJECT_DIR"] = str(PROJECT_ROOT)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def env_var(*keys: str) -> str:
    """The environment variable dlt reads for a key of [sources.clarity]."""
    return "__".join(part.upper() for part in (*SECTION, *keys))


def token_env_var(project: str) -> str:
    """The environment variable for a project's token (names upper-cased, `-` as `_`)."""
    return project_env_var(project, "token")


def project_env_var(project: str, key: str) -> str:
    """The environment variable for a project's setting (names upper-cased, `-` as `_`)."""
    return env_var("projects", project.replace("-", "_"), key)


def _origin(key: str, traces: list) -> str:
    """Where dlt found `key` (the provider that had a value: an env var or a file), for
    messages."""
    for trace in traces:
        if trace.key == key and trace.value is not None:
            if trace.provider_name == "Environment Variables":
                return f"env {env_var(*trace.sections[len(SECTION) :], key)}"
            return f"{_file_of(trace)} [{'.'.join(trace.sections)}]"
    return "the default"


def _file_of(trace: Any) -> str:
    """The path of the toml file a value came from (dlt's trace names only the file)."""
    import dlt

    for provider in dlt.config.config_providers:
        if provider.name == trace.provider_name and isinstance(provider, SettingsTomlProvider):
            return _toml_path(provider, trace.provider_location or "")
    return trace.provider_location or trace.provider_name


def _toml_path(provider: SettingsTomlProvider, location: str) -> str:
    """The path of the file a toml provider names `location` (`config.toml`, or
    `global:config.toml` for the one in dlt's global folder, read after the project's)."""
    name = location.removeprefix("global:")
    paths = [path for path in provider.present_locations if Path(path).name == name]
    if not paths:
        return location or " or ".join(provider.present_locations) or provider.name
    return str(Path(paths[-1] if location.startswith("global:") else paths[0]).resolve())


# -- every key known -----------------------------------------------------------------------------
def _unknown_key(key: str, table: str, origin: str, known: Sequence[str], spell=str) -> str:
    """The problem of a key that is not in `known`, with the nearest known one (as `spell`
    writes it: a toml key or an env var)."""
    nearest = difflib.get_close_matches(key.lower(), known, n=1)
    hint = f"did you mean {spell(nearest[0])}?" if nearest else f"the keys are {', '.join(known)}"
    return f"Unknown key {key!r} in {table} (from {origin}): {hint}"


def _unknown_in_toml(provider: SettingsTomlProvider) -> list[str]:
    """The keys of a toml provider's [sources.clarity] and project tables that no setting
    reads."""
    table, _ = provider.get_value(SECTION[-1], dict, None, *SECTION[:-1])
    if table is None:
        return []

    def origin(*path: str) -> str:
        return _toml_path(provider, provider.get_value_location(path[-1], None, *path[:-1]))

    where = ".".join(SECTION)
    if not isinstance(table, dict):
        return [f"{where} (from {origin(*SECTION)}) must be a table: [{where}]"]
    problems = [
        _unknown_key(key, f"[{where}]", origin(*SECTION, key), SETTINGS_KEYS)
        for key in table
        if key not in SETTINGS_KEYS
    ]
    projects = table.get("projects", {})
    if not isinstance(projects, dict):
        return [
            *problems,
            f"{where}.projects (from {origin(*SECTION, 'projects')}) must be "
            f"tables, one per project: [{where}.projects.<name>]",
        ]
    for name, project in projects.items():
        path = (*SECTION, "projects", name)
        if not isinstance(project, dict):
            problems.append(
                f"{'.'.join(path)} (from {origin(*path)}) must be a table: "
                f'[{where}.projects.{name}] with token = "..." (and timezone = "...")'
            )
            continue
        problems.extend(
            _unknown_key(key, f"[{'.'.join(path)}]", origin(*path, key), PROJECT_KEYS)
            for key in project
            if key not in PROJECT_KEYS
        )
    return problems


def _unknown_in_env(environ: Mapping[str, str]) -> list[str]:
    """The SOURCES__CLARITY__* environment variables that no setting reads: dlt reads
    SOURCES__CLARITY__<KEY> and SOURCES__CLARITY__PROJECTS__<NAME>__<KEY>, keys upper-cased."""
    prefix = env_var("")
    problems = []
    for var in sorted(name for name in environ if name.startswith(prefix)):
        parts = var[len(prefix) :].split("__")
        if len(parts) == 1:
            key, table, known, spell = parts[0], "", SETTINGS_KEYS, env_var
        elif len(parts) == 3 and parts[0] == "PROJECTS":
            key, table, known = parts[2], ".projects.<name>", PROJECT_KEYS
            spell = partial(env_var, "projects", parts[1])
        else:
            problems.append(
                f"{var} is not a setting: use {env_var('<KEY>')} or "
                f"{env_var('PROJECTS', '<NAME>', '<KEY>')}"
            )
            continue
        if key not in (k.upper() for k in known):
            table = f"[{'.'.join(SECTION)}{table}]"
            problems.append(_unknown_key(key, table, f"env {var}", known, spell))
    return problems


def _check_known_keys() -> None:
    """Stop on any key of [sources.clarity] (in a toml file of dlt's or the environment) that
    no setting reads."""
    import dlt

    problems = [
        problem
        for provider in dlt.config.config_providers
        if isinstance(provider, SettingsTomlProvider)
        for problem in _unknown_in_toml(provider)
    ]
    problems.extend(_unknown_in_env(os.environ))
    if problems:
        raise ConfigurationError(" ".join(p if p.endswith("?") else f"{p}." for p in problems))


def _resolve(spec, sections: tuple[str, ...]) -> tuple[Any, list]:
    """Resolve one configspec with dlt, keeping the lookup traces (for where a value came from)."""
    log = get_resolved_traces()
    log.clear()
    log.logging_enabled = True
    try:
        resolved = resolve_configuration(spec(), sections=sections)
    except ConfigValueCannotBeCoercedException as exc:
        key = exc.field_name
        expected = {int: "an integer", float: "a number", str: "text", list: "a list"}.get(
            exc.hint, str(exc.hint)
        )
        allowed = RANGES.get(key)
        detail = f" from {allowed.low:g} to {allowed.high:g}" if allowed else ""
        raise ConfigurationError(
            f"{'.'.join((*sections, key))} = {exc.field_value!r} (from "
            f"{_origin(key, log.all_traces)}) must be {expected}{detail}."
        ) from None
    return resolved, list(log.all_traces)


# What a Range's `at_most` names, in messages.
_AT_MOST = {"daily_budget": "the daily_budget", "dimension_sets": "the sets configured"}


def _check_ranges(settings: Any, traces: list, sets: int) -> None:
    limits = {"daily_budget": settings.daily_budget, "dimension_sets": sets}
    for key, allowed in RANGES.items():
        value = getattr(settings, key)
        low, high = allowed.low, allowed.high
        if allowed.at_most:  # the bound the other setting sets
            high = limits[allowed.at_most]
        if isinstance(value, bool) or not low <= value <= high:
            raise ConfigurationError(
                f"{'.'.join((*SECTION, key))} = {value!r} (from {_origin(key, traces)}) is out "
                f"of range: allowed {low:g} to {high:g}"
                + (f" ({_AT_MOST[allowed.at_most]})." if allowed.at_most else ".")
            )


DIMENSION_SET_FORMS = (
    'a list of up to 3 dimension names (["URL", "Device"]), a comma-separated string '
    '("URL,Device"), or [] for the set without dimensions'
)


def parse_dimension_sets(raw: Sequence[Any]) -> tuple[tuple[str, ...], ...]:
    """The sets of `dimension_sets`, in their order. Raises ValueError naming the set that is
    wrong (by its number) and why."""
    if not raw:
        raise ValueError(
            "the list is empty: to pause collection set daily_budget = 0; to use the default "
            "sets remove the key"
        )
    sets: list[tuple[str, ...]] = []
    for number, item in enumerate(raw, start=1):
        names = _dimension_names(item)
        if names is None:
            raise ValueError(
                f"set #{number} ({item!r}) is not a set: each is {DIMENSION_SET_FORMS}"
            )
        try:
            dims = canonical_dimensions(names)
        except ValueError as exc:
            raise ValueError(f"set #{number} ({item!r}): {exc}") from None
        if dims in sets:
            raise ValueError(f"set #{number} ({item!r}) is listed twice (as {list(dims)})")
        sets.append(dims)
    return tuple(sets)


def _dimension_names(item: Any) -> list[str] | None:
    """The names of one item of `dimension_sets` (None if it is not one of a set's forms)."""
    if isinstance(item, str):
        names = [part.strip() for part in item.split(",")]
        return None if "" in names else names
    if isinstance(item, list | tuple) and all(isinstance(name, str) for name in item):
        return list(item)
    return None


def valid_base_url(url: str, key: str, origin: str | None = None) -> str:
    """`url` if it can be the API's base URL; a ConfigurationError naming `key` (and where it
    came from) if not, with any user name and password masked."""
    problem = check_base_url(url)
    if problem:
        source = f" (from {origin})" if origin else ""
        raise ConfigurationError(f"{key} = {masked_url(url)!r}{source} {problem}.")
    return url


def _project_names(settings: Any, traces: list) -> tuple[list[Any], str]:
    """The names of the projects to collect, and where they were listed (for messages)."""
    import dlt

    if settings.project_names is not None:
        key = ".".join((*SECTION, "project_names"))
        return list(settings.project_names), f"{key} (from {_origin('project_names', traces)})"
    table = dlt.secrets.get(".".join((*SECTION, "projects"))) or {}
    names = list(table.keys()) if isinstance(table, dict) else []
    return names, f"the tables [{'.'.join(SECTION)}.projects.<name>] of .dlt/secrets.toml"


def _check_project_names(names: Sequence[Any], listed: str) -> None:
    """Each name valid and each project once: two names that read the same environment
    variables (`-` and `_`, upper and lower case) would be two projects asking one."""
    seen: dict[str, str] = {}  # token env var -> the first name that reads it
    for name in names:
        problem = check_project_name(name)
        if problem:
            raise ConfigurationError(f"Project name {name!r} in {listed} {problem}.")
        first = seen.get(token_env_var(name))
        if first == name:
            raise ConfigurationError(
                f"Project {name!r} is listed twice in {listed}: list each project once."
            )
        if first is not None:
            raise ConfigurationError(
                f"Projects {first!r} and {name!r} in {listed} are one project to dlt (both read "
                f"{token_env_var(name)}): keep one of the names."
            )
        seen[token_env_var(name)] = name


def _project(name: str, require_tokens: bool) -> ProjectConfig:
    """One project's settings; its env vars may also spell `-` as `_` in the name."""
    sections = (*SECTION, "projects", name)
    project, traces = _resolve(ProjectSettings, sections)
    token = project.token or os.environ.get(token_env_var(name))
    if not token and require_tokens:
        raise ConfigurationError(
            f"No token for Clarity project {name!r}: add it to .dlt/secrets.toml "
            f'([sources.clarity.projects.{name}] token = "...") or set '
            f"{token_env_var(name)}."
        )
    problem = check_token(token) if token else None
    if problem:  # never a character of the token in the message
        origin = _origin("token", traces) if project.token else f"env {token_env_var(name)}"
        raise ConfigurationError(f"{'.'.join((*sections, 'token'))} (from {origin}) {problem}.")
    timezone = os.environ.get(project_env_var(name, "timezone")) or project.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        origin = (
            f"env {project_env_var(name, 'timezone')}"
            if os.environ.get(project_env_var(name, "timezone"))
            else _origin("timezone", traces)
        )
        raise ConfigurationError(
            f"{'.'.join((*sections, 'timezone'))} = {timezone!r} (from {origin}) is not a time "
            "zone: use an IANA name such as 'Europe/Paris' or 'America/New_York' (default UTC)."
        ) from None
    return ProjectConfig(
        name=name,
        token=token or "",
        timezone=timezone,
        clarity_project_id=_clarity_project_id(name, project, traces),
    )


def _clarity_project_id(name: str, project: ProjectSettings, traces: list) -> str | None:
    """A project's Clarity id (its env var may also spell `-` as `_` in the name), checked: it
    goes into the path of a link, so only letters and digits."""
    env = project_env_var(name, "clarity_project_id")
    value = os.environ.get(env) or project.clarity_project_id
    if value is None or value == "":
        return None
    problem = check_clarity_project_id(value)
    if problem:
        origin = f"env {env}" if os.environ.get(env) else _origin("clarity_project_id", traces)
        key = ".".join((*SECTION, "projects", name, "clarity_project_id"))
        raise ConfigurationError(f"{key} = {value!r} (from {origin}) {problem}.")
    return value


def check_clarity_project_id(value: str) -> str | None:
    """Why `value` cannot be a Clarity project id (None if it can): 1 to 32 ASCII letters and
    digits, as in the dashboard's address."""
    if not (1 <= len(value) <= 32 and value.isascii() and value.isalnum()):
        return (
            "is not a Clarity project id: use the 1 to 32 letters and digits after "
            "/projects/view/ in the dashboard's address"
        )
    return None


def load_config(
    *, require_tokens: bool = True, environment: Environment | None = None
) -> IngestConfig:
    """The configuration from dlt's providers (toml files and environment variables) and the
    CLARITY_* environment variables (`environment`, read from this process's by default)."""
    environment = environment or Environment.read()
    use_project_settings_dir()
    _check_known_keys()
    settings, traces = _resolve(ClaritySettings, SECTION)
    base_url = valid_base_url(
        settings.base_url, ".".join((*SECTION, "base_url")), _origin("base_url", traces)
    )
    try:
        sets = (
            DEFAULT_DIMENSION_SETS
            if settings.dimension_sets is None
            else parse_dimension_sets(settings.dimension_sets)
        )
    except ValueError as exc:
        raise ConfigurationError(
            f"{'.'.join((*SECTION, 'dimension_sets'))} (from "
            f"{_origin('dimension_sets', traces)}): {exc}."
        ) from None
    _check_ranges(settings, traces, len(sets))
    digest_weekday = _digest_weekday(settings, traces)
    names, listed = _project_names(settings, traces)
    _check_project_names(names, listed)
    projects = [_project(name, require_tokens) for name in names]
    if not projects and require_tokens:
        raise ConfigurationError(
            "No Clarity projects configured: copy .dlt/example.secrets.toml to .dlt/secrets.toml "
            "and add one [sources.clarity.projects.<name>] table with a token per project "
            "(or run ./scripts/demo to use the offline service)."
        )
    warehouse = environment.warehouse()
    urls = environment.notify_url_list() or parse_urls(settings.notify_urls)
    return IngestConfig(
        projects=projects,
        warehouse=warehouse,
        data_dir=environment.data_dir,
        base_url=base_url,
        dimension_sets=sets,
        policy=plan_policy(settings),
        request_timeout=settings.request_timeout,
        marts_file=environment.duckdb_path if warehouse.kind == "filesystem" else None,
        max_parallel_projects=settings.max_parallel_projects,
        notify_urls=urls,
        raw_parquet=environment.raw_parquet,
        published_path=environment.published_path,
        report_dir=Path(settings.report_dir).expanduser().resolve()
        if settings.report_dir
        else None,
        digest_weekday=digest_weekday,
    )


def _digest_weekday(settings: ClaritySettings, traces: list) -> str:
    """digest_weekday, checked: a weekday's English name (any case) or `off`."""
    value = str(settings.digest_weekday).strip().lower()
    if value not in (*WEEKDAYS, DIGEST_OFF):
        raise ConfigurationError(
            f"{'.'.join((*SECTION, 'digest_weekday'))} = {settings.digest_weekday!r} (from "
            f"{_origin('digest_weekday', traces)}) is not a weekday: use one of "
            f"{', '.join(WEEKDAYS)}, or {DIGEST_OFF} to send no weekly digest."
        )
    return value
