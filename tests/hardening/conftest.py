"""Fixtures for the hardening tests: an in-process mock per test, and store snapshots.

Tests marked `slow` (long fuzzing, soak, kill -9 trials) are skipped unless asked for, with
`-m slow` or `CREDKIT_SLOW=1`, so the default `pytest` run (CI) stays fast.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from credkit_core.resources import DEV_KEYS
from mockserver.app import create_app
from mockserver.config import Config
from tests.inprocess import AppClient

FULL_KEY = DEV_KEYS["full"]
AUTH = {"Authorization": f"Bearer {FULL_KEY}"}
JSON_AUTH = {**AUTH, "Content-Type": "application/json"}
CRED = "cred-789"
WORKSPACE = "workspace-123"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CREDKIT_SLOW") or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or CREDKIT_SLOW=1")
    for item in items:
        if "slow" in item.keywords and "hardening" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture
def make_app() -> Callable[..., Any]:
    """`make_app(**config)`: a fresh mock app (its `.state` holds the store, journal, ...)."""

    def make(**values: Any) -> Any:
        return create_app(Config(**values))

    return make


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app(access_log=False)


@pytest.fixture
def client(app: Any) -> Iterator[AppClient]:
    with AppClient(app) as in_process:
        yield in_process


def snapshot(app: Any) -> list[dict[str, Any]]:
    """Everything the store holds (data and ciphertext included), deep-copied, in a stable order."""
    store = app.state.store
    items = [{**c.full(), "data": copy.deepcopy(c.data)} for c in store.all()]
    return sorted(items, key=lambda c: (c["workspaceId"], c["id"]))


def plain(app: Any, credential_id: str = CRED, workspace: str = WORKSPACE) -> dict[str, Any]:
    """The decrypted `plainDataObj` of a stored credential."""
    stored = app.state.store.get(credential_id, workspace)
    assert stored is not None, f"{credential_id} is not stored"
    data: dict[str, Any] = stored.data
    return data
