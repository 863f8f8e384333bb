"""`clarity mcp`: an MCP server for AI assistants over the published copy of the marts
(read-only), on stdio or streamable HTTP on loopback."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.commands import _common
from ingestion.errors import ConfigurationError
from ingestion.exit_codes import ExitCode

if TYPE_CHECKING:
    from ingestion.outputs.assistant.queries import Limits

HELP = "serve the published marts to AI assistants (MCP server, read-only)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="published copy to read (default: the one `clarity publish` writes)"
    )
    parser.add_argument(
        "--http",
        type=int,
        metavar="PORT",
        help="streamable HTTP on 127.0.0.1:PORT instead of stdio",
    )
    parser.add_argument(
        "--max-rows", type=int, default=500, help="rows the query tool returns at most (500)"
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=1_000_000,
        help="bytes of JSON rows one answer carries at most (1000000); `query` cuts there",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds one tool call may run, fetching the rows included (10)",
    )


def limits(args: argparse.Namespace) -> Limits:
    """The limits of the options, each checked (a ConfigurationError names the one out of
    range)."""
    from ingestion.outputs.assistant.queries import Limits

    if not 1 <= args.max_rows <= 100_000:
        raise ConfigurationError(f"--max-rows must be between 1 and 100000, got {args.max_rows}")
    if not 1_000 <= args.max_bytes <= 100_000_000:
        raise ConfigurationError(
            f"--max-bytes must be between 1000 and 100000000, got {args.max_bytes}"
        )
    if not 0 < args.timeout <= 600:
        raise ConfigurationError(f"--timeout must be above 0 and at most 600 s, got {args.timeout}")
    if args.http is not None and not 1 <= args.http <= 65535:
        raise ConfigurationError(f"--http must be a port from 1 to 65535, got {args.http}")
    return Limits(args.max_rows, args.timeout, args.max_bytes)


def main(args: argparse.Namespace) -> int:
    from ingestion.outputs.publish import published_path

    checked = limits(args)
    from ingestion.outputs.assistant.server import serve  # the MCP SDK: only for this command

    environment = _common.environment(args)
    warehouse = environment.duckdb_path
    db = (
        args.db.expanduser().resolve()
        if args.db
        else environment.published_path or published_path(warehouse)
    )
    serve(db, warehouse=warehouse, http_port=args.http, limits=checked)
    return ExitCode.OK
