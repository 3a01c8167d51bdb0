"""A pytest plugin for teams testing their API clients against the mock, in-process.

    def test_my_client(credkit_mock):
        client = MyFlowiseClient(credkit_mock.base_url, api_key=credkit_mock.keys["full"])
        client.update_credential("cred-789", name="New name")
        assert credkit_mock.state.store ...

`credkit_mock` is a real HTTP server (uvicorn in a thread, 127.0.0.1, a free port) started once
per session and reset to its fixtures before every test. Override the session fixture
`credkit_mock_config` to return your own `mockserver.config.Config` (fixtures, keys, latency).
Registered through the `pytest11` entry point `credkit-mock`; nothing is started unless a test
asks for the fixture.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from credkit_core.resources import DEV_KEYS
from mockserver.config import Config

__all__ = [
    "MockServer",
    "credkit_mock",
    "credkit_mock_config",
    "credkit_mock_server",
    "serving",
]


@dataclass
class MockServer:
    """A running mock: where it listens, its API keys and its live state."""

    base_url: str
    app: Any
    keys: dict[str, str] = field(default_factory=lambda: dict(DEV_KEYS))

    @property
    def state(self) -> Any:
        """The app's `default` namespace: `.store`, `.journal`, `.faults`, ..."""
        return self.app.state

    def headers(self, key: str = "full") -> dict[str, str]:
        """`Authorization` header for one of `keys` (by role) or a literal key."""
        return {"Authorization": f"Bearer {self.keys.get(key, key)}"}

    def reset(self) -> None:
        """Back to the fixtures; journal and faults emptied (the in-memory store's `default`
        namespace; on a shared store `state` is None: send `POST /__admin/reset` instead)."""
        if self.app.state is not None:
            self.app.state.reset()


@contextmanager
def serving(
    app: Any, *, lifespan: Literal["auto", "on", "off"] = "auto", timeout: float = 10
) -> Iterator[str]:
    """Serve the ASGI `app` with uvicorn in a thread on 127.0.0.1 and a free port; yield its
    base URL; stop it afterwards. (Any ASGI app: the mock, or a test's deliberately broken one.)
    """
    # Imported here for their cost: this plugin is loaded by every pytest session.
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="credkit-mock", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The credkit mock server did not start.")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        runtime = _runtime_of(app)
        if runtime is not None:
            runtime.stopping = True  # the mock's live streams end, so the server can stop
        server.should_exit = True
        thread.join(timeout=10)


def _runtime_of(app: Any) -> Any:
    """The mock's `Runtime` in `app`, or in the app it wraps (`.app`); None: not the mock."""
    for _ in range(5):
        runtime = getattr(app, "runtime", None)
        if hasattr(runtime, "stopping"):
            return runtime
        app = getattr(app, "app", None)
    return None


@pytest.fixture(scope="session")
def credkit_mock_config() -> Config:
    """The mock's configuration; override this fixture to change it."""
    return Config(access_log=False, log_level="warning")


@pytest.fixture(scope="session")
def credkit_mock_server(credkit_mock_config: Config) -> Iterator[MockServer]:
    """One mock server for the session (see `credkit_mock` for the per-test reset)."""
    # Imported here for its cost: this plugin is loaded by every pytest session.
    from mockserver.app import create_app

    app = create_app(credkit_mock_config)
    known = {k.key for k in app.runtime.fixtures.api_keys}
    keys = {role: key for role, key in DEV_KEYS.items() if key in known}
    with serving(app, lifespan="on") as url:
        yield MockServer(base_url=url, app=app, keys=keys)


@pytest.fixture
def credkit_mock(credkit_mock_server: MockServer) -> MockServer:
    """The session's mock server, reset to its fixtures for this test."""
    credkit_mock_server.reset()
    return credkit_mock_server
