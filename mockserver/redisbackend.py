"""`RedisBackend`: the mock's state on Redis (`credkit serve --store redis://HOST:PORT/DB`), shared
by every process and worker started on the same Redis database (layout: `mockserver.redisstore`).

A request, when this process knows the namespace's generations and the last raw value of the
credential its path names, and no fault it knows of matches (the usual case), costs one round
trip: `begin` makes none; `handle` runs the profile over the cached values, then `SPECULATE`
checks in Redis that the generations and every credential read are still the ones assumed and
applies the changes. When something differs nothing is written: the cache takes the current
values and the profile runs again, or, when the faults or the namespace changed (a fault may
now apply), `Restart` sends the request back to `begin`. Otherwise (a listing, a credential not
seen yet, a fault that matches): `begin` fetches, in one round trip, the namespace's generations
and the credential its path names (every credential for a listing), and takes the injected
fault it matches (a counted fault is decremented in Redis, so it fires exactly `count` times
across processes) → `handle` runs the profile over what was fetched, then commits its changes
with `COMMIT`, which checks nothing it read has changed since (else it runs again on fresh
data). `record` queues the masked journal entry (numbered in Redis as it is appended, so
the dashboard's stream reads every process's requests from there: `RedisTail`). The commits
and journal entries of concurrent requests go to Redis together, one pipeline at a time
(`mockserver.redisbatch.Batcher`); the namespace's TTL is refreshed at most once a second per
process.

Redis unreachable: each request that needs it answers 503 in the error shape, and the next
request after Redis is back is served again (redis-py reconnects by itself).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError

from credkit_core.crypto import CryptoError, Encryptor
from credkit_core.errors import ConfigError
from credkit_core.fixtures.loader import ApiKey, FixtureSet, Workspace
from mockserver.auth import KeyRing
from mockserver.backend import Handler, Restart, StateView, too_many_namespaces
from mockserver.faults import Fault
from mockserver.journal import JournalEntry, LiveJournal, Tail, bounded, live_view
from mockserver.namespaces import DEFAULT, current
from mockserver.passphrase import generate_passphrase
from mockserver.redisbatch import Batcher
from mockserver.redisstore import (
    CLAIM,
    COMMIT,
    RESET,
    SPECULATE,
    TAIL,
    TAKE_FAULT,
    VERIFIER_TEXT,
    NeedFetch,
    RedisView,
    commit_args,
    decode,
    encode,
    keys_for,
    speculate_args,
    token,
)
from mockserver.requests import Call
from mockserver.responses import ApiError, Reply, failure_reply
from mockserver.runtime import Runtime
from mockserver.space import Space
from mockserver.store import Store, StoredCredential

__all__ = ["RedisBackend", "shown_url"]

log = logging.getLogger("credkit")

ITEM_PREFIX = "/api/v1/credentials/"
LIST_PATH = "/api/v1/credentials"
JOURNAL_SIZE = 1000
POOL_SIZE = 64  # Redis connections per process (per event loop)
NAMESPACES = "credkit:namespaces"  # sorted set: name -> last use (epoch seconds)
ATTEMPTS = 50  # runs of one request before it gives up on a hot credential (503)
CACHE_SIZE = 50_000  # raw credential values a process remembers, over all namespaces
TOUCH_EVERY = 1.0  # seconds between two TTL refreshes of a namespace by one process (at most)


def shown_url(url: str) -> str:
    """The store URL without its password, for messages and the banner."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


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
class Ticket:
    """What `begin` fetched for one request; `speculative`: nothing, the cache stands in."""

    namespace: str
    gen: bytes
    fetched: dict[str, bytes | None] = field(default_factory=dict)
    complete: bool = False
    speculative: bool = False
    fgen: bytes = b""  # speculative: the faults known when `begin` found none that matched
    item: str = ""  # speculative: the credential the path names


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


class RedisBackend:
    """The shared state on Redis; the `Backend` the app uses with `--store redis://...`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.config = runtime.config
        self.url = runtime.config.store
        # empty: its encryptor and catalog serve the views
        self.template = Store(runtime.encryptor, runtime.catalog)
        # the keys until a namespace's own are read (a namespace always has them by then)
        self.keyring = KeyRing(runtime.fixtures.api_keys)
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}
        self._scripts: dict[asyncio.AbstractEventLoop, dict[str, Any]] = {}
        self._batchers: dict[asyncio.AbstractEventLoop, Batcher] = {}
        self._touched: dict[str, float] = {}  # namespace -> when this process last touched it
        self._cached = 0  # entries in every Known.cache (at most CACHE_SIZE)
        # For the tests and the bench: requests begun with no round trip (the cache), runs of
        # them that found a value changed, and those sent back to `begin`.
        self.speculated = self.stale = self.restarts = 0
        self._known: dict[str, Known] = {}
        # (loop, namespace + path) -> the writes waiting for their turn (one at a time)
        self._writing: dict[tuple[int, str], list[asyncio.Future[None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # the last loop's, at hand:
        self._client: Any = None  # one loop per process when serving; tests make several
        self._batcher: Any = None
        self._script: dict[str, Any] = {}
        self._prepared = False
        self._count = 0  # credentials in the default namespace when `prepare` checked

    # -- connection --------------------------------------------------------------------------

    def client(self) -> Any:
        """This event loop's client (a connection pool is bound to the loop that made it)."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return self._client
        found = self._clients.get(loop)
        if found is None:
            # A blocking pool: a burst of requests waits for one of POOL_SIZE connections
            # rather than failing (redis-py's default pool raises MaxConnectionsError).
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=POOL_SIZE,
                timeout=10,
                socket_connect_timeout=2,
                socket_timeout=5,
                retry=Retry(NoBackoff(), 1),
            )
            found = aioredis.Redis(connection_pool=pool)
            self._clients[loop] = found
            self._scripts[loop] = {
                "commit": found.register_script(COMMIT),
                "reset": found.register_script(RESET),
                "claim": found.register_script(CLAIM),
                "take": found.register_script(TAKE_FAULT),
                "speculate": found.register_script(SPECULATE),
                "tail": found.register_script(TAIL),
            }
            self._batchers[loop] = Batcher(found, loop)
        self._loop, self._client = loop, found
        self._batcher, self._script = self._batchers[loop], self._scripts[loop]
        return found

    def batcher(self) -> Batcher:
        """This event loop's `Batcher` (made with its client)."""
        if asyncio.get_running_loop() is not self._loop:
            self.client()
        batcher: Batcher = self._batcher
        return batcher

    def script(self, name: str) -> Any:
        """A Lua script (EVALSHA, loaded again by itself after a Redis restart)."""
        if asyncio.get_running_loop() is not self._loop:
            self.client()
        return self._script[name]

    def unavailable(self, exc: Exception) -> ApiError:
        return ApiError(
            503,
            f"The shared store at {shown_url(self.url)} is unavailable "
            f"({type(exc).__name__}); the mock answers again as soon as Redis is back.",
        )

    def prepare(self) -> None:
        """Before the server's event loop runs: `_prepare`, on connections closed after."""

        async def check() -> None:
            try:
                await self._prepare()
            finally:
                await self.close()

        asyncio.run(check())

    def describe(self) -> str:
        return f"{shown_url(self.url)} (shared by every process on it)"

    def count(self) -> int:
        return self._count

    def seeds(self) -> list[StoredCredential]:
        """The fixture credentials (plus `--seed N` generated ones), freshly encrypted."""
        return self.template.from_seeds(self.runtime.seeds())

    async def _prepare(self) -> None:
        """Check Redis and the passphrase, seed the default namespace. ConfigError (exit 2)
        when Redis cannot be reached or holds data written with another passphrase."""
        client = self.client()
        try:
            await client.ping()
            await self._check_passphrase(client)
            await self._ensure(client, "default")
            self._count = await client.hlen(keys_for("default")["creds"])
        except RedisError as exc:
            reason = str(exc).rstrip(".")
            raise ConfigError(
                f"Cannot reach the store at {shown_url(self.url)}: {reason}. Start Redis there "
                "or fix --store / CREDKIT_STORE."
            ) from None
        self._prepared = True

    async def _check_passphrase(self, client: Any) -> None:
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
                f"The store at {shown_url(self.url)} holds credentials encrypted with another "
                "passphrase: start every process with the same --secret-key, or use another "
                "Redis database."
            )

    async def _ensure(self, client: Any, namespace: str) -> None:
        """Seed `namespace` from the fixtures unless it exists (atomic: one process seeds);
        a new one beyond `--max-namespaces` is refused (429)."""
        keys = keys_for(namespace)
        if await client.exists(keys["meta"]):
            return
        if namespace != DEFAULT:
            config = self.config
            now = time.time()
            claimed = await self.script("claim")(
                keys=[NAMESPACES],
                args=[namespace, now, now - config.namespace_ttl, config.max_namespaces],
            )
            if not claimed:
                raise too_many_namespaces(namespace, config.max_namespaces)
        fixtures = self.runtime.fixtures
        await self._write_all(client, namespace, fixtures, self.seeds(), only_if_new=True)

    def _touch_commands(self, namespace: str) -> list[tuple[Any, ...]]:
        """`namespace` used now: its last use (a listed name only: CLAIM lists) and its keys'
        expiry after `--namespace-ttl` idle; nothing for `default`."""
        if namespace == DEFAULT:
            return []
        ttl = math.ceil(self.config.namespace_ttl)
        touch: list[tuple[Any, ...]] = [("ZADD", NAMESPACES, "XX", repr(time.time()), namespace)]
        return touch + [("EXPIRE", key, ttl) for key in keys_for(namespace).values()]

    def _touch_into(self, pipe: Any, namespace: str) -> None:
        """Queue `_touch_commands` on `pipe`."""
        for command in self._touch_commands(namespace):
            pipe.execute_command(*command)

    def _touch_due(self, namespace: str) -> bool:
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

    def _touch_soon(self, namespace: str) -> None:
        """`_touch_commands` with the next batch, when due."""
        if self._touch_due(namespace):
            batcher = self.batcher()
            for command in self._touch_commands(namespace):
                batcher.post(*command)

    async def _touch(self, client: Any, namespace: str) -> None:
        pipe = client.pipeline(transaction=False)
        self._touch_into(pipe, namespace)
        await pipe.execute()

    async def _write_all(
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
        await self.script("reset")(
            keys=[keys[k] for k in ("creds", "meta", "faults", "fault-left", "fault-hits")]
            + [keys["journal"]],
            args=args,
        )
        await self._touch(client, namespace)  # the keys were made anew: their TTL too

    async def _ready(self) -> Any:
        client = self.client()
        if not self._prepared:
            try:
                await self._prepare()
            except ConfigError as exc:
                raise ApiError(503, str(exc)) from None
        return client

    # -- one API request -----------------------------------------------------------------------

    async def begin(self, method: str, path: str) -> tuple[Fault | None, Any]:
        namespace = current.get()
        if not self._prepared:
            await self._ready()
        item = path[len(ITEM_PREFIX) :] if path.startswith(ITEM_PREFIX) else ""
        if "/" in item:
            item = ""
        complete = path == LIST_PATH and method == "GET"
        known = self._known.get(namespace)
        if (
            known is not None
            and known.gen
            and known.fgen
            and not complete
            and (not item or item in known.cache)
            and not any(fault.matches(method, path) for fault in known.faults)
        ):  # one round trip, in `handle`
            self._touch_soon(namespace)
            self.speculated += 1
            return None, Ticket(namespace, b"", speculative=True, fgen=known.fgen, item=item)
        keys = keys_for(namespace)
        client = self.client()
        try:
            for _ in range(2):
                pipe = client.pipeline(transaction=False)
                pipe.hmget(keys["meta"], "gen", "fgen")
                if item:
                    pipe.hget(keys["creds"], item)
                elif complete:
                    pipe.hgetall(keys["creds"])
                if self._touch_due(namespace):
                    self._touch_into(pipe, namespace)
                results = await pipe.execute()
                gen, fgen = results[0]
                if gen is not None:
                    break
                await self._ensure(client, namespace)  # new, or lost with a Redis restart
            else:  # pragma: no cover - seeded just before
                raise ApiError(503, f"The namespace {namespace!r} could not be created.")
            ticket = Ticket(namespace, gen)
            if item:
                ticket.fetched[item] = results[1]
            elif complete:
                ticket.fetched = {k.decode(): v for k, v in results[1].items()}
                ticket.complete = True
            known = await self._refresh(client, namespace, gen, fgen)
            self._cache(known, ticket.fetched)
            fault = await self._take_fault(client, namespace, known, method, path)
        except RedisError as exc:
            raise self.unavailable(exc) from None
        return fault, ticket

    async def _refresh(self, client: Any, namespace: str, gen: bytes, fgen: bytes) -> Known:
        """This process's copy of the namespace's keys and faults, fetched when they changed."""
        keys = keys_for(namespace)
        known = await self._known_for(client, namespace)
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

    async def _known_for(self, client: Any, namespace: str) -> Known:
        """This process's `Known` of `namespace`; a new one first drops those of namespaces
        that expired, so they stay as many as there can be namespaces."""
        known = self._known.get(namespace)
        if known is None:
            if len(self._known) > self.config.max_namespaces:
                alive = {n.decode() for n in await client.zrange(NAMESPACES, 0, -1)}
                for name in [n for n in self._known if n != DEFAULT and n not in alive]:
                    del self._known[name]
            known = self._known[namespace] = Known()
        return known

    async def _take_fault(
        self, client: Any, namespace: str, known: Known, method: str, path: str
    ) -> Fault | None:
        keys = keys_for(namespace)
        for fault in known.faults:
            if fault.matches(method, path):
                taken = await self.script("take")(
                    keys=[keys["faults"], keys["fault-left"], keys["fault-hits"], keys["meta"]],
                    args=[fault.id, token()],
                )
                if taken:
                    return fault
        return None

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        try:
            return await self._handle(handler, call, ticket)
        except Restart:
            raise
        except Exception as exc:
            return failure_reply(exc, call.method, call.path)

    async def _handle(self, handler: Handler, call: Call, ticket: Ticket) -> Reply:
        if call.method in ("GET", "HEAD"):
            return await self._run(handler, call, ticket)
        # One writer per path per process at a time: the optimistic commit then only races
        # other processes, not this one's own concurrent requests.
        loop = asyncio.get_running_loop()
        name = (id(loop), ticket.namespace + call.path)
        waiting = self._writing.get(name)
        if waiting is None:
            self._writing[name] = []
        else:
            turn = loop.create_future()
            waiting.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._next_writer(name)  # it was this one's turn: the next one's now
                else:
                    waiting.remove(turn)
                raise
        try:
            return await self._run(handler, call, ticket)
        finally:
            self._next_writer(name)

    def _next_writer(self, name: tuple[int, str]) -> None:
        """The turn of the next write waiting on `name`, if any."""
        waiting = self._writing[name]
        while waiting:
            turn = waiting.pop(0)
            if not turn.done():
                turn.set_result(None)
                return
        del self._writing[name]

    async def _run(self, handler: Handler, call: Call, ticket: Ticket) -> Reply:
        client = self.client()
        keys = keys_for(ticket.namespace)
        known = self._known.get(ticket.namespace)
        if known is None:  # dropped meanwhile (its namespace had expired): from the start
            raise Restart
        if ticket.speculative:  # what this process knows now (under the path's lock)
            ticket.gen = known.gen
            if not ticket.gen:
                raise Restart
            if ticket.item in known.cache:
                ticket.fetched[ticket.item] = known.cache[ticket.item]
        keyring = known.keyring or self.keyring
        try:
            for attempt in range(ATTEMPTS):
                view = RedisView(self.template, ticket.fetched, ticket.complete, known.decoded)
                if view.decoded:
                    known.decoded.update(view.decoded)
                if attempt:  # a run again starts from the request as it came
                    call.rewind()
                try:
                    reply = handler(call, Space(view, keyring))
                except NeedFetch as need:
                    await self._fetch(client, keys, ticket, need.credential_id)
                    self._cache(known, ticket.fetched)
                    continue
                if ticket.speculative:
                    if await self._speculate(known, keys, ticket, view):
                        return reply
                    continue  # the current values are in `ticket.fetched`: run again
                if not view.changes:
                    return reply
                if await self._eval("commit", [keys["creds"]], commit_args(view)):
                    self._cache(known, view.changes, view.written)
                    return reply
                # Something it read changed meanwhile: read again, run again.
                await self._fetch(client, keys, ticket, None if ticket.complete else "")
                self._cache(known, ticket.fetched)
                await asyncio.sleep(random.random() * 0.0005 * attempt)
        except RedisError as exc:
            raise self.unavailable(exc) from None
        raise ApiError(
            503,
            f"{call.method} {call.path} lost {ATTEMPTS} races for the same credential with "
            "other requests; retry it.",
        )

    async def _speculate(
        self, known: Known, keys: dict[str, str], ticket: Ticket, view: RedisView
    ) -> bool:
        """Check what the run assumed and apply its changes, in one script: True when done;
        False when a credential it read had changed (`ticket.fetched` now holds the current
        values); `Restart` when the namespace or its faults changed."""
        result = await self._eval(
            "speculate",
            [keys["creds"], keys["meta"]],
            speculate_args(ticket.gen, ticket.fgen, view),
        )
        if result == 1:
            self._cache(known, view.changes, view.written)
            return True
        gen, fgen, *values = result[1:]
        fresh = {cid: value or None for cid, value in zip(view.read, values, strict=True)}
        ticket.fetched.update(fresh)
        self._cache(known, fresh)
        if gen != ticket.gen or fgen != ticket.fgen:
            # Forget the stale generations: `begin` fetches them again (and the faults).
            if gen != ticket.gen and known.gen == ticket.gen:
                known.gen = b""
            if fgen != ticket.fgen and known.fgen == ticket.fgen:
                known.fgen = b""
            self.restarts += 1
            raise Restart
        self.stale += 1
        return False

    async def _eval(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script with this event loop's next batch (loaded again when Redis lost
        it, e.g. after a restart)."""
        script = self.script(name)
        batcher = self.batcher()
        try:
            return await batcher.call("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.client().script_load(script.script)
            return await batcher.call("EVALSHA", script.sha, len(keys), *keys, *args)

    def _cache(
        self,
        known: Known,
        values: dict[str, bytes | None],
        written: dict[str, StoredCredential] | None = None,
    ) -> None:
        """Remember the last raw value seen of each credential, and the credentials this
        process `written` (bounded: CACHE_SIZE over every namespace; full, every cache starts
        again empty)."""
        if self._cached + len(values) > CACHE_SIZE:
            for each in self._known.values():
                each.cache.clear()
                each.decoded.clear()
            self._cached = 0
            if len(values) > CACHE_SIZE:
                return
        cache, decoded = known.cache, known.decoded
        before = len(cache)
        cache.update(values)
        self._cached += len(cache) - before
        for cid, raw in values.items():
            credential = written.get(cid) if written else None
            if raw is not None and credential is not None:
                decoded[cid] = (raw, credential)
            elif decoded:
                decoded.pop(cid, None)

    @staticmethod
    async def _fetch(
        client: Any, keys: dict[str, str], ticket: Ticket, credential_id: str | None
    ) -> None:
        """Fetch one more credential (`credential_id`), everything (None), or again what was
        read ("")."""
        if credential_id is None:
            everything = await client.hgetall(keys["creds"])
            ticket.fetched = {k.decode(): v for k, v in everything.items()}
            ticket.complete = True
            return
        wanted = [credential_id] if credential_id else list(ticket.fetched)
        if wanted:
            values = await client.hmget(keys["creds"], wanted)
            ticket.fetched.update(zip(wanted, values, strict=True))

    async def record(self, entry: JournalEntry, ticket: Any) -> None:
        namespace = current.get()
        keys = keys_for(namespace)
        try:
            if ticket is None and not await self.client().exists(keys["meta"]):
                return  # no `begin` (a 413) for a namespace that does not exist: not made here
            known = self._known.get(namespace)
            keyring = known.keyring if known is not None and known.keyring else self.keyring
            ttl = None if namespace == DEFAULT else math.ceil(self.config.namespace_ttl)
            self._touch_soon(namespace)
            raw = orjson.dumps(live_view(bounded(entry), keyring.name_of))
            # Returns once written (with the entries of concurrent requests, in one batch);
            # numbered in the namespace's `jcount` as it is appended.
            await self.batcher().append(
                keys["journal"], raw, JOURNAL_SIZE, ttl, counter=keys["meta"]
            )
        except RedisError as exc:  # the answer is already sent; the entry is lost
            log.warning("Journal entry not written to the store: %s.", type(exc).__name__)

    # -- the admin API -------------------------------------------------------------------------

    async def _admin(self) -> tuple[Any, dict[str, str]]:
        """The client and the keys of the caller's namespace (created on first use)."""
        client, namespace = await self._ready(), current.get()
        try:
            await self._ensure(client, namespace)
            await self._touch(client, namespace)
        except RedisError as exc:
            raise self.unavailable(exc) from None
        self._touched.pop(namespace, None)  # keys it makes get their TTL with the next request
        return client, keys_for(namespace)

    async def reset(self) -> None:
        client, _ = await self._admin()
        try:
            await self.batcher().flush()  # this process's journal entries first: cleared too
            await self._write_all(client, current.get(), self.runtime.fixtures, self.seeds(), False)
        except RedisError as exc:
            raise self.unavailable(exc) from None

    async def load(self, loaded: FixtureSet) -> None:
        client, _ = await self._admin()
        seeds = self.template.from_seeds(loaded.credentials)
        try:
            await self._write_all(client, current.get(), loaded, seeds, False, keep_extras=True)
        except RedisError as exc:
            raise self.unavailable(exc) from None

    async def view(self) -> StateView:
        client, keys = await self._admin()
        try:
            raw, creds = (
                await client.hget(keys["meta"], "fixtures"),
                await client.hgetall(keys["creds"]),
            )
        except RedisError as exc:
            raise self.unavailable(exc) from None
        fixtures = fixtures_from_json(raw, self.runtime.fixtures.source)
        encryptor = self.template.encryptor
        return fixtures, [decode(v, encryptor) for v in creds.values()]

    async def journal(self) -> list[dict[str, Any]]:
        client, keys = await self._admin()
        try:
            await self.batcher().flush()  # every request of this process answered so far
            entries = await client.lrange(keys["journal"], 0, -1)
        except RedisError as exc:
            raise self.unavailable(exc) from None
        return [_admin_view(orjson.loads(e)) for e in entries]

    async def live_journal(self) -> LiveJournal:
        await self._admin()  # made on first use, as every admin call
        return RedisTail(self, current.get())

    async def clear_journal(self) -> None:
        client, keys = await self._admin()
        try:
            await self.batcher().flush()  # entries of requests answered before: cleared too
            pipe = client.pipeline(transaction=True)
            pipe.delete(keys["journal"])
            pipe.hincrby(keys["meta"], "jcleared", 1)  # the live stream says `cleared`
            await pipe.execute()
        except RedisError as exc:
            raise self.unavailable(exc) from None

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
        try:
            fid = await client.incr("credkit:fault-id")
            pipe = client.pipeline(transaction=True)
            pipe.hset(keys["faults"], str(fid), orjson.dumps(spec))
            if count is not None:
                pipe.hset(keys["fault-left"], str(fid), count)
            pipe.hset(keys["meta"], "fgen", token())
            await pipe.execute()
        except RedisError as exc:
            raise self.unavailable(exc) from None
        return Fault(fid, spec["method"], path, status, count, latency_ms).view()

    async def faults(self) -> list[dict[str, Any]]:
        client, keys = await self._admin()
        try:
            pipe = client.pipeline(transaction=True)
            pipe.hgetall(keys["faults"])
            pipe.hgetall(keys["fault-left"])
            pipe.hgetall(keys["fault-hits"])
            defined, left, hits = await pipe.execute()
        except RedisError as exc:
            raise self.unavailable(exc) from None
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
        try:
            pipe = client.pipeline(transaction=True)
            pipe.delete(keys["faults"], keys["fault-left"], keys["fault-hits"])
            pipe.hset(keys["meta"], "fgen", token())
            await pipe.execute()
        except RedisError as exc:
            raise self.unavailable(exc) from None

    async def remove_fault(self, fault_id: int) -> bool:
        client, keys = await self._admin()
        try:
            pipe = client.pipeline(transaction=True)
            pipe.hdel(keys["faults"], str(fault_id))
            pipe.hdel(keys["fault-left"], str(fault_id))
            pipe.hdel(keys["fault-hits"], str(fault_id))
            pipe.hset(keys["meta"], "fgen", token())
            removed, *_ = await pipe.execute()
        except RedisError as exc:
            raise self.unavailable(exc) from None
        return bool(removed)

    async def namespaces(self) -> list[dict[str, Any]]:
        client, _ = await self._admin()
        try:
            await client.zremrangebyscore(
                NAMESPACES, "-inf", time.time() - self.config.namespace_ttl
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
        except RedisError as exc:
            raise self.unavailable(exc) from None
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

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        batcher = self._batchers.pop(loop, None)
        if batcher is not None:
            try:
                await batcher.flush()  # the journal entries still queued
            except RedisError as exc:
                log.warning("Journal entries not written to the store: %s.", type(exc).__name__)
            await batcher.close()
        self._scripts.pop(loop, None)
        if loop is self._loop:
            self._loop = None
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose(close_connection_pool=True)


def _admin_view(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored entry as `GET /__admin/requests` shows it (the same fields as in memory)."""
    stored.pop("key", None)
    stored.pop("answer", None)
    return stored


class RedisTail:
    """`LiveJournal` of a namespace on Redis: every process's requests, in the order they
    were journaled."""

    def __init__(self, backend: RedisBackend, namespace: str) -> None:
        self.backend = backend
        self.namespace = namespace

    async def tail(self, seen: int, limit: int) -> Tail:
        keys = keys_for(self.namespace)
        try:
            recorded, held, cleared, raw = await self.backend.script("tail")(
                keys=[keys["meta"], keys["journal"]], args=[seen, limit]
            )
        except RedisError as exc:
            raise self.backend.unavailable(exc) from None
        first = recorded - len(raw) + 1
        batch = [(first + i, orjson.loads(e)) for i, e in enumerate(raw)]
        return Tail(recorded, held, cleared, batch)
