"""Fixtures for the mock server's tests: an app factory and a synchronous in-process client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockserver.app import create_app
from mockserver.config import Config
from tests.inprocess import AppClient as Client

FULL = {"Authorization": "Bearer YOUR_API_KEY"}
ADMIN = {"Authorization": "Bearer dev-admin-key"}
READONLY = {"Authorization": "Bearer dev-readonly-key"}
OTHER = {"Authorization": "Bearer dev-other-workspace-key"}
SECRET = "credkit-test-passphrase"


@pytest.fixture
def make_app() -> Callable[..., Any]:
    def factory(**values: Any) -> Any:
        values.setdefault("secret_key", SECRET)
        return create_app(Config(**values))

    return factory


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def make_client() -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def factory(app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> Client:
        made.append(Client(app, client))
        return made[-1]

    yield factory
    for c in made:
        c.close()


@pytest.fixture
def client(app: Any, make_client: Callable[..., Client]) -> Client:
    return make_client(app)
