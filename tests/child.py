"""The programs the tests start (the `clarity` command, a server, a reader): each runs in a
project folder of its own, its cwd and DLT_PROJECT_DIR, so that no test reads the working copy's
`.dlt/` or `data/` (a user who configured this checkout still gets a green suite), with this
working copy's code first on PYTHONPATH."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from ingestion import PROJECT_ROOT

CLARITY = ("-m", "ingestion.cli")
# the clarity command, killed (SIGKILL) between dlt's extract and normalize
KILLED_AFTER_EXTRACT = ("-m", "tests.kill_after_extract")


@contextmanager
def project_folder() -> Iterator[Path]:
    """An empty temporary folder, removed afterwards: a project that configured nothing."""
    with tempfile.TemporaryDirectory(prefix="clarity-project-") as folder:
        yield Path(folder).resolve()


def child_env(
    project: Path, extra: Mapping[str, str] | None = None, *, base: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """`base` and `extra`, with DLT_PROJECT_DIR at `project` and this working copy's code first
    on PYTHONPATH."""
    env = {**base, **(extra or {})}
    env["DLT_PROJECT_DIR"] = str(project)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(PROJECT_ROOT), base.get("PYTHONPATH")) if part
    )
    assert_isolated(project, env)
    return env


def assert_isolated(cwd: Path, env: Mapping[str, str]) -> None:
    """A child's cwd and DLT_PROJECT_DIR are one temporary folder, outside the working copy."""
    cwd = Path(cwd).resolve()
    assert not cwd.is_relative_to(PROJECT_ROOT), f"{cwd} is inside the working copy"
    assert cwd.is_relative_to(Path(tempfile.gettempdir()).resolve()), f"{cwd} is not temporary"
    assert Path(env["DLT_PROJECT_DIR"]).resolve() == cwd, "DLT_PROJECT_DIR is not the cwd"


def run_python(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    base_env: Mapping[str, str] = os.environ,
    timeout: float = 300,
    **kwargs,
) -> subprocess.CompletedProcess:
    """`python ARGS` in a project folder of its own; its output captured as text."""
    with project_folder() as cwd:
        return subprocess.run(
            [sys.executable, *args],
            cwd=cwd,
            env=child_env(cwd, env, base=base_env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,
        )


def popen_python(
    args: Sequence[str], project: Path, *, env: Mapping[str, str] | None = None, **kwargs
) -> subprocess.Popen:
    """`python ARGS` started in `project` (a `project_folder()` the caller keeps while it runs)."""
    return subprocess.Popen(
        [sys.executable, *args], cwd=project, env=child_env(project, env), **kwargs
    )
