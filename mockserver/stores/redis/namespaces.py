"""Namespaces on Redis: preparing the database (reachable, the passphrase shared and checked,
`default` seeded), making a namespace (seeded from the fixtures, atomically, within
`--max-namespaces`: `CLAIM`), renewing its TTL (at most once a second per process), and this
process's copy of what it knows of each (`Known`: keys and faults by generation, the last raw
value seen of each credential).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.exceptions import RedisError

from credkit_core.crypto import CryptoError, Encryptor
from credkit_core.errors import ConfigError
from credkit_core.fixtures.loader import ApiKey, FixtureSet, Workspace
from mockserver.auth import KeyRing
from mockserver.faults import Fault
from mockserver.passphrase import generate_passphrase
from mockserver.responses import ApiError
from mockserver.runtime import Runtime
from mockserver.space import DEFAULT
from mockserver.store import Store, StoredCredential
from mockserver.stores.base import too_many_namespaces
from mockserver.stores.redis.connection import Connection, shown_url
from mockserver.stores.redis.layout import VERIFIER_TEXT, encode, keys_for, token

__all__ = ["NAMESPACES", "Known", "Namespaces", "fixtures_from_json", "fixtures_json"]

NAMESPACES = "credkit:namespaces"  # sorted set: name -> last use (epoch seconds)
TOUCH_EVERY = 1.0  # seconds between two TTL refreshes of a namespace by one process (at most)


def fixtures_json(fixtures: FixtureSet) -> bytes:
    return orjson.dumps(
        {
            "workspaces": [{"id": w.id, "name": w.name} for w in fixtures.workspaces],
            "apiKeys": [
                {
                    "key": k.key,
                    "workspace": k.workspace,
                    "permissions": sorted(k.permissions),
                    "name": k.name,
                }
                for k in fixtures.api_keys
            ],
        }
    )


def fixtures_from_json(raw: bytes, source: str) -> FixtureSet:
    doc = orjson.loads(raw)
    return FixtureSet(
        workspaces=tuple(Workspace(w["id"], w["name"]) for w in doc["workspaces"]),
        api_keys=tuple(
            ApiKey(k["key"], k["workspace"], frozenset(k["permissions"]), k["name"])
            for k in doc["apiKeys"]
        ),
        credentials=(),
        source=source,
    )


@dataclass
class Known:
    """This process's copy of a namespace's keys and faults, by generation."""

    gen: bytes = b""
    fixtures: FixtureSet | None = None
    keyring: KeyRing | None = None
    fgen: bytes = b""
    faults: list[Fault] = field(default_factory=list)
    cache: dict[str, bytes | None] = field(default_factory=dict)  # id -> last raw value seen
    # id -> (raw, its credential) for the raws this process wrote: never decrypted again (and
    # one entry per credential, where a cache by raw would grow with every write)
    decoded: dict[str, tuple[bytes, StoredCredential]] = field(default_factory=dict)


class Namespaces:
    """The namespaces of one Redis database as this process makes, renews and knows them."""

    def __init__(self, conn: Connection, runtime: Runtime, template: Store) -> None:
        self.conn = conn
        self.runtime = runtime
        self.config = runtime.config
        self.template = template
        self.known: dict[str, Known] = {}
        self._touched: dict[str, float] = {}  # namespace -> when this process last touched it
        self.prepared = False
        self.count = 0  # credentials in the default namespace when `prepare` checked

    def seeds(self) -> list[StoredCredential]:
        """The fixture credentials (plus `--seed N` generated ones), freshly encrypted."""
        return self.template.from_seeds(self.runtime.seeds())

    async def prepare(self) -> None:
        """Check Redis and the passphrase, seed the default namespace. ConfigError (exit 2)
        when Redis cannot be reached or holds data written with another passphrase."""
        client = self.conn.client()
        try:
            await client.ping()
            await self.check_passphrase(client)
            await self.ensure(client, "default")
            self.count = await client.hlen(keys_for("default")["creds"])
        except RedisError as exc:
            reason = str(exc).rstrip(".")
            raise ConfigError(
                f"Cannot reach the store at {shown_url(self.conn.url)}: {reason}. Start Redis "
                "there or fix --store / CREDKIT_STORE."
            ) from None
        self.prepared = True

    async def check_passphrase(self, client: Any) -> None:
        """With no passphrase given, share one through Redis; `ConfigError` when the store
        holds credentials encrypted with another."""
        runtime = self.runtime
        if runtime.passphrase_source == "generated":  # none given: share one through Redis
            await client.set("credkit:passphrase", generate_passphrase(), nx=True)
            shared = (await client.get("credkit:passphrase")).decode("utf-8")
            runtime.encryptor = self.template.encryptor = Encryptor(shared)
            runtime.passphrase_source = "generated, kept in Redis"
        encryptor = self.template.encryptor
        await client.set("credkit:verifier", encryptor.encrypt(VERIFIER_TEXT), nx=True)
        stored = (await client.get("credkit:verifier")).decode("ascii")
        try:
            same = encryptor.decrypt(stored) == VERIFIER_TEXT
        except (CryptoError, ValueError):
            same = False
        if not same:
            raise ConfigError(
                f"The store at {shown_url(self.conn.url)} holds credentials encrypted with another "
                "passphrase: start every process with the same --secret-key, or use another "
                "Redis database."
            )

    async def ready(self) -> Any:
        """This event loop's client, once the store is prepared (503 while it cannot be)."""
        client = self.conn.client()
        if not self.prepared:
            try:
                await self.prepare()
            except ConfigError as exc:
                raise ApiError(503, str(exc)) from None
        return client

    async def ensure(self, client: Any, namespace: str) -> None:
        """Seed `namespace` from the fixtures unless it exists (atomic: one process seeds);
        a new one beyond `--max-namespaces` is refused (429)."""
        keys = keys_for(namespace)
        if await client.exists(keys["meta"]):
            return
        if namespace != DEFAULT:
            config = self.config
            now = time.time()
            claimed = await self.conn.script("claim")(
                keys=[NAMESPACES],
                args=[namespace, now, now - config.namespace_ttl, config.max_namespaces],
            )
            if not claimed:
                raise too_many_namespaces(namespace, config.max_namespaces)
        fixtures = self.runtime.fixtures
        await self.write_all(client, namespace, fixtures, self.seeds(), only_if_new=True)

    def touch_commands(self, namespace: str) -> list[tuple[Any, ...]]:
        """`namespace` used now: its last use (a listed name only: CLAIM lists) and its keys'
        expiry after `--namespace-ttl` idle; nothing for `default`."""
        if namespace == DEFAULT:
            return []
        ttl = math.ceil(self.config.namespace_ttl)
        touch: list[tuple[Any, ...]] = [("ZADD", NAMESPACES, "XX", repr(time.time()), namespace)]
        return touch + [("EXPIRE", key, ttl) for key in keys_for(namespace).values()]

    def touch_into(self, pipe: Any, namespace: str) -> None:
        """Queue `touch_commands` on `pipe`."""
        for command in self.touch_commands(namespace):
            pipe.execute_command(*command)

    def touch_due(self, namespace: str) -> bool:
        """Whether this process should refresh `namespace`'s TTL now: at most once per
        TOUCH_EVERY (or a tenth of the TTL, when shorter); never for `default`."""
        if namespace == DEFAULT:
            return False
        now = time.monotonic()
        every = min(TOUCH_EVERY, self.config.namespace_ttl / 10)
        if now - self._touched.get(namespace, -math.inf) < every:
            return False
        if len(self._touched) > self.config.max_namespaces:
            self._touched.clear()
        self._touched[namespace] = now
        return True

    def touch_soon(self, namespace: str) -> None:
        """`touch_commands` with the next batch, when due."""
        if self.touch_due(namespace):
            batcher = self.conn.batcher()
            for command in self.touch_commands(namespace):
                batcher.post(*command)

    def untouch(self, namespace: str) -> None:
        """Forget when this process last renewed `namespace`: the next request renews it."""
        self._touched.pop(namespace, None)

    async def touch(self, client: Any, namespace: str) -> None:
        pipe = client.pipeline(transaction=False)
        self.touch_into(pipe, namespace)
        await pipe.execute()

    async def write_all(
        self,
        client: Any,
        namespace: str,
        fixtures: FixtureSet,
        creds: list[Any],
        only_if_new: bool,
        keep_extras: bool = False,
    ) -> None:
        """Replace the namespace's credentials and fixtures (and, unless `keep_extras`, its
        journal and faults); with `only_if_new`, only when the namespace does not exist."""
        keys = keys_for(namespace)
        mode = "seed" if only_if_new else ("load" if keep_extras else "reset")
        args: list[Any] = [mode, fixtures_json(fixtures), token()]
        for credential in creds:
            args += [credential.id, encode(credential)]
        await self.conn.script("reset")(
            keys=[keys[k] for k in ("creds", "meta", "faults", "fault-left", "fault-hits")]
            + [keys["journal"]],
            args=args,
        )
        await self.touch(client, namespace)  # the keys were made anew: their TTL too

    async def refresh(self, client: Any, namespace: str, gen: bytes, fgen: bytes) -> Known:
        """This process's copy of the namespace's keys and faults, fetched when they changed."""
        keys = keys_for(namespace)
        known = await self.known_for(client, namespace)
        if known.gen != gen:
            raw = await client.hget(keys["meta"], "fixtures")
            known.fixtures = fixtures_from_json(raw, self.runtime.fixtures.source)
            known.keyring = KeyRing(known.fixtures.api_keys)
            known.gen = gen
        if known.fgen != fgen:
            defined = await client.hgetall(keys["faults"])
            faults = []
            for fid, raw in defined.items():
                spec = orjson.loads(raw)
                faults.append(
                    Fault(int(fid), spec["method"], spec["path"], spec["status"], None, spec["ms"])
                )
            known.faults = sorted(faults, key=lambda f: f.id)
            known.fgen = fgen
        return known

    async def known_for(self, client: Any, namespace: str) -> Known:
        """This process's `Known` of `namespace`; a new one first drops those of namespaces
        that expired, so they stay as many as there can be namespaces."""
        known = self.known.get(namespace)
        if known is None:
            if len(self.known) > self.config.max_namespaces:
                alive = {n.decode() for n in await client.zrange(NAMESPACES, 0, -1)}
                for name in [n for n in self.known if n != DEFAULT and n not in alive]:
                    del self.known[name]
            known = self.known[namespace] = Known()
        return known
