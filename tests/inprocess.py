"""A synchronous in-process client for the mock: httpx over `ASGITransport`, on a private loop.

Shared by the mock's tests and the hardening tests.

starlette's `TestClient` warns (an error under this suite's `filterwarnings = error`) unless
the `httpx2` package is installed; this small wrapper needs only httpx, which credkit already
depends on. Concurrency tests use `httpx.AsyncClient(transport=ASGITransport(app))` directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx

BASE_URL = "http://127.0.0.1"


def asgi_client(app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=client)
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60)


class AppClient:
    """`client.put(...)`, `client.get(...)`, ... against an ASGI app, without a server."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._client = asgi_client(app, client)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        content = kwargs.get("content")
        if content is not None and not isinstance(content, (bytes, str)):
            kwargs["content"] = _aiter(content)
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

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
        self._loop.run_until_complete(self._client.aclose())
        backend = getattr(self.app, "backend", None)
        if backend is not None:  # a Redis store's connections on this client's loop
            self._loop.run_until_complete(backend.close())
        self._loop.close()

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _aiter(chunks: Iterable[bytes] | Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
