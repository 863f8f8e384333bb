"""Clarity warehouse: fetch Clarity Data Export API responses, land them, load them with dlt, check
them, and hand them to the dbt project. The folders are the stages of the data flow (README, "How
it works"); a module imports only from stages before its own."""

from pathlib import Path

__all__ = ["PROJECT_ROOT", "__version__"]
__version__ = "0.1.0"

# The repository root (the folder holding pyproject.toml, dbt_project/ and profiles/).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
