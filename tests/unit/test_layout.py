"""The package's folders are the stages of the data flow, and a module imports only from stages
before its own (README, "How it works"); slow libraries stay off the commands that do not need
them."""

from __future__ import annotations

import ast
import importlib
import re

import pytest

from ingestion import PROJECT_ROOT
from ingestion.cli import COMMANDS
from tests.child import run_python

# bottom to top; a module may import from its own stage and the ones before it
STAGES = [
    "common",  # ingestion/__init__.py, ingestion/errors.py
    "api",
    "warehouse",
    "collect",
    "load",
    "solve",
    "quality",
    "transform",
    "outputs",
    "top",  # config.py, ingest.py, daily_job.py, exit_codes.py, cli.py and commands/
]
# the modules that start the tools beside the product (the offline service, the demo)
TOOL_STARTERS = {"ingestion.commands._tools"}
PACKAGE = PROJECT_ROOT / "ingestion"


def _stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "errors":
        return "common"
    return parts[1] if parts[1] in STAGES else "top"


def _module_name(path) -> str:
    relative = path.relative_to(PROJECT_ROOT).with_suffix("")
    parts = [p for p in relative.parts if p != "__init__"]
    return ".".join(parts)


def _imports(path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_every_module_imports_only_from_its_stage_or_earlier_ones():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        here = STAGES.index(_stage(module))
        for imported in _imports(path):
            if imported.startswith("clarity_tools") and module not in TOOL_STARTERS:
                wrong.append(f"{module} imports the tools beside the product: {imported}")
            if not imported.startswith("ingestion"):
                continue
            if STAGES.index(_stage(imported)) > here:
                wrong.append(f"{module} ({_stage(module)}) imports {imported} ({_stage(imported)})")
    assert not wrong, "\n".join(wrong)


def test_every_command_is_a_module_of_its_own():
    modules = {p.stem for p in (PACKAGE / "commands").glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(COMMANDS.values())
    for module in COMMANDS.values():
        command = importlib.import_module(f"ingestion.commands.{module}")
        assert command.__doc__ and command.HELP, module
        assert callable(command.add_arguments) and callable(command.main), module


def test_every_stage_folder_is_known():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders == set(STAGES) - {"common", "top"} | {"commands"}


SLOW = ("dlt", "great_expectations", "duckdb", "pandas", "mcp")


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["--help"], SLOW),
        *(([name, "--help"], SLOW) for name in COMMANDS),
        (["plan"], ("great_expectations", "pandas")),
        (["status"], ("great_expectations", "pandas")),
    ],
)
def test_slow_libraries_stay_off_commands_that_do_not_need_them(tmp_path, argv, absent):
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['clarity', *{argv!r}]\n"
        "try:\n"
        "    runpy.run_module('ingestion.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED', [name for name in {absent!r} if name in sys.modules])\n"
    )
    result = run_python(
        ["-c", probe],
        base_env={"PATH": "/usr/bin:/bin", "CLARITY_DUCKDB_PATH": str(tmp_path / "w.duckdb")},
        timeout=120,
    )
    assert "LOADED []" in result.stdout, result.stdout + result.stderr


def test_clarity_environment_variables_are_read_in_config_only():
    read = re.compile(r"""(?:environ(?:\.get)?\(?\[?|getenv\()\s*["']CLARITY_""")
    readers = {
        str(path.relative_to(PROJECT_ROOT))
        for path in PACKAGE.rglob("*.py")
        if read.search(path.read_text())
    }
    assert readers <= {"ingestion/config.py"}, readers
