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

    import mockserver.admin

    for module in (mockserver.auth, mockserver.admin):
        source = inspect.getsource(module)
        for needle in (".key ==", "== key", "token ==", "== token", "admin_token =="):
            assert needle not in source, (module.__name__, needle)
