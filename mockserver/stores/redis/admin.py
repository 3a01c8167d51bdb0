"""The admin API's operations on Redis (`Admin`): the caller's namespace (made on first use,
as for a request) reset, loaded, shown; its journal read, cleared and streamed (`RedisTail`:
every process's requests); its faults added, listed, removed; the namespaces listed. Each
sends this process's queued journal entries first where they matter.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from credkit_core.fixtures.loader import FixtureSet
from mockserver.faults import Fault
from mockserver.journal import LiveJournal, Tail
from mockserver.space import DEFAULT, current
from mockserver.store import Store
from mockserver.stores.base import StateView
from mockserver.stores.redis.connection import Connection
from mockserver.stores.redis.layout import decode, keys_for, token
from mockserver.stores.redis.namespaces import NAMESPACES, Namespaces, fixtures_from_json

__all__ = ["Admin", "RedisTail"]


class Admin:
    """The admin API's operations on one Redis database."""

    def __init__(self, conn: Connection, spaces: Namespaces, template: Store) -> None:
        self.conn = conn
        self.spaces = spaces
        self.template = template

    async def _admin(self) -> tuple[Any, dict[str, str]]:
        """The client and the keys of the caller's namespace (created on first use)."""
        client, namespace = await self.spaces.ready(), current.get()
        with self.conn.guard():
            await self.spaces.ensure(client, namespace)
            await self.spaces.touch(client, namespace)
        self.spaces.untouch(namespace)  # keys it makes get their TTL with the next request
        return client, keys_for(namespace)

    async def reset(self) -> None:
        client, _ = await self._admin()
        with self.conn.guard():
            await self.conn.batcher().flush()  # this process's journal entries first: cleared too
            fixtures, seeds = self.spaces.runtime.fixtures, self.spaces.seeds()
            await self.spaces.write_all(client, current.get(), fixtures, seeds, False)

    async def load(self, loaded: FixtureSet) -> None:
        client, _ = await self._admin()
        seeds = self.template.from_seeds(loaded.credentials)
        with self.conn.guard():
            await self.spaces.write_all(
                client, current.get(), loaded, seeds, False, keep_extras=True
            )

    async def view(self) -> StateView:
        client, keys = await self._admin()
        with self.conn.guard():
            raw, creds = (
                await client.hget(keys["meta"], "fixtures"),
                await client.hgetall(keys["creds"]),
            )
        fixtures = fixtures_from_json(raw, self.spaces.runtime.fixtures.source)
        encryptor = self.template.encryptor
        return fixtures, [decode(v, encryptor) for v in creds.values()]

    async def journal(self) -> list[dict[str, Any]]:
        client, keys = await self._admin()
        with self.conn.guard():
            await self.conn.batcher().flush()  # every request of this process answered so far
            entries = await client.lrange(keys["journal"], 0, -1)
        return [_admin_view(orjson.loads(e)) for e in entries]

    async def live_journal(self) -> LiveJournal:
        await self._admin()  # made on first use, as every admin call
        return RedisTail(self.conn, current.get())

    async def clear_journal(self) -> None:
        client, keys = await self._admin()
        with self.conn.guard():
            await self.conn.batcher().flush()  # entries of requests answered before: cleared too
            pipe = client.pipeline(transaction=True)
            pipe.delete(keys["journal"])
            pipe.hincrby(keys["meta"], "jcleared", 1)  # the live stream says `cleared`
            await pipe.execute()

    async def add_fault(
        self, *, method: str, path: str, status: int | None, count: int | None, latency_ms: float
    ) -> dict[str, Any]:
        client, keys = await self._admin()
        spec: dict[str, Any] = {
            "method": method.upper(),
            "path": path,
            "status": status,
            "ms": latency_ms,
        }
        with self.conn.guard():
            fid = await client.incr("credkit:fault-id")
            pipe = client.pipeline(transaction=True)
            pipe.hset(keys["faults"], str(fid), orjson.dumps(spec))
            if count is not None:
                pipe.hset(keys["fault-left"], str(fid), count)
            pipe.hset(keys["meta"], "fgen", token())
            await pipe.execute()
        return Fault(fid, spec["method"], path, status, count, latency_ms).view()

    async def faults(self) -> list[dict[str, Any]]:
        client, keys = await self._admin()
        with self.conn.guard():
            pipe = client.pipeline(transaction=True)
            pipe.hgetall(keys["faults"])
            pipe.hgetall(keys["fault-left"])
            pipe.hgetall(keys["fault-hits"])
            defined, left, hits = await pipe.execute()
        out = []
        for fid, raw in defined.items():
            spec = orjson.loads(raw)
            remaining = int(left[fid]) if fid in left else None
            fault = Fault(int(fid), spec["method"], spec["path"], spec["status"], remaining, 0)
            fault.latency_ms, fault.hits = spec["ms"], int(hits.get(fid, 0))
            out.append(fault)
        return [f.view() for f in sorted(out, key=lambda f: f.id)]

    async def clear_faults(self) -> None:
        client, keys = await self._admin()
        with self.conn.guard():
            pipe = client.pipeline(transaction=True)
            pipe.delete(keys["faults"], keys["fault-left"], keys["fault-hits"])
            pipe.hset(keys["meta"], "fgen", token())
            await pipe.execute()

    async def remove_fault(self, fault_id: int) -> bool:
        client, keys = await self._admin()
        with self.conn.guard():
            pipe = client.pipeline(transaction=True)
            pipe.hdel(keys["faults"], str(fault_id))
            pipe.hdel(keys["fault-left"], str(fault_id))
            pipe.hdel(keys["fault-hits"], str(fault_id))
            pipe.hset(keys["meta"], "fgen", token())
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def namespaces(self) -> list[dict[str, Any]]:
        client, _ = await self._admin()
        with self.conn.guard():
            await client.zremrangebyscore(
                NAMESPACES, "-inf", time.time() - self.spaces.config.namespace_ttl
            )
            named = await client.zrange(NAMESPACES, 0, -1, withscores=True)
            names = [DEFAULT, *sorted(n.decode() for n, _ in named)]
            used = {n.decode(): at for n, at in named}
            pipe = client.pipeline(transaction=False)
            for name in names:
                keys = keys_for(name)
                pipe.exists(keys["meta"])
                pipe.hlen(keys["creds"])
                pipe.llen(keys["journal"])
            counts = await pipe.execute()
        out = []
        for i, name in enumerate(names):
            exists, credentials, requests = counts[3 * i : 3 * i + 3]
            if exists or name == DEFAULT:
                at = used.get(name, time.time())
                out.append(
                    {
                        "name": name,
                        "credentials": credentials,
                        "requests": requests,
                        "lastUsed": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at))
                        + f".{int(at * 1000) % 1000:03d}Z",
                    }
                )
        return out


def _admin_view(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored entry as `GET /__admin/requests` shows it (the same fields as in memory)."""
    stored.pop("key", None)
    stored.pop("answer", None)
    return stored


class RedisTail:
    """`LiveJournal` of a namespace on Redis: every process's requests, in the order they
    were journaled."""

    def __init__(self, conn: Connection, namespace: str) -> None:
        self.conn = conn
        self.namespace = namespace

    async def tail(self, seen: int, limit: int) -> Tail:
        keys = keys_for(self.namespace)
        with self.conn.guard():
            recorded, held, cleared, raw = await self.conn.script("tail")(
                keys=[keys["meta"], keys["journal"]], args=[seen, limit]
            )
        first = recorded - len(raw) + 1
        batch = [(first + i, orjson.loads(e)) for i, e in enumerate(raw)]
        return Tail(recorded, held, cleared, batch)
