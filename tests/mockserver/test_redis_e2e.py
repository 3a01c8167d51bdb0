"""Real `credkit serve` processes on one real Redis: no lost update, consistent answers,
`--workers`, and the one-line refusals (exit 2)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from credkit_cli import cli
from tests import live
from tests.redisserver import RedisServer

Served = live.LiveServer

FULL = {"Authorization": "Bearer YOUR_API_KEY"}
CRED = "/api/v1/credentials/cred-789"
PASS = ("--secret-key", "e2e-passphrase")

pytestmark = pytest.mark.e2e


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(live.start(tmp_path / f"serve-{len(started)}.log", *args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def test_400_concurrent_partial_puts_over_two_processes_keep_every_key(
    serve: Callable[..., Served],
    redis_url: str,
) -> None:
    one, two = serve("--store", redis_url, *PASS), serve("--store", redis_url, *PASS)

    async def run() -> list[int]:
        limits = httpx.Limits(max_connections=50)
        async with (
            httpx.AsyncClient(base_url=one.url, limits=limits, timeout=60) as a,
            httpx.AsyncClient(base_url=two.url, limits=limits, timeout=60) as b,
        ):
            answers = await asyncio.gather(
                *(
                    (a, b)[i % 2].put(CRED, json={"plainDataObj": {f"k{i}": i}}, headers=FULL)
                    for i in range(400)
                )
            )
        return [r.status_code for r in answers]

    assert asyncio.run(run()) == [200] * 400
    for served in (one, two):
        data = httpx.get(served.url + CRED, headers=FULL).json()["plainDataObj"]
        assert all(data[f"k{i}"] == i for i in range(400))


def test_mixed_put_get_delete_over_two_processes_is_consistent(
    serve: Callable[..., Served],
    redis_url: str,
) -> None:
    one, two = serve("--store", redis_url, *PASS), serve("--store", redis_url, *PASS)
    body = {"name": "m", "credentialName": "openAIApi", "plainDataObj": {"openAIApiKey": "s"}}
    ids = [
        httpx.post(one.url + "/api/v1/credentials", json=body, headers=FULL).json()["id"]
        for _ in range(20)
    ]
    doomed = set(ids[:10])
    plan = [("PUT", cid, n) for cid in ids for n in range(8)]
    plan += [("GET", cid, 0) for cid in ids for _ in range(4)]
    plan += [("DELETE", cid, 0) for cid in doomed]
    random.Random(7).shuffle(plan)

    async def run() -> list[tuple[str, str, int, int]]:
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=60) as a,
            httpx.AsyncClient(base_url=two.url, timeout=60) as b,
        ):

            async def send(i: int, method: str, cid: str, n: int) -> tuple[str, str, int, int]:
                url = f"/api/v1/credentials/{cid}"
                client = (a, b)[i % 2]
                if method == "PUT":
                    answer = await client.put(
                        url, json={"plainDataObj": {f"k{n}": n}}, headers=FULL
                    )
                elif method == "GET":
                    answer = await client.get(url, headers=FULL)
                else:
                    answer = await client.delete(url, headers=FULL)
                return method, cid, n, answer.status_code

            return await asyncio.gather(*(send(i, *step) for i, step in enumerate(plan)))

    results = asyncio.run(run())
    assert [r for r in results if r[3] not in (200, 404)] == []
    assert all(status == 200 for method, _, _, status in results if method == "DELETE")
    for method, cid, _, status in results:
        if cid not in doomed:
            assert status == 200, (method, cid)
    for cid in ids:
        for served in (one, two):
            got = httpx.get(f"{served.url}/api/v1/credentials/{cid}", headers=FULL)
            if cid in doomed:
                assert got.status_code == 404
            else:
                assert got.status_code == 200
                assert all(got.json()["plainDataObj"][f"k{n}"] == n for n in range(8))


def test_two_workers_serve_one_state(
    serve: Callable[..., Served],
    redis_url: str,
) -> None:
    served = serve("--store", redis_url, "--workers", "2", *PASS)
    assert "(2 workers)" in served.output
    for i in range(20):
        put = httpx.put(served.url + CRED, json={"plainDataObj": {f"w{i}": i}}, headers=FULL)
        assert put.status_code == 200
    data = httpx.get(served.url + CRED, headers=FULL).json()["plainDataObj"]
    assert all(data[f"w{i}"] == i for i in range(20))


@pytest.mark.parametrize(
    "args",
    [("--workers", "2"), ("--workers", "2", "--state-file", "s.jsonl")],
    ids=["memory", "state-file"],
)
def test_workers_without_a_shared_store_are_refused(args: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, ["serve", *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "needs a shared store" in lines[0]


def test_a_host_other_machines_can_reach_needs_an_admin_token() -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not loopback" in lines[0] and "--admin-token" in lines[0]


def test_redis_absent_at_start_is_one_line_and_exit_2(tmp_path: object) -> None:
    absent = RedisServer(tmp_path)  # type: ignore[arg-type]
    result = CliRunner().invoke(cli, ["serve", "--store", absent.url, *PASS])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Cannot reach the store at redis://127.0.0.1:" in lines[0]


def test_redis_stopped_and_restarted_under_a_real_server(
    serve: Callable[..., Served],
    make_redis: Callable[[], RedisServer],
) -> None:
    server = make_redis()
    served = serve("--store", server.url, *PASS)
    assert httpx.get(served.url + CRED, headers=FULL).status_code == 200
    server.stop()
    down = httpx.put(served.url + CRED, json={"name": "x"}, headers=FULL)
    assert down.status_code == 503 and down.json()["success"] is False
    assert "unavailable" in down.json()["message"]
    server.start()
    assert httpx.put(served.url + CRED, json={"name": "y"}, headers=FULL).status_code == 200
    assert "Traceback" not in served.output
