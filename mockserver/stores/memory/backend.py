"""`MemoryBackend`: the namespaces kept in this process (`--store memory`, the default).

The `default` namespace is what `credkit serve` has always served; with `--state-file` it is
loaded from the file and every change is appended to it (`mockserver.stores.memory.statefile`),
an answer waiting until its change is on disk (a group commit shared by concurrent requests,
`mockserver.stores.memory.groupcommit`). Other namespaces are made from the fixtures on first
use and live in memory only. No method awaits between reading and changing a namespace, so on
one event loop a request's read-merge-write cannot interleave with another's.
"""

from __future__ import annotations

import time
from typing import Any

from credkit_core.errors import StateFileError
from credkit_core.fixtures.loader import FixtureSet
from mockserver.auth import KeyRing
from mockserver.journal import JournalEntry, LiveJournal, MemoryTail
from mockserver.requests import Call
from mockserver.responses import Reply, error_reply, failure_reply
from mockserver.runtime import Runtime
from mockserver.space import DEFAULT, current
from mockserver.store import Store
from mockserver.stores.base import Attempt, Handler, StateView, too_many_namespaces
from mockserver.stores.memory.space import MemorySpace
from mockserver.stores.memory.statefile import StateFile

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """The state of this process: `default` (what `credkit serve` has always done; with
    `--state-file`, loaded from and written to it), one more `MemorySpace` per other namespace,
    made from the fixtures on first use."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.default = self._make()
        config = runtime.config
        if config.state_file is not None:
            store = self.default.store
            persistence = StateFile(config.state_file, store, compact_every=config.compact_every)
            loaded = persistence.load()  # the state file wins over the fixtures
            store.sink = self.default.persistence = persistence
            store.replace_all(
                loaded if loaded is not None else self.default.seeds(), record=loaded is None
            )
        else:
            self.default.store.replace_all(self.default.seeds())
        self.spaces: dict[str, MemorySpace] = {}
        self._purged = 0.0

    def _make(self) -> MemorySpace:
        """A namespace's space, empty (`_space` seeds it), from the fixtures in force."""
        runtime = self.runtime
        fixtures = runtime.fixtures
        return MemorySpace(
            store=Store(runtime.encryptor, runtime.catalog),
            keyring=KeyRing(fixtures.api_keys),
            fixtures=fixtures,
            seeds_for=runtime.seeds,
            used=time.monotonic(),
        )

    def _space(self) -> MemorySpace:
        """The request's namespace, made from the fixtures on first use; idle ones dropped."""
        name = current.get()
        now = time.monotonic()
        config = self.runtime.config
        if self.spaces and now - self._purged > 1.0:
            self._purged = now
            for idle in [n for n, s in self.spaces.items() if now - s.used > config.namespace_ttl]:
                del self.spaces[idle]
        if name == DEFAULT:
            space = self.default
        else:
            found = self.spaces.get(name)
            if found is None:
                if len(self.spaces) >= config.max_namespaces:
                    raise too_many_namespaces(name, config.max_namespaces)
                found = self.spaces[name] = self._make()
                found.store.replace_all(found.seeds())  # a named namespace lives in memory only
            space = found
        space.used = now
        return space

    def prepare(self) -> None:
        return None

    def describe(self) -> str | None:
        return None

    def count(self) -> int:
        return len(self.default.store)

    async def exchange(self, method: str, path: str, attempt: Attempt) -> tuple[Reply, Any]:
        """One attempt (nothing here is ever out of date): the namespace's fault, if any."""
        space = self._space()
        faults = space.faults
        return await attempt(faults.take(method, path) if faults else None, space), space

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        """With `--state-file`, the answer once it is durable (see `durable`)."""
        space: MemorySpace = ticket
        persistence = space.persistence
        mark = persistence.written if persistence is not None else 0
        try:
            reply = handler(call, space)
        except Exception as exc:
            reply = failure_reply(exc, call.method, call.path)
        if persistence is not None and persistence.synced < persistence.written:
            reply = await durable(persistence, reply, persistence.written != mark)
        return reply

    async def record(self, entry: JournalEntry, ticket: Any) -> None:
        if ticket is None:  # no `exchange` (a 413): an existing namespace only
            name = current.get()
            ticket = self.default if name == DEFAULT else self.spaces.get(name)
            if ticket is None:
                return
        ticket.journal.record(entry)

    async def reset(self) -> None:
        self._space().reset()

    async def load(self, loaded: FixtureSet) -> None:
        self._space().load(loaded)

    async def view(self) -> StateView:
        space = self._space()
        return (space.loaded or space.fixtures), space.store.all()

    async def journal(self) -> list[dict[str, Any]]:
        return self._space().journal.view()

    async def clear_journal(self) -> None:
        self._space().journal.clear()

    async def add_fault(
        self, *, method: str, path: str, status: int | None, count: int | None, latency_ms: float
    ) -> dict[str, Any]:
        fault = self._space().faults.add(
            method=method, path=path, status=status, count=count, latency_ms=latency_ms
        )
        return fault.view()

    async def faults(self) -> list[dict[str, Any]]:
        return self._space().faults.view()

    async def clear_faults(self) -> None:
        self._space().faults.clear()

    async def remove_fault(self, fault_id: int) -> bool:
        return self._space().faults.remove(fault_id)

    async def live_journal(self) -> LiveJournal:
        space = self._space()
        return MemoryTail(space.journal, lambda header: space.keyring.name_of(header))

    async def namespaces(self) -> list[dict[str, Any]]:
        self._space()  # counts as a use of the caller's namespace; drops idle ones
        now_wall, now = time.time(), time.monotonic()
        spaces = [(DEFAULT, self.default), *sorted(self.spaces.items())]
        return [
            {
                "name": name,
                "credentials": len(space.store),
                "requests": len(space.journal),
                "lastUsed": _iso(now_wall - (now - space.used)),
            }
            for name, space in spaces
        ]

    async def close(self) -> None:
        self.default.close()


async def durable(persistence: StateFile, reply: Reply, changed: bool) -> Reply:
    """`reply` once every change so far is on disk (what the request made or could have read;
    a group commit shared with concurrent requests); 503 when the request's own change cannot
    be saved."""
    try:
        await persistence.durable()
    except StateFileError as exc:
        if changed:
            return error_reply(503, str(exc))
    return reply


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"
