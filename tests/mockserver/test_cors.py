"""CORS (`mockserver.cors`): outermost, preflights answered before auth."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mockserver.conftest import FULL, Client

CRED = "/api/v1/credentials/cred-789"


def preflight(client: Client, origin: str, path: str = CRED) -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173", "http://127.0.0.1", "https://localhost:3000", "http://[::1]:8080"],
)
def test_local_origins_are_allowed_by_default(client: Client, origin: str) -> None:
    response = preflight(client, origin)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "authorization, content-type"


def test_simple_requests_get_the_origin_even_on_errors(client: Client) -> None:
    ok = client.put(CRED, json={}, headers={**FULL, "Origin": "http://localhost:5173"})
    assert (
        ok.status_code == 200
        and ok.headers["access-control-allow-origin"] == "http://localhost:5173"
    )
    refused = client.put(CRED, json={}, headers={"Origin": "http://localhost:5173"})
    assert (
        refused.status_code == 401
        and refused.headers["access-control-allow-origin"] == "http://localhost:5173"
    )


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://localhost.evil.example", "null"]
)
def test_other_origins_get_no_cors_headers(client: Client, origin: str) -> None:
    response = preflight(client, origin)
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers
    assert (
        "access-control-allow-origin"
        not in client.get("/api/v1/ping", headers={"Origin": origin}).headers
    )


def test_configured_origins_replace_the_default(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app(cors_origins=("https://app.example.com",)))
    assert preflight(client, "https://app.example.com").status_code == 204
    assert preflight(client, "http://localhost:5173").status_code == 405


def test_star_allows_any_origin(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app(cors_origins=("*",)))
    response = preflight(client, "https://anything.example")
    assert response.status_code == 204 and response.headers["access-control-allow-origin"] == "*"


def test_an_allowed_preflight_for_a_method_the_api_lacks_is_still_answered(client: Client) -> None:
    response = client.options(
        CRED, headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "PATCH"}
    )
    assert response.status_code == 204
    assert "PATCH" not in response.headers["access-control-allow-methods"]


def test_requests_without_an_origin_get_no_cors_headers(client: Client) -> None:
    response = client.get("/api/v1/ping")
    assert response.status_code == 200
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert "vary" not in response.headers
