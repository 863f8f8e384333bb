"""Errors shared by every stage of the package (the Clarity API's own errors are in
ingestion/api/errors.py)."""

from __future__ import annotations


class ConfigurationError(Exception):
    """The pipeline's configuration is incomplete, of the wrong type or out of range; the message
    names the key, where it came from and what is allowed. The command exits 2 (usage)."""


class RunFailedError(RuntimeError):
    """A run that cannot go on, for a reason its message says with what to do: another process
    holds the data folder or the warehouse, a load failed (what was landed stays for the next
    run), dbt is missing. The command says it in one sentence and exits 1."""
