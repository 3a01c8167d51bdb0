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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.config import Config

__all__ = ["MockServer", "credkit_mock", "credkit_mock_config", "credkit_mock_server"]

DEFAULT_KEYS = {
    "full": "YOUR_API_KEY",
    "admin": "dev-admin-key",
    "readonly": "dev-readonly-key",
    "other_workspace": "dev-other-workspace-key",
}


@dataclass
class MockServer:
    """A running mock: where it listens, its API keys and its live state."""

    base_url: str
    app: Any
    keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))

    @property
    def state(self) -> Any:
        """The app's `AppState`: `.store`, `.journal`, `.faults`, ..."""
        return self.app.state

    def headers(self, key: str = "full") -> dict[str, str]:
        """`Authorization` header for one of `keys` (by role) or a literal key."""
        return {"Authorization": f"Bearer {self.keys.get(key, key)}"}

    def reset(self) -> None:
        """Back to the fixtures; journal and faults emptied."""
        self.app.state.reset()


class _ServerThread:
    def __init__(self, config: Config) -> None:
        import uvicorn

        from mockserver.app import create_app

        self.app = create_app(config)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on"
            )
        )
        self.thread = threading.Thread(target=self.server.run, name="credkit-mock", daemon=True)

    def start(self, timeout: float = 10) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The credkit mock server did not start.")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def credkit_mock_config() -> Config:
    """The mock's configuration; override this fixture to change it."""
    from mockserver.config import Config

    return Config(access_log=False, log_level="warning")


@pytest.fixture(scope="session")
def credkit_mock_server(credkit_mock_config: Config) -> Iterator[MockServer]:
    """One mock server for the session (see `credkit_mock` for the per-test reset)."""
    runner = _ServerThread(credkit_mock_config)
    url = runner.start()
    keys = dict(DEFAULT_KEYS)
    known = {k.key for k in runner.app.state.fixtures.api_keys}
    keys = {role: key for role, key in keys.items() if key in known}
    try:
        yield MockServer(base_url=url, app=runner.app, keys=keys)
    finally:
        runner.stop()


@pytest.fixture
def credkit_mock(credkit_mock_server: MockServer) -> MockServer:
    """The session's mock server, reset to its fixtures for this test."""
    credkit_mock_server.reset()
    return credkit_mock_server
