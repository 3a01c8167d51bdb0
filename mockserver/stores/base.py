"""What every store implements (`Backend`), and making the one `--store` names.

A request through a store: `exchange(method, path, attempt)` decides the request's namespace
and injected fault and calls `attempt(fault, ticket)` (the app's part: latency, the fault's
answer, or the profile through `handle`), as many times as the store needs (Redis: again when
another process changed the namespace meanwhile, `Restart`); `handle(handler, call, ticket)`
runs the profile over the request's space (`mockserver.space.Space`) and makes its changes
(with `--state-file`, answers once they are durable); `record` journals the request after the
answer was sent. The admin API's operations are the other methods; `prepare`, `describe`,
`count` and `close` are for the server's start and end.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

from credkit_core.errors import ConfigError
from credkit_core.fixtures.loader import FixtureSet
from mockserver.faults import Fault
from mockserver.journal import JournalEntry, LiveJournal
from mockserver.requests import Call
from mockserver.responses import ApiError, Reply
from mockserver.runtime import Runtime
from mockserver.space import Space
from mockserver.store import StoredCredential
from mockserver.stores import STORES, scheme_of

__all__ = [
    "Attempt",
    "Backend",
    "Handler",
    "Restart",
    "StateView",
    "create_store",
    "too_many_namespaces",
]

Handler = Callable[[Call, Space], Reply]  # a profile's `handle`
Attempt = Callable[[Fault | None, Any], Awaitable[Reply]]
"""One try at answering a request, given its fault and the store's ticket (`ApiApp`)."""
StateView = tuple[FixtureSet, list[StoredCredential]]
"""What `GET /__admin/state` shows: the fixtures in force (keys, workspaces), the credentials."""


class Restart(Exception):
    """Raised by a store's `handle`, having changed nothing: what it decided for the request
    is out of date (another process changed the namespace or its faults meanwhile, so a fault
    may now apply). `exchange` tries the request again from the start."""


class Backend(Protocol):
    """The mock's namespaces as the API and the admin API reach them."""

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

    async def exchange(self, method: str, path: str, attempt: Attempt) -> tuple[Reply, Any]:
        """The answer of `attempt(fault, ticket)` for this request's namespace, and the ticket
        for `record`. `ApiError` (answered, not journaled) when the request cannot begin: the
        store is unavailable, or a new namespace is one too many."""
        ...

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        """`handler(call, space)` against the current state, its changes made atomically; an
        exception it raises answered in the error shape (`failure_reply`). `Restart` when
        `ticket` is out of date (nothing changed)."""
        ...

    async def record(self, entry: JournalEntry, ticket: Any) -> None:
        """Journal `entry` in the namespace `exchange` gave `ticket` for; ticket None (not
        reached, e.g. a 413): only into a namespace that exists, never a new one."""
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


def create_store(runtime: Runtime) -> Backend:
    """The store `runtime.config.store` names (`STORES`), built from `runtime`."""
    url = runtime.config.store
    target = STORES.get(scheme_of(url))
    if target is None:  # pragma: no cover - `Config` refuses it first
        raise ConfigError(f"Config 'store' names no known store; use one of {', '.join(STORES)}.")
    module, _, name = target.partition(":")
    factory = getattr(importlib.import_module(module), name)
    return cast(Backend, factory(runtime))


def too_many_namespaces(name: str, cap: int) -> ApiError:
    return ApiError(
        429,
        f"Namespace {name!r} cannot be created: {cap} namespaces exist (--max-namespaces). "
        f"Reuse one, or wait until an idle one expires (--namespace-ttl).",
    )
