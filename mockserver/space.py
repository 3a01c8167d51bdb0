"""A namespace's own part of the mock as a profile sees it: `Space`.

A profile gets the request's space with every call (`Profile.handle(call, space)`): its
credentials (`store`) and its API keys (`keyring`). The store decides which space that is: in
memory, the namespace's `MemorySpace` itself; on Redis, a view over the credentials the
request was given and the keys of the namespace as this process last read them. Nothing is
swapped into a shared object around a request.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from mockserver.auth import KeyRing
from mockserver.store import Store

__all__ = ["DEFAULT", "Space", "current"]

DEFAULT = "default"  # the namespace of every path without `/ns/<name>/`

current: ContextVar[str] = ContextVar("credkit_namespace", default=DEFAULT)
"""The namespace of the request being served (set by `mockserver.edge.namespaces`; each store
keeps its namespaces by it)."""


@dataclass(eq=False, slots=True)
class Space:
    """One namespace as a profile sees it for one request: its credentials and its keys."""

    store: Store
    keyring: KeyRing
