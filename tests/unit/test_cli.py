"""The `clarity` command's main(): the errors a command expects become one line and their exit
code; anything else is a bug and keeps its traceback, never disguised as a failed check."""

from __future__ import annotations

import errno

import pytest

from ingestion import cli
from ingestion.collect.lock import AlreadyRunningError
from ingestion.commands import status
from ingestion.errors import ConfigurationError, RunFailedError
from ingestion.exit_codes import ExitCode
from ingestion.load.loader import LoadFailedError
from ingestion.warehouse.raw import WarehouseBusyError


def _raising(exc: BaseException):
    def main(args):
        raise exc

    return main


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConfigurationError("sources.clarity.daily_budget = 11 is out of range"), ExitCode.USAGE),
        (AlreadyRunningError("clarity ingest (pid 7) is using data"), ExitCode.FAILED),
        (WarehouseBusyError("Another connection holds the file"), ExitCode.FAILED),
        (LoadFailedError("the load failed: the disk is full"), ExitCode.FAILED),
        (RunFailedError("dbt is not installed"), ExitCode.FAILED),
    ],
)
def test_an_expected_error_is_one_line_and_its_exit_code(monkeypatch, capsys, exc, code):
    monkeypatch.setattr(status, "main", _raising(exc))
    assert cli.main(["status"]) == code
    err = capsys.readouterr().err
    assert err == f"clarity: {exc}\n"


def test_an_os_error_is_one_sentence_that_says_what_to_do(monkeypatch, capsys):
    full = OSError(errno.ENOSPC, "No space left on device", "/data/landing/x.json")
    monkeypatch.setattr(status, "main", _raising(full))
    assert cli.main(["status"]) == ExitCode.FAILED
    err = capsys.readouterr().err
    assert err.startswith("clarity: No space left on device (/data/landing/x.json): free some")
    assert err.count("\n") == 1


@pytest.mark.parametrize("exc", [RuntimeError("a bug"), ValueError("a bug"), KeyError("bug")])
def test_an_unexpected_error_keeps_its_traceback(monkeypatch, exc):
    monkeypatch.setattr(status, "main", _raising(exc))
    with pytest.raises(type(exc)):
        cli.main(["status"])


def test_the_worst_exit_code_wins():
    assert ExitCode.worst([]) == ExitCode.OK
    assert ExitCode.worst([0, 3, 0]) == ExitCode.PARTIAL
    assert ExitCode.worst([3, 1, 0]) == ExitCode.FAILED
    assert ExitCode.worst([1, 2, 3]) == ExitCode.USAGE


def test_the_annotation_kinds_offered_are_the_journals():
    from ingestion.commands import annotate
    from ingestion.warehouse import journal

    assert annotate.KINDS == journal.ANNOTATION_KINDS
