"""Fixtures for the mock server's tests: an app factory and a synchronous in-process client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import Config

FULL = {"Authorization": "Bearer YOUR_API_KEY"}
ADMIN = {"Authorization": "Bearer dev-admin-key"}
READONLY = {"Authorization": "Bearer dev-readonly-key"}
OTHER = {"Authorization": "Bearer dev-other-workspace-key"}
SECRET = "credkit-test-passphrase"


class Client:
    """httpx over ASGITransport on a private event loop: `client.put(...)` without a server."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, client=client)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", url, **kwargs)

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


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
