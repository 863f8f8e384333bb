"""Charts drawn from their Vega-Lite specs (JSON) to SVG or PNG by vl-convert, in a helper process:
vl-convert holds the GIL while it starts its JavaScript engine (about 0.5 s) and while it draws,
so a thread would not overlap it; a process starts the engine while this one reads the marts,
and draws each chart while this one builds the next spec. `Drawer.draw` returns a Future; the
charts come back in the order they were sent. Run as `python -m` this module is the helper: one
request per line on stdin, one answer per line on stdout."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future

FORMATS = ("svg", "png")
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
    """Draws specs in one helper process (a context manager: leaving it ends the helper)."""

    def __init__(self) -> None:
        self._pending: deque[tuple[Future, str]] = deque()
        self._lock = threading.Lock()
        self._ended: RuntimeError | None = None  # set once the helper has ended
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=BUFFER,
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
            if self._ended is not None:
                future.set_exception(self._ended)
                return future
            self._pending.append((future, fmt))
        try:
            self._process.stdin.write(json.dumps({"spec": spec, "format": fmt}) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the helper ended: _read fails every pending chart with its message
        return future

    def _read(self) -> None:
        for line in self._process.stdout:
            future, fmt = self._pending.popleft()
            answer = json.loads(line)
            if "error" in answer:
                future.set_exception(ValueError(f"the chart could not be drawn: {answer['error']}"))
            elif fmt == "png":
                future.set_result(base64.b64decode(answer["png"]))
            else:
                future.set_result(answer["svg"])
        self._process.wait()
        why = (self._process.stderr.read() or "").strip().splitlines()[-5:]
        ended = RuntimeError(
            f"the chart drawing process ended (exit code {self._process.returncode})"
            + (": " + " / ".join(why) if why else "")
        )
        with self._lock:
            self._ended = ended
            while self._pending:
                self._pending.popleft()[0].set_exception(ended)

    def close(self) -> None:
        if self._process.stdin and not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        self._reader.join(timeout=60)
        if self._process.poll() is None:
            self._process.kill()
            self._reader.join(timeout=5)

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DrawerHere:
    """A Drawer that draws in this process, for where a helper process cannot be started."""

    def draw(self, spec: str, fmt: str = "svg") -> Future:
        future: Future = Future()
        try:
            future.set_result(draw_here(spec, fmt))
        except Exception as error:
            future.set_exception(error)
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
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
