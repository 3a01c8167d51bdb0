"""The `Host` check (`mockserver.edge.hosts`): loopback names, the bound address and
`--allowed-host` are answered; any other `Host` gets 403 in the error shape, naming the option."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from mockserver.edge.hosts import CACHE_SIZE, HostCheck, HostPolicy, host_name, normalize_host
from tests.assertions import assert_error
from tests.mockserver.conftest import FULL, Client

CRED = "/api/v1/credentials/cred-789"


def get(app: Any, host: str, path: str = "/api/v1/ping", **kwargs: Any) -> httpx.Response:
    with Client(app) as client:
        return client.get(path, headers={"Host": host, **kwargs.pop("headers", {})}, **kwargs)


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:3000",
        "LOCALHOST:3000",
        "localhost.:3000",
        "127.0.0.1",
        "127.0.0.1:65535",
        "[::1]",
        "[::1]:8080",
        "[0:0:0:0:0:0:0:1]:8080",
        "localhost:",
    ],
)
def test_loopback_names_are_answered_on_any_port(app: Any, host: str) -> None:
    response = get(app, host)
    assert response.status_code == 200 and response.text == "pong", host


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:3000",
        "localhost.evil.example",
        "127.0.0.1.nip.io:3000",
        "127.0.0.2",
        "0.0.0.0:3000",
        "testserver",
        "localhost:abc",
        "[::1",
        "[::1]x",
        "::1",
        "",
    ],
)
def test_other_hosts_are_refused_naming_the_option(app: Any, host: str) -> None:
    body = assert_error(get(app, host), 403)
    assert "--allowed-host" in body["message"] and "CREDKIT_ALLOWED_HOST" in body["message"]
    assert "DNS rebinding" in body["message"]


def test_the_refusal_suggests_the_name_only_when_it_is_one(app: Any) -> None:
    named = assert_error(get(app, "Dev-Box.lan:3000"), 403)["message"]
    assert "start it with --allowed-host dev-box.lan " in named
    junk = assert_error(get(app, "a b<script>"), 403)["message"]
    assert "--allowed-host NAME " in junk
    star = assert_error(get(app, "*"), 403)["message"]
    assert "--allowed-host NAME " in star


def test_a_refused_host_changes_nothing_and_is_logged(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(access_log=True)
    with Client(app) as client, caplog.at_level(logging.INFO, logger="credkit.access"):
        before = client.get(CRED, headers=FULL).json()
        response = client.put(
            CRED, json={"name": "rebound"}, headers={**FULL, "Host": "attacker.example"}
        )
        assert_error(response, 403)
        reset = client.post("/__admin/reset", headers={"Host": "attacker.example"})
        assert_error(reset, 403)
        assert client.get(CRED, headers=FULL).json() == before
    lines = [r.getMessage() for r in caplog.records if r.name == "credkit.access"]
    assert any(line.startswith(f"PUT {CRED} 403 ") for line in lines), lines
    assert len(app.state.journal.view()) == 2  # the two GETs; the refused PUT never got in


@pytest.mark.parametrize(
    "allowed,answered,refused",
    [
        (("dev-box.lan",), ["dev-box.lan:3000", "DEV-BOX.LAN"], ["other.lan", "x.dev-box.lan"]),
        (
            ("*.example.com",),
            ["a.example.com", "a.b.example.com:1"],
            ["example.com", "xexample.com"],
        ),
        (("192.168.1.20",), ["192.168.1.20:3000"], ["192.168.1.21:3000"]),
        (("fd00::1",), ["[fd00::1]:3000", "[fd00:0::1]"], ["[fd00::2]"]),
        (("*",), ["anything.example", "evil.example:1"], []),
    ],
)
def test_allowed_hosts_add_to_loopback(
    make_app: Any, allowed: tuple[str, ...], answered: list[str], refused: list[str]
) -> None:
    app = make_app(allowed_hosts=allowed)
    for host in [*answered, "localhost:3000"]:
        assert get(app, host).status_code == 200, host
    for host in refused:
        assert_error(get(app, host), 403)


def test_the_bound_address_is_answered(make_app: Any) -> None:
    app = make_app(host="192.168.1.20")  # never bound in-process: only its name is used
    assert get(app, "192.168.1.20:3000").status_code == 200
    assert_error(get(app, "192.168.1.21:3000"), 403)
    wildcard = make_app(host="0.0.0.0")
    assert_error(get(wildcard, "192.168.1.20:3000"), 403)


def test_a_request_without_host_is_answered(app: Any) -> None:
    """HTTP/1.0 without `Host` is no browser (browsers always send one)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.0",
        "method": "GET",
        "path": "/api/v1/ping",
        "raw_path": b"/api/v1/ping",
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 3000),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200


def test_allowed_values_are_remembered_refused_ones_are_not(app: Any) -> None:
    check = app.asgi
    assert isinstance(check, HostCheck)
    get(app, "localhost:4000")
    get(app, "evil.example")
    assert b"localhost:4000" in check.seen and b"evil.example" not in check.seen


def test_the_cache_is_bounded(app: Any) -> None:
    check = app.asgi
    check.seen.update(b"localhost:%d" % port for port in range(1, CACHE_SIZE + 1))
    assert get(app, "localhost:2000").status_code == 200
    assert len(check.seen) == CACHE_SIZE and b"localhost:2000" not in check.seen


@pytest.mark.parametrize(
    "value,normal",
    [
        ("Dev-Box.LAN", "dev-box.lan"),
        ("dev-box.lan.", "dev-box.lan"),
        ("*.Example.com", "*.example.com"),
        ("[FD00::1]", "[fd00::1]"),
        ("fd00:0::1", "[fd00::1]"),
        ("192.168.1.20", "192.168.1.20"),
        ("*", "*"),
    ],
)
def test_normalize_host(value: str, normal: str) -> None:
    assert normalize_host(value) == normal


@pytest.mark.parametrize(
    "value,word",
    [
        ("dev-box.lan:3000", "port"),
        ("http://dev-box.lan", "name alone"),
        ("dev box", "without spaces"),
        ("d\u00e9v.lan", "punycode"),
        ("\udcff", "ASCII"),
        ("[fd00::zz]", "IPv6"),
        ("a.*.example.com", "host name"),
        ("", "host name"),
        ("-bad-.lan", "host name"),
    ],
)
def test_normalize_host_refuses_what_is_not_a_name(value: str, word: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_host(value)
    assert word in str(caught.value)


@pytest.mark.parametrize(
    "raw,name",
    [
        ("LocalHost:3000", "localhost"),
        ("[::1]:1", "[::1]"),
        ("x.example.", "x.example"),
        ("x:", "x"),
        ("x:y", None),
        ("[::1]:y", None),
        ("[nope]", None),
        (":3000", None),
    ],
)
def test_host_name(raw: str, name: str | None) -> None:
    assert host_name(raw) == name


def test_describe_lists_what_is_allowed() -> None:
    assert HostPolicy().describe() == "localhost, 127.0.0.1, [::1] (any port)"
    text = HostPolicy(("dev.lan", "*.example.com"), bind_host="10.0.0.5").describe()
    assert text == "localhost, 127.0.0.1, [::1], 10.0.0.5, dev.lan, *.example.com (any port)"
    assert "any" in HostPolicy(("*",)).describe()
