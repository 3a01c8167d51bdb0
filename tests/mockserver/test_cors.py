"""CORS (`mockserver.edge.cors`, `mockserver.edge.origins`): preflights answered before auth,
refused ones explained, allowed origins additive to the localhost default, `*` patterns."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.assertions import assert_error
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
    "origin", ["https://evil.example", "http://localhost.evil.example", "null", "http://127.0.0.2"]
)
def test_a_preflight_from_another_origin_is_refused_naming_the_option(
    client: Client, origin: str
) -> None:
    response = preflight(client, origin)
    body = assert_error(response, 403)
    assert "access-control-allow-origin" not in response.headers
    message = body["message"]
    assert f"origin {origin!r} is not allowed" in message
    assert "--cors-origin" in message and "CREDKIT_CORS_ORIGIN" in message
    assert "Method" not in message  # it blames the origin, not the method
    assert (
        "access-control-allow-origin"
        not in client.get("/api/v1/ping", headers={"Origin": origin}).headers
    )


def test_the_refusal_suggests_the_origin_only_when_it_is_one(client: Client) -> None:
    good = assert_error(preflight(client, "https://app.example.com"), 403)["message"]
    assert "--cors-origin https://app.example.com " in good
    odd = assert_error(preflight(client, "https://a.example/x?<script>"), 403)["message"]
    assert "--cors-origin ORIGIN " in odd


def test_configured_origins_add_to_the_default(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app(cors_origins=("https://app.example.com",)))
    assert preflight(client, "https://app.example.com").status_code == 204
    assert preflight(client, "http://localhost:5173").status_code == 204
    assert preflight(client, "http://127.0.0.1:8080").status_code == 204
    assert_error(preflight(client, "https://app.example.com:8443"), 403)  # exact: port too


@pytest.mark.parametrize(
    "pattern,allowed,refused",
    [
        (
            "http://192.168.*",
            ["http://192.168.1.20:5173", "http://192.168.0.1"],
            ["http://192.168.evil.example", "https://192.168.1.20", "http://10.0.0.1"],
        ),
        (
            "https://*.example.com",
            ["https://app.example.com", "https://a.b.example.com:8443"],
            ["https://example.com", "https://evilexample.com", "https://example.com.evil.io"],
        ),
        (
            "http://192.168.*:5173",
            ["http://192.168.1.20:5173"],
            ["http://192.168.1.20:5174", "http://192.168.1.20"],
        ),
        ("HTTPS://App.Example.COM/", ["https://app.example.com"], ["https://app.example.co"]),
    ],
)
def test_wildcard_patterns(
    make_app: Any, make_client: Any, pattern: str, allowed: list[str], refused: list[str]
) -> None:
    client = make_client(make_app(cors_origins=(pattern,)))
    for origin in allowed:
        response = preflight(client, origin)
        assert response.status_code == 204, origin
        assert response.headers["access-control-allow-origin"] == origin
    for origin in refused:
        assert_error(preflight(client, origin), 403)


def test_regex_syntax_in_an_origin_is_literal(make_app: Any, make_client: Any) -> None:
    # a '.' that a naive regex would read as "any character"
    client = make_client(make_app(cors_origins=("https://app.example.com",)))
    assert_error(preflight(client, "https://appxexample.com"), 403)


def test_preflights_are_in_the_access_log(
    make_app: Any, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(make_app(access_log=True))
    with caplog.at_level(logging.INFO, logger="credkit.access"):
        preflight(client, "http://localhost:5173")
        preflight(client, "https://evil.example", "/__admin/reset")
    lines = [r.getMessage() for r in caplog.records if r.name == "credkit.access"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("OPTIONS /api/v1/credentials/cred-789 204 ")
    assert lines[1].startswith("OPTIONS /__admin/reset 403 ")


def test_private_network_preflights_from_allowed_origins(make_app: Any, make_client: Any) -> None:
    client = make_client(make_app(cors_origins=("http://192.168.*",)))
    response = client.options(
        CRED,
        headers={
            "Origin": "http://192.168.1.20:5173",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-private-network"] == "true"


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


def test_a_preflight_may_ask_for_prefer(client: Client) -> None:
    response = client.options(
        CRED,
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, prefer",
        },
    )
    assert response.status_code == 204
    assert "prefer" in response.headers["access-control-allow-headers"].lower()
    chosen = client.put(
        CRED, json={}, headers={**FULL, "Prefer": "code=404", "Origin": "http://localhost:5173"}
    )
    assert chosen.status_code == 404
    assert chosen.headers["access-control-allow-origin"] == "http://localhost:5173"
