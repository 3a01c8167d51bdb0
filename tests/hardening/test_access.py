"""Access rules: the admin API's loopback/token rule, and constant-time key comparison.

Non-loopback clients are simulated in-process by forging the ASGI scope's client address
(httpx's ASGITransport `client=`); no traffic leaves 127.0.0.1.
"""

from __future__ import annotations

import hmac
from typing import Any

import pytest

import mockserver.auth
from tests.assertions import assert_error
from tests.hardening.conftest import AUTH, CRED, snapshot
from tests.inprocess import AppClient

REMOTE = ("203.0.113.7", 40000)  # TEST-NET-3: only ever a forged scope address here
ADMIN_PATHS = [("GET", "/__admin/state"), ("GET", "/__admin/requests"), ("POST", "/__admin/reset")]


@pytest.mark.parametrize(
    "client", [("127.0.0.1", 1), ("127.8.9.10", 2), ("::1", 3), ("::ffff:127.0.0.1", 4)]
)
def test_admin_answers_loopback_clients_without_a_token(
    make_app: Any, client: tuple[str, int]
) -> None:
    with AppClient(make_app(access_log=False), client=client) as http:
        assert http.get("/__admin/state").status_code == 200


@pytest.mark.parametrize("method,path", ADMIN_PATHS)
def test_admin_refuses_other_clients_without_a_token(make_app: Any, method: str, path: str) -> None:
    app = make_app(access_log=False)
    with AppClient(app, client=REMOTE) as http:
        # the credentials API itself is not loopback-only
        changed = http.put(f"/api/v1/credentials/{CRED}", json={"name": "changed"}, headers=AUTH)
        assert changed.status_code == 200
        before = snapshot(app)
        response = http.request(method, path, headers={"X-Forwarded-For": "127.0.0.1"})
        assert_error(response, 403)
        assert snapshot(app) == before  # e.g. a reset would have undone the change


@pytest.mark.parametrize("method,path", ADMIN_PATHS)
def test_admin_token_is_needed_from_everywhere(make_app: Any, method: str, path: str) -> None:
    token = "adm-" + "7" * 40
    app = make_app(access_log=False, admin_token=token)
    for client in (REMOTE, ("127.0.0.1", 5)):
        with AppClient(app, client=client) as http:
            assert_error(http.request(method, path), 401)
            assert_error(
                http.request(method, path, headers={"Authorization": f"Bearer {token[:-1]}8"}), 401
            )
            assert_error(http.request(method, path, headers={"Authorization": token}), 401)
            ok = http.request(method, path, headers={"Authorization": f"bearer {token}"})
            assert ok.status_code in (200, 204), ok.text
            for response in (ok,):
                assert token not in response.text


def test_a_fault_cannot_be_injected_from_outside(make_app: Any) -> None:
    app = make_app(access_log=False)
    with AppClient(app, client=REMOTE) as http:
        response = http.post("/__admin/faults", json={"method": "*", "path": "/*", "status": 500})
        assert_error(response, 403)
    with AppClient(app) as http:
        assert http.get("/api/v1/ping").status_code == 200
        assert http.get("/__admin/faults").json() == []


def test_api_keys_are_compared_with_hmac_compare_digest(
    client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(mockserver.auth.hmac, "compare_digest", spy)
    assert client.get(f"/api/v1/credentials/{CRED}", headers=AUTH).status_code == 200
    assert (b"YOUR_API_KEY", b"YOUR_API_KEY") in calls
    calls.clear()
    assert_error(
        client.get(f"/api/v1/credentials/{CRED}", headers={"Authorization": "Bearer YOUR_API_KEZ"}),
        401,
    )
    # an unknown key never reaches a character-by-character comparison with a stored key: it
    # is looked up by its SHA-256 digest, and only a digest match is compared (in constant time)
    assert all(a != b"YOUR_API_KEZ" or b != b"YOUR_API_KEY" for a, b in calls)


def test_admin_token_is_compared_with_hmac_compare_digest(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest
    monkeypatch.setattr(
        mockserver.auth.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b)
    )
    app = make_app(access_log=False, admin_token="the-admin-token")
    with AppClient(app) as http:
        assert_error(
            http.get("/__admin/state", headers={"Authorization": "Bearer the-admin-tokex"}), 401
        )
    assert (b"the-admin-tokex", b"the-admin-token") in calls


def test_no_plain_equality_on_secrets_in_auth_code() -> None:
    """The modules that check keys and tokens compare them only through `tokens_equal`."""
    import inspect

    import mockserver.apps.admin

    for module in (mockserver.auth, mockserver.apps.admin):
        source = inspect.getsource(module)
        for needle in (".key ==", "== key", "token ==", "== token", "admin_token =="):
            assert needle not in source, (module.__name__, needle)


# -- cross-site requests and DNS rebinding ---------------------------------------------------

ATTACKER = "https://evil.example"
ADMIN_WRITES = [
    ("POST", "/__admin/reset", b""),
    ("DELETE", "/__admin/requests", b""),
    ("DELETE", "/__admin/faults", b""),
    ("PUT", "/__admin/state", b'{"credentials": []}'),
    ("POST", "/__admin/faults", b'{"path": "/*", "status": 500}'),
]
# What a page can send to another site without a preflight: a form, text/plain, or no body.
SIMPLE_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"]


def everything(app: Any) -> Any:
    """The store, the journal and the faults: what an admin write could change."""
    return snapshot(app), app.state.journal.view(), app.state.faults.view()


def changed_app(make_app: Any, **config: Any) -> Any:
    """An app whose state differs from its fixtures (so a reset would show), with a fault and
    a journal entry."""
    app = make_app(access_log=False, **config)
    with AppClient(app) as http:
        assert http.put(f"/api/v1/credentials/{CRED}", json={"name": "kept"}, headers=AUTH)
        token = config.get("admin_token")
        fault = http.post(
            "/__admin/faults",
            json={"path": "/nowhere", "status": 500},
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )
        assert fault.status_code == 201, fault.text
    return app


@pytest.mark.parametrize("content_type", [*SIMPLE_TYPES, "application/json", None])
@pytest.mark.parametrize("method,path,body", ADMIN_WRITES)
def test_a_cross_site_admin_write_is_refused(
    make_app: Any, method: str, path: str, body: bytes, content_type: str | None
) -> None:
    app = changed_app(make_app)
    before = everything(app)
    headers = {"Origin": ATTACKER}
    if content_type is not None:
        headers["Content-Type"] = content_type
    with AppClient(app) as http:
        response = http.request(method, path, content=body, headers=headers)
    message = assert_error(response, 403)["message"]
    assert "Cross-site request refused" in message and "--cors-origin" in message
    assert everything(app) == before


@pytest.mark.parametrize("content_type", SIMPLE_TYPES)
@pytest.mark.parametrize("method,path,body", ADMIN_WRITES)
def test_an_admin_write_a_page_could_send_is_refused_without_an_origin_too(
    make_app: Any, method: str, path: str, body: bytes, content_type: str
) -> None:
    """Belt and braces for a browser that sends no `Origin`: no simple content type."""
    app = changed_app(make_app)
    before = everything(app)
    with AppClient(app) as http:
        response = http.request(method, path, content=body, headers={"Content-Type": content_type})
    assert_error(response, 403 if not body else 415)
    assert everything(app) == before


@pytest.mark.parametrize(
    "origin,host,config",
    [
        ("http://127.0.0.1:3000", "127.0.0.1:3000", {}),  # the mock's own page
        ("http://[::1]:3000", "[::1]:3000", {}),
        ("http://localhost:5173", "127.0.0.1", {"cors_origins": ("http://localhost:5173",)}),
        ("http://dev-box.lan:3000", "dev-box.lan:3000", {"allowed_hosts": ("dev-box.lan",)}),
        ("https://app.example.com", "127.0.0.1", {"cors_origins": ("https://app.example.com",)}),
        ("http://192.168.1.20:5173", "127.0.0.1", {"cors_origins": ("http://192.168.*",)}),
    ],
)
def test_allowed_origins_may_use_the_admin_api(
    make_app: Any, origin: str, host: str, config: dict[str, Any]
) -> None:
    app = changed_app(make_app, **config)
    with AppClient(app) as http:
        headers = {"Origin": origin, "Host": host}
        assert http.post("/__admin/reset", headers=headers).status_code == 204
        assert http.get("/__admin/state", headers=headers).status_code == 200
    assert app.state.faults.view() == [] and snapshot(app) != []


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000", "http://localhost:5173"])
def test_a_page_on_another_local_port_is_another_site(make_app: Any, origin: str) -> None:
    """The CORS default allows local origins to call the credentials API (with a key); the
    admin API, which needs none, answers them only when listed."""
    app = changed_app(make_app)
    before = everything(app)
    with AppClient(app) as http:
        headers = {"Origin": origin, "Host": "127.0.0.1:3000"}
        message = assert_error(http.post("/__admin/reset", headers=headers), 403)["message"]
        assert f"--cors-origin {origin} " in message
        assert everything(app) == before
        ok = http.get(f"/api/v1/credentials/{CRED}", headers={**AUTH, "Origin": origin})
        assert ok.headers["access-control-allow-origin"] == origin


def test_cors_star_does_not_open_the_admin_api(make_app: Any) -> None:
    app = changed_app(make_app, cors_origins=("*",))
    before = everything(app)
    with AppClient(app) as http:
        assert_error(http.post("/__admin/reset", headers={"Origin": ATTACKER}), 403)
        assert everything(app) == before
        # while the credentials API does answer that origin
        ok = http.get("/api/v1/ping", headers={"Origin": ATTACKER})
        assert ok.headers["access-control-allow-origin"] == "*"


def test_an_admin_token_does_not_lift_the_origin_check(make_app: Any) -> None:
    token = "adm-" + "5" * 40
    app = changed_app(make_app, admin_token=token)
    before = everything(app)
    with AppClient(app) as http:
        headers = {"Authorization": f"Bearer {token}", "Origin": ATTACKER}
        assert_error(http.post("/__admin/reset", headers=headers), 403)
    assert everything(app) == before


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("PUT", f"/api/v1/credentials/{CRED}", b'{"name": "rebound"}'),
        ("DELETE", f"/api/v1/credentials/{CRED}", b""),
        ("GET", f"/api/v1/credentials/{CRED}", b""),
        ("POST", "/__admin/reset", b""),
        ("GET", "/__admin/state", b""),
    ],
)
def test_dns_rebinding_is_refused(make_app: Any, method: str, path: str, body: bytes) -> None:
    """A page on attacker.example whose name now resolves to 127.0.0.1: same-origin with
    itself, using the public development key, but its `Host` still names its domain."""
    app = changed_app(make_app)
    before = everything(app)
    headers = {
        **AUTH,
        "Host": "attacker.example:3000",
        "Origin": "http://attacker.example:3000",
        "Content-Type": "application/json",
    }
    with AppClient(app) as http:
        response = http.request(method, path, content=body, headers=headers)
    message = assert_error(response, 403)["message"]
    assert "--allowed-host" in message
    assert "cred-789" not in response.text and "kept" not in response.text
    assert everything(app) == before
