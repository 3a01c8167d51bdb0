"""A real `credkit serve` process on a free loopback port: the one live-server harness of the
end-to-end tests (a threaded in-process server is `mockserver.pytest_plugin.serving`).

The process runs as `python -m mockserver serve --port 0 ...` from the running interpreter's
environment, in its own session (so a kill reaches nothing else); its stdout and stderr go to a
file so a test can scan everything it printed. The URL is read from its startup banner.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)")


@dataclass
class LiveServer:
    proc: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""

    @property
    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, no cleanup: what a crash or `kill -9` does."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """`sig` (SIGTERM: graceful; SIGINT: Ctrl-C), then SIGKILL if it lingers; the exit code."""
        if self.alive():
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def wait_for_output(self, text: str, timeout: float = 10) -> str:
        """Everything printed so far, once it holds `text` (polled: the access log is flushed
        every 50 ms); AssertionError naming `text` when it never comes."""
        deadline = time.monotonic() + timeout
        while True:
            output = self.output
            if text in output:
                return output
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not printed within {timeout} s:\n{output}")
            time.sleep(0.02)


def start(
    log_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> LiveServer:
    """Start `credkit serve --port 0 ARGS` and wait until GET /api/v1/ping answers."""
    offset = log_path.stat().st_size if log_path.exists() else 0
    log = log_path.open("ab")
    argv: Sequence[str] = [sys.executable, "-m", "mockserver", "serve", "--port", "0", *args]
    proc = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    log.close()
    server = LiveServer(proc, log_path)
    base = args[args.index("--base-path") + 1].rstrip("/") if "--base-path" in args else ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"credkit serve exited with {proc.returncode}:\n{server.output}")
        if not server.url:
            # Only what this process printed: the log file may hold earlier runs' output.
            found = URL_RE.search(log_path.read_bytes()[offset:].decode("utf-8", "replace"))
            if found:
                server.url = f"http://127.0.0.1:{found.group(1)}"
        if server.url:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(server.url + base + "/api/v1/ping", timeout=1).status_code == 200:
                    return server
        time.sleep(0.02)
    server.kill()
    raise RuntimeError(f"credkit serve did not answer within {timeout} s:\n{server.output}")


@contextlib.contextmanager
def running(log_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    server = start(log_path, *args, env=env)
    try:
        yield server
    finally:
        server.stop()
