"""`credkit serve --reload` (`mockserver.reload`): the fixtures file re-read when it changes."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from credkit_core.resources import DEFAULT_FIXTURES
from mockserver.app import create_app
from mockserver.config import Config
from mockserver.reload import FixturesWatcher
from tests.live import running
from tests.mockserver.conftest import SECRET

SECRET_VALUE = "sk-reload-secret-0000000000"


def bump(path: Path) -> None:
    """Move the file's modification time forward (a second per call, never back)."""
    global _clock
    _clock = max(_clock + 1_000_000_000, time.time_ns())
    os.utime(path, ns=(_clock, _clock))


_clock = 0


def write_fixtures(path: Path, name: str = "OpenAI Key", extra_key: bool = False) -> None:
    document = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    document["credentials"][0]["name"] = name
    document["credentials"][0]["plainDataObj"] = {"openAIApiKey": SECRET_VALUE}
    if extra_key:
        document["apiKeys"].append(
            {
                "key": "reloaded-key",
                "workspace": "workspace-123",
                "permissions": ["credentials:view"],
            }
        )
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    # A new modification time even on filesystems with coarse timestamps.
    bump(path)


def invalid_fixtures(path: Path) -> None:
    path.write_text(
        "credentials:\n  - id: cred-789\n    name: 42\n    plainDataObj: {openAIApiKey: "
        f"{SECRET_VALUE}-new}}\n    credentialName: notAType\n",
        encoding="utf-8",
    )
    bump(path)


@pytest.fixture
def watched(tmp_path: Path) -> tuple[Any, FixturesWatcher, Path]:
    path = tmp_path / "fixtures.yaml"
    write_fixtures(path)
    app = create_app(Config(fixtures=path, reload=True, secret_key=SECRET))
    assert app.watcher is not None
    return app, app.watcher, path


def name_of(app: Any) -> str:
    stored = app.state.store.get("cred-789", "workspace-123")
    return "(missing)" if stored is None else str(stored.name)


def test_an_unchanged_file_is_not_reloaded(watched: tuple[Any, FixturesWatcher, Path]) -> None:
    app, watcher, _ = watched
    assert watcher.check() is False and watcher.reloads == 0
    assert name_of(app) == "OpenAI Key"


def test_a_changed_file_replaces_credentials_and_keys(
    watched: tuple[Any, FixturesWatcher, Path], caplog: pytest.LogCaptureFixture
) -> None:
    app, watcher, path = watched
    write_fixtures(path, name="Renamed in the file", extra_key=True)
    with caplog.at_level(logging.WARNING, logger="credkit"):
        assert watcher.check() is True
    assert name_of(app) == "Renamed in the file"
    assert app.state.keyring.authenticate(b"Bearer reloaded-key").key == "reloaded-key"
    assert f"Reloaded fixtures from {path}" in caplog.text
    assert watcher.check() is False  # once per change


def test_an_invalid_file_keeps_the_old_state_and_says_so(
    watched: tuple[Any, FixturesWatcher, Path], caplog: pytest.LogCaptureFixture
) -> None:
    app, watcher, path = watched
    before = app.state.store.all()
    invalid_fixtures(path)
    with caplog.at_level(logging.ERROR, logger="credkit"):
        assert watcher.check() is False
    assert app.state.store.all() == before
    assert watcher.failures == 1
    assert str(path) in caplog.text and "keeps its previous state" in caplog.text
    assert SECRET_VALUE not in caplog.text
    write_fixtures(path, name="Fixed")  # fixing the file reloads it
    assert watcher.check() is True and name_of(app) == "Fixed"


def test_a_deleted_file_keeps_the_old_state(
    watched: tuple[Any, FixturesWatcher, Path], caplog: pytest.LogCaptureFixture
) -> None:
    app, watcher, path = watched
    path.unlink()
    with caplog.at_level(logging.ERROR, logger="credkit"):
        assert watcher.check() is False
    assert name_of(app) == "OpenAI Key" and "keeps its previous state" in caplog.text


def test_without_reload_there_is_no_watcher(tmp_path: Path) -> None:
    path = tmp_path / "fixtures.yaml"
    write_fixtures(path)
    assert create_app(Config(fixtures=path, secret_key=SECRET)).watcher is None


@pytest.mark.e2e
def test_credkit_serve_reload_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "fixtures.yaml"
    write_fixtures(path)
    log = tmp_path / "serve.log"
    headers = {"Authorization": "Bearer YOUR_API_KEY"}
    with running(log, "--fixtures", str(path), "--reload") as server:
        url = server.url + "/api/v1/credentials/cred-789"
        assert httpx.get(url, headers=headers).json()["name"] == "OpenAI Key"
        write_fixtures(path, name="Edited while running")
        deadline = time.monotonic() + 30
        while httpx.get(url, headers=headers).json()["name"] != "Edited while running":
            assert time.monotonic() < deadline, server.output
            time.sleep(0.1)
        invalid_fixtures(path)
        server.wait_for_output("keeps its previous state", timeout=30)
        assert httpx.get(url, headers=headers).json()["name"] == "Edited while running"
        assert server.alive()
    assert SECRET_VALUE not in server.output
    assert "reloading the fixtures when" in server.output
