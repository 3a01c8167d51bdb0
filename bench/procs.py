"""Processes for the benchmarks: install the tools, start and stop servers, read their memory.

Everything here binds or connects to 127.0.0.1 only. Servers are started in their own process
group so that stopping one also stops anything it forked, and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SPEC = ROOT / "spec" / "credentials.openapi.yaml"
PRISM_DIR = BENCH / ".prism"
PRISM_VERSION = "5.14.2"
WIREMOCK_DIR = BENCH / ".wiremock"
WIREMOCK_VERSION = "3.13.2"
HOST = "127.0.0.1"
URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)")


def ensure_wrk() -> str:
    """The path of `wrk`, installed from Debian when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("bench: installing wrk (apt-get)...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is still missing after apt-get install")
    return found


def ensure_prism() -> Path:
    """The Prism CLI under bench/.prism, installed from npm when missing (not committed)."""
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary
    if not shutil.which("npm"):
        raise SystemExit("bench: npm is needed to install Prism (apt-get install -y nodejs npm)")
    print(
        f"bench: installing @stoplight/prism-cli@{PRISM_VERSION} into {PRISM_DIR}...",
        file=sys.stderr,
    )
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(PRISM_DIR),
            "--no-audit",
            "--no-fund",
            "--silent",
            f"@stoplight/prism-cli@{PRISM_VERSION}",
        ],
        check=True,
    )
    return binary


def ensure_wiremock() -> Path:
    """WireMock 3's standalone jar, from the npm package `wiremock` installed under
    bench/.wiremock when missing (not committed). Needs `java` (17+) to run."""
    found = sorted((WIREMOCK_DIR / "node_modules" / "wiremock").rglob("wiremock-standalone*.jar"))
    if found:
        return found[-1]
    if not shutil.which("npm"):
        raise SystemExit("bench: npm is needed to install WireMock (apt-get install -y nodejs npm)")
    if not shutil.which("java"):
        raise SystemExit("bench: java is needed to run WireMock (apt-get install -y default-jre)")
    print(f"bench: installing wiremock@{WIREMOCK_VERSION} into {WIREMOCK_DIR}...", file=sys.stderr)
    WIREMOCK_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--prefix", str(WIREMOCK_DIR), "--no-audit", "--no-fund", "--silent",
         f"wiremock@{WIREMOCK_VERSION}"],
        check=True,
    )  # fmt: skip
    found = sorted((WIREMOCK_DIR / "node_modules" / "wiremock").rglob("wiremock-standalone*.jar"))
    if not found:
        raise SystemExit(f"bench: no wiremock-standalone jar under {WIREMOCK_DIR}")
    return found[-1]


def credkit_command() -> list[str]:
    """`credkit` from the running interpreter's environment (the venv), else from PATH."""
    beside = Path(sys.executable).with_name("credkit")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("credkit")
    if found:
        return [found]
    return [sys.executable, "-m", "mockserver"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A server process started for a benchmark, with the output it printed so far."""

    name: str
    proc: subprocess.Popen[bytes]
    started: float
    url: str = ""
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int:
        return tree_rss_kib(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=2)


def start(
    name: str, argv: Sequence[str], *, url: str = "", env: dict[str, str] | None = None
) -> Server:
    """Start `argv` in its own process group; stdout and stderr are collected in `.output`."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    server = Server(name=name, proc=proc, started=started, url=url)

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            server.output.append(line)
            if not server.url and (match := URL_RE.search(line)):
                server.url = f"http://{HOST}:{match.group(1)}"

    server._reader = threading.Thread(target=read, daemon=True)
    server._reader.start()
    return server


def wait_ready(server: Server, path: str = "/api/v1/ping", timeout: float = 60.0) -> float:
    """Poll `path` until it answers; return seconds from process start to that first answer."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            tail = "\n".join(server.output[-20:])
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{tail}")
        if server.url:
            try:
                with urllib.request.urlopen(server.url + path, timeout=1) as resp:
                    resp.read()
                return time.perf_counter() - server.started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.005)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f} s")


def start_credkit(
    *args: str, env: dict[str, str] | None = None, command: Sequence[str] | None = None
) -> Server:
    """`credkit serve --port 0 ARGS` (`command`: another build's `credkit`, e.g. a baseline's);
    the URL is read from its banner."""
    argv = [*(command or credkit_command()), "serve", "--port", "0", *args]
    return start("credkit", argv, env=env)


def start_prism(prism: Path) -> Server:
    port = free_port()
    argv = [str(prism), "mock", str(SPEC), "-v", "silent", "-h", HOST, "-p", str(port)]
    return start("prism", argv, url=f"http://{HOST}:{port}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` (all its threads) has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_bare() -> Server:
    """The ceiling: `bench/bare_asgi.py` on uvicorn with uvloop and httptools, no access log."""
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "bare_asgi:app", "--app-dir", str(BENCH),
        "--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return start("bare-asgi", argv, url=f"http://{HOST}:{port}")


# One static stub: the documented PUT answered with a fixed 200 JSON (what Prism answers too).
WIREMOCK_STUB = {
    "request": {"method": "ANY", "urlPattern": "/api/v1/.*"},
    "response": {
        "status": 200,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
        "body": '{"id":"cred-789","name":"OpenAI Production Key","credentialName":"openAIApi",'
        '"encryptedData":"U2FsdGVkX1+example","createdDate":"2024-01-20T16:00:00.000Z",'
        '"updatedDate":"2024-01-20T17:30:00.000Z","workspaceId":"workspace-123"}',
    },
}


def start_wiremock(jar: Path, root: Path) -> Server:
    """WireMock 3 standalone with one static stub and no request journal, on loopback."""
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "__files").mkdir(exist_ok=True)
    (root / "mappings" / "put.json").write_text(json.dumps(WIREMOCK_STUB), encoding="utf-8")
    port = free_port()
    argv = [
        "java", "-Xmx512m", "-jar", str(jar), "--bind-address", HOST, "--port", str(port),
        "--root-dir", str(root), "--no-request-journal", "--disable-banner",
    ]  # fmt: skip
    return start("wiremock", argv, url=f"http://{HOST}:{port}")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss_kib(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in KiB (from /proc)."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(tree.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total
