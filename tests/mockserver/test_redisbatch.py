"""`mockserver.stores.redis.batch.Batcher`, and the journal the Redis store writes through it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from mockserver.stores.redis.batch import Batcher
from tests.inprocess import asgi_client
from tests.mockserver.conftest import app_factory
from tests.redisserver import RedisServer


def test_concurrent_commands_go_in_one_batch_each_with_its_own_reply(redis_url: str) -> None:
    async def run() -> tuple[list[Any], Batcher]:
        client = aioredis.Redis.from_url(redis_url)
        batcher = Batcher(client, asyncio.get_running_loop())
        replies = await asyncio.gather(
            batcher.call("SET", "k", "v"),
            batcher.call("LPUSH", "k", "x"),  # the wrong type: this one fails, alone
            batcher.call("GET", "k"),
            return_exceptions=True,
        )
        await client.aclose()
        return replies, batcher

    replies, batcher = asyncio.run(run())
    assert replies[0] == b"OK" and replies[2] == b"v"  # the raw replies
    assert isinstance(replies[1], ResponseError)
    assert (batcher.batches, batcher.sent) == (1, 3)


def test_without_redis_every_caller_gets_the_connection_error(tmp_path: Any) -> None:
    server = RedisServer(tmp_path)  # never started

    async def run() -> list[Any]:
        client = aioredis.Redis.from_url(server.url, socket_connect_timeout=2)
        batcher = Batcher(client, asyncio.get_running_loop())
        replies = await asyncio.gather(
            batcher.call("GET", "k"),
            batcher.append("log", b"entry", 10, None),
            batcher.flush(),
            return_exceptions=True,
        )
        await client.aclose()
        return replies

    assert all(isinstance(reply, RedisConnectionError) for reply in asyncio.run(run()))


def test_appended_entries_are_written_in_order_and_bounded(redis_url: str) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url)
        batcher = Batcher(client, asyncio.get_running_loop())
        await asyncio.gather(*(batcher.append("log", b"%d" % i, 5, 60) for i in range(12)))
        await batcher.append("log", b"last", 5, 60)
        await client.aclose()

    asyncio.run(run())
    raw = redis.Redis.from_url(redis_url)
    assert raw.lrange("log", 0, -1) == [b"8", b"9", b"10", b"11", b"last"]
    assert 0 < raw.ttl("log") <= 60
    raw.close()


def test_the_journal_of_concurrent_requests_is_complete_bounded_and_batched(
    redis_url: str,
) -> None:
    app = app_factory(redis_url)()

    async def run(count: int) -> tuple[list[int], list[dict[str, Any]], Batcher]:
        async with asgi_client(app) as http:
            answers = await asyncio.gather(
                *(http.get(f"/ns/team/api/v1/nothing-{i}") for i in range(count))
            )
            entries = (await http.get("/ns/team/__admin/requests")).json()
        batcher = app.backend.batcher()
        await app.backend.close()
        return [a.status_code for a in answers], entries, batcher

    statuses, entries, batcher = asyncio.run(run(300))
    assert statuses == [404] * 300
    assert sorted(e["path"] for e in entries) == sorted(f"/api/v1/nothing-{i}" for i in range(300))
    assert batcher.batches < 100  # several requests' entries (and commits) per round trip
    statuses, entries, _ = asyncio.run(run(1100))
    paths = [e["path"] for e in entries]
    assert len(paths) == 1000 and len(set(paths)) == 1000  # the newest 1,000 of 1,400
    raw = redis.Redis.from_url(redis_url)
    assert raw.ttl("credkit:{team}:journal") > 0  # the namespace's journal expires too
    raw.close()


@pytest.mark.parametrize("admin", ["journal", "clear"])
def test_the_admin_api_sees_entries_still_queued(redis_url: str, admin: str) -> None:
    app = app_factory(redis_url)()

    async def run() -> list[dict[str, Any]]:
        batcher = app.backend.batcher()
        start = batcher._start
        batcher._start = lambda: None  # type: ignore[method-assign]  # as while a batch is sent
        key = "credkit:{default}:journal"
        # queued, as by requests whose answers were sent
        queued = [asyncio.ensure_future(batcher.append(key, b"{}", 1000, None)) for _ in range(3)]
        await asyncio.sleep(0)
        batcher._start = start  # type: ignore[method-assign]
        if admin == "clear":
            await app.backend.clear_journal()
        entries = await app.backend.journal()
        await app.backend.close()
        await asyncio.gather(*queued)
        return entries

    assert len(asyncio.run(run())) == (3 if admin == "journal" else 0)


def test_close_sends_what_is_queued(redis_url: str) -> None:
    app = app_factory(redis_url)()

    async def run() -> None:
        app.backend.batcher().post("RPUSH", "queued", "entry")
        await app.backend.close()

    asyncio.run(run())
    raw = redis.Redis.from_url(redis_url)
    assert raw.lrange("queued", 0, -1) == [b"entry"]
    raw.close()


def test_a_counted_list_and_its_count_agree_and_a_gone_counter_is_not_made(
    redis_url: str,
) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url)
        await client.hset("meta", "gen", "g1")
        batcher = Batcher(client, asyncio.get_running_loop())
        await asyncio.gather(
            *(batcher.append("log", b"%d" % i, 5, 60, counter="meta") for i in range(8))
        )
        await batcher.append("log", b"8", 5, 60, counter="meta")
        # the last entry held is number jcount; the list keeps its bound and gets its TTL
        assert await client.hget("meta", "jcount") == b"9"
        assert await client.lrange("log", 0, -1) == [b"4", b"5", b"6", b"7", b"8"]
        assert 0 < await client.ttl("log") <= 60
        await batcher.append("other", b"x", 5, None, counter="gone")
        assert not await client.exists("gone")  # an expired namespace is not half made again
        await client.aclose()

    asyncio.run(run())
