"""A real `redis-server` for the tests (a pytest plugin, listed in `tests/conftest.py`).

`redis_server` (session): one `redis-server` on a free loopback port, nothing saved to disk.
`redis_url`: its URL, emptied (FLUSHALL) before each test. `make_redis`: servers of a test's
own, to stop and start again. Without the `redis-server` command (Debian package
`redis-server`) the tests that need it skip, saying so; `.ci/run` installs it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

__all__ = ["RedisServer"]

MISSING = "redis-server is not installed (Debian package redis-server; .ci/run installs it)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PortTaken(RuntimeError):
    """redis-server could not have its port (another process listens there)."""


class RedisServer:
    """One `redis-server` process on 127.0.0.1:`port`; `stop()` and `start()` again."""

    def __init__(self, directory: Path, port: int | None = None, tls: Path | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.tls = tls  # a directory with cert.pem and key.pem: TLS only (`rediss://`)
        self.process: subprocess.Popen[bytes] | None = None
        self.chosen = port is None  # the port was picked here, so another one will do
        self.started_once = False

    @property
    def url(self) -> str:
        if self.tls is not None:
            ca = self.tls / "cert.pem"
            return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={ca}"
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers. A free port chosen here can be taken by another
        process (another xdist worker's server) before this one binds it: then it tries once
        more on another free port. A port given by the caller, or a restart, keeps its port."""
        try:
            self._start()
        except PortTaken:
            if not self.chosen or self.started_once:
                raise
            self.port = free_port()
            self._start()
        self.started_once = True

    def _start(self) -> None:
        command = shutil.which("redis-server")
        if command is None:
            pytest.skip(MISSING)
        listen: tuple[str, ...] = ("--port", str(self.port))
        if self.tls is not None:
            cert, key = self.tls / "cert.pem", self.tls / "key.pem"
            listen = ("--port", "0", "--tls-port", str(self.port))
            listen += ("--tls-cert-file", str(cert), "--tls-key-file", str(key))
            listen += ("--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no")
        self.process = process = subprocess.Popen(
            [
                command,
                *listen,
                *("--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        try:
            while True:
                try:
                    pid = client.info("server")["process_id"]
                    break
                except (redis.ConnectionError, OSError):
                    if process.poll() is not None:  # most likely "Address already in use"
                        self.process = None
                        raise PortTaken(
                            f"redis-server exited with {process.returncode} on port {self.port}"
                        ) from None
                    if time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError(
                            f"redis-server did not start on port {self.port}"
                        ) from None
                    time.sleep(0.05)
        finally:
            client.close()
        if pid != process.pid:  # another process's server answered there
            self.stop()
            raise PortTaken(f"port {self.port} is another redis-server's (pid {pid})")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    client = redis_server.client()
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def make_redis(tmp_path: Path) -> Iterator[Callable[[], RedisServer]]:
    made: list[RedisServer] = []

    def factory() -> RedisServer:
        made.append(RedisServer(tmp_path / f"redis-{len(made)}"))
        made[-1].directory.mkdir()
        made[-1].start()
        return made[-1]

    yield factory
    for server in made:
        server.stop()
