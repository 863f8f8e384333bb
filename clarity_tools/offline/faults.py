"""Injected faults of the offline service: what the next matching requests get instead of data."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass

FAULT_KINDS: tuple[str, ...] = (
    "status",
    "empty",
    "not-json",
    "object",
    "missing-keys",
    "drop",
    "delay",
)
NOT_JSON_BODY = b"<html><head><title>Service Unavailable</title></head><body>Later</body></html>"
OBJECT_BODY = {"message": "An error has occurred.", "code": "InternalServerError"}


@dataclass
class Fault:
    """One injected fault; ``project``/``dimensions`` None match anything; fires ``times`` times.

    Kinds: ``status`` (answer ``status`` with ``body``), ``empty`` (200, empty body), ``not-json``
    (200, an HTML page), ``object`` (200, a JSON object instead of an array), ``missing-keys``
    (200, the real body with one block lacking ``information`` and one row lacking
    ``sessionsCount``), ``drop`` (connection closed without a response), ``delay`` (the real
    answer after sleeping ``seconds``). ``dimensions`` is compared with the request's valid
    dimensions, sorted: ``("URL",)`` matches a URL request, ``()`` only dimensionless ones.
    """

    kind: str
    project: str | None = None
    times: int = 1
    dimensions: tuple[str, ...] | None = None
    status: int = 500
    body: bytes = b""
    seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        if self.times < 1:
            raise ValueError("times must be >= 1")
        if isinstance(self.body, str):
            self.body = self.body.encode()
        if self.dimensions is not None:
            self.dimensions = tuple(sorted(self.dimensions))

    def matches(self, project: str, dimensions: tuple[str, ...]) -> bool:
        if self.project is not None and self.project != project:
            return False
        return self.dimensions is None or self.dimensions == tuple(sorted(dimensions))

    def describe(self) -> dict:
        """A JSON-friendly view (for the state endpoint)."""
        view = asdict(self)
        view["body"] = self.body.decode(errors="replace")
        return view


class FaultBook:
    """Pending faults in injection order; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, project: str, dimensions: Iterable[str]) -> Fault | None:
        """The first fault matching this request, spending one of its ``times``."""
        dims = tuple(dimensions)
        with self._lock:
            for fault in self._faults:
                if fault.matches(project, dims):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
