"""`clarity publish`: a read-only copy of the marts for BI tools (ingestion/outputs/publish.py
writes it through a temporary file and an atomic rename)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.config import Environment
    from ingestion.outputs.publish import PublishReport

HELP = "write a read-only copy of the marts for BI tools"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", type=Path, help="copy path (default <warehouse>_published.duckdb)")
    parser.add_argument(
        "--schema", action="append", help="schema to copy (repeatable; default marts)"
    )


def publish_copy(
    environment: Environment, to: Path | None, schemas: tuple[str, ...]
) -> PublishReport:
    """The copy of `schemas` at `to` (default: CLARITY_PUBLISHED_PATH, else beside the
    warehouse file). A RuntimeError says why there is nothing to copy."""
    from ingestion.outputs.publish import publish, published_path

    source = environment.duckdb_path
    return publish(source, to or environment.published_path or published_path(source), schemas)


def main(args: argparse.Namespace) -> int:
    try:
        result = publish_copy(_common.environment(args), args.to, tuple(args.schema or ["marts"]))
    except RuntimeError as exc:  # no warehouse, no marts, or a writer holds it
        print(f"clarity: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    print(
        f"published {result.tables} tables ({result.rows} rows, {result.comments} table and "
        f"column comments) to {result.path} in {result.seconds:.1f} s; open it read-only from "
        "BI tools"
    )
    return ExitCode.OK
