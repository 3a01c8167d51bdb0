"""One API request on Redis: the optimistic path (`Requests`).

A request, when this process knows the namespace's generations and the last raw value of the
credential its path names, and no fault it knows of matches (the usual case), costs one round
trip: `begin` makes none; `handle` runs the profile over the cached values, then `SPECULATE`
checks in Redis that the generations and every credential read are still the ones assumed and
applies the changes. When something differs nothing is written: the cache takes the current
values and the profile runs again, or, when the faults or the namespace changed (a fault may
now apply), `Restart` sends the request back to `begin` (`exchange` does, at most RESTARTS
times). Otherwise (a listing, a credential not seen yet, a fault that matches): `begin`
fetches, in one round trip, the namespace's generations and the credential its path names
(every credential for a listing), and takes the injected fault it matches (a counted fault is
decremented in Redis, so it fires exactly `count` times across processes) → `handle` runs the
profile over what was fetched, then commits its changes with `COMMIT`, which checks nothing it
read has changed since (else it runs again on fresh data). `record` queues the masked journal
entry (numbered in Redis as it is appended, so the dashboard's stream reads every process's
requests from there). The commits and journal entries of concurrent requests go to Redis
together, one pipeline at a time (`mockserver.stores.redis.batch.Batcher`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.exceptions import RedisError

from mockserver.auth import KeyRing
from mockserver.faults import Fault
from mockserver.journal import JournalEntry, bounded, live_view
from mockserver.requests import Call
from mockserver.responses import ApiError, Reply, error_reply, failure_reply
from mockserver.space import DEFAULT, Space, current
from mockserver.store import Store, StoredCredential
from mockserver.stores.base import Attempt, Handler, Restart
from mockserver.stores.redis.connection import Connection
from mockserver.stores.redis.layout import (
    NeedFetch,
    RedisView,
    commit_args,
    keys_for,
    speculate_args,
    token,
)
from mockserver.stores.redis.namespaces import Known, Namespaces

__all__ = ["Requests", "Ticket"]

log = logging.getLogger("credkit")

ITEM_PREFIX = "/api/v1/credentials/"
LIST_PATH = "/api/v1/credentials"
JOURNAL_SIZE = 1000
ATTEMPTS = 50  # runs of one request before it gives up on a hot credential (503)
RESTARTS = 5  # times one request starts again (`Restart`) before it answers 503
CACHE_SIZE = 50_000  # raw credential values a process remembers, over all namespaces


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


class Requests:
    """The API's requests on one Redis database, as this process serves them."""

    def __init__(self, conn: Connection, spaces: Namespaces, template: Store) -> None:
        self.conn = conn
        self.spaces = spaces
        self.template = template  # empty: its encryptor and catalog serve the views
        # the keys until a namespace's own are read (a namespace always has them by then)
        self.keyring = KeyRing(spaces.runtime.fixtures.api_keys)
        self._cached = 0  # entries in every Known.cache (at most CACHE_SIZE)
        # For the tests and the bench: requests begun with no round trip (the cache), runs of
        # them that found a value changed, and those sent back to `begin`.
        self.speculated = self.stale = self.restarts = 0
        # (loop, namespace + path) -> the writes waiting for their turn (one at a time)
        self._writing: dict[tuple[int, str], list[asyncio.Future[None]]] = {}

    async def exchange(self, method: str, path: str, attempt: Attempt) -> tuple[Reply, Any]:
        """`attempt` after `begin`, again from `begin` when the namespace or its faults
        changed meanwhile (`Restart`); 503 after RESTARTS of those in a row."""
        ticket: Ticket | None = None
        for _ in range(RESTARTS):
            fault, ticket = await self.begin(method, path)
            try:
                return await attempt(fault, ticket), ticket
            except Restart:  # another process changed the namespace or its faults: again
                continue
        reply = error_reply(
            503,
            f"{method} {path} found the namespace changed by other requests "
            f"{RESTARTS} times in a row; retry it.",
        )
        return reply, ticket

    async def begin(self, method: str, path: str) -> tuple[Fault | None, Any]:
        namespace = current.get()
        if not self.spaces.prepared:
            await self.spaces.ready()
        item = path[len(ITEM_PREFIX) :] if path.startswith(ITEM_PREFIX) else ""
        if "/" in item:
            item = ""
        complete = path == LIST_PATH and method == "GET"
        known = self.spaces.known.get(namespace)
        if (
            known is not None
            and known.gen
            and known.fgen
            and not complete
            and (not item or item in known.cache)
            and not any(fault.matches(method, path) for fault in known.faults)
        ):  # one round trip, in `handle`
            self.spaces.touch_soon(namespace)
            self.speculated += 1
            return None, Ticket(namespace, b"", speculative=True, fgen=known.fgen, item=item)
        keys = keys_for(namespace)
        client = self.conn.client()
        with self.conn.guard():
            for _ in range(2):
                pipe = client.pipeline(transaction=False)
                pipe.hmget(keys["meta"], "gen", "fgen")
                if item:
                    pipe.hget(keys["creds"], item)
                elif complete:
                    pipe.hgetall(keys["creds"])
                if self.spaces.touch_due(namespace):
                    self.spaces.touch_into(pipe, namespace)
                results = await pipe.execute()
                gen, fgen = results[0]
                if gen is not None:
                    break
                await self.spaces.ensure(client, namespace)  # new, or lost with a Redis restart
            else:  # pragma: no cover - seeded just before
                raise ApiError(503, f"The namespace {namespace!r} could not be created.")
            ticket = Ticket(namespace, gen)
            if item:
                ticket.fetched[item] = results[1]
            elif complete:
                ticket.fetched = {k.decode(): v for k, v in results[1].items()}
                ticket.complete = True
            known = await self.spaces.refresh(client, namespace, gen, fgen)
            self._cache(known, ticket.fetched)
            fault = await self._take_fault(client, namespace, known, method, path)
        return fault, ticket

    async def _take_fault(
        self, client: Any, namespace: str, known: Known, method: str, path: str
    ) -> Fault | None:
        keys = keys_for(namespace)
        for fault in known.faults:
            if fault.matches(method, path):
                taken = await self.conn.script("take")(
                    keys=[keys["faults"], keys["fault-left"], keys["fault-hits"], keys["meta"]],
                    args=[fault.id, token()],
                )
                if taken:
                    return fault
        return None

    async def handle(self, handler: Handler, call: Call, ticket: Any) -> Reply:
        """`_run`, one writer per path per process at a time."""
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
        """`handler(call, space)` over what `ticket` fetched (or the cache), its changes
        committed; again on fresher data when what it read changed. An exception of the
        profile's is answered in the error shape (`failure_reply`); `Restart` goes through."""
        try:
            client = self.conn.client()
            keys = keys_for(ticket.namespace)
            known = self.spaces.known.get(ticket.namespace)
            if known is None:  # dropped meanwhile (its namespace had expired): from the start
                raise Restart
            if ticket.speculative:  # what this process knows now (under the path's lock)
                ticket.gen = known.gen
                if not ticket.gen:
                    raise Restart
                if ticket.item in known.cache:
                    ticket.fetched[ticket.item] = known.cache[ticket.item]
            keyring = known.keyring or self.keyring
            with self.conn.guard():
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
                    if await self.conn.eval("commit", [keys["creds"]], commit_args(view)):
                        self._cache(known, view.changes, view.written)
                        return reply
                    # Something it read changed meanwhile: read again, run again.
                    await self._fetch(client, keys, ticket, None if ticket.complete else "")
                    self._cache(known, ticket.fetched)
                    await asyncio.sleep(random.random() * 0.0005 * attempt)
            raise ApiError(
                503,
                f"{call.method} {call.path} lost {ATTEMPTS} races for the same credential with "
                "other requests; retry it.",
            )
        except Restart:
            raise
        except Exception as exc:
            return failure_reply(exc, call.method, call.path)

    async def _speculate(
        self, known: Known, keys: dict[str, str], ticket: Ticket, view: RedisView
    ) -> bool:
        """Check what the run assumed and apply its changes, in one script: True when done;
        False when a credential it read had changed (`ticket.fetched` now holds the current
        values); `Restart` when the namespace or its faults changed."""
        result = await self.conn.eval(
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
            for each in self.spaces.known.values():
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
            if ticket is None and not await self.conn.client().exists(keys["meta"]):
                return  # no `begin` (a 413) for a namespace that does not exist: not made here
            known = self.spaces.known.get(namespace)
            keyring = known.keyring if known is not None and known.keyring else self.keyring
            ttl = None if namespace == DEFAULT else math.ceil(self.spaces.config.namespace_ttl)
            self.spaces.touch_soon(namespace)
            raw = orjson.dumps(live_view(bounded(entry), keyring.name_of))
            # Returns once written (with the entries of concurrent requests, in one batch);
            # numbered in the namespace's `jcount` as it is appended.
            await self.conn.batcher().append(
                keys["journal"], raw, JOURNAL_SIZE, ttl, counter=keys["meta"]
            )
        except RedisError as exc:  # the answer is already sent; the entry is lost
            log.warning("Journal entry not written to the store: %s.", type(exc).__name__)
