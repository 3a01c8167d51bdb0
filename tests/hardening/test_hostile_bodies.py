"""Hostile request bodies on PUT /api/v1/credentials/{id}: each gets the answer contract.md gives.

Every rejected request is a spec-shaped 4xx, changes nothing in the store (compared whole, data
and ciphertext included) and leaves the server answering. The same table runs in-process and
against a real `credkit serve` process (where the bytes really cross a socket).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from credkit_core.resources import DEV_KEYS
from tests import live
from tests.assertions import assert_error
from tests.hardening.conftest import AUTH, CRED, JSON_AUTH, plain, snapshot
from tests.inprocess import AppClient

LIMIT = 1_048_576
PATH = f"/api/v1/credentials/{CRED}"


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes
    status: int | tuple[int, ...]  # one status, or the statuses either of which is right
    headers: dict[str, str] | None = None  # default JSON_AUTH

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.status if isinstance(self.status, tuple) else (self.status,)


def _nested(depth: int) -> bytes:
    return b'{"plainDataObj":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


def _keys(count: int) -> bytes:
    inner = ",".join(f'"k{i:06d}":"v"' for i in range(count))
    return ('{"plainDataObj":{' + inner + "}}").encode()


HOSTILE = [
    Hostile("malformed", b'{"name": ', 400),
    Hostile("truncated object", b'{"name":"x","plainDataObj":{"a":', 400),
    Hostile("trailing garbage", b'{"name":"x"} trailing', 400),
    Hostile("single quotes", b"{'name':'x'}", 400),
    Hostile("non-UTF-8 bytes", b'{"name":"\xff\xfe\xc3\x28"}', 400),
    Hostile("latin-1 text", '{"name":"café"}'.encode("latin-1"), 400),
    Hostile("top-level array", b'[{"name":"x"}]', 400),
    Hostile("top-level empty array", b"[]", 400),
    Hostile("top-level null", b"null", 400),
    Hostile("top-level string", b'"name"', 400),
    Hostile("top-level number", b"42", 400),
    Hostile("top-level true", b"true", 400),
    Hostile("nesting 100,000 objects", _nested(100_000), 400),
    Hostile(
        "nesting 100,000 arrays",
        b'{"plainDataObj":{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        400,
    ),
    Hostile("unterminated 100,000 arrays", b"[" * 100_000, 400),
    Hostile("nesting 500 objects", _nested(500), (200, 400)),
    Hostile("1e999999", b'{"plainDataObj":{"a":1e999999}}', 400),
    Hostile("-1e999999", b'{"plainDataObj":{"a":-1e999999}}', 400),
    Hostile("NaN", b'{"plainDataObj":{"a":NaN}}', 400),
    Hostile("Infinity", b'{"plainDataObj":{"a":Infinity}}', 400),
    Hostile("-Infinity", b'{"plainDataObj":{"a":-Infinity}}', 400),
    Hostile("raw NUL byte in a string", b'{"name":"a\x00b"}', 400),
    Hostile("raw NUL byte outside strings", b'{"name":"x"}\x00', 400),
    Hostile("raw control character", b'{"name":"a\x01b"}', 400),
    Hostile("lone surrogate escape", b'{"plainDataObj":{"a":"\\ud800"}}', (200, 400)),
    Hostile("5,000-digit integer", b'{"plainDataObj":{"a":' + b"9" * 5000 + b"}}", (200, 400)),
    Hostile("UTF-8 BOM", b'\xef\xbb\xbf{"name":"x"}', (200, 400)),
    Hostile("empty body", b"", 412),
    Hostile("whitespace body", b" \r\n\t ", 412),
    Hostile(
        "form-encoded",
        b"name=x",
        415,
        {**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    ),
    Hostile("text/plain JSON", b'{"name":"x"}', 415, {**AUTH, "Content-Type": "text/plain"}),
    Hostile("no Content-Type", b'{"name":"x"}', 415, AUTH),
    Hostile(
        "multipart",
        b"--b\r\n\r\nx\r\n--b--",
        415,
        {**AUTH, "Content-Type": "multipart/form-data; boundary=b"},
    ),
    Hostile("unknown field", b'{"name":"x","credentialName":"awsApi"}', 400),
    Hostile("id in body", b'{"id":"other"}', 400),
    Hostile("empty name", b'{"name":""}', 400),
    Hostile("null name", b'{"name":null}', 400),
    Hostile("number name", b'{"name":7}', 400),
    Hostile("string plainDataObj", b'{"plainDataObj":"abc"}', 400),
    Hostile("null plainDataObj", b'{"plainDataObj":null}', 400),
    Hostile("array plainDataObj", b'{"plainDataObj":[1,2]}', 400),
    Hostile("over the limit, with Content-Length", b'{"name":"' + b"x" * LIMIT + b'"}', 413),
    Hostile(
        "over the limit, no key",
        b'{"name":"' + b"x" * LIMIT + b'"}',
        413,
        {"Content-Type": "application/json"},
    ),
    Hostile("100k keys, default limit", _keys(100_000), 413),
    Hostile("malformed JSON without a key", b"{", 401, {"Content-Type": "application/json"}),
    Hostile(
        "bad JSON with a read-only key",
        b"{",
        403,
        {"Authorization": f"Bearer {DEV_KEYS['readonly']}", "Content-Type": "application/json"},
    ),
]

ACCEPTED = [
    # (name, body, headers, check(data, stored name))
    ("long name (500,000 chars)", b'{"name":"' + b"n" * 500_000 + b'"}', None),
    (
        "escaped NUL in a name and a key",
        b'{"name":"a\\u0000b","plainDataObj":{"k\\u0000":"v\\u0000"}}',
        None,
    ),
    (
        "duplicate keys: last wins",
        b'{"name":"first","name":"second","plainDataObj":{"a":1,"a":2}}',
        None,
    ),
    (
        "charset parameter",
        b'{"name":"x"}',
        {**AUTH, "Content-Type": "application/json; charset=utf-8"},
    ),
    ("+json media type", b'{"name":"x"}', {**AUTH, "Content-Type": "application/merge-patch+json"}),
    ("nesting 30 objects", _nested(30), None),
    ("__proto__ key", b'{"plainDataObj":{"__proto__":{"admin":true},"constructor":1}}', None),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_body_in_process(client: AppClient, app: Any, case: Hostile) -> None:
    before = snapshot(app)
    response = client.put(PATH, content=case.body, headers=case.headers or JSON_AUTH)
    assert response.status_code in case.statuses, (response.status_code, response.text[:300])
    if response.status_code == 200:
        assert set(response.json()) >= {"id", "name", "encryptedData"}
    else:
        assert_error(response, response.status_code)
        assert snapshot(app) == before, "a rejected request changed the store"
        # the message never echoes the body
        if len(case.body) > 8:
            assert case.body.decode("latin-1")[:64] not in response.json()["message"]
    assert client.get("/api/v1/ping").status_code == 200


@pytest.mark.parametrize("name,body,headers", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_odd_but_valid_body_is_stored(
    client: AppClient, app: Any, name: str, body: bytes, headers: dict[str, str] | None
) -> None:
    response = client.put(PATH, content=body, headers=headers or JSON_AUTH)
    assert response.status_code == 200, response.text[:300]
    stored = app.state.store.get(CRED, "workspace-123")
    if name.startswith("long name"):
        assert stored.name == "n" * 500_000
    elif name.startswith("escaped NUL"):
        assert stored.name == "a\x00b" and plain(app)["k\x00"] == "v\x00"
    elif name.startswith("duplicate"):
        assert stored.name == "second" and plain(app)["a"] == 2
    elif name.startswith("__proto__"):
        assert plain(app)["__proto__"] == {"admin": True}
    got = client.get(PATH, headers=AUTH)
    assert got.status_code == 200


def test_100k_keys_under_a_raised_limit_are_all_stored(make_app: Any) -> None:
    body = _keys(100_000)
    assert len(body) > LIMIT
    app = make_app(access_log=False, max_body=8 * LIMIT)
    with AppClient(app) as client:
        response = client.put(PATH, content=body, headers=JSON_AUTH)
        assert response.status_code == 200, response.text[:300]
        data = plain(app)
        assert sum(1 for k in data if k.startswith("k")) == 100_000
        assert data["openAIApiKey"]  # the old key was merged, not replaced
        read = client.get(PATH, headers=AUTH)
        assert read.status_code == 200 and len(read.json()["plainDataObj"]) == 100_001


def test_chunked_body_over_the_limit_is_413_in_process(client: AppClient, app: Any) -> None:
    before = snapshot(app)

    def chunks() -> Iterator[bytes]:
        yield b'{"name":"'
        for _ in range(20):
            yield b"x" * 65_536
        yield b'"}'

    response = client.put(PATH, content=chunks(), headers=JSON_AUTH)
    assert_error(response, 413)
    assert snapshot(app) == before


def test_long_id_is_404(client: AppClient) -> None:
    response = client.put(f"/api/v1/credentials/{'i' * 60_000}", content=b"{}", headers=JSON_AUTH)
    body = assert_error(response, 404)
    assert len(body["message"]) < 1_000, "the message quotes the whole id"


# --- the same against a real server process -------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[live.LiveServer]:
    with live.running(tmp_path_factory.mktemp("hostile") / "server.log") as running:
        yield running


def _state(http: httpx.Client) -> Any:
    return http.get(PATH, headers=AUTH).json()


LIVE = [h for h in HOSTILE if h.statuses != (200,)]


@pytest.mark.e2e
@pytest.mark.parametrize("case", LIVE, ids=[h.name for h in LIVE])
def test_hostile_body_live(server: live.LiveServer, case: Hostile) -> None:
    with server.client() as http:
        before = _state(http)
        response = http.put(PATH, content=case.body, headers=case.headers or JSON_AUTH)
        assert response.status_code in case.statuses, (response.status_code, response.text[:300])
        if response.status_code != 200:
            assert_error(response, response.status_code)
            assert _state(http) == before, "a rejected request changed the credential"
    with server.client() as http:  # a fresh connection: the server is still up
        assert http.get("/api/v1/ping").status_code == 200


@pytest.mark.e2e
def test_chunked_over_the_limit_live(server: live.LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name":"'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    with server.client() as http:
        before = _state(http)
        response = http.put(PATH, content=chunks(), headers=JSON_AUTH)
        assert "content-length" not in response.request.headers
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert_error(response, 413)
    with server.client() as http:
        assert _state(http) == before
        assert http.get("/api/v1/ping").status_code == 200


@pytest.mark.e2e
def test_long_id_live(server: live.LiveServer) -> None:
    with server.client() as http:
        response = http.put(f"/api/v1/credentials/{'i' * 8_000}", content=b"{}", headers=JSON_AUTH)
        assert response.status_code in (404, 414, 431), response.status_code
        assert response.status_code < 500
        assert http.get("/api/v1/ping").status_code == 200
