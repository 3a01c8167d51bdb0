"""`mockserver.stores.redis` in-process: two apps on one Redis stand for two processes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from credkit_core.errors import ConfigError
from mockserver.pytest_plugin import serving
from mockserver.requests import Call
from mockserver.stores.redis import shown_url
from mockserver.stores.redis.layout import keys_for
from mockserver.stores.redis.optimistic import Ticket
from tests.mockserver.conftest import FULL, app_factory
from tests.mockserver.test_dashboard import read_events
from tests.redisserver import RedisServer

CRED = "/api/v1/credentials/cred-789"
SECRET_VALUE = "sk-very-secret-value-0042"


@pytest.fixture
def make_app(redis_url: str) -> Callable[..., Any]:
    return app_factory(redis_url)


def test_two_processes_share_credentials_keys_and_journal(make_app: Any, make_client: Any) -> None:
    one, two = make_client(make_app()), make_client(make_app())
    put = one.put(CRED, json={"plainDataObj": {"from": "one"}}, headers=FULL)
    assert put.status_code == 200
    assert two.get(CRED, headers=FULL).json()["plainDataObj"]["from"] == "one"
    loaded = {
        "workspaces": [{"id": "w9"}],
        "apiKeys": [{"key": "team-key", "workspace": "w9", "permissions": ["credentials:view"]}],
        "credentials": [],
    }
    assert one.put("/__admin/state", json=loaded).status_code == 200
    assert two.get("/api/v1/credentials", headers={"Authorization": "Bearer team-key"}).json() == []
    assert two.get("/api/v1/credentials", headers=FULL).status_code == 401
    paths = [e["path"] for e in two.get("/__admin/requests").json()]
    assert paths[:2] == [CRED, CRED] and len(paths) == 4


def test_a_counted_fault_fires_exactly_count_times_across_processes(
    make_app: Any, make_client: Any
) -> None:
    one, two = make_client(make_app()), make_client(make_app())
    assert one.get("/api/v1/ping").status_code == 200  # both know "no faults" first
    assert two.get("/api/v1/ping").status_code == 200
    added = one.post("/__admin/faults", json={"path": "/api/v1/ping", "status": 503, "count": 3})
    assert added.status_code == 201
    statuses = [(one if i % 2 else two).get("/api/v1/ping").status_code for i in range(8)]
    assert statuses.count(503) == 3 and statuses[:3] == [503] * 3
    assert two.get("/__admin/faults").json() == []
    unlimited = {"path": "/api/v1/ping", "status": 418}
    assert two.post("/__admin/faults", json=unlimited).status_code == 201
    assert one.get("/api/v1/ping").status_code == 418
    assert two.get("/__admin/faults").json()[0]["hits"] == 1
    assert one.delete("/__admin/faults").status_code == 204
    assert two.get("/api/v1/ping").status_code == 200


def test_only_ciphertext_is_stored(make_app: Any, make_client: Any, redis_url: str) -> None:
    client = make_client(make_app())
    body = {
        "name": "n",
        "credentialName": "openAIApi",
        "plainDataObj": {"openAIApiKey": SECRET_VALUE},
    }
    assert client.post("/api/v1/credentials", json=body, headers=FULL).status_code == 200
    raw = redis.Redis.from_url(redis_url)
    everything = []
    for key in raw.keys("*"):
        kind = raw.type(key)
        if kind == b"hash":
            everything += [b"%s=%s" % pair for pair in raw.hgetall(key).items()]
        elif kind == b"list":
            everything += raw.lrange(key, 0, -1)
        else:
            everything.append(raw.get(key) or b"")
    dumped = b"\n".join(everything)
    raw.close()
    assert b"U2FsdGVkX1" in dumped and SECRET_VALUE.encode() not in dumped


def test_processes_with_different_passphrases_refuse_to_share(redis_url: str) -> None:
    app_factory(redis_url)(secret_key="first")
    with pytest.raises(ConfigError, match=r"another passphrase.*same --secret-key"):
        app_factory(redis_url)(secret_key="second")


def test_a_generated_passphrase_is_shared_through_redis(redis_url: str, make_client: Any) -> None:
    one = app_factory(redis_url)(secret_key=None)
    two = app_factory(redis_url)(secret_key=None)
    assert one.runtime.passphrase_source == "generated, kept in Redis"
    made = make_client(one).post(
        "/api/v1/credentials",
        json={"name": "n", "credentialName": "openAIApi", "plainDataObj": {"a": "1"}},
        headers=FULL,
    )
    got = make_client(two).get(f"/api/v1/credentials/{made.json()['id']}", headers=FULL)
    assert got.status_code == 200 and got.json()["plainDataObj"] == {"a": "1"}


def test_the_journal_keeps_the_last_1000(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app())
    for i in range(1003):
        client.get(f"/api/v1/ping?n={i}")
    entries = client.get("/__admin/requests").json()
    assert len(entries) == 1000 and entries[-1]["query"] == {"n": "***"}


def test_concurrent_puts_through_two_processes_lose_nothing(make_app: Any) -> None:
    one, two = make_app(), make_app()

    async def run() -> list[int]:
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://127.0.0.1")
            for a in (one, two)
        ]
        responses = await asyncio.gather(
            *(
                clients[i % 2].put(CRED, json={"plainDataObj": {f"k{i}": i}}, headers=FULL)
                for i in range(200)
            )
        )
        for c in clients:
            await c.aclose()
        for a in (one, two):
            await a.backend.close()
        return [r.status_code for r in responses]

    assert asyncio.run(run()) == [200] * 200
    client = app_factory(one.runtime.config.store)()
    data = asyncio.run(_view(client))
    assert all(data[f"k{i}"] == i for i in range(200))


async def _view(app: Any) -> dict[str, Any]:
    _, credentials = await app.backend.view()
    await app.backend.close()
    return next(dict(c.data) for c in credentials if c.id == "cred-789")


def test_redis_lost_answers_503_and_recovers(make_redis: Any, make_client: Any) -> None:
    server: RedisServer = make_redis()
    client = make_client(app_factory(server.url)())
    assert client.get(CRED, headers=FULL).status_code == 200
    server.stop()
    for response in (
        client.get(CRED, headers=FULL),
        client.put(CRED, json={"name": "x"}, headers=FULL),
        client.get("/__admin/state"),
    ):
        assert response.status_code == 503
        body = response.json()
        assert set(body) == {"statusCode", "success", "message", "stack"}
        assert "is unavailable" in body["message"] and "Traceback" not in response.text
    server.start()  # empty: nothing was saved; the namespace is seeded again on first use
    assert client.get(CRED, headers=FULL).status_code == 200
    assert client.put(CRED, json={"name": "back"}, headers=FULL).json()["name"] == "back"


def test_redis_absent_at_start_is_a_config_error(tmp_path: Any) -> None:
    server = RedisServer(tmp_path)  # never started: nothing listens on its port
    with pytest.raises(ConfigError, match=r"Cannot reach the store at redis://127\.0\.0\.1"):
        app_factory(server.url)()


def test_the_url_password_is_never_shown() -> None:
    assert shown_url("redis://:hunter2@cache:6380/1") == "redis://:***@cache:6380/1"
    assert shown_url("rediss://u:p@h/0") == "rediss://u:***@h/0"
    assert shown_url("redis://h:1/0") == "redis://h:1/0"


def test_the_flowise_profile_runs_on_redis(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app(profile="flowise-3.1"))
    listed = client.get("/api/v1/credentials", headers=FULL)
    assert listed.status_code == 200 and len(listed.json()) >= 1
    put = client.put(CRED, json={"plainDataObj": {"extra": "1"}}, headers=FULL)
    assert put.status_code == 200
    assert keys_for("default")["creds"] == "credkit:{default}:creds"


def test_one_fault_is_removed_for_every_process(make_app: Any, make_client: Any) -> None:
    one, two = make_client(make_app()), make_client(make_app())
    added = one.post("/__admin/faults", json={"path": "/api/v1/ping", "status": 418}).json()
    assert two.get("/api/v1/ping").status_code == 418
    assert two.delete(f"/__admin/faults/{added['id']}").status_code == 204
    assert one.get("/api/v1/ping").status_code == 200
    assert one.delete(f"/__admin/faults/{added['id']}").status_code == 404


@pytest.mark.parametrize("prefix", ["", "/ns/team"])
def test_the_live_stream_shows_every_process_s_requests(make_app: Any, prefix: str) -> None:
    one = make_app(access_log=False, log_level="warning")
    two = make_app(access_log=False, log_level="warning")
    secret = {"plainDataObj": {"openAIApiKey": SECRET_VALUE}}
    with (
        serving(one) as url_one,
        serving(two) as url_two,
        httpx.Client(base_url=url_one, timeout=10) as http_one,
        httpx.Client(base_url=url_two, timeout=10) as http_two,
    ):
        assert http_one.get(prefix + "/api/v1/ping").status_code == 200  # the namespace exists
        with http_one.stream("GET", prefix + "/__admin/requests/stream") as stream:
            http_two.get("/api/v1/credentials/elsewhere" if prefix else "/ns/other" + CRED)
            assert http_two.put(prefix + CRED, json=secret, headers=FULL).status_code == 200
            # A journal entry goes to Redis in its process's next batch, after the answer; a
            # journal read sends it first, so the PUT is journaled before the next GET.
            assert http_two.get(prefix + "/__admin/requests").status_code == 200
            assert http_one.get(prefix + CRED).status_code == 401
            events = list(read_events(stream.iter_lines(), 3))
        journal = http_two.get(prefix + "/__admin/requests").json()
    views = [data for _, data in events]
    assert [(v["method"], v["path"], v["status"]) for v in views] == [
        ("GET", "/api/v1/ping", 200),
        ("PUT", CRED, 200),  # served by the other process
        ("GET", CRED, 401),
    ]
    assert [v["seq"] for v in views] == [1, 2, 3]
    assert views[1]["key"] and views[2]["key"] is None
    assert views[1]["body"] == {"plainDataObj": {"openAIApiKey": "***"}}
    assert set(views[1]["answer"].values()) <= {"***"}
    assert SECRET_VALUE not in json.dumps(events) and FULL["Authorization"][7:] not in str(events)
    # the admin journal shows the same entries, in the same fields as the memory store's
    assert [e["path"] for e in journal] == ["/api/v1/ping", CRED, CRED]
    assert not {"key", "answer", "seq"} & set(journal[1])


def test_the_live_stream_resumes_and_sees_a_reset_by_another_process(make_app: Any) -> None:
    one = make_app(access_log=False, log_level="warning")
    two = make_app(access_log=False, log_level="warning")
    with (
        serving(one) as url_one,
        serving(two) as url_two,
        httpx.Client(base_url=url_one, timeout=10) as http_one,
        httpx.Client(base_url=url_two, timeout=10) as http_two,
    ):
        for i in range(4):
            assert http_two.get(f"/api/v1/credentials/c{i}", headers=FULL).status_code == 404
        with http_one.stream(
            "GET", "/__admin/requests/stream", headers={"Last-Event-ID": "2"}
        ) as stream:
            lines = stream.iter_lines()
            paths = [data["path"] for _, data in read_events(lines, 2)]
            assert paths == ["/api/v1/credentials/c2", "/api/v1/credentials/c3"]
            assert http_two.post("/__admin/reset").status_code == 204
            assert next(read_events(lines, 1))[0] == "cleared"
            http_two.get("/api/v1/ping")
            kind, after = next(read_events(lines, 1))
    assert (kind, after["path"], after["seq"]) == ("request", "/api/v1/ping", 5)


def test_what_a_process_knows_of_expired_namespaces_is_dropped(
    make_app: Any, make_client: Any, redis_url: str
) -> None:
    app = make_app(max_namespaces=2)
    client = make_client(app)
    for name in ("a", "b"):
        assert client.get(f"/ns/{name}/api/v1/ping").status_code == 200
    raw = redis.Redis.from_url(redis_url)
    for name in ("a", "b"):  # what EXPIRE and the cap's clean-up do once the TTL has passed
        raw.delete(*keys_for(name).values())
        raw.zrem("credkit:namespaces", name)
    raw.close()
    for name in ("c", "d"):
        assert client.get(f"/ns/{name}/api/v1/ping").status_code == 200
    assert set(app.backend.spaces.known) - {"default"} == {"c", "d"}


def test_a_write_through_another_process_is_seen_by_the_next_get_and_put(
    make_app: Any, make_client: Any
) -> None:
    a_app = make_app()
    a, b = make_client(a_app), make_client(make_app())
    assert a.put(CRED, json={"plainDataObj": {"a": "1"}}, headers=FULL).status_code == 200
    assert a.get(CRED, headers=FULL).status_code == 200  # from A's cache, checked in Redis
    assert a_app.backend.requests.speculated >= 1 and a_app.backend.requests.stale == 0
    changed = {"name": "from-b", "plainDataObj": {"b": "2"}}
    assert b.put(CRED, json=changed, headers=FULL).status_code == 200
    got = a.get(CRED, headers=FULL).json()  # A's cached value is stale now
    assert got["name"] == "from-b" and got["plainDataObj"]["b"] == "2"
    assert b.put(CRED, json={"plainDataObj": {"b": "3"}}, headers=FULL).status_code == 200
    assert a.put(CRED, json={"plainDataObj": {"c": "4"}}, headers=FULL).status_code == 200
    data = b.get(CRED, headers=FULL).json()["plainDataObj"]
    assert (data["a"], data["b"], data["c"]) == ("1", "3", "4")  # merged over B's last write
    assert a_app.backend.requests.stale == 2 and a_app.backend.requests.restarts == 0
    assert b.delete(CRED, headers=FULL).status_code == 200
    assert a.get(CRED, headers=FULL).status_code == 404
    loaded = {
        "workspaces": [{"id": "w9"}],
        "apiKeys": [{"key": "team-key", "workspace": "w9", "permissions": ["credentials:view"]}],
        "credentials": [],
    }
    assert b.put("/__admin/state", json=loaded).status_code == 200  # new keys: a new gen
    assert a.get(CRED, headers=FULL).status_code == 401
    assert a.get("/api/v1/credentials", headers={"Authorization": "Bearer team-key"}).json() == []


def test_a_fault_added_through_another_process_applies_to_the_next_request(
    make_app: Any, make_client: Any
) -> None:
    a_app = make_app()
    a, b = make_client(a_app), make_client(make_app())
    assert a.get(CRED, headers=FULL).status_code == 200
    assert a.get(CRED, headers=FULL).status_code == 200  # A knows: no fault, the value
    begun = a_app.backend.requests.speculated
    assert b.post("/__admin/faults", json={"path": CRED, "status": 500, "count": 1}).status_code
    assert a.get(CRED, headers=FULL).status_code == 500
    assert a.get(CRED, headers=FULL).status_code == 200  # count 1: used up
    assert a_app.backend.requests.restarts == 1 and a_app.backend.requests.speculated > begun
    fault = {"method": "PUT", "path": CRED, "status": 409}
    assert b.post("/__admin/faults", json=fault).status_code == 201
    assert a.put(CRED, json={"name": "x"}, headers=FULL).status_code == 409
    assert a.get(CRED, headers=FULL).json()["name"] != "x"  # a faulted PUT changes nothing
    assert b.delete("/__admin/faults").status_code == 204
    assert a.put(CRED, json={"name": "x"}, headers=FULL).status_code == 200


def test_a_known_namespace_that_expired_is_made_again(
    make_app: Any, make_client: Any, redis_url: str
) -> None:
    app = make_app()
    client = make_client(app)
    assert client.put("/ns/gone" + CRED, json={"name": "old"}, headers=FULL).status_code == 200
    raw = redis.Redis.from_url(redis_url)
    raw.delete(*keys_for("gone").values())  # what EXPIRE does once the TTL has passed
    raw.close()
    got = client.get("/ns/gone" + CRED, headers=FULL)
    assert got.status_code == 200 and got.json()["name"] != "old"
    assert app.backend.requests.restarts == 1


def test_speculative_requests_fetch_nothing_before_their_commit(
    make_app: Any, make_client: Any, redis_url: str
) -> None:
    client = make_client(make_app())
    assert client.get(CRED, headers=FULL).status_code == 200  # fetched once: known now
    raw = redis.Redis.from_url(redis_url)
    before = raw.info("commandstats")
    for i in range(5):
        assert client.put(CRED, json={"name": f"n{i}"}, headers=FULL).status_code == 200
        assert client.get(CRED, headers=FULL).json()["name"] == f"n{i}"
    after = raw.info("commandstats")
    raw.close()

    def calls(stats: dict[str, Any], name: str) -> int:
        return int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))

    # One script each, and its one read of the generations (Redis counts the script's
    # commands too): no `begin` fetch before it.
    assert calls(after, "evalsha") - calls(before, "evalsha") == 10
    assert calls(after, "hmget") - calls(before, "hmget") == 10


@pytest.mark.parametrize(
    "path", ["/api/v1/credentials/a%2Fb", "/api/v1/credentials/%E0%A4%A", CRED + "%3Cb%3E"]
)
def test_the_flowise_profile_reads_the_path_as_sent_on_both_stores(
    make_app: Any, make_client: Any, path: str
) -> None:
    answers = []
    for app in (app_factory()(profile="flowise-3.1"), make_app(profile="flowise-3.1")):
        answer = make_client(app).put(path, json={"name": "x"}, headers=FULL)
        answers.append((answer.status_code, answer.text))
    assert answers[0] == answers[1]


def test_the_namespace_cap_holds_when_processes_create_namespaces_at_once(
    make_app: Any, redis_url: str
) -> None:
    """Two processes, 16 new namespaces asked for at once, a cap of 3: exactly 3 are made
    (the count and the claim are one step in Redis), every other request is a 429."""
    one = make_app(max_namespaces=3, access_log=False, log_level="warning")
    two = make_app(max_namespaces=3, access_log=False, log_level="warning")
    with serving(one) as url_one, serving(two) as url_two:

        async def ask_all() -> list[int]:
            async with (
                httpx.AsyncClient(base_url=url_one, timeout=20) as a,
                httpx.AsyncClient(base_url=url_two, timeout=20) as b,
            ):
                replies = await asyncio.gather(
                    *((a, b)[i % 2].get(f"/ns/job-{i}/api/v1/ping") for i in range(16))
                )
            return [r.status_code for r in replies]

        statuses = asyncio.run(ask_all())
    raw = redis.Redis.from_url(redis_url)
    made = [n for n in raw.zrange("credkit:namespaces", 0, -1)]
    seeded = [i for i in range(16) if raw.exists(keys_for(f"job-{i}")["meta"])]
    raw.close()
    assert sorted(statuses) == [200] * 3 + [429] * 13
    assert len(made) == 3 and len(seeded) == 3


def test_scripts_redis_forgot_are_loaded_again(
    make_app: Any, make_client: Any, redis_url: str
) -> None:
    client = make_client(make_app())
    assert client.put(CRED, json={"name": "one"}, headers=FULL).status_code == 200
    raw = redis.Redis.from_url(redis_url)
    raw.script_flush()  # what a restart of Redis with its data kept (AOF) does to scripts
    raw.close()
    assert client.put(CRED, json={"name": "two"}, headers=FULL).status_code == 200
    assert client.get(CRED, headers=FULL).json()["name"] == "two"


@pytest.mark.parametrize("cancelled", ["waiting", "given the turn", "running"])
def test_writes_to_one_path_take_turns_and_a_cancelled_one_passes_its_turn(
    make_app: Any, cancelled: str
) -> None:
    backend = make_app().backend.requests  # the request path
    order: list[str] = []

    async def run() -> None:
        gates = {name: asyncio.Event() for name in ("a", "b", "c")}

        async def fake_run(handler: Any, call: Call, ticket: Any) -> Any:
            order.append(call.body.decode())
            await gates[call.body.decode()].wait()
            return None

        handed = backend._next_writer

        def hand_then_cancel(name: Any) -> None:  # b is handed the turn, cancelled at once
            handed(name)
            if cancelled == "given the turn" and order == ["a"] and not b.cancelling():
                b.cancel()

        backend._run = fake_run
        backend._next_writer = hand_then_cancel
        ticket = Ticket("default", b"")

        def write(name: str) -> asyncio.Task[Any]:
            call = Call("PUT", CRED, b"", {}, name.encode())
            return asyncio.ensure_future(backend.handle(lambda c, s: None, call, ticket))

        a, b, c = write("a"), write("b"), write("c")
        await asyncio.sleep(0.01)
        assert order == ["a"]  # b and c wait for their turn
        if cancelled == "waiting":
            b.cancel()
        gates["a"].set()
        await a
        if cancelled == "running":
            await asyncio.sleep(0.01)
            assert order == ["a", "b"]
            b.cancel()
        gates["c"].set()
        await asyncio.wait_for(c, 5)
        assert b.cancelled()
        assert order == (["a", "b", "c"] if cancelled == "running" else ["a", "c"])
        assert backend._writing == {}

    asyncio.run(run())
