"""The exit codes of the `clarity` command, each defined once with one name (README, "Exit
codes"); `clarity run` exits with its worst step's."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """all fine"""
    FAILED = 1
    """the data-quality checkpoint failed (the rows stay loaded), a load failed, the data folder
    cannot be written, another process holds the data folder or the warehouse, a step of the
    daily job failed, a mart lacks its grain test or description"""
    USAGE = 2
    """a configuration or usage error"""
    PARTIAL = 3
    """some requests or files failed: what arrived is loaded, failed sets are asked again on
    the next run, files that cannot be loaded are in quarantine"""

    @classmethod
    def worst(cls, codes: Iterable[int]) -> ExitCode:
        """The worst of `codes` (OK for none): a partial success is better than a failure, and a
        failure better than a usage error."""
        return max((cls(code) for code in codes), key=_SEVERITY.index, default=cls.OK)


_SEVERITY = [ExitCode.OK, ExitCode.PARTIAL, ExitCode.FAILED, ExitCode.USAGE]
