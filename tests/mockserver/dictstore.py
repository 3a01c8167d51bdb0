"""A store for the tests only: what adding a store takes (this module and one `STORES` line).

Each namespace is a `Space` in a dict, made from the fixtures on first use; the journal is a
list; it takes no injected faults. `tests/mockserver/test_stores.py` registers it as `dict://`
and serves requests through it.
"""

from __future__ import annotations

from typing import Any

from credkit_core.fixtures.loader import FixtureSet
from mockserver.auth import KeyRing
from mockserver.journal import JournalEntry, LiveJournal
from mockserver.requests import Call
from mockserver.responses import ApiError, Reply, failure_reply
from mockserver.runtime import Runtime
from mockserver.space import DEFAULT, Space, current
from mockserver.store import Store
from mockserver.stores.base import Attempt, Handler, StateView

NO_FAULTS = "This store takes no injected faults."


class DictStore:
    """`Backend` over a dict of spaces, in this process."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.spaces: dict[str, Space] = {}
        self.recorded: list[JournalEntry] = []
        self.prepared = False

    def _space(self, name: str | None = None) -> Space:
        name = name or current.get()
        space = self.spaces.get(name)
        if space is None:
            store = Store(self.runtime.encryptor, self.runtime.catalog)
            store.replace_all(store.from_seeds(self.runtime.seeds()))
            space = self.spaces[name] = Space(store, KeyRing(self.runtime.fixtures.api_keys))
        return space

    def prepare(self) -> None:
        self.prepared = True

    def describe(self) -> str | None:
        return "a dict in this process (tests only)"

    def count(self) -> int:
        return len(self._space(DEFAULT).store)

    async def exchange(self, method: str, path: str, attempt: Attempt) -> tuple[Reply, Any]:
        space = self._space()
        return await attempt(None, space), space

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        try:
            return handler(call, ticket)
        except Exception as exc:
            return failure_reply(exc, call.method, call.path)

    async def record(self, entry: JournalEntry, ticket: Any) -> None:
        self.recorded.append(entry)

    async def reset(self) -> None:
        self.spaces.pop(current.get(), None)

    async def load(self, loaded: FixtureSet) -> None:
        store = self._space().store
        store.replace_all(store.from_seeds(loaded.credentials))
        self._space().keyring = KeyRing(loaded.api_keys)

    async def view(self) -> StateView:
        return self.runtime.fixtures, self._space().store.all()

    async def journal(self) -> list[dict[str, Any]]:
        return [{"method": e.method, "path": e.path, "status": e.status} for e in self.recorded]

    async def clear_journal(self) -> None:
        self.recorded.clear()

    async def add_fault(
        self, *, method: str, path: str, status: int | None, count: int | None, latency_ms: float
    ) -> dict[str, Any]:
        raise ApiError(400, NO_FAULTS)

    async def faults(self) -> list[dict[str, Any]]:
        return []

    async def clear_faults(self) -> None:
        return None

    async def remove_fault(self, fault_id: int) -> bool:
        return False

    async def namespaces(self) -> list[dict[str, Any]]:
        return [{"name": name, "credentials": len(s.store)} for name, s in self.spaces.items()]

    async def live_journal(self) -> LiveJournal:
        raise ApiError(400, "This store has no live journal.")

    async def close(self) -> None:
        return None  # nothing to release
