"""The `clarity` command: one module per command under ingestion/commands/ (ingest, plan,
import, status, quarantine, solve, annotate, incident, run, report, digest, publish, mcp,
dq-coverage, and the tools beside the product: serve-offline, demo). Each command imports what it
needs when it runs, so `clarity --help` starts in a blink."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

from ingestion.errors import ConfigurationError, RunFailedError
from ingestion.exit_codes import ExitCode

# command -> its module in ingestion/commands/, in the order `clarity --help` lists them
COMMANDS = {
    "ingest": "ingest",
    "plan": "plan",
    "import": "import_",
    "status": "status",
    "quarantine": "quarantine",
    "solve": "solve",
    "annotate": "annotate",
    "incident": "incident",
    "run": "run",
    "report": "report",
    "digest": "digest",
    "publish": "publish",
    "mcp": "mcp",
    "dq-coverage": "dq_coverage",
    "serve-offline": "serve_offline",
    "demo": "demo",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clarity", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--duckdb",
        type=Path,
        help="warehouse file (default: env CLARITY_DUCKDB_PATH or data/clarity.duckdb)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        command = importlib.import_module(f"ingestion.commands.{module}")
        command_parser = sub.add_parser(name, help=command.HELP)
        command.add_arguments(command_parser)
        command_parser.set_defaults(main=command.main)
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("dlt", "urllib3", "great_expectations", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # dlt logs each failed attempt of a load job with its traceback; what failed, and what to
    # do, is said once by our own messages (`-v` shows dlt's log)
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "INFO" if verbose else "CRITICAL")


def main(argv: list[str] | None = None) -> int:
    """Run one command; the errors it expects become one line and an exit code, anything else
    is a bug and keeps its traceback."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return args.main(args)
    except ConfigurationError as exc:
        print(f"clarity: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except RunFailedError as exc:  # the lock held, the warehouse busy, a load that failed
        print(f"clarity: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    except OSError as exc:  # a full disk, a read-only folder: one sentence, no traceback
        print(f"clarity: {_os_error_text(exc)}", file=sys.stderr)
        return ExitCode.FAILED


def _os_error_text(exc: OSError) -> str:
    from ingestion.collect.landing import LandingWriteError

    if isinstance(exc, LandingWriteError):
        return str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    reason = exc.strerror or exc.__class__.__name__
    return (
        f"{reason}{where}: free some space or make the data folder writable "
        "(CLARITY_DATA_DIR, CLARITY_DUCKDB_PATH), then run again; nothing landed is lost"
    )


if __name__ == "__main__":
    sys.exit(main())
