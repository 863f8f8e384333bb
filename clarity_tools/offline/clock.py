"""A frozen, caller-controlled UTC clock: the simulated "now" of the offline service."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (a naive datetime is taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Clock:
    """Simulated UTC time; it only moves when ``set`` or ``advance`` is called. Thread-safe."""

    def __init__(self, now: datetime) -> None:
        self._now = as_utc(now)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current simulated time (aware, UTC)."""
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (backwards too); returns the new time."""
        with self._lock:
            self._now = as_utc(moment)
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds); returns the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=float(delta))
        with self._lock:
            self._now = self._now + step
            return self._now

    def __repr__(self) -> str:
        return f"Clock({self.now().isoformat()})"
