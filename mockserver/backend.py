"""Where the mock's state lives, behind one interface the API and the admin API use: `Backend`.

- `MemoryBackend`: this process's namespaces (`mockserver.space.MemorySpace`: the in-memory
  store, and with `--state-file` the `default` namespace's file). Every method does what the
  app did before there was a choice, with no `await` inside: on one event loop a request's
  read-merge-write cannot interleave with another's.
- `mockserver.redisbackend.RedisBackend` (`--store redis://...`): the same state shared by
  every process on one Redis.

A request through it: `begin` (the injected fault for this request, and whatever the backend
prefetches) → `handle` (the profile's answer, over the space the backend gives it; once it is
durable) → `record` (the journal entry, after the answer was sent). `handle` may raise
`Restart` (nothing was changed): the app then calls `begin` and `handle` again, as for a new
request. The admin API's operations are the other methods; `prepare`, `describe`, `count` and
`close` are for the server's start and end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from credkit_core.errors import StateFileError
from credkit_core.fixtures.loader import FixtureSet
from mockserver.auth import KeyRing
from mockserver.faults import Fault
from mockserver.journal import JournalEntry, LiveJournal, MemoryTail
from mockserver.namespaces import DEFAULT, current
from mockserver.persistence import StateFile
from mockserver.requests import Call
from mockserver.responses import ApiError, Reply, error_reply, failure_reply
from mockserver.runtime import Runtime
from mockserver.space import MemorySpace, Space
from mockserver.store import Store, StoredCredential

__all__ = ["Backend", "Handler", "MemoryBackend", "Restart", "StateView", "too_many_namespaces"]

Handler = Callable[[Call, Space], Reply]  # a profile's `handle`
StateView = tuple[FixtureSet, list[StoredCredential]]
"""What `GET /__admin/state` shows: the fixtures in force (keys, workspaces), the credentials."""


class Restart(Exception):
    """Raised by `Backend.handle`, having changed nothing: what `begin` decided for the request
    is out of date (another process changed the namespace or its faults meanwhile, so a fault
    may now apply). The app calls `begin` again, then `handle`."""


class Backend(Protocol):
    """The mock's state as the API and the admin API reach it."""

    def prepare(self) -> None:
        """Before the server listens, outside its event loop: check and seed what the state
        needs (`ConfigError`, exit 2, when it cannot be)."""
        ...

    def describe(self) -> str | None:
        """The banner's line on where the state is kept; None: nothing to say (in memory)."""
        ...

    def count(self) -> int:
        """Credentials in the `default` namespace (for the banner)."""
        ...

    async def begin(self, method: str, path: str) -> tuple[Fault | None, Any]:
        """The injected fault this request takes (if any) and a ticket for `handle`."""
        ...

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        """`handler(call, space)` against the current state, its changes made atomically; an
        exception it raises answered in the error shape (`failure_reply`). `Restart` when
        `ticket` is out of date (nothing changed)."""
        ...

    async def record(self, entry: JournalEntry, ticket: Any) -> None:
        """Journal `entry` in the namespace `begin` gave `ticket` for; ticket None (`begin`
        was not reached, e.g. a 413): only into a namespace that exists, never a new one."""
        ...

    async def reset(self) -> None: ...

    async def load(self, loaded: FixtureSet) -> None: ...

    async def view(self) -> StateView: ...

    async def journal(self) -> list[dict[str, Any]]: ...

    async def clear_journal(self) -> None: ...

    async def add_fault(
        self, *, method: str, path: str, status: int | None, count: int | None, latency_ms: float
    ) -> dict[str, Any]: ...

    async def faults(self) -> list[dict[str, Any]]: ...

    async def clear_faults(self) -> None: ...

    async def remove_fault(self, fault_id: int) -> bool:
        """Remove one fault; False when there is none with that id."""
        ...

    async def namespaces(self) -> list[dict[str, Any]]:
        """Every namespace: name, credentials, journal entries, last use."""
        ...

    async def live_journal(self) -> LiveJournal:
        """The caller's namespace's journal as the dashboard's live stream polls it."""
        ...

    async def close(self) -> None:
        """At shutdown: write what is pending, release connections and files."""
        ...


def too_many_namespaces(name: str, cap: int) -> ApiError:
    return ApiError(
        429,
        f"Namespace {name!r} cannot be created: {cap} namespaces exist (--max-namespaces). "
        f"Reuse one, or wait until an idle one expires (--namespace-ttl).",
    )


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

    async def begin(self, method: str, path: str) -> tuple[Fault | None, Any]:
        space = self._space()
        faults = space.faults
        return (faults.take(method, path) if faults else None), space

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
        if ticket is None:  # no `begin`: an existing namespace only
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
