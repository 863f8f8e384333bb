"""One writer at a time per data folder: a second `clarity ingest` or `import` started while one
runs would plan with the same quota ledger and spend it twice, so it stops with a clear error."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingestion.collect.landing import not_writable
from ingestion.errors import RunFailedError


class AlreadyRunningError(RunFailedError):
    """Another clarity process holds the data folder's lock."""


@contextmanager
def data_folder_lock(data_dir: Path, command: str) -> Iterator[None]:
    path = data_dir / ".clarity.lock"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the block
    except OSError as exc:
        raise not_writable(path, exc) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunningError(
                f"{holder} is using {data_dir}; wait for it to finish (a second run would "
                "spend the same quota twice), or remove a stale lock only if no clarity "
                "process is running."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"clarity {command} (pid {os.getpid()})")
        handle.flush()
        yield
    finally:
        handle.close()
