"""Fixtures for the mock server's tests: an app factory and a synchronous in-process client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from credkit_core.resources import DEV_KEYS
from mockserver.app import create_app
from mockserver.config import Config
from mockserver.server import prepare
from tests.inprocess import AppClient as Client

FULL = {"Authorization": f"Bearer {DEV_KEYS['full']}"}
ADMIN = {"Authorization": f"Bearer {DEV_KEYS['admin']}"}
READONLY = {"Authorization": f"Bearer {DEV_KEYS['readonly']}"}
OTHER = {"Authorization": f"Bearer {DEV_KEYS['other_workspace']}"}
SECRET = "credkit-test-passphrase"


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Both stores, for the modules that run their tests on each (`make_app` uses it there)."""
    if request.param == "memory":
        return "memory"
    url: str = request.getfixturevalue("redis_url")
    return url


def app_factory(store: str = "memory") -> Callable[..., Any]:
    """`factory(**config) -> app` on `store` (with the tests' passphrase)."""

    def factory(**values: Any) -> Any:
        values.setdefault("secret_key", SECRET)
        values.setdefault("store", store)
        app = create_app(Config(**values))
        prepare(app)  # as `credkit serve` does before it listens (a shared store is seeded now)
        return app

    return factory


@pytest.fixture
def make_app() -> Callable[..., Any]:
    return app_factory()


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
