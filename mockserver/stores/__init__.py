"""The stores: where the namespaces' state is kept, behind one interface
(`mockserver.stores.base.Backend`), chosen by the scheme of `--store`.

- `memory` (`stores/memory/`): this process's namespaces; with `--state-file`, the `default`
  one written to a file (an append log with group commits, compacted into snapshots).
- `redis`, `rediss`, `unix` (`stores/redis/`): the same state shared by every process on one
  Redis database.

`STORES` is the only list of them (scheme → `module:class`, imported when chosen, so Redis's
client is imported only when asked for). Adding a store is one module whose class implements
`Backend` (built from the process's `Runtime`) and one line here. Nothing is imported from
the rest of the mock by this module: `mockserver.config` checks a `--store` against it.
"""

from __future__ import annotations

__all__ = ["STORES", "scheme_of"]

STORES: dict[str, str] = {
    "memory": "mockserver.stores.memory:MemoryBackend",
    "redis": "mockserver.stores.redis:RedisBackend",
    "rediss": "mockserver.stores.redis:RedisBackend",
    "unix": "mockserver.stores.redis:RedisBackend",
}


def scheme_of(url: str) -> str:
    """The registry key of a `--store` value: `memory`, or a URL's scheme (`redis` for
    `redis://host:6379/0`); empty when it is neither."""
    if url == "memory":
        return url
    scheme, sep, _ = url.partition("://")
    return scheme if sep else ""
