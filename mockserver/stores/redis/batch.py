"""`Batcher`: one process's Redis commands from concurrent requests, sent together.

Each request of the Redis store needs one command (its commit) and one journal entry. Sent one
by one, every command pays redis-py's full round trip in Python (a connection from the pool, a
timeout, a write, a read); with 32 requests in flight that was most of a request's CPU. Here a
request queues its command and awaits it; one sender per event loop takes everything queued
and sends it as one pipeline, and while that round trip is in flight the next batch gathers.
The sender keeps one connection of the client's pool; a batch is packed by hiredis (in C) and
its replies read by redis-py's parser under one timeout for the whole batch.

Journal entries are queued per list (`append`): a batch sends them as one RPUSH per list, then
LTRIM to the bound (and EXPIRE, for a namespace that expires); a counted list (the journal,
whose entries the dashboard's stream reads by number) as one script that also adds to the
count, atomically. `flush()` returns once everything queued before it was sent: the admin
API's journal reads, clear and reset, and `close`, call it first. A command fails with the
`RedisError` of its batch (the caller answers 503).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["Batcher"]

TIMEOUT = 5.0  # seconds for one batch's round trip (as the client's socket timeout)


@dataclass
class _List:
    """Entries queued for one Redis list."""

    values: list[bytes] = field(default_factory=list)
    bound: int = 0
    ttl: int | None = None  # seconds; None: the list never expires
    counter: str | None = None  # a hash whose `jcount` counts every value appended


# KEYS: the list, the counter hash. ARGV: bound, ttl (0: none), the values. One atomic step, so
# a reader sees the list and its count agree (the last value is number `jcount`); a counter
# hash that is gone (the namespace expired) is not made again here.
APPEND_COUNTED = """
for i = 3, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
if tonumber(ARGV[2]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HINCRBY', KEYS[2], 'jcount', #ARGV - 2) end
return #ARGV - 2
"""


class Batcher:
    """The commands and journal entries this event loop queued, sent as one pipeline at a time."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop
        self._commands: list[tuple[tuple[Any, ...], asyncio.Future[Any] | None]] = []
        self._lists: dict[str, _List] = {}
        self._waiters: list[asyncio.Future[Any]] = []  # ends with the batch that sends the lists
        self._sender: asyncio.Task[None] | None = None
        self._connection: Any = None  # the sender's, from the client's pool
        self._socket_timeout: float | None = None  # the connection's own, given back with it
        self.batches = 0  # pipelines sent (for tests and the bench)
        self.sent = 0  # commands sent in them

    def __repr__(self) -> str:
        return f"Batcher({len(self._commands)} queued, {self.batches} batches sent)"

    async def call(self, *args: Any) -> Any:
        """Send one command with the next batch; its reply (an error reply is raised)."""
        future = self.loop.create_future()
        self._commands.append((args, future))
        self._start()
        result = await future
        if isinstance(result, Exception):
            raise result
        return result

    def post(self, *args: Any) -> None:
        """Send one command with the next batch, without waiting for it (a TTL refresh)."""
        self._commands.append((args, None))
        self._start()

    async def append(
        self, key: str, value: bytes, bound: int, ttl: int | None, counter: str | None = None
    ) -> None:
        """Append `value` to the list `key`, keeping its last `bound`; with `ttl`, the list
        expires after that many seconds unless appended to again; with `counter`, the hash
        field `jcount` there counts the values, in the same atomic step. Returns once sent."""
        queued = self._lists.get(key)
        if queued is None:
            queued = self._lists[key] = _List(bound=bound, ttl=ttl, counter=counter)
        queued.values.append(value)
        await self.flush()

    async def flush(self) -> None:
        """Return once everything queued so far was sent (raises its batch's error)."""
        if not self._commands and not self._lists and not self._waiters:
            sender = self._sender
            if sender is None or sender.done():
                return
        future = self.loop.create_future()
        self._waiters.append(future)
        self._start()
        result = await future
        if isinstance(result, Exception):
            raise result

    def _start(self) -> None:
        if self._sender is None or self._sender.done():
            self._sender = self.loop.create_task(self._send_all())

    async def _send_all(self) -> None:
        while self._commands or self._lists or self._waiters:
            commands, self._commands = self._commands, []
            lists, self._lists = self._lists, {}
            waiters, self._waiters = self._waiters, []
            sent: list[tuple[Any, ...]] = []
            for key, queued in lists.items():
                if queued.counter is not None:
                    sent.append(
                        (
                            "EVAL",
                            APPEND_COUNTED,
                            2,
                            *(key, queued.counter, queued.bound, queued.ttl or 0),
                            *queued.values,
                        )
                    )
                    continue
                sent.append(("RPUSH", key, *queued.values))
                sent.append(("LTRIM", key, -queued.bound, -1))
                if queued.ttl is not None:
                    sent.append(("EXPIRE", key, queued.ttl))
            skip = len(sent)
            sent += [args for args, _ in commands]
            try:
                results = await self._round_trip(sent) if sent else []
            except asyncio.CancelledError:  # the loop is closing: nobody waits forever
                gone = RedisConnectionError("the batch was cancelled (shutting down)")
                _settle([f for _, f in commands], [gone] * len(commands))
                _settle(waiters, [gone] * len(waiters))
                raise
            except Exception as exc:  # the connection: every command of the batch failed
                results = [exc] * (skip + len(commands))
                first_error: Exception | None = exc
            else:
                first_error = next((r for r in results[:skip] if isinstance(r, Exception)), None)
            self.batches += 1
            self.sent += len(results)
            _settle([f for _, f in commands], results[skip:])
            _settle(waiters, [first_error] * len(waiters))

    async def _round_trip(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send `commands`, read their replies (an error reply in its place, as a
        `ResponseError`); the connection is dropped (and made again next time) on any error."""
        connection = self._connection
        if connection is None:
            connection = await self.client.connection_pool.get_connection()
            # One timeout over the whole batch instead of the connection's own per write
            # (which runs each write as a task of its own); given back as it was.
            self._socket_timeout = connection.socket_timeout
            connection.socket_timeout = None
            self._connection = connection
        try:
            async with asyncio.timeout(TIMEOUT):
                packed = b"".join([hiredis.pack_command(c) for c in commands])
                await connection.send_packed_command(packed, check_health=False)
                replies: list[Any] = []
                for _ in commands:
                    try:
                        replies.append(await connection.read_response(timeout=math.inf))
                    except ResponseError as exc:
                        replies.append(exc)
                return replies
        except BaseException as exc:
            await connection.disconnect(nowait=True)
            await self.close()
            if isinstance(exc, TimeoutError):
                raise RedisTimeoutError(f"No answer from Redis within {TIMEOUT:g} s") from None
            raise

    async def close(self) -> None:
        """Give the sender's connection back to the client's pool."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.socket_timeout = self._socket_timeout
            await self.client.connection_pool.release(connection)


def _settle(futures: Sequence[asyncio.Future[Any] | None], results: list[Any]) -> None:
    for future, result in zip(futures, results, strict=True):
        if future is not None and not future.done():
            future.set_result(result)
