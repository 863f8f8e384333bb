"""The `clarity` command: ingest, plan, import, status, publish, mcp, dq-coverage, and the tools
beside the product (serve-offline, demo). Each command imports what it needs when it runs, so
`clarity --help` starts in a blink."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingestion.errors import ConfigurationError

log = logging.getLogger("clarity")

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3


def _timestamp(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _fixed_clock(now: datetime | None):
    from ingestion.api.client import utc_now

    return (lambda: now) if now else utc_now


def _environment(args: argparse.Namespace):
    """The CLARITY_* environment, with the warehouse file of --duckdb."""
    from ingestion.config import Environment

    return Environment.read(args.duckdb)


def _config(args: argparse.Namespace, *, require_tokens: bool = True):
    from ingestion.config import load_config, valid_base_url

    config = load_config(require_tokens=require_tokens, environment=_environment(args))
    if getattr(args, "base_url", None) is not None:
        config.base_url = valid_base_url(args.base_url, "--base-url")
    return config


def _run_checks(args: argparse.Namespace, warehouse, load_ids: list[str]) -> int:
    if getattr(args, "no_checks", False) or not load_ids:
        return EXIT_OK
    from ingestion.quality.checkpoint import run_raw_checkpoint

    result = run_raw_checkpoint(warehouse, load_ids)
    print(result.summary())
    if not result.success:
        print(
            "The rows are loaded and stay in clarity_raw; fix the cause (or report the API "
            "change) before relying on the marts.",
            file=sys.stderr,
        )
        return EXIT_CHECKS_FAILED
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingestion.ingest import ingest

    config = _config(args)
    report = ingest(
        config, clock=_fixed_clock(args.now), force=args.force, projects=args.project or None
    )
    load = report.load
    for name, outcome in report.outcomes.items():
        print(
            f"{name}: {outcome.fetched}/{len(outcome.plan.requests)} fetched"
            + (f", stopped: {outcome.stopped_because}" if outcome.stopped_because else "")
            + (f", {len(outcome.errors)} error(s)" if outcome.errors else "")
        )
        for error in outcome.errors:
            print(f"  error: {error}", file=sys.stderr)
    print(
        f"loaded {load.snapshots_loaded} snapshot(s), {load.rows_loaded} metric row(s), "
        f"{load.requests_loaded} request record(s) into {config.warehouse.label}"
        + (" (finished a pending package first)" if load.finished_pending_package else "")
    )
    _print_quarantined(load.quarantined)
    for error in report.load_errors:
        print(f"  load failed: {error}", file=sys.stderr)
    status = _run_checks(args, config.warehouse, load.load_ids)
    if status != EXIT_OK:
        return status
    if report.load_errors:
        return EXIT_CHECKS_FAILED
    return EXIT_PARTIAL if report.had_errors else EXIT_OK


def _print_quarantined(entries: list[str]) -> None:
    if entries:
        print(
            f"  {len(entries)} landed file(s) set aside in quarantine (see `clarity quarantine`):",
            file=sys.stderr,
        )
        for entry in entries:
            print(f"    {entry}", file=sys.stderr)


def cmd_plan(args: argparse.Namespace) -> int:
    from ingestion.ingest import make_plans

    config = _config(args, require_tokens=False)
    now = args.now or datetime.now(timezone.utc)
    if config.policy.paused:
        print(
            f"collection is paused: daily_budget is {config.policy.daily_budget}"
            f" (reserve {config.policy.reserve}); nothing is asked until it is raised"
        )
    plans = make_plans(config, now, force=args.force, projects=args.project or None)
    fetches = _recent_fetches(config.warehouse, now)
    for plan in plans:
        project = config.project(plan.project)
        print(
            f"{plan.project} on {plan.day} (UTC, the quota's day; the project's days are "
            f"{project.timezone}): {plan.used_today} of {plan.budget} used, "
            f"reserve {plan.reserve}; {len(plan.requests)} to ask, "
            f"{plan.quota_left_after} left after"
        )
        for request in plan.requests:
            dims = ", ".join(request.dimensions) or "no dimension"
            print(f"  ask   [{dims}] numOfDays={request.num_of_days}  ({request.reason})")
        for skipped in plan.skipped:
            dims = ", ".join(skipped.dimensions) or "no dimension"
            print(f"  skip  [{dims}]  ({skipped.reason})")
        if plan.fallbacks:
            print(
                f"  note: too little budget left for nested windows of "
                f"[{'], ['.join(k or 'no dimension' for k in plan.fallbacks)}]: one window "
                "instead; the days of the gap it covers get no daily value"
            )
        _print_schedule(plan.project, fetches, project.zone)
    return EXIT_OK


def _recent_fetches(warehouse, now: datetime) -> dict:
    from ingestion.warehouse.raw import recent_daily_fetches

    return recent_daily_fetches(warehouse, now - timedelta(days=7))


def _print_schedule(project: str, fetches: dict, zone) -> None:
    from ingestion.collect.schedule import schedule_lines

    print("  collection over the last 7 days:")
    for line in schedule_lines(fetches.get(project, []), zone):
        print(line)


def cmd_import(args: argparse.Namespace) -> int:
    from ingestion.ingest import import_files
    from ingestion.load.archive import ArchiveDefaults

    config = _config(args, require_tokens=False)
    defaults = ArchiveDefaults(
        project=args.project,
        fetched_at=args.fetched_at,
        num_of_days=args.num_days,
        dimensions=tuple(d for d in (args.dimensions or "").split(",") if d.strip()),
    )
    report = import_files(config, args.paths, defaults)
    quarantined = report.quarantined + len(report.load.quarantined)
    print(
        f"{report.files} file(s): {report.landed} new, {report.already_loaded} already loaded, "
        f"{len(report.errors)} error(s), {quarantined} set aside in quarantine; loaded "
        f"{report.load.snapshots_loaded} snapshot(s) and {report.load.rows_loaded} metric row(s)"
    )
    for error in report.errors:
        print(f"  error: {error}", file=sys.stderr)
    _print_quarantined(report.load.quarantined)
    status = _run_checks(args, config.warehouse, report.load.load_ids)
    if status != EXIT_OK:
        return status
    return EXIT_PARTIAL if report.errors or report.load.quarantined else EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from ingestion.api.contract import DAILY_QUOTA
    from ingestion.collect.landing import Landing
    from ingestion.warehouse.raw import project_statuses

    now = args.now or datetime.now(timezone.utc)
    environment = _environment(args)
    warehouse = environment.warehouse()
    statuses = project_statuses(warehouse, now)
    projects = _configured_projects(environment)
    zones = {p.name: p.zone for p in projects}
    fetches = _recent_fetches(warehouse, now) if statuses else {}
    print(f"warehouse: {warehouse.label}")
    if not statuses:
        print("  nothing loaded yet: run `clarity ingest` (or ./scripts/demo)")
    for s in statuses:
        fresh = s.freshness_hours(now)
        print(
            f"  {s.project}: {s.snapshots} snapshots, {s.metric_rows} metric rows; "
            f"last fetch {s.last_fetched_at:%Y-%m-%d %H:%M} UTC ({fresh:.1f} h ago); "
            f"last load {s.last_loaded_at:%Y-%m-%d %H:%M} UTC; "
            f"today {s.requests_today}/{DAILY_QUOTA} requests, {s.errors_today} failed"
        )
        _print_schedule(s.project, fetches, zones.get(s.project) or ZoneInfo("UTC"))
    if projects:
        print("tokens (read from each token's JWT `exp`, no call spent):")
        for project in projects:
            print(f"  {project.name}: {_expiry_text(project.token, now)}")
    landing = Landing(environment.data_dir)
    pending, bad = landing.scan_pending(now)
    if pending:
        print(
            f"  {len(pending)} landed response(s) not loaded yet: the next `clarity ingest` "
            "loads them"
        )
    if bad:
        print(f"  {len(bad)} landed file(s) the next load sets aside in quarantine")
    _print_quarantine(landing)
    return EXIT_OK


def _print_quarantine(landing) -> None:
    entries = landing.quarantined()
    if not entries:
        return
    print(
        f"quarantine ({landing.quarantine}): {len(entries)} file(s) set aside, never loaded; "
        "`clarity quarantine --retry` tries them again"
    )
    for entry in entries:
        when = f"{entry.quarantined_at:%Y-%m-%d %H:%M} UTC" if entry.quarantined_at else "?"
        source = f" from {entry.source}" if entry.source else ""
        print(f"  {entry.name} ({entry.error_class}, {when}{source}): {entry.reason}")


def cmd_quarantine(args: argparse.Namespace) -> int:
    from ingestion.collect.landing import Landing

    landing = Landing(_environment(args).data_dir)
    if not args.retry:
        if not landing.quarantined():
            print(f"quarantine ({landing.quarantine}) is empty")
        _print_quarantine(landing)
        return EXIT_OK
    from ingestion.ingest import retry_quarantined

    config = _config(args, require_tokens=False)
    result = retry_quarantined(config, names=args.name or None)
    for name, problem in result.kept:
        print(f"  kept {name}: {problem}", file=sys.stderr)
    print(
        f"{result.released} file(s) released from quarantine: loaded "
        f"{result.load.snapshots_loaded} snapshot(s), {result.load.rows_loaded} metric row(s); "
        f"{len(result.kept) + len(result.load.quarantined)} still in quarantine"
    )
    _print_quarantined(result.load.quarantined)
    status = _run_checks(args, config.warehouse, result.load.load_ids)
    if status != EXIT_OK:
        return status
    return EXIT_PARTIAL if result.kept or result.load.quarantined else EXIT_OK


def _expiry_text(token: str, now: datetime) -> str:
    from ingestion.api.token import token_expiry

    if not token:
        return "no token configured"
    expires = token_expiry(token)
    if expires is None:
        return "expiry unknown (the token is not a JWT with an `exp`)"
    days = (expires - now).total_seconds() / 86400
    if days <= 0:
        return f"EXPIRED on {expires:%Y-%m-%d %H:%M} UTC: generate a new token in Clarity"
    return f"expires {expires:%Y-%m-%d %H:%M} UTC (in {days:.0f} days)"


def _configured_projects(environment) -> list:
    """The configured projects (none when the configuration cannot be read)."""
    from ingestion.config import load_config

    try:
        return load_config(require_tokens=False, environment=environment).projects
    except ConfigurationError as exc:
        log.warning("configuration unreadable (%s): showing UTC days and no tokens", exc)
        return []


def cmd_report(args: argparse.Namespace) -> int:
    from ingestion.outputs.report import write_report
    from ingestion.outputs.report.data import NoMartsError

    environment = _environment(args)
    source = environment.duckdb_path
    out = args.out or environment.data_dir / "reports" / f"clarity-report.{args.format}"
    try:
        result = write_report(source, out, days=args.days, project=args.project, fmt=args.format)
    except NoMartsError as exc:
        print(f"clarity: {exc}", file=sys.stderr)
        return EXIT_CHECKS_FAILED
    print(
        f"report of {result.projects} project(s), {result.charts} charts, "
        f"{result.bytes / 1024:.0f} KiB, written in {result.seconds:.1f} s: {result.path}"
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from ingestion.daily_job import run_daily_job

    config = _config(args)
    job = run_daily_job(
        config, clock=_fixed_clock(args.now), checks=not args.no_checks, days=args.days
    )
    for step in job.steps:
        mark = {0: "ok", 3: "partly failed"}.get(step.status, "FAILED")
        print(f"{step.name:<11} {mark:<13} {step.detail}")
    return job.status


def cmd_publish(args: argparse.Namespace) -> int:
    from ingestion.outputs.publish import publish, published_path

    environment = _environment(args)
    schemas = tuple(args.schema or ["marts"])
    target = args.to or environment.published_path or published_path(environment.duckdb_path)
    result = publish(environment.duckdb_path, target, schemas)
    print(
        f"published {result.tables} tables ({result.rows} rows) to {result.path} "
        f"in {result.seconds:.1f} s; open it read-only from BI tools"
    )
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace) -> int:
    from ingestion.outputs.assistant.queries import Limits
    from ingestion.outputs.publish import published_path

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
    from ingestion.outputs.assistant.server import serve  # the MCP SDK: only for this command

    environment = _environment(args)
    warehouse = environment.duckdb_path
    db = (
        args.db.expanduser().resolve()
        if args.db
        else environment.published_path or published_path(warehouse)
    )
    serve(
        db,
        warehouse=warehouse,
        http_port=args.http,
        limits=Limits(args.max_rows, args.timeout, args.max_bytes),
    )
    return EXIT_OK


def cmd_dq_coverage(args: argparse.Namespace) -> int:
    from ingestion import PROJECT_ROOT
    from ingestion.quality.coverage import coverage, report

    target = args.target or PROJECT_ROOT / "dbt_project" / "target"
    if not (target / "manifest.json").exists():
        print(
            f"clarity: no manifest in {target}: run `./scripts/dbt docs generate` first",
            file=sys.stderr,
        )
        return EXIT_USAGE
    models = coverage(target)
    print(report(models))
    return EXIT_CHECKS_FAILED if any(m.problems for m in models) else EXIT_OK


def _tools():
    """The tools beside the product (offline service, demo); they need the `offline` extra."""
    try:
        import clarity_tools.demo
        import clarity_tools.offline
    except ImportError as exc:
        raise ConfigurationError(
            f"the offline Clarity service needs the `offline` extra ({exc}): "
            "pip install -e '.[offline]' (./scripts/demo installs it)"
        ) from None
    return clarity_tools


def cmd_serve_offline(args: argparse.Namespace) -> int:
    run_standalone = _tools().offline.run_standalone

    start = datetime.combine(args.start, datetime.min.time(), tzinfo=timezone.utc)
    run_standalone(args.host, args.port, args.seed, start, args.days, latency_ms=args.latency_ms)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    demo = _tools().demo
    outages = demo.DEFAULT_OUTAGES
    if args.outage:
        outages = tuple(demo.Outage.parse(o) for o in args.outage if o != "none")
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"--timezone {args.timezone!r} is not an IANA time zone") from None
    return demo.run_demo(
        days=args.days,
        seed=args.seed,
        run_dbt=not args.skip_dbt,
        collect_at=args.collect_at,
        timezone_name=args.timezone,
        outages=outages,
    )


def _clock_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day (HH:MM)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clarity", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--duckdb",
        type=Path,
        help="warehouse file (default: env CLARITY_DUCKDB_PATH or data/clarity.duckdb)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def with_now(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--now",
            type=_timestamp,
            help="act as if it were this UTC time (for the offline service and backfill tests)",
        )

    p = sub.add_parser("ingest", help="fetch today's planned requests and load everything landed")
    p.add_argument("--project", action="append", help="only this project (repeatable)")
    p.add_argument("--force", action="store_true", help="ask again sets already fetched today")
    p.add_argument("--base-url", help="API base URL (e.g. the offline service's)")
    p.add_argument("--no-checks", action="store_true", help="skip the Great Expectations check")
    with_now(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("plan", help="show what today would fetch and the quota left (no calls)")
    p.add_argument("--project", action="append")
    p.add_argument("--force", action="store_true")
    with_now(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("import", help="load saved response bodies (files or folders)")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--project", help="project of files without a .meta.json sidecar")
    p.add_argument("--fetched-at", type=_timestamp, help="UTC time the bodies were fetched")
    p.add_argument("--num-days", type=int, help="numOfDays the bodies were fetched with (1-3)")
    p.add_argument("--dimensions", help="comma-separated dimensions, e.g. URL,Device")
    p.add_argument("--no-checks", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("status", help="last loads, quota used today and freshness per project")
    with_now(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "quarantine", help="list the landed files set aside (and why); --retry loads them again"
    )
    p.add_argument(
        "--retry",
        action="store_true",
        help="move them back to pending and load them (those that still fail stay)",
    )
    p.add_argument("name", nargs="*", help="only these entries (names as listed)")
    p.add_argument("--no-checks", action="store_true", help="skip the Great Expectations check")
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser(
        "run",
        help="the daily job for cron: ingest, dbt build, publish, report, notify (one lock)",
    )
    p.add_argument("--no-checks", action="store_true", help="skip the Great Expectations check")
    p.add_argument("--days", type=int, default=28, help="days in the report (default 28)")
    p.add_argument("--base-url", help="API base URL (e.g. the offline service's)")
    with_now(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="write the report: charts of the marts, one HTML file")
    p.add_argument("--project", help="only this project (default: every project)")
    p.add_argument("--days", type=int, default=28, help="days shown (default 28)")
    p.add_argument("--out", type=Path, help="file (default <data>/reports/clarity-report.html)")
    p.add_argument(
        "--format",
        choices=("html", "md"),
        default="html",
        help="html: one self-contained file; md: Markdown with PNG charts beside it",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("publish", help="write a read-only copy of the marts for BI tools")
    p.add_argument("--to", type=Path, help="copy path (default <warehouse>_published.duckdb)")
    p.add_argument("--schema", action="append", help="schema to copy (repeatable; default marts)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser(
        "mcp", help="serve the published marts to AI assistants (MCP server, read-only)"
    )
    p.add_argument(
        "--db", type=Path, help="published copy to read (default: the one `clarity publish` writes)"
    )
    p.add_argument(
        "--http",
        type=int,
        metavar="PORT",
        help="streamable HTTP on 127.0.0.1:PORT instead of stdio",
    )
    p.add_argument(
        "--max-rows", type=int, default=500, help="rows the query tool returns at most (500)"
    )
    p.add_argument(
        "--max-bytes",
        type=int,
        default=1_000_000,
        help="bytes of JSON rows one answer carries at most (1000000); `query` cuts there",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds one tool call may run, fetching the rows included (10)",
    )
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser(
        "dq-coverage", help="grain tests and column docs per dbt model; fails on an uncovered mart"
    )
    p.add_argument("--target", type=Path, help="dbt target folder (default dbt_project/target)")
    p.set_defaults(func=cmd_dq_coverage)

    p = sub.add_parser("serve-offline", help="run the offline Clarity service on loopback")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1))
    p.add_argument("--days", type=int, default=40)
    p.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="wait this long before each API answer, as a real API's round trip (default 0)",
    )
    p.set_defaults(func=cmd_serve_offline)

    p = sub.add_parser("demo", help="simulate daily collection from the offline service, then dbt")
    p.add_argument("--days", type=int, default=35)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--skip-dbt", action="store_true")
    p.add_argument(
        "--collect-at",
        type=_clock_time,
        default="00:10",
        help="time of day of the daily collection, in --timezone (default 00:10)",
    )
    p.add_argument(
        "--timezone", default="UTC", help="IANA time zone of the demo projects (default UTC)"
    )
    p.add_argument(
        "--outage",
        action="append",
        metavar="PROJECT:YYYY-MM-DD:DAYS",
        help="the service answers 500 to PROJECT on those days (repeatable; default "
        "northwind-shop:2026-10-15:2; `none` for no outage)",
    )
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("dlt", "urllib3", "great_expectations", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # dlt logs each failed attempt of a load job with its traceback; what failed, and what to
    # do, is said once by our own messages (`-v` shows dlt's log)
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "INFO" if args.verbose else "CRITICAL")
    try:
        return args.func(args)
    except (ConfigurationError, ValueError) as exc:
        print(f"clarity: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        print(f"clarity: {exc}", file=sys.stderr)
        return EXIT_CHECKS_FAILED
    except OSError as exc:  # a full disk, a read-only folder: one sentence, no traceback
        print(f"clarity: {_os_error_text(exc)}", file=sys.stderr)
        return EXIT_CHECKS_FAILED


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
