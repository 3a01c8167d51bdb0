"""`RedisBackend`: the mock's namespaces on Redis (`credkit serve --store redis://HOST:PORT/DB`),
shared by every process and worker started on the same Redis database.

Made of one part per concern: the connection and its scripts (`connection`), the namespaces
(`namespaces`: preparing the database, claiming a namespace, its TTL, what this process knows
of each), the request path (`optimistic`) and the admin operations (`admin`); the commits and
journal entries leave in batches (`batch`); the keys and Lua scripts are in `layout`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from credkit_core.fixtures.loader import FixtureSet
from mockserver.faults import Fault
from mockserver.journal import JournalEntry, LiveJournal
from mockserver.requests import Call
from mockserver.responses import Reply
from mockserver.runtime import Runtime
from mockserver.store import Store
from mockserver.stores.base import Attempt, Handler, StateView
from mockserver.stores.redis.admin import Admin
from mockserver.stores.redis.batch import Batcher
from mockserver.stores.redis.connection import Connection, shown_url
from mockserver.stores.redis.namespaces import Namespaces
from mockserver.stores.redis.optimistic import Requests

__all__ = ["RedisBackend"]


class RedisBackend:
    """The shared state on Redis; the `Backend` the app uses with `--store redis://...`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.conn = Connection(runtime.config.store)
        # empty: its encryptor and catalog serve the views
        template = Store(runtime.encryptor, runtime.catalog)
        self.spaces = Namespaces(self.conn, runtime, template)
        self.requests = Requests(self.conn, self.spaces, template)
        self.admin = Admin(self.conn, self.spaces, template)

    # -- the server's start and end -------------------------------------------------------------

    def prepare(self) -> None:
        """Before the server's event loop runs: check Redis and the passphrase, seed the
        `default` namespace (`Namespaces.prepare`), on connections closed after."""

        async def check() -> None:
            try:
                await self.spaces.prepare()
            finally:
                await self.close()

        asyncio.run(check())

    def describe(self) -> str:
        return f"{shown_url(self.conn.url)} (shared by every process on it)"

    def count(self) -> int:
        return self.spaces.count

    def batcher(self) -> Batcher:
        """This event loop's `Batcher`."""
        return self.conn.batcher()

    async def close(self) -> None:
        await self.conn.close()

    # -- one API request --------------------------------------------------------------------------

    async def exchange(self, method: str, path: str, attempt: Attempt) -> tuple[Reply, Any]:
        return await self.requests.exchange(method, path, attempt)

    async def begin(self, method: str, path: str) -> tuple[Fault | None, Any]:
        return await self.requests.begin(method, path)

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        return await self.requests.handle(handler, call, ticket)

    async def record(self, entry: JournalEntry, ticket: Any) -> None:
        await self.requests.record(entry, ticket)

    # -- the admin API --------------------------------------------------------------------------

    async def reset(self) -> None:
        await self.admin.reset()

    async def load(self, loaded: FixtureSet) -> None:
        await self.admin.load(loaded)

    async def view(self) -> StateView:
        return await self.admin.view()

    async def journal(self) -> list[dict[str, Any]]:
        return await self.admin.journal()

    async def clear_journal(self) -> None:
        await self.admin.clear_journal()

    async def add_fault(
        self, *, method: str, path: str, status: int | None, count: int | None, latency_ms: float
    ) -> dict[str, Any]:
        return await self.admin.add_fault(
            method=method, path=path, status=status, count=count, latency_ms=latency_ms
        )

    async def faults(self) -> list[dict[str, Any]]:
        return await self.admin.faults()

    async def clear_faults(self) -> None:
        await self.admin.clear_faults()

    async def remove_fault(self, fault_id: int) -> bool:
        return await self.admin.remove_fault(fault_id)

    async def namespaces(self) -> list[dict[str, Any]]:
        return await self.admin.namespaces()

    async def live_journal(self) -> LiveJournal:
        return await self.admin.live_journal()
