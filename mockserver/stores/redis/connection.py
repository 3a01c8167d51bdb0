"""A process's connection to the shared store: per event loop, one client (a blocking pool of
POOL_SIZE connections), the Lua scripts registered on it and its `Batcher`; `guard()`, the one
place a Redis error becomes a 503 in the error shape.

Redis unreachable: each request that needs it answers 503, and the next request after Redis is
back is served again (redis-py reconnects by itself).
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError

from mockserver.responses import ApiError
from mockserver.stores.redis.batch import Batcher
from mockserver.stores.redis.layout import CLAIM, COMMIT, RESET, SPECULATE, TAIL, TAKE_FAULT

__all__ = ["POOL_SIZE", "Connection", "Guard", "shown_url"]

log = logging.getLogger("credkit")

POOL_SIZE = 64  # Redis connections per process (per event loop)
SCRIPTS = {
    "commit": COMMIT,
    "reset": RESET,
    "claim": CLAIM,
    "take": TAKE_FAULT,
    "speculate": SPECULATE,
    "tail": TAIL,
}


def shown_url(url: str) -> str:
    """The store URL without its password, for messages and the banner."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


class Guard:
    """The context manager of `Connection.guard` (one per connection, reused: a request
    crosses it on every round trip, and `contextlib.contextmanager` would make a generator
    each time)."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, RedisError):
            raise self.conn.unavailable(exc) from None


class Connection:
    """The clients, scripts and batchers of this process, by event loop (a connection pool
    is bound to the loop that made it: one loop per process when serving, tests make several)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}
        self._scripts: dict[asyncio.AbstractEventLoop, dict[str, Any]] = {}
        self._batchers: dict[asyncio.AbstractEventLoop, Batcher] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # the last loop's, at hand
        self._client: Any = None
        self._batcher: Any = None
        self._script: dict[str, Any] = {}
        self._guard = Guard(self)

    def client(self) -> Any:
        """This event loop's client."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return self._client
        found = self._clients.get(loop)
        if found is None:
            # A blocking pool: a burst of requests waits for one of POOL_SIZE connections
            # rather than failing (redis-py's default pool raises MaxConnectionsError).
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=POOL_SIZE,
                timeout=10,
                socket_connect_timeout=2,
                socket_timeout=5,
                retry=Retry(NoBackoff(), 1),
            )
            found = aioredis.Redis(connection_pool=pool)
            self._clients[loop] = found
            self._scripts[loop] = {
                name: found.register_script(text) for name, text in SCRIPTS.items()
            }
            self._batchers[loop] = Batcher(found, loop)
        self._loop, self._client = loop, found
        self._batcher, self._script = self._batchers[loop], self._scripts[loop]
        return found

    def batcher(self) -> Batcher:
        """This event loop's `Batcher` (made with its client)."""
        if asyncio.get_running_loop() is not self._loop:
            self.client()
        batcher: Batcher = self._batcher
        return batcher

    def script(self, name: str) -> Any:
        """A Lua script (EVALSHA, loaded again by itself after a Redis restart)."""
        if asyncio.get_running_loop() is not self._loop:
            self.client()
        return self._script[name]

    async def eval(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script with this event loop's next batch (loaded again when Redis lost
        it, e.g. after a restart)."""
        script = self.script(name)
        batcher = self.batcher()
        try:
            return await batcher.call("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.client().script_load(script.script)
            return await batcher.call("EVALSHA", script.sha, len(keys), *keys, *args)

    def unavailable(self, exc: Exception) -> ApiError:
        return ApiError(
            503,
            f"The shared store at {shown_url(self.url)} is unavailable "
            f"({type(exc).__name__}); the mock answers again as soon as Redis is back.",
        )

    def guard(self) -> Guard:
        """A `RedisError` inside: `ApiError` 503 naming the store (never its password)."""
        return self._guard

    async def close(self) -> None:
        """Send this event loop's queued journal entries, then close its client."""
        loop = asyncio.get_running_loop()
        batcher = self._batchers.pop(loop, None)
        if batcher is not None:
            try:
                await batcher.flush()  # the journal entries still queued
            except RedisError as exc:
                log.warning("Journal entries not written to the store: %s.", type(exc).__name__)
            await batcher.close()
        self._scripts.pop(loop, None)
        if loop is self._loop:
            self._loop = None
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose(close_connection_pool=True)
