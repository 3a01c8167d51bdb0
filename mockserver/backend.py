"""Where the mock's state lives, behind one interface the API and the admin API use: `Backend`.

- `MemoryBackend`: this process's `AppState` (the in-memory store, or `--state-file`). Every
  method does what the app did before there was a choice, with no `await` inside: on one event
  loop a request's read-merge-write cannot interleave with another's.
- `mockserver.redisbackend.RedisBackend` (`--store redis://...`): the same state shared by
  every process on one Redis.

A request through it: `begin` (the injected fault for this request, and whatever the backend
prefetches) → `handle` (the profile's answer) → `record` (the journal entry, after the answer
was sent). `handle` may raise `Restart` (nothing was changed): the app then calls `begin` and
`handle` again, as for a new request. The admin API's operations are the other methods.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Protocol

from credkit_core.fixtures.loader import FixtureSet
from mockserver.auth import KeyRing
from mockserver.faults import Fault, FaultSet
from mockserver.journal import Journal, JournalEntry, LiveJournal, MemoryTail
from mockserver.namespaces import DEFAULT, current
from mockserver.requests import Call
from mockserver.responses import ApiError, Reply
from mockserver.state import AppState
from mockserver.store import Store, StoredCredential

__all__ = ["Backend", "Handler", "MemoryBackend", "Restart", "StateView", "too_many_namespaces"]

Handler = Callable[[Call], Reply]
ProfileMaker = Callable[[AppState], Handler]  # a namespace's state → its profile's `handle`
StateView = tuple[FixtureSet, list[StoredCredential]]
"""What `GET /__admin/state` shows: the fixtures in force (keys, workspaces), the credentials."""


class Restart(Exception):
    """Raised by `Backend.handle`, having changed nothing: what `begin` decided for the request
    is out of date (another process changed the namespace or its faults meanwhile, so a fault
    may now apply). The app calls `begin` again, then `handle`."""


class Backend(Protocol):
    """The mock's state as the API and the admin API reach it."""

    async def begin(self, method: str, path: str) -> tuple[Fault | None, Any]:
        """The injected fault this request takes (if any) and a ticket for `handle`."""
        ...

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        """`handler(call)` against the current state; its changes made atomically. `Restart`
        when `ticket` is out of date (nothing changed)."""
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

    async def close(self) -> None: ...


def too_many_namespaces(name: str, cap: int) -> ApiError:
    return ApiError(
        429,
        f"Namespace {name!r} cannot be created: {cap} namespaces exist (--max-namespaces). "
        f"Reuse one, or wait until an idle one expires (--namespace-ttl).",
    )


@dataclasses.dataclass(eq=False)
class Space:
    """A namespace other than `default` in this process: its state, its profile, last use."""

    state: AppState
    handle: Handler
    used: float


class MemoryBackend:
    """The state of this process: `state` for the `default` namespace (what `credkit serve`
    has always done), one more `AppState` per other namespace, made on first use."""

    def __init__(self, state: AppState, make_profile: ProfileMaker | None = None) -> None:
        self.state = state
        self.make_profile = make_profile
        self.spaces: dict[str, Space] = {}
        self._purged = 0.0
        self.default_used = time.monotonic()

    def _space(self) -> Space | None:
        """The request's namespace (None: `default`), made from the fixtures on first use."""
        name = current.get()
        now = time.monotonic()
        config = self.state.config
        if self.spaces and now - self._purged > 1.0:
            self._purged = now
            for idle in [n for n, s in self.spaces.items() if now - s.used > config.namespace_ttl]:
                del self.spaces[idle]
        if name == DEFAULT:
            self.default_used = now
            return None
        space = self.spaces.get(name)
        if space is None:
            if len(self.spaces) >= config.max_namespaces:
                raise too_many_namespaces(name, config.max_namespaces)
            space = self.spaces[name] = self._make()
        space.used = now
        return space

    def _make(self) -> Space:
        base = self.state
        state = dataclasses.replace(
            base,
            store=Store(base.store.encryptor, base.catalog),
            keyring=KeyRing(base.fixtures.api_keys),
            journal=Journal(),
            faults=FaultSet(),
            persistence=None,  # a named namespace lives in memory only
            loaded=None,
        )
        state.store.replace_all(state.seeds())
        if self.make_profile is None:  # pragma: no cover - create_app always gives one
            raise RuntimeError("MemoryBackend needs make_profile for namespaces")
        return Space(state, self.make_profile(state), time.monotonic())

    def _state(self) -> AppState:
        space = self._space()
        return self.state if space is None else space.state

    async def begin(self, method: str, path: str) -> tuple[Fault | None, Any]:
        space = self._space()
        faults = self.state.faults if space is None else space.state.faults
        ticket: Space | AppState = self.state if space is None else space
        return (faults.take(method, path) if faults else None), ticket

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        return ticket.handle(call) if isinstance(ticket, Space) else handler(call)

    async def record(self, entry: JournalEntry, ticket: Any) -> None:
        if ticket is None:  # no `begin`: an existing namespace only
            name = current.get()
            space = self.spaces.get(name)
            ticket = self.state if name == DEFAULT else space
            if ticket is None:
                return
        state: AppState = ticket.state if isinstance(ticket, Space) else ticket
        state.journal.record(entry)

    async def reset(self) -> None:
        self._state().reset()

    async def load(self, loaded: FixtureSet) -> None:
        state = self._state()
        state.store.replace_all(state.store.from_seeds(loaded.credentials))  # first: may refuse
        state.keyring = KeyRing(loaded.api_keys)
        state.loaded = loaded

    async def view(self) -> StateView:
        state = self._state()
        return (state.loaded or state.fixtures), state.store.all()

    async def journal(self) -> list[dict[str, Any]]:
        return self._state().journal.view()

    async def clear_journal(self) -> None:
        self._state().journal.clear()

    async def add_fault(
        self, *, method: str, path: str, status: int | None, count: int | None, latency_ms: float
    ) -> dict[str, Any]:
        fault = self._state().faults.add(
            method=method, path=path, status=status, count=count, latency_ms=latency_ms
        )
        return fault.view()

    async def faults(self) -> list[dict[str, Any]]:
        return self._state().faults.view()

    async def clear_faults(self) -> None:
        self._state().faults.clear()

    async def remove_fault(self, fault_id: int) -> bool:
        return self._state().faults.remove(fault_id)

    async def live_journal(self) -> LiveJournal:
        state = self._state()
        return MemoryTail(state.journal, lambda header: state.keyring.name_of(header))

    async def namespaces(self) -> list[dict[str, Any]]:
        self._space()  # counts as a use of the caller's namespace; drops idle ones
        now_wall, now = time.time(), time.monotonic()
        spaces = [(DEFAULT, self.state, self.default_used)] + [
            (n, s.state, s.used) for n, s in sorted(self.spaces.items())
        ]
        return [
            {
                "name": name,
                "credentials": len(state.store),
                "requests": len(state.journal),
                "lastUsed": _iso(now_wall - (now - used)),
            }
            for name, state, used in spaces
        ]

    async def close(self) -> None:
        return None


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"
