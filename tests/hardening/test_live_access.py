"""Forged `Host` and `Origin` headers and cross-site admin writes against a live `credkit
serve`, sent with curl as an attacker would (every request goes to 127.0.0.1: DNS rebinding
is played with `curl --resolve NAME:PORT:127.0.0.1`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests import live
from tests.hardening.conftest import CRED, FULL_KEY

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]

ITEM = f"/api/v1/credentials/{CRED}"
KEY = f"Authorization: Bearer {FULL_KEY}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[live.LiveServer]:
    log = tmp_path_factory.mktemp("live-access") / "serve.log"
    with live.running(log, "--allowed-host", "dev-box.lan") as running:
        yield running


def curl(*args: str) -> tuple[int, Any]:
    """(status, JSON body or text) of one curl call."""
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "30", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text, _, status = done.stdout.rpartition("\n")
    try:
        return int(status), json.loads(text)
    except ValueError:
        return int(status), text


@pytest.fixture
def survivor(server: live.LiveServer) -> Iterator[str]:
    """cred-789 renamed, so a reset or a write would show; checked unchanged after the test."""
    status, _ = curl("-X", "POST", f"{server.url}/__admin/reset")
    assert status == 204
    status, body = curl(
        "-X", "PUT", server.url + ITEM, "-H", KEY, "-H", "Content-Type: application/json",
        "-d", '{"name": "survivor"}',
    )  # fmt: skip
    assert status == 200, body
    yield server.url
    status, body = curl(server.url + ITEM, "-H", KEY)
    assert (status, body["name"]) == (200, "survivor")


def refused(status: int, body: Any, *words: str) -> None:
    assert status == 403, body
    assert set(body) == {"statusCode", "success", "message", "stack"}
    for word in words:
        assert word in body["message"], body["message"]


def port_of(url: str) -> str:
    return url.rsplit(":", 1)[1]


@pytest.mark.parametrize(
    "args",
    [
        [ITEM, "-H", KEY],
        [ITEM, "-H", KEY, "-X", "PUT", "-H", "Content-Type: application/json", "-d", "{}"],
        [ITEM, "-H", KEY, "-X", "DELETE"],
        ["/__admin/reset", "-X", "POST"],
        ["/__admin/state"],
    ],
)
def test_a_forged_host_is_refused(survivor: str, args: list[str]) -> None:
    path, *rest = args
    status, body = curl(survivor + path, "-H", "Host: attacker.example", *rest)
    refused(status, body, "--allowed-host", "DNS rebinding")
    assert "survivor" not in json.dumps(body)


def test_dns_rebinding_with_the_public_development_key_is_refused(survivor: str) -> None:
    """attacker.example now resolves to 127.0.0.1: the browser's request, as curl sends it."""
    port = port_of(survivor)
    rebound = f"http://attacker.example:{port}"
    resolve = f"attacker.example:{port}:127.0.0.1"
    for args in (
        [rebound + ITEM, "-H", KEY],
        [rebound + "/__admin/reset", "-X", "POST", "-H", f"Origin: {rebound}"],
        [rebound + ITEM, "-H", KEY, "-X", "PUT", "-H", "Content-Type: application/json",
         "-H", f"Origin: {rebound}", "-d", '{"name": "pwned"}'],
    ):  # fmt: skip
        status, body = curl("--resolve", resolve, *args)
        refused(status, body, "--allowed-host attacker.example")


def test_an_allowed_host_is_answered(survivor: str) -> None:
    port = port_of(survivor)
    status, body = curl(
        "--resolve", f"dev-box.lan:{port}:127.0.0.1", f"http://dev-box.lan:{port}{ITEM}", "-H", KEY
    )
    assert (status, body["name"]) == (200, "survivor")


@pytest.mark.parametrize(
    "args",
    [
        ["-H", "Origin: https://evil.example"],
        ["-H", "Origin: https://evil.example", "-H", "Content-Type: application/json"],
        ["-H", "Origin: null"],
        ["-H", "Origin: http://127.0.0.1:8000"],  # another local port is another site
        ["-H", "Content-Type: text/plain", "-d", "x"],
        ["-d", "a=b"],  # curl's default: a form
        ["-F", "a=b"],  # multipart
    ],
)
def test_a_cross_site_reset_is_refused(survivor: str, args: list[str]) -> None:
    status, body = curl("-X", "POST", survivor + "/__admin/reset", *args)
    refused(status, body, "Cross-site request refused")


def test_a_refused_preflight_says_why(survivor: str) -> None:
    status, body = curl(
        "-X", "OPTIONS", survivor + ITEM, "-H", "Origin: https://evil.example",
        "-H", "Access-Control-Request-Method: PUT",
    )  # fmt: skip
    refused(status, body, "origin 'https://evil.example' is not allowed", "--cors-origin")


def test_the_refusals_are_in_the_access_log(server: live.LiveServer, survivor: str) -> None:
    curl(survivor + "/api/v1/ping", "-H", "Host: attacker.example")
    curl(
        "-X", "OPTIONS", survivor + ITEM, "-H", "Origin: http://localhost:5173",
        "-H", "Access-Control-Request-Method: PUT",
    )  # fmt: skip
    server.wait_for_output("OPTIONS /api/v1/credentials/cred-789 204 ")
    assert "GET /api/v1/ping 403 " in server.output


def test_the_banner_says_what_is_allowed(server: live.LiveServer) -> None:
    assert "allowed hosts: localhost, 127.0.0.1, [::1], dev-box.lan (any port)" in server.output
    assert "CORS origins: http(s)://localhost, 127.0.0.1 or [::1] on any port" in server.output
