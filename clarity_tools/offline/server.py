"""The offline Clarity service: a loopback HTTP server that answers like the Data Export API,
from simulated sessions, at a clock the caller controls."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson

from clarity_tools.offline.clock import Clock, as_utc
from clarity_tools.offline.faults import NOT_JSON_BODY, OBJECT_BODY, Fault, FaultBook
from clarity_tools.offline.projects import ProjectSpec, default_projects
from clarity_tools.offline.responses import build_response, clean_dimensions
from clarity_tools.offline.simulation import SimulatedProject, normalise_start, simulate_projects
from clarity_tools.offline.truth import (
    page_daily,
    page_window,
    segment_daily,
    site_daily,
    site_window,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/export-data/api/v1"
API_PATH = f"{API_PREFIX}/project-live-insights"
CONTROL_PREFIX = "/_offline/"
DAILY_QUOTA = 10
DEFAULT_START = datetime(2026, 10, 1, tzinfo=UTC)
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
_BEARER = re.compile(r"\s*bearer\s+(\S+)\s*", re.IGNORECASE)


def make_token(seed: int, project: str, expires_at: datetime | None = None) -> str:
    """The token of ``project``: derived from the seed, deliberately not JWT-shaped; with
    ``expires_at``, a JWT like Clarity's whose ``exp`` claim says when it stops working."""
    digest = hashlib.sha256(f"offline-clarity:{seed}:{project}".encode()).hexdigest()
    if expires_at is None:
        return f"offline-{project}-{digest[:16]}"
    import jwt

    claims = {"sub": project, "jti": digest[:16], "exp": int(as_utc(expires_at).timestamp())}
    return jwt.encode(claims, f"offline-clarity-signing-key:{seed}:{digest}", algorithm="HS256")


class OfflineClarity:
    """Simulated Clarity projects behind a real HTTP server with a frozen, settable clock.

    Simulates ``[start - 3 days, start + days)``; the clock starts at ``start``. Use as a context
    manager, or call ``start()`` / ``stop()``.

    Serves ``GET /export-data/api/v1/project-live-insights`` with tokens, the daily quota, error
    statuses and injectable faults; plus control endpoints under ``/_offline/`` (``GET state``,
    ``POST clock``, ``POST fault``, ``POST token``) that are neither counted against the quota nor
    written to ``request_log``. Valid-token requests count (400s and faults too); 401/403 do not.
    """

    def __init__(
        self,
        projects: Iterable[ProjectSpec] | None = None,
        seed: int = 7,
        start: datetime = DEFAULT_START,
        days: int = 40,
        host: str = "127.0.0.1",
        port: int = 0,
        token_expiry: dict[str, datetime] | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        self.specs: tuple[ProjectSpec, ...] = tuple(
            default_projects() if projects is None else projects
        )
        self.seed = seed
        self.simulation_start = normalise_start(start)
        self.days = days
        self._projects = simulate_projects(self.specs, seed, self.simulation_start, days)
        self.clock = Clock(self.simulation_start)
        # projects in ``token_expiry`` get JWT tokens that expire then (answered 401 after)
        self._expiry = {name: as_utc(at) for name, at in (token_expiry or {}).items()}
        self._tokens = {
            name: make_token(seed, name, self._expiry.get(name)) for name in self._projects
        }
        self._token_owner = {token: name for name, token in self._tokens.items()}
        self._token_status = dict.fromkeys(self._projects, "valid")
        self._counters: dict[tuple[str, date], int] = {}
        self._log: list[dict] = []
        self._faults = FaultBook()
        self._outages: list[tuple[str, date, date]] = []
        self._lock = threading.Lock()
        # every API request waits this long before its answer (a real API's round trip), in its
        # own server thread, so concurrent clients wait side by side
        self.latency = max(0.0, latency_ms) / 1000
        self._in_flight = 0
        self.max_in_flight = 0  # the most API requests answered at the same time
        self._address = (host, port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def _bind(self) -> ThreadingHTTPServer:
        if self._httpd is None:
            handler = type("OfflineClarityHandler", (_Handler,), {"service": self})
            self._httpd = ThreadingHTTPServer(self._address, handler)
            self._httpd.daemon_threads = True
        return self._httpd

    def start(self) -> OfflineClarity:
        """Bind the address (a free loopback port by default) and serve in a daemon thread."""
        if self._thread is None:
            httpd = self._bind()
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="offline-clarity",
                daemon=True,
            )
            self._thread.start()
            logger.info("offline Clarity service listening at %s", self.base_url)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C), then close the socket."""
        httpd = self._bind()
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            logger.info("offline Clarity service interrupted")
        finally:
            httpd.server_close()
            self._httpd = None

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            if self._thread is not None:
                self._httpd.shutdown()
                self._thread.join(timeout=5)
            self._httpd.server_close()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> OfflineClarity:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ public views

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/export-data/api/v1`` (the server must be bound)."""
        if self._httpd is None:
            raise RuntimeError("the service is not started: call start() first")
        host, port = self._httpd.server_address[:2]
        host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        return f"http://{host}:{port}{API_PREFIX}"

    @property
    def tokens(self) -> dict[str, str]:
        return dict(self._tokens)

    @property
    def projects(self) -> tuple[str, ...]:
        return tuple(self._projects)

    @property
    def request_log(self) -> list[dict]:
        """One dict per API request received: time, project, params, dimensions, status, ..."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    @property
    def planted_regressions(self) -> list[dict]:
        return [dict(r) for project in self._projects.values() for r in project.regressions]

    def simulated(self, project: str) -> SimulatedProject:
        """The simulated sessions of ``project`` (read-only arrays)."""
        try:
            return self._projects[project]
        except KeyError:
            raise KeyError(f"unknown project {project!r}; known: {list(self._projects)}") from None

    # ------------------------------------------------------------------ control

    def _set_token_status(self, project: str, status: str) -> None:
        self.simulated(project)
        with self._lock:
            self._token_status[project] = status

    def expire_token(self, project: str) -> None:
        """From now on the project's token gets 401."""
        self._set_token_status(project, "expired")

    def forbid_token(self, project: str) -> None:
        """From now on the project's token gets 403."""
        self._set_token_status(project, "forbidden")

    def restore_token(self, project: str) -> None:
        """Make the project's token valid again."""
        self._set_token_status(project, "valid")

    def inject_fault(
        self,
        kind: str,
        project: str | None = None,
        times: int = 1,
        dimensions: Sequence[str] | None = None,
        status: int = 500,
        body: bytes | str = b"",
        seconds: float = 1.0,
    ) -> None:
        """Make the next ``times`` matching API requests fail as ``kind`` (see ``faults.py``)."""
        if project is not None:
            self.simulated(project)
        dims = None if dimensions is None else tuple(dimensions)
        self._faults.add(Fault(kind, project, int(times), dims, int(status), body, float(seconds)))

    def clear_faults(self) -> None:
        self._faults.clear()
        with self._lock:
            self._outages.clear()

    def add_outage(self, project: str, first_day: date, days: int) -> None:
        """From ``first_day`` (a UTC date of the service's clock) for ``days`` days, every API
        request of ``project`` gets a 500 with an empty body, as in the multi-day outages seen on
        the wire; requests still count against the quota."""
        self.simulated(project)
        if days < 1:
            raise ValueError("an outage lasts at least one day")
        with self._lock:
            self._outages.append((project, first_day, first_day + timedelta(days=days)))

    def _in_outage(self, project: str, now: datetime) -> bool:
        with self._lock:
            return any(p == project and a <= now.date() < b for p, a, b in self._outages)

    def requests_counted(self, project: str, utc_date: date) -> int:
        """Requests of ``project`` counted against its quota on ``utc_date``."""
        with self._lock:
            return self._counters.get((project, utc_date), 0)

    def state(self) -> dict:
        """Clock, tokens, quota counters and pending faults, JSON-friendly."""
        with self._lock:
            counters: dict[str, dict[str, int]] = {}
            for (project, day), count in sorted(self._counters.items()):
                counters.setdefault(project, {})[day.isoformat()] = count
            statuses = dict(self._token_status)
            logged = len(self._log)
            outages = [
                {"project": p, "from": a.isoformat(), "until": b.isoformat()}
                for p, a, b in self._outages
            ]
        return {
            "now": self.clock.now().isoformat(),
            "base_url": self.base_url if self._httpd is not None else None,
            "tokens": self.tokens,
            "token_status": statuses,
            "counters": counters,
            "faults": self._faults.pending(),
            "outages": outages,
            "requests_logged": logged,
            "simulated_from": (self.simulation_start - timedelta(days=3)).isoformat(),
            "simulated_to": (self.simulation_start + timedelta(days=self.days)).isoformat(),
        }

    # ------------------------------------------------------------------ data

    def response(
        self, project: str, dimensions: Sequence[str], num_days: int, now: datetime
    ) -> list:
        """The wire JSON (Python objects) of a call at ``now``, without HTTP, quota or faults."""
        return build_response(self.simulated(project), dimensions, num_days, as_utc(now))

    def truth_site_daily(self, project: str, day: date, zone: tzinfo = UTC) -> dict:
        """Site totals of a calendar day of ``zone`` (UTC by default)."""
        return site_daily(self.simulated(project), day, zone)

    def truth_site_window(self, project: str, start: datetime, end: datetime) -> dict:
        """Site totals of the sessions starting in ``[start, end)`` (any window)."""
        return site_window(self.simulated(project), as_utc(start), as_utc(end))

    def truth_page_daily(self, project: str, day: date, zone: tzinfo = UTC) -> dict[str, dict]:
        return page_daily(self.simulated(project), day, zone)

    def truth_page_window(self, project: str, start: datetime, end: datetime) -> dict[str, dict]:
        """Per page, as ``truth_page_daily``, over the sessions starting in ``[start, end)``."""
        return page_window(self.simulated(project), as_utc(start), as_utc(end))

    def truth_segment_daily(
        self, project: str, dimension: str, day: date, zone: tzinfo = UTC
    ) -> dict:
        return segment_daily(self.simulated(project), dimension, day, zone)

    # ------------------------------------------------------------------ used by the handler

    def _authenticate(self, header: str | None) -> tuple[str | None, int]:
        match = _BEARER.fullmatch(header or "")
        project = self._token_owner.get(match.group(1)) if match else None
        if project is None:
            return None, 401
        with self._lock:
            status = self._token_status[project]
        expiry = self._expiry.get(project)
        if status == "valid" and expiry is not None and self.clock.now() >= expiry:
            status = "expired"
        return project, {"valid": 200, "expired": 401, "forbidden": 403}[status]

    def _count_request(self, project: str, now: datetime) -> int:
        key = (project, now.date())
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def _take_fault(self, project: str, dimensions: tuple[str, ...]) -> Fault | None:
        return self._faults.take(project, dimensions)

    def _record(self, entry: dict) -> None:
        with self._lock:
            self._log.append(entry)
        logger.debug("offline request %s", entry)


def _first_values(query: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(query, keep_blank_values=True).items()}


def _log_entry_for(now: datetime, params: dict[str, str]) -> dict:
    """A fresh request_log entry; the handler fills project, status, fault and counted."""
    return {
        "time": now,
        "project": None,
        "params": params,
        "dimensions": (),
        "status": None,
        "fault": None,
        "counted": False,
    }


def _num_of_days(value: str | None) -> int | None:
    return int(value) if value in ("1", "2", "3") else None


def _break_keys(body: list[dict]) -> list[dict]:
    """The ``missing-keys`` fault: drop one block's ``information`` and one row's sessionsCount."""
    for block in body:
        rows = block.get("information") or []
        if rows and "sessionsCount" in rows[0]:
            del rows[0]["sessionsCount"]
            break
    body[-1].pop("information", None)
    return body


class _Handler(BaseHTTPRequestHandler):
    """Routes one HTTP request to the API emulation or to a control endpoint."""

    service: OfflineClarity
    entry: dict | None = None  # the request_log entry of the API request being answered
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server_version = "OfflineClarity/1.0"

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header comes from the simulated clock."""
        return format_datetime(self.service.clock.now(), usegmt=True)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("%s - %s", self.address_string(), format % args)

    def _log_entry(self, status: int | None) -> None:
        """Record the API request before answering, so the log is complete once a reply arrives."""
        if self.entry is not None:
            self.entry["status"] = status
            self.service._record(self.entry)
            self.entry = None

    def _send(self, status: int, body: bytes = b"", content_type: str | None = None) -> None:
        self._log_entry(status)
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _send_json(self, status: int, payload: object) -> None:
        self._send(status, orjson.dumps(payload), JSON_TYPE)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path == f"{CONTROL_PREFIX}state":
            self._send_json(200, self.service.state())
        elif parts.path.rstrip("/") == API_PATH:
            self._api(_first_values(parts.query))
        else:
            self.entry = _log_entry_for(self.service.clock.now(), _first_values(parts.query))
            self.entry["path"] = parts.path
            self._send(404, b"Not Found", TEXT_TYPE)

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        actions = {
            f"{CONTROL_PREFIX}clock": self._control_clock,
            f"{CONTROL_PREFIX}fault": self._control_fault,
            f"{CONTROL_PREFIX}token": self._control_token,
        }
        if path not in actions:
            self._send(404 if path.startswith(CONTROL_PREFIX) else 405, b"", TEXT_TYPE)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            actions[path](payload)
        except (ValueError, KeyError, TypeError) as error:
            self._send_json(400, {"error": str(error)})
            return
        self._send_json(200, self.service.state())

    # ------------------------------------------------------------------ control endpoints

    def _control_clock(self, payload: dict) -> None:
        if "now" in payload:
            self.service.clock.set(datetime.fromisoformat(payload["now"]))
        elif "advance_seconds" in payload:
            self.service.clock.advance(float(payload["advance_seconds"]))
        else:
            raise ValueError('send {"now": "<ISO-8601>"} or {"advance_seconds": N}')

    def _control_fault(self, payload: dict) -> None:
        self.service.inject_fault(**payload)

    def _control_token(self, payload: dict) -> None:
        actions = {
            "expire": self.service.expire_token,
            "forbid": self.service.forbid_token,
            "restore": self.service.restore_token,
        }
        if payload.get("action") not in actions:
            raise ValueError(f"action must be one of {sorted(actions)}")
        actions[payload["action"]](payload["project"])

    # ------------------------------------------------------------------ the API

    def _api(self, params: dict[str, str]) -> None:
        service = self.service
        with service._lock:
            service._in_flight += 1
            service.max_in_flight = max(service.max_in_flight, service._in_flight)
        try:
            if service.latency:
                time.sleep(service.latency)
            now = service.clock.now()
            entry = self.entry = _log_entry_for(now, params)
            try:
                self._answer(params, now, entry)
            except Exception:  # a bug in the emulation must not look like a dropped connection
                logger.exception("offline service failed on %s", self.path)
                if self.entry is not None:
                    self._send(500)
            finally:
                self._log_entry(None)
        finally:
            with service._lock:
                service._in_flight -= 1

    def _answer(self, params: dict[str, str], now: datetime, entry: dict) -> None:
        """Answer one API request (or drop the connection, as a fault)."""
        service = self.service
        project, auth = service._authenticate(self.headers.get("Authorization"))
        entry["project"] = project
        if auth != 200:
            self._send(auth)
            return
        entry["counted"] = True
        count = service._count_request(project, now)
        if count > DAILY_QUOTA:
            over_body = b"" if (count - DAILY_QUOTA) % 2 == 1 else b"Exceeded daily limit"
            self._send(429, over_body, TEXT_TYPE if over_body else None)
            return
        dims = clean_dimensions(params.get(f"dimension{i}") for i in (1, 2, 3))
        entry["dimensions"] = dims
        if service._in_outage(project, now):
            entry["fault"] = "outage"
            self._send(500)
            return
        fault = service._take_fault(project, dims)
        entry["fault"] = fault.kind if fault else None
        if fault is not None and fault.kind not in ("missing-keys", "delay"):
            self._fault(fault)
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        num_days = _num_of_days(params.get("numOfDays"))
        if num_days is None:
            self._send(400, b"" if "numOfDays" not in params else b"Invalid numOfDays", TEXT_TYPE)
            return
        body = service.response(project, dims, num_days, now)
        if fault is not None and fault.kind == "missing-keys":
            body = _break_keys(body)
        self._send(200, orjson.dumps(body), JSON_TYPE)

    def _fault(self, fault: Fault) -> None:
        """Play a fault that replaces the answer."""
        if fault.kind == "status":
            self._send(fault.status, fault.body, TEXT_TYPE if fault.body else None)
        elif fault.kind == "empty":
            self._send(200, b"", JSON_TYPE)
        elif fault.kind == "not-json":
            self._send(200, NOT_JSON_BODY, "text/html; charset=utf-8")
        elif fault.kind == "object":
            self._send(200, orjson.dumps(OBJECT_BODY), JSON_TYPE)
        elif fault.kind == "drop":
            self._log_entry(None)
            self.close_connection = True


def run_standalone(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 7,
    start: datetime = DEFAULT_START,
    days: int = 40,
    projects: Iterable[ProjectSpec] | None = None,
    latency_ms: float = 0.0,
) -> None:
    """Serve the offline service in the foreground until Ctrl-C; logs base URL and tokens."""
    service = OfflineClarity(
        projects=projects,
        seed=seed,
        start=start,
        days=days,
        host=host,
        port=port,
        latency_ms=latency_ms,
    )
    service._bind()
    logger.info(
        "offline Clarity service at %s (clock %s)",
        service.base_url,
        service.clock.now().isoformat(),
    )
    for project, token in service.tokens.items():
        logger.info("token for project %s: %s", project, token)
    logger.info(
        "control: GET %s/_offline/state, POST /_offline/clock, /_offline/fault",
        service.base_url.removesuffix(API_PREFIX),
    )
    service.serve_forever()
