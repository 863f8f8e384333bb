"""Notifications that reach people, through Apprise (Slack, Microsoft Teams, e-mail, Discord,
generic JSON webhooks, ...: one URL per channel). What is worth a message: a project that
answered 401/403 (with what to do), a 429, failed requests, a dimension set that could not be
fetched two days in a row, a token close to its expiry (14, 7 and 1 days before), and each
incident of the marts (a signal regression, missed collection) once when it opens and once when
it resolves; the weekly digest (outputs/digest.py) is sent through it too, with the report
attached where the channel takes attachments.

Each message has a key and is sent once: the keys sent are kept in a small state file in the data
folder, so an hourly job does not repeat itself. No message holds a token or the value of a
secret URL parameter. A channel that fails is logged (its URL with secrets hidden) and never fails
the pipeline; a message no channel took is tried again on the next run."""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from ingestion.api.secrets import scrub
from ingestion.api.token import token_expiry
from ingestion.collect.fetch import ProjectOutcome
from ingestion.outputs.clarity_links import clarity_links
from ingestion.warehouse.destination import Warehouse
from ingestion.warehouse.raw import request_outcomes

log = logging.getLogger(__name__)

TOKEN_WARNING_DAYS = (14, 7, 1)
INCIDENT_RECENT_DAYS = 7  # incidents seen longer ago are not news (a first run, a full refresh)
MUTED = ("wont_fix", "snoozed")  # a person's triage that silences an incident
STATE_FILE = "notifications.json"
STATE_DAYS_KEPT = 90
# the values of the digest_weekday setting: the UTC weekday `clarity run` sends the weekly
# digest from (outputs/digest.py), or none
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DIGEST_OFF = "off"


@dataclass(frozen=True)
class Message:
    key: str  # sent once per key
    title: str
    body: str
    severity: str = "warning"  # info | warning | failure (Apprise's notify types)
    # files sent along where the channel takes attachments (the others get the text alone)
    attachments: tuple[str, ...] = ()


@dataclass
class SendReport:
    sent: list[Message] = field(default_factory=list)
    already_sent: int = 0
    failed_channels: int = 0
    unsent: list[Message] = field(default_factory=list)


# -- what is worth a message --------------------------------------------------------------------
def ingest_messages(outcomes: Mapping[str, ProjectOutcome], day: date) -> list[Message]:
    """A project stopped by 401, 403 or 429, or with failed requests, in this run (one message
    per project, kind and UTC day)."""
    messages = []
    for project, outcome in sorted(outcomes.items()):
        stopped = outcome.stopped_because
        if stopped == "auth":
            messages.append(
                Message(
                    f"ingest:{project}:auth:{day}",
                    f"Clarity: the token of {project} was rejected (401)",
                    f"Clarity rejected the Data Export token of project {project}: it expired "
                    "or was revoked. Generate a new one in Clarity (Settings -> Data Export) and "
                    "put it in .dlt/secrets.toml or the project's environment variable. Nothing "
                    "is collected for this project until then, and the API keeps only 72 hours.",
                    "failure",
                )
            )
        elif stopped == "forbidden":
            messages.append(
                Message(
                    f"ingest:{project}:forbidden:{day}",
                    f"Clarity: the token of {project} may not export data (403)",
                    f"The token of project {project} is valid but not allowed to export data. "
                    "Ask a project admin to create the Data Export token.",
                    "failure",
                )
            )
        elif stopped == "quota":
            messages.append(
                Message(
                    f"ingest:{project}:quota:{day}",
                    f"Clarity: {project} used its daily quota (429)",
                    f"Clarity answered 429 for project {project}: its 10 requests of the UTC day "
                    "are spent (something else uses the token too, or a manual call). Nothing "
                    "more is asked today; the next run after 00:00 UTC continues.",
                )
            )
        # the error that stopped the project has its message above; any others are failures
        failures = outcome.errors[:-1] if stopped in _TOLD_APART else outcome.errors
        if failures:
            lines = "\n".join(f"- {error}" for error in failures[:5])
            more = f"\n(and {len(failures) - 5} more)" if len(failures) > 5 else ""
            messages.append(
                Message(
                    f"ingest:{project}:failed:{day}",
                    f"Clarity: {len(failures)} request(s) of {project} failed",
                    f"{lines}{more}\nFailed sets are asked again on the next run, within the "
                    "quota.",
                )
            )
    return messages


# stop reasons with a message of their own (any other stop is told among the failures)
_TOLD_APART = ("auth", "forbidden", "quota")


def load_messages(
    load_errors: Sequence[str], quarantined: Sequence[str], day: date
) -> list[Message]:
    """A load that failed (a full disk: what was landed waits for the next run) and the landed
    files set aside in quarantine by this run (one message of each per UTC day)."""
    messages = []
    if load_errors:
        messages.append(
            Message(
                f"load:failed:{day}",
                "Clarity: loading into the warehouse failed (nothing is lost)",
                f"{load_errors[0]}\nCollection goes on; the marts are not rebuilt until a load "
                "completes.",
                "failure",
            )
        )
    if quarantined:
        lines = "\n".join(f"- {entry}" for entry in quarantined[:5])
        more = f"\n(and {len(quarantined) - 5} more)" if len(quarantined) > 5 else ""
        messages.append(
            Message(
                f"load:quarantine:{day}",
                f"Clarity: {len(quarantined)} landed file(s) set aside in quarantine",
                f"{lines}{more}\nThey were not loaded; everything else was. `clarity quarantine` "
                "lists them with why; `clarity quarantine --retry` loads what now passes.",
            )
        )
    return messages


def stuck_set_messages(
    warehouse: Warehouse, now: datetime, zones: Mapping[str, tzinfo]
) -> list[Message]:
    """A dimension set whose requests all failed on each of the last two days of its project
    (and none succeeded): one message per set and day."""
    since = now - timedelta(days=3)
    outcomes: dict[tuple[str, str], dict[date, list[bool]]] = {}
    for project, dims, at, ok in request_outcomes(warehouse, since):
        zone = zones.get(project, UTC)
        outcomes.setdefault((project, dims), {}).setdefault(at.astimezone(zone).date(), []).append(
            ok
        )
    messages = []
    for (project, dims), days in sorted(outcomes.items()):
        today = now.astimezone(zones.get(project, UTC)).date()
        recent = [days.get(today - timedelta(days=k)) for k in (1, 0)]
        if all(attempts and not any(attempts) for attempts in recent):
            label = dims or "no dimension"
            messages.append(
                Message(
                    f"stuck:{project}:{label}:{today}",
                    f"Clarity: {project} [{label}] failed two days in a row",
                    f"Every request of project {project}, dimension set [{label}], failed on "
                    f"{today - timedelta(days=1)} and on {today}. Clarity's 500s can last days; "
                    "the API keeps 72 hours, so after a third day data is lost for good. Check "
                    "the requests table (clarity_raw.requests) for the statuses.",
                    "failure",
                )
            )
    return messages


def token_messages(tokens: Mapping[str, str], now: datetime) -> list[Message]:
    """Tokens expiring within 14, 7 or 1 days (one message per threshold), or expired."""
    messages = []
    for project, token in sorted(tokens.items()):
        expires = token_expiry(token)
        if expires is None:
            continue
        left = expires - now
        if left <= timedelta(0):
            messages.append(
                Message(
                    f"token:{project}:{expires:%Y-%m-%d}:expired",
                    f"Clarity: the token of {project} has expired",
                    f"The Data Export token of project {project} expired on "
                    f"{expires:%Y-%m-%d %H:%M} UTC. Generate a new one in Clarity (Settings -> "
                    "Data Export) and update .dlt/secrets.toml or the environment variable.",
                    "failure",
                )
            )
            continue
        crossed = [days for days in TOKEN_WARNING_DAYS if left <= timedelta(days=days)]
        if crossed:
            days = min(crossed)
            messages.append(
                Message(
                    f"token:{project}:{expires:%Y-%m-%d}:{days}",
                    f"Clarity: the token of {project} expires in "
                    f"{math.ceil(left.total_seconds() / 86400)} day(s)",
                    f"The Data Export token of project {project} expires on "
                    f"{expires:%Y-%m-%d %H:%M} UTC. Generate a new one in Clarity (Settings -> "
                    "Data Export) and update .dlt/secrets.toml or the environment variable "
                    "before then: the API keeps only 72 hours.",
                )
            )
    return messages


def incident_messages(duckdb_path: Path, today: date) -> list[Message]:
    """One message when an incident of the marts (fct_incidents) opens and one when it
    resolves, for the incidents seen or resolved in the last INCIDENT_RECENT_DAYS days (none
    when the warehouse or its incidents are not built yet). fct_alerts' daily rows send
    nothing."""
    from ingestion.outputs import marts

    try:
        with marts.connect(duckdb_path, require=("fct_incidents",)) as con:
            reader = marts.records(con)
            since = today - timedelta(days=INCIDENT_RECENT_DAYS)
            incidents = reader.incidents(since=since)
            ids = {
                name: found.clarity_project_id
                for name in {incident["project"] for incident in incidents}
                if (found := reader.project(name)) is not None
            }
    except marts.NoMartsError:
        return []
    return messages_of_incidents(incidents, ids, since)


def withdrawn_messages(notifier: Notifier, duckdb_path: Path) -> list[Message]:
    """One message for each incident told as opened, not told as resolved, that fct_incidents
    no longer has: its days got their values on a later run (a retry gave the missed date a
    one-day window) or a rebuild no longer finds its alert. None while the incidents are not
    built."""
    from ingestion.outputs import marts

    try:
        with marts.connect(duckdb_path, require=("fct_incidents",)) as con:
            current = {row["incident_id"] for row in marts.records(con).incidents()}
    except marts.NoMartsError:
        return []
    return messages_of_withdrawn(notifier.sent_keys(), current)


def messages_of_withdrawn(sent: Mapping[str, str], current: set[str]) -> list[Message]:
    """The withdrawn messages for the keys `sent` (key -> when) and the incident ids the marts
    have now."""
    messages = []
    for key, at in sorted(sent.items()):
        kind, _, rest = key.partition(":")
        incident_id, _, event = rest.rpartition(":")
        if kind != "incident" or event != "opened" or incident_id in current:
            continue
        if f"incident:{incident_id}:resolved" in sent:
            continue
        messages.append(
            Message(
                f"incident:{incident_id}:withdrawn",
                f"Clarity: the incident told on {at[:10]} is no longer one",
                f"Incident {incident_id}, told as opened on {at[:10]} UTC, is no longer in "
                "marts.fct_incidents: a later run gave its days their values (a retried "
                "request), or the rebuilt marts no longer find its alert. Nothing to do.",
                "info",
            )
        )
    return messages


def messages_of_incidents(
    incidents: Iterable[Mapping[str, Any]],
    clarity_ids: Mapping[str, str | None],
    since: date | None = None,
) -> list[Message]:
    """The messages of `incidents` (rows of marts.incidents): `incident:<id>:opened` for each
    seen from `since` on, and `incident:<id>:resolved` for each resolved from `since` on
    (after its opened message: an incident first seen resolved says both); none for an
    incident a person muted (won't fix, or snoozed to a date not reached). An incident left
    open long after its last alert is not told again (the state file forgets after
    STATE_DAYS_KEPT days)."""
    messages = []
    for incident in incidents:
        if incident.get("triage_status") in MUTED:
            continue
        if since is None or incident["last_seen_on"] >= since:
            messages.append(_opened_message(incident, clarity_ids.get(incident["project"])))
        resolved = incident["resolved_on"]
        if incident["status"] == "resolved" and (since is None or resolved >= since):
            messages.append(_resolved_message(incident))
    return messages


def _what(incident: Mapping[str, Any]) -> tuple[str, str]:
    """What an incident is about and where, in words."""
    if incident["scope"] == "collection":
        return "missed collection", f"project {incident['project']}"
    metric = incident["metric"].replace("_", " ")
    where = incident["page_url"] or "the whole site"
    return metric, f"{where} ({incident['project']})"


def _opened_message(incident: Mapping[str, Any], clarity_id: str | None) -> Message:
    what, where = _what(incident)
    opened, last = incident["opened_on"], incident["last_seen_on"]
    if incident["scope"] == "collection":
        body = (
            f"Project {incident['project']} has no daily value for {opened}"
            + (f" to {last}" if last != opened else "")
            + f" ({incident['alert_days']} day(s) in a row; lowest day coverage "
            f"{incident['peak_observed']:.2f}, needed {incident['peak_expected']:.2f}). "
            "See marts.fct_collection_daily for why."
        )
        title = f"Clarity: {incident['project']} has no daily value since {opened}"
    else:
        body = (
            f"{what} up on {where} since {opened}: {incident['peak_observed']:.1%} of sessions "
            f"on {incident['peak_on']} against {incident['peak_expected']:.1%} expected from "
            f"the baseline (z = {incident['peak_strength']:.1f}); {incident['alert_days']} alert "
            f"day(s), last seen {last}."
        )
        links = clarity_links(clarity_id, incident["page_url"], opened, last)
        if links.recordings:
            body += f"\nIn Clarity: recordings {links.recordings} ; heatmap {links.heatmap}"
        title = f"Clarity: {what} up on {where}"
    return Message(f"incident:{incident['incident_id']}:opened", title, body)


def _resolved_message(incident: Mapping[str, Any]) -> Message:
    what, where = _what(incident)
    opened, resolved = incident["opened_on"], incident["resolved_on"]
    if incident["scope"] == "collection":
        how = (
            "every day of it got a value after all"
            if incident["resolution"] == "recovered"
            else f"the collection has values again from {resolved}; the missed days stay missing"
        )
        body = (
            f"The missed collection of project {incident['project']} from {opened} to "
            f"{incident['last_seen_on']} ({incident['alert_days']} day(s)) is resolved: {how}."
        )
    else:
        body = (
            f"{what} on {where}, up since {opened} (peak {incident['peak_observed']:.1%} "
            f"against {incident['peak_expected']:.1%}, z = {incident['peak_strength']:.1f}), is "
            f"back near the baseline since {resolved}: last alert {incident['last_seen_on']}."
        )
    return Message(
        f"incident:{incident['incident_id']}:resolved",
        f"Clarity: resolved: {what} on {where}",
        body,
        "info",
    )


# -- sending -------------------------------------------------------------------------------------
def parse_urls(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = text.replace(",", " ").split()
    return [str(url).strip() for url in value if str(url).strip()]


class Notifier:
    """Sends messages once each (state file) to every configured Apprise URL."""

    def __init__(self, urls: Sequence[str], state_path: Path, secrets: Iterable[str] = ()) -> None:
        self.urls = list(urls)
        self.state_path = Path(state_path)
        self.secrets = [s for s in secrets if s]

    def _state(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.state_path.read_text()).get("sent", {}))
        except (OSError, ValueError):
            return {}

    def _save(self, sent: dict[str, str], now: datetime) -> None:
        oldest = (now - timedelta(days=STATE_DAYS_KEPT)).isoformat()
        kept = {key: at for key, at in sent.items() if at >= oldest}
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_name(f".{self.state_path.name}.tmp")
        tmp.write_text(json.dumps({"sent": kept}, indent=1, sort_keys=True))
        os.replace(tmp, self.state_path)

    def sent_keys(self) -> dict[str, str]:
        """The keys sent, each with when (ISO time, UTC), as the state file keeps them."""
        return self._state()

    def was_sent(self, key: str) -> bool:
        """Whether the message of `key` went out already (a costly message is then not made)."""
        return key in self._state()

    def clean(self, text: str) -> str:
        """No token, no secret URL parameter: whatever a message quotes."""
        return scrub(text, self.secrets)

    def send(self, messages: Sequence[Message], now: datetime | None = None) -> SendReport:
        now = now or datetime.now(UTC)
        report = SendReport()
        if not self.urls:
            return report
        import apprise

        # Apprise's own log lines may quote a notification URL whole (secrets included): this
        # module logs failures itself, with the URL's secrets hidden
        logging.getLogger("apprise").setLevel(logging.CRITICAL)
        sent = self._state()
        channels = []
        for url in self.urls:
            channel = apprise.Apprise()
            if not channel.add(url):
                log.warning("notification URL %s is not one Apprise knows; skipped", _hidden(url))
                continue
            channels.append((channel, url))
        failed: set[str] = set()
        for message in messages:
            if message.key in sent:
                report.already_sent += 1
                continue
            delivered = False
            for channel, url in channels:
                ok = channel.notify(
                    title=self.clean(message.title),
                    body=self.clean(message.body),
                    notify_type=_notify_type(apprise, message.severity),
                    attach=list(message.attachments) or None,
                )
                if ok:
                    delivered = True
                elif url not in failed:
                    failed.add(url)
                    log.warning(
                        "notification channel %s failed; the pipeline goes on", _hidden(url)
                    )
            if delivered:
                sent[message.key] = now.isoformat()
                report.sent.append(message)
            else:
                report.unsent.append(message)
        report.failed_channels = len(failed)
        self._save(sent, now)
        return report


def _notify_type(apprise, severity: str):
    return {
        "info": apprise.NotifyType.INFO,
        "warning": apprise.NotifyType.WARNING,
        "failure": apprise.NotifyType.FAILURE,
    }.get(severity, apprise.NotifyType.WARNING)


def _hidden(url: str) -> str:
    """A notification URL for a log line: its scheme and host only (the rest holds secrets)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/..." if rest else f"{scheme}://..."
