"""The request pipeline of `mockserver.app`: every status of contract.md and their order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from tests.assertions import assert_error
from tests.mockserver.conftest import FULL, READONLY, Client, app_factory


@pytest.fixture
def make_app(store_url: str) -> Callable[..., Any]:
    """Every test here runs on the in-memory store and on Redis: both answer alike."""
    return app_factory(store_url)


CRED = "/api/v1/credentials/cred-789"
JSON_CT = {"Content-Type": "application/json"}


# -- 413 ------------------------------------------------------------------------------------------


def test_oversized_body_without_a_key_is_413(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app(max_body=100))
    response = client.put(CRED, content=b"x" * 101, headers=JSON_CT)
    assert_error(response, 413, "100 bytes")


def test_oversized_body_on_an_unknown_route_is_413_not_404(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app(max_body=10))
    assert_error(client.post("/nowhere", content=b"x" * 11), 413)


def test_body_at_the_limit_is_read(make_app: Any, make_client: Any) -> None:
    body = b'{"name": "ok"}'
    client = make_client(make_app(max_body=len(body)))
    assert client.put(CRED, content=body, headers={**FULL, **JSON_CT}).status_code == 200


def _run_streamed(app: Any, chunks: list[bytes], content_length: int | None) -> tuple[int, int]:
    """Drive the ASGI app with a body in chunks; (status, chunks consumed)."""
    consumed = 0
    sent: list[dict[str, Any]] = []
    headers = [(b"authorization", b"Bearer YOUR_API_KEY"), (b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "PUT",
        "path": CRED,
        "raw_path": CRED.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "scheme": "http",
        "root_path": "",
    }

    async def receive() -> dict[str, Any]:
        nonlocal consumed
        consumed += 1
        return {
            "type": "http.request",
            "body": chunks[consumed - 1],
            "more_body": consumed < len(chunks),
        }

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)
        await app.backend.close()  # a Redis store's connections on this loop

    asyncio.run(run())
    return sent[0]["status"], consumed


def test_streamed_body_without_content_length_is_refused_while_streaming(make_app: Any) -> None:
    app = make_app(max_body=1000)
    status, consumed = _run_streamed(app, [b"x" * 400] * 50, None)
    assert status == 413
    assert consumed == 3  # stopped at the chunk that crossed the limit, never read the rest


def test_declared_content_length_over_the_limit_is_refused_before_reading(make_app: Any) -> None:
    status, consumed = _run_streamed(make_app(max_body=1000), [b"x" * 400] * 5, 2000)
    assert (status, consumed) == (413, 0)


def test_streamed_body_under_the_limit_is_joined(make_app: Any) -> None:
    chunks = [b'{"name"', b': "streamed"', b"}"]
    status, consumed = _run_streamed(make_app(), chunks, None)
    assert (status, consumed) == (200, 3)


# -- 404 / 405 ------------------------------------------------------------------------------------


def test_unknown_route_is_404_before_auth(client: Client) -> None:
    assert_error(client.get("/api/v1/nothing"), 404, "No route")


def test_known_route_other_method_is_405_with_every_allowed_method(client: Client) -> None:
    response = client.request("PATCH", CRED)
    assert_error(response, 405, "PATCH")
    assert response.headers["allow"] == "GET, PUT, DELETE"
    response = client.put("/api/v1/credentials")
    assert response.headers["allow"] == "GET, POST"


# -- 401 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "word"),
    [
        ({}, "Missing"),
        ({"Authorization": "Basic eW91cjprZXk="}, "Bearer"),
        ({"Authorization": "YOUR_API_KEY"}, "no scheme"),
        ({"Authorization": "Bearer"}, "no API key"),
        ({"Authorization": "Bearer not-a-key"}, "Unknown"),
        ({"Authorization": "Token YOUR_API_KEY"}, "Bearer"),
    ],
)
def test_bad_or_missing_key_is_401(client: Client, headers: dict[str, str], word: str) -> None:
    body = assert_error(client.put(CRED, json={"name": "n"}, headers=headers), 401, word)
    assert "YOUR_API_KEY" not in body["message"] and "not-a-key" not in body["message"]


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_scheme_is_case_insensitive(client: Client, scheme: str) -> None:
    assert (
        client.put(
            CRED, json={"name": "n"}, headers={"Authorization": f"{scheme} YOUR_API_KEY"}
        ).status_code
        == 200
    )


def test_no_key_and_bad_json_is_401(client: Client) -> None:
    assert_error(client.put(CRED, content=b"{not json", headers=JSON_CT), 401)


def test_ping_needs_no_key_and_components_need_one(client: Client) -> None:
    response = client.get("/api/v1/ping")
    assert (response.status_code, response.text) == (200, "pong")
    assert response.headers["content-type"].startswith("text/plain")
    assert_error(client.get("/api/v1/components-credentials"), 401)
    assert client.get("/api/v1/components-credentials", headers=READONLY).status_code == 200


# -- 403 ------------------------------------------------------------------------------------------


def test_readonly_key_and_bad_json_is_403(client: Client) -> None:
    assert_error(
        client.put(CRED, content=b"{not json", headers={**READONLY, **JSON_CT}),
        403,
        "credentials:update",
    )


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("POST", "/api/v1/credentials", "credentials:create"),
        ("PUT", CRED, "credentials:update"),
        ("DELETE", CRED, "credentials:delete"),
    ],
)
def test_readonly_key_lacks_write_permissions(
    client: Client, method: str, path: str, permission: str
) -> None:
    assert_error(client.request(method, path, json={}, headers=READONLY), 403, permission)


def test_permissions_come_from_the_spec(app: Any) -> None:
    routes = app.runtime.routes
    assert routes.by_operation_id["updateCredential"].permission == "credentials:update"
    assert routes.by_operation_id["getCredential"].permission == "credentials:view"
    assert routes.by_operation_id["listCredentialTypes"].permission is None
    assert routes.by_operation_id["listCredentialTypes"].needs_auth
    assert not routes.by_operation_id["ping"].needs_auth


# -- 412 / 415 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   ", b"\r\n\t "])
def test_missing_body_is_412_before_415(client: Client, body: bytes) -> None:
    assert_error(client.put(CRED, content=body, headers=FULL), 412, "body")
    assert_error(
        client.put(CRED, content=body, headers={**FULL, "Content-Type": "text/plain"}), 412
    )


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_non_json_media_type_is_415(client: Client, content_type: str | None) -> None:
    headers = dict(FULL)
    if content_type:
        headers["Content-Type"] = content_type
    assert_error(
        client.put(CRED, content=b'{"name": "n"}', headers=headers), 415, "application/json"
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/merge-patch+json",
    ],
)
def test_json_media_types_are_accepted(client: Client, content_type: str) -> None:
    response = client.put(
        CRED, content=b'{"name": "n"}', headers={**FULL, "Content-Type": content_type}
    )
    assert response.status_code == 200


def test_415_comes_before_400(client: Client) -> None:
    assert_error(
        client.put(CRED, content=b"{not json", headers={**FULL, "Content-Type": "text/plain"}), 415
    )


# -- 400 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "word"),
    [
        (b"\xff\xfe{}", "UTF-8"),
        (b"{not json", "not valid JSON"),
        (b'{"name": "a",}', "not valid JSON"),
        (b"[]", "JSON object"),
        (b"null", "JSON object"),
        (b'"string"', "JSON object"),
        (b"42", "JSON object"),
        (b'{"plainDataObj": {"n": 1e999999}}', "non-finite"),
        (b'{"plainDataObj": {"n": -1e999999}}', "non-finite"),
        (b'{"plainDataObj": {"n": NaN}}', "JSON"),
        (b'{"plainDataObj": {"n": Infinity}}', "JSON"),
        (b'{"plainDataObj": {"n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "deep"),
        (b'{"plainDataObj": {"n": ' + b"[" * 200 + b"]" * 200 + b"}}", "deep"),
    ],
)
def test_malformed_bodies_are_400(client: Client, body: bytes, word: str) -> None:
    assert_error(client.put(CRED, content=body, headers={**FULL, **JSON_CT}), 400, word)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": 5}, ("'name'", "string")),
        ({"name": ""}, ("'name'", "empty")),
        ({"name": None}, ("'name'",)),
        ({"plainDataObj": "sk-secret-value"}, ("'plainDataObj'", "object")),
        ({"plainDataObj": None}, ("'plainDataObj'",)),
        ({"plainDataObj": []}, ("'plainDataObj'",)),
        ({"credentialName": "openAIApi"}, ("unknown field", "'credentialName'")),
        ({"id": "other"}, ("unknown field", "'id'")),
    ],
)
def test_schema_violations_are_400_naming_the_field(
    client: Client, body: Any, words: tuple[str, ...]
) -> None:
    response = client.put(CRED, json=body, headers=FULL)
    error = assert_error(response, 400, *words)
    assert "sk-secret-value" not in error["message"]


def test_schema_messages_never_echo_a_value(client: Client) -> None:
    secret = "sk-very-secret-0123456789"
    bodies = [
        {"name": 12345678901234, "plainDataObj": secret},
        {"name": "", "plainDataObj": {"apiKey": secret}, "extra": secret},
        {"name": [secret]},
    ]
    for body in bodies:
        text = client.put(CRED, json=body, headers=FULL).text
        assert secret not in text and "12345678901234" not in text


def test_create_requires_its_three_fields_and_a_known_type(client: Client) -> None:
    assert_error(
        client.post("/api/v1/credentials", json={}, headers=FULL),
        400,
        "'name'",
        "'credentialName'",
        "'plainDataObj'",
    )
    body = {"name": "n", "credentialName": "openaiapi", "plainDataObj": {}}
    assert_error(
        client.post("/api/v1/credentials", json=body, headers=FULL), 400, "credential type"
    )


def test_duplicate_keys_last_wins(client: Client) -> None:
    response = client.put(
        CRED, content=b'{"name": "first", "name": "second"}', headers={**FULL, **JSON_CT}
    )
    assert response.json()["name"] == "second"


def test_400_comes_before_the_404_of_an_unknown_id(client: Client) -> None:
    assert_error(client.put("/api/v1/credentials/missing", json={"name": 1}, headers=FULL), 400)
    assert_error(
        client.put("/api/v1/credentials/missing", json={"name": "n"}, headers=FULL), 404, "missing"
    )


# -- spec documents -------------------------------------------------------------------------------


def test_spec_is_served_without_a_key(client: Client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert (
        orjson.loads(response.content)["paths"]["/api/v1/credentials/{id}"]["put"]["operationId"]
        == "updateCredential"
    )
    response = client.get("/openapi.yaml")
    assert response.status_code == 200 and response.text.startswith("openapi: 3.1")
    assert client.post("/openapi.yaml").status_code == 405


def test_journal_and_access_log_never_hold_secrets(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="credkit")
    body = {"plainDataObj": {"openAIApiKey": "sk-journal-secret"}}
    client.put(CRED + "?token=query-secret", json=body, headers=FULL)
    assert any("PUT /api/v1/credentials/cred-789 200" in r.getMessage() for r in caplog.records)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("sk-journal-secret", "YOUR_API_KEY", "query-secret"):
        assert secret not in text


def test_unhandled_errors_are_500_and_logged_without_their_message(
    app: Any, client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(call: Any, space: Any) -> Any:
        raise RuntimeError("sk-" + "secret-in-an-exception")

    monkeypatch.setitem(app.profile.handlers, "ping", boom)
    caplog.set_level("INFO", logger="credkit")
    body = assert_error(client.get("/api/v1/ping"), 500, "Internal")
    assert "sk-secret" not in str(body)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "sk-secret" not in logged
