"""`clarity run`: the daily job as one command for cron, under one lock of the data folder:
ingest (and the landing checkpoint), the scheduled `dbt build`, publish, the report, and the
notifications (the weekly digest among them once a week, from `digest_weekday` on). Run it
hourly: the planner spends each project's quota once a day, and a run that loaded nothing new
skips the build, the copy and the report (it still checks tokens and sends what is due). The
exit code is the worst step's."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ingestion.api.client import utc_now
from ingestion.collect.lock import data_folder_lock
from ingestion.config import IngestConfig
from ingestion.exit_codes import ExitCode
from ingestion.ingest import IngestReport, ingest

if TYPE_CHECKING:
    from ingestion.outputs.digest import DigestResult
    from ingestion.transform.dbt_runner import BuildSummary

log = logging.getLogger(__name__)

REPORT_NAME = "clarity-report.html"
# dbt's per-node log of the last build of `clarity run`, in the data folder (replaced each build)
DBT_LOG = "logs/dbt-build.log"
# at most this many failing or warning nodes are named under the dbt step (the log has them all)
NODES_SHOWN = 10


@dataclass
class Step:
    name: str
    status: int
    detail: str
    lines: list[str] = field(default_factory=list)


@dataclass
class JobReport:
    steps: list[Step] = field(default_factory=list)
    ingest: IngestReport | None = None

    @property
    def status(self) -> ExitCode:
        return ExitCode.worst(s.status for s in self.steps)

    def add(self, name: str, status: int, detail: str, lines: list[str] | None = None) -> None:
        self.steps.append(Step(name, status, detail, list(lines or [])))
        log.info("%s: %s", name, detail)


def run_daily_job(
    config: IngestConfig,
    *,
    clock: Callable[[], datetime] = utc_now,
    checks: bool = True,
    days: int = 28,
) -> JobReport:
    """Every step of the daily job, in order; a failed step stops the ones that need it."""
    with data_folder_lock(config.data_dir, "run"):
        return _run(config, clock, checks, days)


def _run(config: IngestConfig, clock: Callable[[], datetime], checks: bool, days: int) -> JobReport:
    job = JobReport()
    job.ingest = report = ingest(config, clock=clock, lock=False)
    load = report.load
    failed = sum(len(o.errors) for o in report.outcomes.values())
    job.add(
        "ingest",
        ExitCode.PARTIAL if report.had_errors else ExitCode.OK,
        f"{sum(o.fetched for o in report.outcomes.values())} response(s) fetched, "
        f"{failed} failed; {load.snapshots_loaded} snapshot(s), {load.rows_loaded} metric "
        "row(s) loaded"
        + (f"; {len(load.quarantined)} set aside in quarantine" if load.quarantined else ""),
    )
    if report.load_errors:
        # the marts are not built on a load that stopped part way: the next run completes it
        job.add("load", ExitCode.FAILED, report.load_errors[0])
        job.add("dbt build", ExitCode.FAILED, "skipped: the load did not complete")
        _notify(config, job, clock(), alerts=False)
        return job
    if checks and load.load_ids:
        from ingestion.quality.checkpoint import run_raw_checkpoint

        quality = run_raw_checkpoint(config.warehouse, load.load_ids)
        warned = quality.warnings
        job.add(
            "checkpoint",
            ExitCode.OK if quality.success else ExitCode.FAILED,
            ("passed" if quality.success else "FAILED: " + "; ".join(quality.failed_expectations))
            + (f"; {len(warned)} warning(s)" if warned else ""),
            [f"warning {text}" for text in warned],
        )
    built = True
    if load.load_ids or not _marts_exist(config):
        built = _build(config, job)
        if built and config.marts_duckdb_path is not None:
            _publish_and_report(config, job, days)
    else:
        job.add("dbt build", ExitCode.OK, "skipped: nothing new was loaded")
    # the marts' alerts are news only when the marts are current
    _notify(config, job, clock(), alerts=built)
    return job


def _marts_exist(config: IngestConfig) -> bool:
    """Whether every mart the outputs read is built."""
    path = config.marts_duckdb_path
    if path is None:
        return True  # a server warehouse: build only when something was loaded
    from ingestion.outputs.marts import missing_marts

    return not missing_marts(path)


def _build(config: IngestConfig, job: JobReport) -> bool:
    from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt_summarised

    args = list(SCHEDULED_BUILD)
    if config.warehouse.kind == "postgres":
        args += ["--target", "postgres"]
    # raw history in a bucket: the duckdb target reads its Parquet files (unless the user points
    # CLARITY_RAW_PARQUET elsewhere, e.g. the same bucket through another URL)
    raw_parquet = None
    if config.warehouse.kind == "filesystem":
        raw_parquet = config.raw_parquet or config.warehouse.parquet_location()
    build = run_dbt_summarised(
        args, config.marts_duckdb_path, config.data_dir / DBT_LOG, raw_parquet=raw_parquet
    )
    job.add("dbt build", *_build_detail(build))
    return build.code == 0


def _build_detail(build: BuildSummary) -> tuple[ExitCode, str, list[str]]:
    """The dbt step's status, its one line (counts, time, the log file) and a line per node
    that errored or warned."""
    counts = build.counts
    if counts:
        figures = (
            f"{build.nodes} nodes: {counts['passed']} passed, {counts['warned']} warned, "
            f"{counts['errored']} errored, {counts['skipped']} skipped"
            + (f", {counts['no-op']} no-op" if counts["no-op"] else "")
        )
    else:
        figures = "dbt stopped before running any node"
    head = "" if build.code == 0 else f"FAILED (exit {build.code}): "
    detail = f"{head}{figures} in {build.seconds:.1f} s; per-node log: {build.log_file}"
    problems = build.errored + [p for p in build.problems if p.status != "errored"]
    lines = [f"{p.status} {p.node}: {p.message}" for p in problems[:NODES_SHOWN]]
    if len(problems) > NODES_SHOWN:
        lines.append(f"... and {len(problems) - NODES_SHOWN} more in the log")
    return (ExitCode.OK if build.code == 0 else ExitCode.FAILED), detail, lines


def _publish_and_report(config: IngestConfig, job: JobReport, days: int) -> None:
    from ingestion.outputs.publish import publish, published_path
    from ingestion.outputs.report import write_report
    from ingestion.outputs.report.data import NoMartsError

    try:
        target = config.published_path or published_path(config.marts_duckdb_path)
        copy = publish(config.marts_duckdb_path, target)
        job.add(
            "publish",
            ExitCode.OK,
            f"{copy.tables} tables ({copy.comments} comments) to {copy.path}",
        )
    except RuntimeError as exc:
        job.add("publish", ExitCode.FAILED, str(exc))
    try:
        result = write_report(config.marts_duckdb_path, config.reports / REPORT_NAME, days=days)
        job.add("report", ExitCode.OK, f"{result.path} ({result.bytes / 1024:.0f} KiB)")
    except NoMartsError as exc:
        job.add("report", ExitCode.FAILED, str(exc))


def _notifier(config: IngestConfig):
    """The notifier of the configured URLs, its state in the data folder, the tokens hidden."""
    from ingestion.outputs import notify

    return notify.Notifier(
        config.notify_urls,
        config.data_dir / notify.STATE_FILE,
        secrets=[p.token for p in config.projects],
    )


def _digest(config: IngestConfig, notifier, now: datetime) -> list:
    """The weekly digest when it is due and not sent yet this week (made only then: it writes a
    report); none when the marts cannot give one."""
    from ingestion.outputs import digest
    from ingestion.outputs.marts import NoMartsError

    if config.marts_duckdb_path is None:  # a server warehouse: the digest reads a DuckDB file
        return []
    week = digest.iso_week(now.date())
    if not digest.is_due(now, config.digest_weekday) or notifier.was_sent(digest.digest_key(week)):
        return []
    try:
        return [digest.prepare(config.marts_duckdb_path, config.reports, now).message()]
    except NoMartsError as exc:
        log.warning("no weekly digest: %s", exc)
        return []


def _notify(config: IngestConfig, job: JobReport, now: datetime, *, alerts: bool) -> None:
    from ingestion.outputs import notify

    zones = {p.name: p.zone for p in config.projects}
    messages = notify.ingest_messages(job.ingest.outcomes, now.date())
    messages += notify.load_messages(
        job.ingest.load_errors, job.ingest.load.quarantined, now.date()
    )
    messages += notify.stuck_set_messages(config.warehouse, now, zones)
    messages += notify.token_messages({p.name: p.token for p in config.projects}, now)
    if alerts and config.marts_duckdb_path is not None:
        messages += notify.incident_messages(config.marts_duckdb_path, now.date())
    notifier = _notifier(config)
    if alerts and config.marts_duckdb_path is not None:
        messages += notify.withdrawn_messages(notifier, config.marts_duckdb_path)
    if alerts and config.notify_urls:
        messages += _digest(config, notifier, now)
    if not config.notify_urls:
        job.add("notify", ExitCode.OK, f"{len(messages)} message(s) due; no notify_urls configured")
        return
    sent = notifier.send(messages, now)
    detail = f"{len(sent.sent)} sent, {sent.already_sent} sent before"
    if sent.failed_channels:
        detail += f"; {sent.failed_channels} channel(s) failed (logged; the job goes on)"
    job.add("notify", ExitCode.OK, detail)


def send_digest(
    config: IngestConfig,
    now: datetime,
    *,
    project: str | None = None,
    send: bool = True,
    again: bool = False,
) -> DigestResult:
    """`clarity digest`: the digest of the week of `now` (outputs/digest.py) and, with `send`,
    sent once to the notify URLs (`again`: even if this week's went out already).
    ConfigurationError when there is nowhere to send it; NoMartsError without marts."""
    from ingestion.errors import ConfigurationError
    from ingestion.outputs import digest

    if send and not config.notify_urls:
        raise ConfigurationError(
            "no notify_urls configured: add Apprise URLs to .dlt/secrets.toml "
            "([sources.clarity] notify_urls = [...]) or CLARITY_NOTIFY_URLS, or read the digest "
            "with `clarity digest --print`"
        )
    week = digest.iso_week(now.date())
    key = digest.digest_key(week, project)
    # under the data folder's lock: `clarity run` rewrites the same notifier state
    with data_folder_lock(config.data_dir, "digest"):
        notifier = _notifier(config)
        if send and not again and notifier.was_sent(key):
            sent_before = digest.Digest(week, "", "", 0, project)
            return digest.DigestResult(sent_before, None, already_sent=True)
        result = digest.prepare(config.marts_duckdb_path, config.reports, now, project=project)
        if not send:
            return result
        message = result.message()
        if again:
            message = dataclasses.replace(message, key=f"{key}:again:{now.isoformat()}")
        sent = notifier.send([message], now)
    result.delivered = bool(sent.sent)
    result.already_sent = bool(sent.already_sent)
    result.failed_channels = sent.failed_channels
    return result
