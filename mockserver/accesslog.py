"""The access log: one line per request (method, path, status, milliseconds).

Never a header, a body or a query string. Under `credkit serve` lines go straight to stderr,
buffered and flushed at most every 50 ms (and at shutdown): `logging` with a flush per record
cost more than the rest of a PUT. In-process (tests, the pytest plugin) lines go through the
`credkit.access` logger, so the usual logging configuration and `caplog` see them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TextIO

__all__ = ["FLUSH_INTERVAL", "AccessLog"]

FLUSH_INTERVAL = 0.05
MAX_PATH = 512


def _safe(path: str) -> str:
    """A decoded path as one log line: control characters escaped (a `%0A` in a URL must not
    forge a line), cut to MAX_PATH characters."""
    if not path.isprintable():
        path = path.encode("unicode_escape").decode("ascii")
    return path if len(path) <= MAX_PATH else path[:MAX_PATH] + "…"


logger = logging.getLogger("credkit.access")


class AccessLog:
    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream
        self._buffer: list[str] = []
        self._scheduled = False
        self._second = -1
        self._stamp = ""

    def write(self, method: str, path: str, status: int, ms: float) -> None:
        if not self.enabled:
            return
        if len(path) > MAX_PATH or not path.isprintable():
            path = _safe(path)
        if self.stream is None:
            logger.info("%s %s %d %.1fms", method, path, status, ms)
            return
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        self._buffer.append(
            f"{self._stamp},{int(now * 1000) % 1000:03d} INFO credkit.access: "
            f"{method} {path} {status} {ms:.1f}ms\n"
        )
        if not self._scheduled:
            try:
                asyncio.get_running_loop().call_later(FLUSH_INTERVAL, self.flush)
                self._scheduled = True
            except RuntimeError:  # no event loop: write now
                self.flush()

    def flush(self) -> None:
        self._scheduled = False
        if not self._buffer or self.stream is None:
            return
        lines, self._buffer = self._buffer, []
        try:
            self.stream.write("".join(lines))
            self.stream.flush()
        except (OSError, ValueError):  # stream closed (e.g. at interpreter exit)
            pass
