"""The typed configuration: every key at its boundaries, 0 meaning 0, and errors that name the
key, where the value came from and what is allowed. Every test runs in a project folder of its
own (`settings`): none reads the working copy's `.dlt/`."""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from ingestion import PROJECT_ROOT, cli
from ingestion.api.contract import canonical_dimensions, check_project_name
from ingestion.config import (
    DEFAULT_DIMENSION_SETS,
    DEFAULT_DUCKDB_PATH,
    DEFAULT_MEMORY_LIMIT,
    RANGES,
    ClaritySettings,
    Environment,
    ProjectSettings,
    env_var,
    load_config,
    token_env_var,
)
from ingestion.errors import ConfigurationError
from tests.child import CLARITY, child_env

INTEGER_KEYS = {"daily_budget", "reserve", "initial_num_days", "recover_sets"}


class ProjectFolder:
    """A project folder with its own `.dlt/` that dlt reads (DLT_PROJECT_DIR and cwd point at
    it); `write` replaces its toml files and makes dlt read them again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.settings = root / ".dlt"
        self.settings.mkdir()
        self.write()

    def write(self, config: str = "", secrets: str | None = None) -> None:
        (self.settings / "config.toml").write_text(config)
        if secrets is not None:
            (self.settings / "secrets.toml").write_text(secrets)
        _reload_dlt_providers()


def _reload_dlt_providers() -> None:
    """dlt reads the toml files once per process: read them again from DLT_PROJECT_DIR."""
    Container()[PluggableRunContext].reload_providers()


@pytest.fixture(autouse=True)
def settings(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("SOURCES__CLARITY__") or name.startswith("CLARITY_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.setenv("DLT_PROJECT_DIR", str(folder))
    monkeypatch.chdir(folder)
    yield ProjectFolder(folder)
    monkeypatch.undo()
    _reload_dlt_providers()


def _cli(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`clarity <args>` in a subprocess run in the project `folder`, with only `env` set (and the
    code of this working copy)."""
    base = {"PATH": "/usr/bin:/bin", "CLARITY_DUCKDB_PATH": str(folder / "w.duckdb")}
    return subprocess.run(
        [sys.executable, *CLARITY, *args],
        cwd=folder,
        env=child_env(folder, env, base=base),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _policy_value(config, key: str):
    policy = config.policy
    return {
        "daily_budget": policy.daily_budget,
        "reserve": policy.reserve,
        "gap_slack_hours": policy.gap_slack_hours,
        "initial_num_days": policy.initial_num_days,
        "recover_sets": policy.recover_sets,
        "request_timeout": config.request_timeout,
        "max_parallel_projects": config.max_parallel_projects,
    }[key]


def _set(monkeypatch, key: str, value) -> None:
    monkeypatch.setenv(env_var(key), str(value))
    if key == "reserve":  # reserve is bounded by the budget: give it the whole quota
        monkeypatch.setenv(env_var("daily_budget"), str(RANGES["daily_budget"].high))


def test_defaults_apply_when_nothing_is_set():
    config = load_config(require_tokens=False)
    defaults = ClaritySettings()
    for key in RANGES:
        assert _policy_value(config, key) == getattr(defaults, key), key
    assert config.base_url == defaults.base_url
    assert len(config.dimension_sets) == 10 and config.dimension_sets[0] == ()


@pytest.mark.parametrize(("key", "bound"), [(k, b) for k in RANGES for b in (0, 1)])
def test_each_key_takes_its_boundaries(monkeypatch, key, bound):
    value = (RANGES[key].low, RANGES[key].high)[bound]
    _set(monkeypatch, key, int(value) if key in INTEGER_KEYS else value)
    assert _policy_value(load_config(require_tokens=False), key) == value


@pytest.mark.parametrize(("key", "bound"), [(k, b) for k in RANGES for b in (0, 1)])
def test_each_key_refuses_a_value_past_its_boundaries(monkeypatch, key, bound):
    low, high = RANGES[key].low, RANGES[key].high
    value = low - 1 if bound == 0 else high + 1
    _set(monkeypatch, key, int(value) if key in INTEGER_KEYS else value)
    with pytest.raises(ConfigurationError) as raised:
        load_config(require_tokens=False)
    message = str(raised.value)
    assert f"sources.clarity.{key} = " in message
    assert f"from env {env_var(key)}" in message
    assert f"allowed {low:g} to {high:g}" in message


@pytest.mark.parametrize("key", list(RANGES))
def test_each_key_refuses_a_value_of_the_wrong_type(monkeypatch, key):
    monkeypatch.setenv(env_var(key), "ten")
    with pytest.raises(ConfigurationError) as raised:
        load_config(require_tokens=False)
    message = str(raised.value)
    assert f"sources.clarity.{key} = 'ten' (from env {env_var(key)}) must be" in message
    assert f"from {RANGES[key].low:g} to {RANGES[key].high:g}" in message


def test_zero_means_zero(monkeypatch):
    monkeypatch.setenv(env_var("daily_budget"), "0")
    monkeypatch.setenv(env_var("gap_slack_hours"), "0")
    config = load_config(require_tokens=False)
    assert config.policy.daily_budget == 0 and config.policy.paused
    assert config.policy.gap_slack_hours == 0


def test_a_reserve_above_the_budget_names_both(monkeypatch):
    monkeypatch.setenv(env_var("daily_budget"), "4")
    monkeypatch.setenv(env_var("reserve"), "5")
    with pytest.raises(
        ConfigurationError, match=r"reserve = 5 .*allowed 0 to 4 \(the daily_budget\)"
    ):
        load_config(require_tokens=False)


def test_recover_sets_is_bounded_by_the_sets_configured(monkeypatch):
    monkeypatch.setenv(env_var("dimension_sets"), '[[], ["URL"]]')
    monkeypatch.setenv(env_var("recover_sets"), "3")
    with pytest.raises(ConfigurationError, match=r"allowed 0 to 2 \(the sets configured\)"):
        load_config(require_tokens=False)


def test_a_project_time_zone_is_checked_and_named(monkeypatch):
    monkeypatch.setenv(env_var("project_names"), '["my-shop"]')
    monkeypatch.setenv("SOURCES__CLARITY__PROJECTS__MY_SHOP__TIMEZONE", "America/New_York")
    config = load_config(require_tokens=False)
    assert config.project("my-shop").timezone == "America/New_York"
    monkeypatch.setenv("SOURCES__CLARITY__PROJECTS__MY_SHOP__TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigurationError) as raised:
        load_config(require_tokens=False)
    message = str(raised.value)
    assert "sources.clarity.projects.my-shop.timezone = 'Mars/Olympus'" in message
    assert "env SOURCES__CLARITY__PROJECTS__MY_SHOP__TIMEZONE" in message
    assert "IANA name" in message


def test_the_digest_weekday_is_a_weekday_or_off(monkeypatch):
    assert load_config(require_tokens=False).digest_weekday == "monday"
    monkeypatch.setenv(env_var("digest_weekday"), "Friday")
    assert load_config(require_tokens=False).digest_weekday == "friday"
    monkeypatch.setenv(env_var("digest_weekday"), "off")
    assert load_config(require_tokens=False).digest_weekday == "off"
    monkeypatch.setenv(env_var("digest_weekday"), "fri")
    with pytest.raises(ConfigurationError) as raised:
        load_config(require_tokens=False)
    message = str(raised.value)
    assert "sources.clarity.digest_weekday = 'fri' (from env SOURCES__CLARITY__DIGEST_WEEKDAY)" in (
        message
    )
    assert "monday, tuesday" in message and "or off to send no weekly digest" in message


def test_a_clarity_project_id_is_optional_checked_and_recorded(monkeypatch):
    monkeypatch.setenv(env_var("project_names"), '["my-shop", "blog"]')
    monkeypatch.setenv("SOURCES__CLARITY__PROJECTS__MY_SHOP__CLARITY_PROJECT_ID", "abc123xyz")
    config = load_config(require_tokens=False)
    assert config.project("my-shop").clarity_project_id == "abc123xyz"
    assert config.project("blog").clarity_project_id is None
    assert config.project_settings["my-shop"] == {
        "timezone": "UTC",
        "clarity_project_id": "abc123xyz",
    }
    monkeypatch.setenv("SOURCES__CLARITY__PROJECTS__MY_SHOP__CLARITY_PROJECT_ID", "abc/../x")
    with pytest.raises(ConfigurationError) as raised:
        load_config(require_tokens=False)
    message = str(raised.value)
    assert "sources.clarity.projects.my-shop.clarity_project_id = 'abc/../x'" in message
    assert "env SOURCES__CLARITY__PROJECTS__MY_SHOP__CLARITY_PROJECT_ID" in message
    assert "letters and digits" in message


def test_a_bad_dimension_set_names_the_key(monkeypatch):
    monkeypatch.setenv(env_var("dimension_sets"), '[["URL"], ["Pages"]]')
    with pytest.raises(ConfigurationError, match=r"dimension_sets \(from env .*Unknown Clarity"):
        load_config(require_tokens=False)


def test_a_value_from_config_toml_is_named_with_its_file(settings):
    settings.write("[sources.clarity]\ndaily_budget = 11\n")
    result = _cli(settings.root, "plan")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "sources.clarity.daily_budget = 11 (from " in result.stderr
    assert str(settings.settings / "config.toml") in result.stderr
    assert "allowed 0 to 10" in result.stderr


def test_a_base_url_in_the_project_config_toml_is_read(settings):
    # the README's configuration step: a user's own base_url must not break the suite
    settings.write('[sources.clarity]\nbase_url = "http://127.0.0.1:8765/export-data/api/v1"\n')
    assert load_config(require_tokens=False).base_url == "http://127.0.0.1:8765/export-data/api/v1"
    settings.write()
    assert load_config(require_tokens=False).base_url == ClaritySettings.base_url


def test_the_dbt_profile_repeats_the_warehouse_defaults():
    profile = yaml.safe_load((PROJECT_ROOT / "profiles" / "profiles.yml").read_text())
    duckdb = profile["clarity"]["outputs"]["duckdb"]
    assert f"env_var('CLARITY_DUCKDB_PATH', '{DEFAULT_DUCKDB_PATH}')" in duckdb["path"]
    assert (
        f"env_var('CLARITY_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}')"
        in (duckdb["settings"]["memory_limit"])
    )


def _field_docs(spec) -> dict[str, str]:
    """The docstring under each field of a configspec (as dlt writes them), whitespace folded."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(spec)))
    body = tree.body[0].body
    docs = {}
    for field, doc in zip(body, body[1:], strict=False):
        if isinstance(field, ast.AnnAssign) and isinstance(doc, ast.Expr):
            docs[field.target.id] = " ".join(doc.value.value.split())
    return docs


# Read when the module is imported, before any test runs: in one CI run CPython 3.11.7's
# ast.parse (which inspect.getsource uses) raised "SystemError: AST constructor recursion depth
# mismatch" after a thousand other tests had run in the process; it depends on the
# interpreter's recursion state, not on the source parsed.
FIELD_DOCS = {spec: _field_docs(spec) for spec in (ClaritySettings, ProjectSettings)}


@pytest.mark.parametrize("spec", [ClaritySettings, ProjectSettings])
def test_the_readme_table_is_the_configspec(spec):
    """Each field is the setting: the README's row shows its default, its range and its
    docstring."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    docs = FIELD_DOCS[spec]
    defaults = spec()
    for key in spec.get_resolvable_fields():
        row = re.search(rf"^\| `{key}` \| ([^|]+) \| (.+) \| ([^|]+) \|$", readme, re.MULTILINE)
        assert row, f"README has no row for {key}"
        shown, allowed, meaning = (part.strip() for part in row.groups())
        assert meaning == docs.get(key), f"{key}: the README's meaning is not the docstring"
        default = getattr(defaults, key)
        if default is not None:
            expected = f"{default:g}" if isinstance(default, float) else str(default)
            assert shown.strip("`") == expected, key
        if key in RANGES and not RANGES[key].at_most:
            assert allowed == f"{RANGES[key].low:g} to {RANGES[key].high:g}", key


def _refused(**kwargs) -> str:
    """The message of the ConfigurationError that load_config raises."""
    with pytest.raises(ConfigurationError) as raised:
        load_config(**{"require_tokens": False, **kwargs})
    return str(raised.value)


# -- a key that no setting reads stops, naming it, where it is and the nearest key --------------
@pytest.mark.parametrize(
    ("file", "toml", "key", "nearest"),
    [
        ("config.toml", "[sources.clarity]\ndaly_budget = 0\n", "daly_budget", "daily_budget"),
        ("config.toml", "[sources.clarity]\nDaily_Budget = 0\n", "Daily_Budget", "daily_budget"),
        (
            "config.toml",
            "[sources.clarity.projects.shop]\ntimezon = 'UTC'\n",
            "timezon",
            "timezone",
        ),
        (
            "secrets.toml",
            "[sources.clarity]\nnotify_url = ['json://h']\n",
            "notify_url",
            "notify_urls",
        ),
        ("secrets.toml", "[sources.clarity.projects.shop]\ntokn = 'x'\n", "tokn", "token"),
    ],
)
def test_an_unknown_key_in_a_toml_file_stops(settings, file, toml, key, nearest):
    if file == "config.toml":
        settings.write(toml)
    else:
        settings.write("", secrets=toml)
    message = _refused()
    assert f"Unknown key {key!r} in [sources.clarity" in message
    assert f"(from {(settings.settings / file).resolve()})" in message
    assert f"did you mean {nearest}?" in message


@pytest.mark.parametrize(
    ("var", "nearest"),
    [
        ("SOURCES__CLARITY__DALY_BUDGET", "SOURCES__CLARITY__DAILY_BUDGET"),
        ("SOURCES__CLARITY__PROJECT_NAME", "SOURCES__CLARITY__PROJECT_NAMES"),
        ("SOURCES__CLARITY__PROJECTS__MY_SHOP__TOKN", "SOURCES__CLARITY__PROJECTS__MY_SHOP__TOKEN"),
        (
            "SOURCES__CLARITY__PROJECTS__MY_SHOP__TIME_ZONE",
            "SOURCES__CLARITY__PROJECTS__MY_SHOP__TIMEZONE",
        ),
    ],
)
def test_an_unknown_environment_variable_stops(monkeypatch, var, nearest):
    monkeypatch.setenv(var, "0")
    message = _refused()
    assert f"(from env {var})" in message
    assert f"Unknown key {var.rsplit('__', 1)[1]!r}" in message
    assert f"did you mean {nearest}?" in message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[sources.clarity.projects]\nshop = 'tok3n'\n", "sources.clarity.projects.shop (from "),
        ("[sources.clarity]\nprojects = 'tok3n'\n", "sources.clarity.projects (from "),
    ],
)
def test_a_project_that_is_not_a_table_stops(settings, toml, expected):
    settings.write("", secrets=toml)
    message = _refused()
    assert expected in message and "must be " in message
    assert "tok3n" not in message


def test_a_key_with_no_near_one_lists_the_keys(monkeypatch):
    monkeypatch.setenv("SOURCES__CLARITY__PROJECTS__SHOP", "x")
    assert "is not a setting: use SOURCES__CLARITY__<KEY>" in _refused()
    monkeypatch.delenv("SOURCES__CLARITY__PROJECTS__SHOP")
    monkeypatch.setenv("SOURCES__CLARITY__XYZZY", "1")
    assert "the keys are base_url, daily_budget, " in _refused()


def test_every_key_of_the_readme_and_dlts_own_sections_are_accepted(settings, monkeypatch):
    settings.write(
        "[runtime]\nlog_level = 'WARNING'\n"
        "[destination.filesystem]\nbucket_url = 'file:///tmp/x'\n"
        "[normalize.parquet_normalizer]\nadd_dlt_load_id = true\n"
        "[sources]\nother_source_key = 1\n"
        "[sources.clarity]\ndaily_budget = 0\nreserve = 0\nproject_names = ['shop']\n"
        "[sources.clarity.projects.shop]\ntimezone = 'Europe/Paris'\n",
        secrets="[sources.clarity]\nnotify_urls = ['json://localhost']\n"
        "[sources.clarity.projects.shop]\ntoken = 'abc.def'\n",
    )
    monkeypatch.setenv("SOURCES__CLARITY__PROJECTS__SHOP__TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("SOURCES__CLARITY__PROJECTS", "")  # the projects table itself
    monkeypatch.setenv("SOURCES__OTHER__KEY", "1")
    config = load_config()
    assert config.policy.paused  # daily_budget = 0 still pauses collection
    assert config.project("shop").timezone == "Europe/Paris"
    assert config.project("shop").token == "abc.def"


# -- dimension_sets ------------------------------------------------------------------------------
def test_the_default_sets_written_out_are_the_default(settings):
    written = ", ".join(
        "[" + ", ".join(f'"{name}"' for name in dims) + "]" for dims in DEFAULT_DIMENSION_SETS
    )
    settings.write(f"[sources.clarity]\ndimension_sets = [{written}]\n")
    sets = load_config(require_tokens=False).dimension_sets
    assert sets == tuple(canonical_dimensions(dims) for dims in DEFAULT_DIMENSION_SETS)
    settings.write("[sources.clarity]\ndimension_sets = [[], 'URL, Device', ['os']]\n")
    assert load_config(require_tokens=False).dimension_sets == ((), ("Device", "URL"), ("OS",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "[]",
            "the list is empty: to pause collection set daily_budget = 0; to use the default "
            "sets remove the key",
        ),
        ("[1, 2]", "set #1 (1) is not a set: each is a list of up to 3 dimension names"),
        ('[["URL", 2]]', "set #1 (['URL', 2]) is not a set"),
        ('[[["URL"]]]', "set #1 ([['URL']]) is not a set"),
        ('["URL,"]', "set #1 ('URL,') is not a set"),
        ('[""]', "set #1 ('') is not a set: each is a list of up to 3 dimension names"),
        ('[["URL"], "url"]', "set #2 ('url') is listed twice"),
        ('[["URL"], ["Pages"]]', "set #2 (['Pages']): Unknown Clarity dimension 'Pages'"),
    ],
)
def test_a_wrong_dimension_sets_value_says_what_is_wrong(settings, value, expected):
    settings.write(f"[sources.clarity]\ndimension_sets = {value}\n")
    message = _refused()
    assert message.startswith("sources.clarity.dimension_sets (from ")
    assert str(settings.settings / "config.toml") in message
    assert expected in message


# -- project names -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("names", "first", "second"),
    [
        (["contoso-docs", "contoso-docs"], "contoso-docs", "contoso-docs"),
        (["contoso-docs", "contoso_docs"], "contoso-docs", "contoso_docs"),
        (["shop", "other", "Shop"], "shop", "Shop"),
        (["my-Shop", "MY_SHOP"], "my-Shop", "MY_SHOP"),
    ],
)
def test_a_project_listed_twice_or_under_two_spellings_is_refused(
    monkeypatch, names, first, second
):
    monkeypatch.setenv(env_var("project_names"), json.dumps(names))
    message = _refused()
    assert f"from env {env_var('project_names')}" in message
    if first == second:
        assert f"Project {first!r} is listed twice" in message
    else:
        assert f"Projects {first!r} and {second!r}" in message
        assert f"both read SOURCES__CLARITY__PROJECTS__{second.upper()}__TOKEN" in message


def test_two_project_tables_of_one_project_are_refused(settings):
    settings.write(
        "",
        secrets="[sources.clarity.projects.contoso-docs]\ntoken = 'a'\n"
        "[sources.clarity.projects.contoso_docs]\ntoken = 'b'\n",
    )
    message = _refused()
    assert "Projects 'contoso-docs' and 'contoso_docs' in the tables" in message


@pytest.mark.parametrize(
    "name", ["", " shop", "shop ", "../x", "_shop", "a" * 101, "x y", "café", 7]
)
def test_a_bad_project_name_is_refused(monkeypatch, name):
    monkeypatch.setenv(env_var("project_names"), json.dumps(["shop", name]))
    message = _refused()
    assert f"Project name {name!r} in sources.clarity.project_names" in message
    assert "a name is 1 to 100 letters, digits, '_', '-' or '.'" in message


def test_the_project_name_pattern_allows_the_documented_names(monkeypatch):
    names = ["shop", "contoso-docs", "my_docs", "shop.example.com", "A1", "a" * 100]
    monkeypatch.setenv(env_var("project_names"), json.dumps(names))
    assert load_config(require_tokens=False).project_names == names
    assert all(check_project_name(name) is None for name in names)


# -- tokens and base_url -------------------------------------------------------------------------
TOKEN = "Zq8vK3xW9pL2mN7rT4"
BAD_TOKENS = [  # (the token, the position of its first bad character)
    (TOKEN + "\n", 19),  # echo into an env var
    (TOKEN[:6] + " " + TOKEN[6:], 7),
    ("\t" + TOKEN, 1),
    (TOKEN[:3] + "\x1b" + TOKEN[3:], 4),
    (TOKEN + "é", 19),
]


@pytest.mark.parametrize(
    ("where", "token", "position"),
    [
        *(("env", *case) for case in BAD_TOKENS),
        *(("secrets.toml", *case) for case in BAD_TOKENS),
        ("secrets.toml", TOKEN[:3] + "\x00" + TOKEN[3:], 4),  # no env var can hold a NUL
    ],
)
def test_a_token_with_whitespace_or_control_characters_is_refused(
    settings, monkeypatch, token, position, where
):
    monkeypatch.setenv(env_var("project_names"), '["my-shop"]')
    if where == "env":
        monkeypatch.setenv(token_env_var("my-shop"), token)
        origin = f"env {token_env_var('my-shop')}"
    else:
        settings.write(
            "", secrets=f"[sources.clarity.projects.my-shop]\ntoken = {json.dumps(token)}\n"
        )
        origin = str(settings.settings / "secrets.toml")
    message = _refused()
    assert f"sources.clarity.projects.my-shop.token (from {origin}" in message
    assert f"at position {position} of {len(token)}: paste the token again" in message
    assert not any(TOKEN[i : i + 4] in message for i in range(len(TOKEN) - 3)), message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://bob:hunter2@www.clarity.ms/export-data/api/v1", "has a user name or password"),
        ("https://hunter2@www.clarity.ms/export-data/api/v1", "has a user name or password"),
        ("https://bob:hun/ter2@www.clarity.ms/api", "has a user name or password"),
        ("ftp://www.clarity.ms/export-data/api/v1", "is not an http:// or https:// URL"),
        ("www.clarity.ms/export-data/api/v1", "is not an http:// or https:// URL"),
        ("https:///export-data/api/v1", "has no host"),
        ("https://www.clarity.ms:port/v1", "is not a URL"),
        ("https://www.clarity.ms/v1?hunter2=1", "has a query or fragment"),
        ("https://www.clarity.ms/v1#hunter2", "has a query or fragment"),
        ("https://www.clarity.ms/v1\n", "has whitespace, a control character"),
    ],
)
def test_a_bad_base_url_is_refused_without_its_password(monkeypatch, url, expected):
    monkeypatch.setenv(env_var("base_url"), url)
    message = _refused()
    assert "sources.clarity.base_url = '" in message
    assert f"(from env {env_var('base_url')}) {expected}" in message
    assert "hunter2" not in message and "ter2" not in message


def test_the_command_line_base_url_is_checked_too(monkeypatch, capsys):
    monkeypatch.setenv(env_var("project_names"), '["shop"]')
    monkeypatch.setenv(token_env_var("shop"), TOKEN)
    assert cli.main(["ingest", "--base-url", "https://bob:hunter2@localhost:1/v1"]) == 2
    error = capsys.readouterr().err
    assert "--base-url = 'https://***@localhost:1/v1' has a user name or password" in error
    assert "hunter2" not in error


def test_a_typo_in_the_environment_stops_clarity_plan_with_one_line(settings):
    result = _cli(settings.root, "plan", SOURCES__CLARITY__DALY_BUDGET="0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("clarity: Unknown key 'DALY_BUDGET' in [sources.clarity]")
    assert "(from env SOURCES__CLARITY__DALY_BUDGET)" in result.stderr
    assert "did you mean SOURCES__CLARITY__DAILY_BUDGET?" in result.stderr
    assert result.stdout == ""


# -- the CLARITY_* environment, read in one place ------------------------------------------------
def test_the_environment_is_read_once_with_the_command_lines_warehouse_first(tmp_path):
    environ = {
        "CLARITY_DUCKDB_PATH": str(tmp_path / "env.duckdb"),
        "CLARITY_DESTINATION": " DuckDB ",
        "CLARITY_DUCKDB_MEMORY_LIMIT": "",
        "CLARITY_NOTIFY_URLS": '["json://localhost"]',
        "CLARITY_RAW_PARQUET": "s3://bucket/clarity_raw",
        "CLARITY_PUBLISHED_PATH": str(tmp_path / "copy.duckdb"),
        "CLARITY_PG_USER": "reader",
    }
    read = Environment.read(environ=environ)
    assert read.duckdb_path == tmp_path / "env.duckdb" and read.data_dir == tmp_path
    assert read.destination == "duckdb" and read.memory_limit is None
    assert read.notify_url_list() == ["json://localhost"]
    assert read.raw_parquet == "s3://bucket/clarity_raw"
    assert read.published_path == tmp_path / "copy.duckdb"
    assert read.postgres == {"CLARITY_PG_USER": "reader"}
    given = Environment.read(tmp_path / "cli" / "w.duckdb", environ=environ)
    assert given.duckdb_path == tmp_path / "cli" / "w.duckdb"
    assert given.data_dir == tmp_path / "cli"
    moved = Environment.read(environ={**environ, "CLARITY_DATA_DIR": str(tmp_path / "data")})
    assert moved.data_dir == tmp_path / "data"
    default = Environment.read(environ={})
    assert default.duckdb_path == PROJECT_ROOT / DEFAULT_DUCKDB_PATH
    assert default.memory_limit == DEFAULT_MEMORY_LIMIT


def test_broken_notify_urls_in_the_environment_stop_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("CLARITY_NOTIFY_URLS", '["json://localhost"')
    assert "CLARITY_NOTIFY_URLS is not a JSON list of URLs" in _refused()


def test_the_duckdb_option_is_passed_on_as_a_value(tmp_path, capsys):
    warehouse = tmp_path / "given" / "w.duckdb"
    assert cli.main(["--duckdb", str(warehouse), "status"]) == 0
    out = capsys.readouterr().out
    assert f"warehouse: {warehouse}" in out
    assert "CLARITY_DUCKDB_PATH" not in os.environ  # the option writes no variable
