"""Concurrency: many simultaneous writes to the same credentials lose nothing and break nothing.

Each scenario runs in-process (httpx over ASGITransport, all requests in flight at once on one
event loop) and against a real `credkit serve` process (up to 100 parallel connections).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import live
from tests.hardening.conftest import AUTH, CRED, plain
from tests.inprocess import asgi_client

PUTS = 300


async def _gather_limited(coros: list[Any], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def _merge_distinct_keys(http: httpx.AsyncClient, count: int, limit: int) -> list[int]:
    puts = [
        http.put(
            f"/api/v1/credentials/{CRED}", json={"plainDataObj": {f"key{i:04d}": i}}, headers=AUTH
        )
        for i in range(count)
    ]
    responses = await _gather_limited(puts, limit)
    return [r.status_code for r in responses]


def test_concurrent_puts_to_one_credential_keep_every_key(app: Any) -> None:
    async def scenario() -> list[int]:
        async with asgi_client(app) as http:
            return await _merge_distinct_keys(http, PUTS, PUTS)

    statuses = asyncio.run(scenario())
    assert Counter(statuses) == {200: PUTS}
    data = plain(app)
    assert {k: v for k, v in data.items() if k.startswith("key")} == {
        f"key{i:04d}": i for i in range(PUTS)
    }
    assert data["openAIApiKey"] == "sk-fake-credkit-0000000000000000"


async def _mixed_lifecycle(
    http: httpx.AsyncClient, ids: list[str], ops: int, limit: int, seed: int
) -> dict[str, Any]:
    """Random concurrent PUT/GET/DELETE on `ids` (DELETEs only on the first half, a few times
    each, racing the PUTs); return every answer and the final state."""
    rng = random.Random(seed)
    plan: list[tuple[str, str, int]] = []
    for n in range(ops):
        kind = rng.choices(["put", "get", "delete"], weights=[6, 3, 1])[0]
        pool = ids[: len(ids) // 2] if kind == "delete" else ids
        plan.append((kind, rng.choice(pool), n))
    rng.shuffle(plan)

    async def one(kind: str, cid: str, n: int) -> tuple[str, str, int, int]:
        url = f"/api/v1/credentials/{cid}"
        if kind == "put":
            response = await http.put(url, json={"plainDataObj": {f"mix{n:05d}": n}}, headers=AUTH)
        elif kind == "get":
            response = await http.get(url, headers=AUTH)
        else:
            response = await http.delete(url, headers=AUTH)
        return kind, cid, n, response.status_code

    results = await _gather_limited([one(*p) for p in plan], limit)
    finals = {cid: await http.get(f"/api/v1/credentials/{cid}", headers=AUTH) for cid in ids}
    listed = await http.get("/api/v1/credentials", headers=AUTH)
    return {"results": results, "finals": finals, "listed": listed}


def _check_mixed(outcome: dict[str, Any]) -> None:
    statuses = Counter(status for *_, status in outcome["results"])
    assert set(statuses) <= {200, 404}, statuses
    deleted: dict[str, int] = Counter()
    put_ok: dict[str, set[int]] = defaultdict(set)
    for kind, cid, n, status in outcome["results"]:
        if kind == "delete" and status == 200:
            deleted[cid] += 1
        if kind == "put" and status == 200:
            put_ok[cid].add(n)
    assert all(count == 1 for count in deleted.values()), deleted  # each id deleted at most once
    ids = list(outcome["finals"])
    assert set(deleted) == set(ids[: len(ids) // 2]), "the plan deletes every id of the first half"
    racing = [(c, s) for kind, c, _, s in outcome["results"] if kind == "put" and c in deleted]
    assert {s for _, s in racing} == {200, 404}, "PUTs raced DELETEs: some before, some after"
    listed_ids = {c["id"] for c in outcome["listed"].json()}
    for cid, final in outcome["finals"].items():
        if deleted[cid]:
            assert final.status_code == 404 and cid not in listed_ids
        else:
            # never deleted: every PUT was answered 200 and every key it sent is there
            assert final.status_code == 200 and cid in listed_ids
            ops = {int(k[3:]) for k in final.json()["plainDataObj"] if k.startswith("mix")}
            assert ops == put_ok[cid]
            assert not any(
                kind == "put" and c == cid and s != 200 for kind, c, _, s in outcome["results"]
            )


async def _create(http: httpx.AsyncClient, count: int) -> list[str]:
    body = {
        "name": "concurrency",
        "credentialName": "openAIApi",
        "plainDataObj": {"openAIApiKey": "sk-c"},
    }
    made = await asyncio.gather(
        *(http.post("/api/v1/credentials", json=body, headers=AUTH) for _ in range(count))
    )
    assert all(r.status_code == 200 for r in made), [r.text for r in made if r.status_code != 200][
        :3
    ]
    ids = [r.json()["id"] for r in made]
    assert len(set(ids)) == count, "two concurrent creates got the same id"
    return ids


def test_concurrent_create_update_delete_in_process(app: Any) -> None:
    async def scenario() -> dict[str, Any]:
        async with asgi_client(app) as http:
            ids = await _create(http, 20)
            return await _mixed_lifecycle(http, ids, 600, 600, seed=1)

    _check_mixed(asyncio.run(scenario()))


# --- against a real server process ----------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[live.LiveServer]:
    log = tmp_path_factory.mktemp("concurrency") / "server.log"
    with live.running(log, "--log-level", "warning") as running:
        yield running


def _live_client(server: live.LiveServer) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits)


@pytest.mark.e2e
def test_concurrent_puts_live_keep_every_key(server: live.LiveServer) -> None:
    async def scenario() -> tuple[list[int], dict[str, Any]]:
        async with _live_client(server) as http:
            statuses = await _merge_distinct_keys(http, PUTS, 100)
            got = await http.get(f"/api/v1/credentials/{CRED}", headers=AUTH)
            return statuses, got.json()

    statuses, credential = asyncio.run(scenario())
    assert Counter(statuses) == {200: PUTS}
    data = credential["plainDataObj"]
    assert {k: v for k, v in data.items() if k.startswith("key")} == {
        f"key{i:04d}": i for i in range(PUTS)
    }


@pytest.mark.e2e
def test_concurrent_create_update_delete_live(server: live.LiveServer, tmp_path: Path) -> None:
    async def scenario() -> dict[str, Any]:
        async with _live_client(server) as http:
            ids = await _create(http, 20)
            return await _mixed_lifecycle(http, ids, 600, 100, seed=2)

    _check_mixed(asyncio.run(scenario()))
    assert server.alive()
