"""Charts drawn from their Vega-Lite specs (JSON) to SVG or PNG by vl-convert, in a helper process:
vl-convert holds the GIL while it starts its JavaScript engine (about 0.5 s) and while it draws,
so a thread would not overlap it; a process starts the engine while this one reads the marts,
and draws each chart while this one builds the next spec. `Drawer.draw` returns a Future; the
charts come back in the order they were sent, a chart that cannot be drawn fails alone, and
what a helper that ended early still owed is drawn in this process. Run as `python -m` this
module is the helper: one request per line on stdin, one answer per line on stdout."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections import deque
from concurrent.futures import Future
from pathlib import Path

log = logging.getLogger(__name__)

FORMATS = ("svg", "png")
TIMEOUT = 120  # seconds a report waits for one chart before it gives up
BUFFER = 1 << 20  # a chart's SVG is about 100 KB: read in one piece, not 8 KB at a time
PNG_SCALE = 2
# a spec the helper draws before the first request, so that its engine is started and warm
WARM_UP = '{"mark": "point", "data": {"values": [{"a": 1}]}}'


def draw_here(spec: str, fmt: str) -> str | bytes:
    """`spec` drawn in this process: SVG markup, or PNG bytes."""
    import vl_convert as vlc

    if fmt == "svg":
        return vlc.vegalite_to_svg(spec)
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=PNG_SCALE)
    raise ValueError(f"a chart is drawn as one of {FORMATS}, not {fmt!r}")


class Drawer:
    """Draws specs in one helper process (a context manager: leaving it ends the helper). When
    the helper ends early (it could not start, or died), the charts it still owed and every
    later one are drawn in this process, and a warning says why."""

    def __init__(self) -> None:
        self._pending: deque[tuple[Future, str, str]] = deque()
        self._lock = threading.Lock()
        self._ended: str | None = None  # why the helper ended, once it has
        self._stderr = tempfile.TemporaryFile()  # a file: a pipe left unread could fill
        # the child imports this checkout's package whatever its working folder
        root = str(Path(__file__).resolve().parents[3])
        path = os.environ.get("PYTHONPATH")
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=BUFFER,
            env={**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")},
        )
        # the answers are read as they come, so that neither pipe fills while the other waits
        self._reader = threading.Thread(target=self._read, name="chart-drawer", daemon=True)
        self._reader.start()

    def draw(self, spec: str, fmt: str = "svg") -> Future:
        """A Future of `spec` drawn as `fmt` (SVG markup, or PNG bytes)."""
        if fmt not in FORMATS:
            raise ValueError(f"a chart is drawn as one of {FORMATS}, not {fmt!r}")
        future: Future = Future()
        with self._lock:
            if self._ended is None:
                self._pending.append((future, spec, fmt))
                try:  # in the lock: the answers come back in the order of these writes
                    self._process.stdin.write(json.dumps({"spec": spec, "format": fmt}) + "\n")
                    self._process.stdin.flush()
                except OSError:
                    pass  # the helper ended: _read draws what it owed here
                return future
        _draw_into(future, spec, fmt)
        return future

    def _read(self) -> None:
        try:
            for line in self._process.stdout:
                future, _, fmt = self._pending.popleft()
                answer = json.loads(line)
                if "error" in answer:
                    future.set_exception(
                        ValueError(f"the chart could not be drawn: {answer['error']}")
                    )
                elif fmt == "png":
                    future.set_result(base64.b64decode(answer["png"]))
                else:
                    future.set_result(answer["svg"])
        except Exception as error:  # an answer out of step: the helper is no longer trusted
            why = f"{type(error).__name__}: {error}"
            self._process.kill()
        else:
            why = ""
        finally:
            self._process.wait()
            self._stderr.seek(0)
            said = self._stderr.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            why = why or " / ".join(said)
            with self._lock:
                self._ended = f"exit code {self._process.returncode}" + (f": {why}" if why else "")
                owed = list(self._pending)
                self._pending.clear()
            if owed:
                log.warning(
                    "the chart drawing process ended (%s); drawing %d chart(s) here instead",
                    self._ended,
                    len(owed),
                )
            for future, spec, fmt in owed:
                _draw_into(future, spec, fmt)

    def close(self, *, now: bool = False) -> None:
        """End the helper once it has drawn what it was sent (or at once, with `now`)."""
        if now and self._process.poll() is None:
            self._process.kill()
        try:
            self._process.stdin.close()
        except OSError:
            pass
        self._reader.join(timeout=60)
        if self._process.poll() is None:
            self._process.kill()
            self._reader.join(timeout=5)
        self._process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, kind: type | None, *exc: object) -> None:
        self.close(now=kind is not None)  # after an error nothing drawn is wanted


def _draw_into(future: Future, spec: str, fmt: str) -> None:
    try:
        future.set_result(draw_here(spec, fmt))
    except Exception as error:
        future.set_exception(error)


class DrawerHere:
    """A Drawer that draws in this process, for where a helper process cannot be started."""

    def draw(self, spec: str, fmt: str = "svg") -> Future:
        future: Future = Future()
        _draw_into(future, spec, fmt)
        return future

    def close(self) -> None:
        pass

    def __enter__(self) -> DrawerHere:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def open_drawer() -> Drawer | DrawerHere:
    """A helper process to draw in, or this process when one cannot be started."""
    try:
        return Drawer()
    except OSError:
        return DrawerHere()


def serve() -> None:
    """The helper's loop: draw each request of stdin, answer on stdout, until stdin ends."""
    # the answers go to a copy of stdout; whatever a library prints goes to stderr instead
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    draw_here(WARM_UP, "svg")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            drawn = draw_here(request["spec"], request["format"])
            answer = (
                {"png": base64.b64encode(drawn).decode("ascii")}
                if isinstance(drawn, bytes)
                else {"svg": drawn}
            )
        except Exception as error:  # the caller gets it as the chart's error
            answer = {"error": f"{type(error).__name__}: {error}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
