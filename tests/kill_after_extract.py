"""`python -m tests.kill_after_extract ARGS`: the `clarity` command, killed (SIGKILL) when dlt
starts to normalize, i.e. right after the extract step, as an OOM kill or a power cut would stop it
between extract and load. The fault is injected from outside: the product has no hook for it."""

from __future__ import annotations

import os
import signal
import sys

import dlt

from ingestion.cli import main


def _killed(self: dlt.Pipeline, *args: object, **kwargs: object) -> None:
    print("killed after extract (tests/kill_after_extract.py)", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    dlt.Pipeline.normalize = _killed
    sys.exit(main(sys.argv[1:]))
