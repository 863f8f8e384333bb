"""Errors shared by every stage of the package (the Clarity API's own errors are in
ingestion/api/errors.py)."""

from __future__ import annotations


class ConfigurationError(Exception):
    """The pipeline's configuration is incomplete, of the wrong type or out of range; the message
    names the key, where it came from and what is allowed."""
