"""`credkit serve` refuses every malformed input in one line, `Error: ...`, with exit status 2,
before it listens: secret keys, origins, hosts, paths, numbers, a port in use, an address that
is not this machine's. Nothing of a secret is printed, and nothing goes to standard output."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from credkit_cli import cli
from credkit_core.errors import ConfigError
from mockserver.config import Config
from mockserver.server import _bind_problem, bind_socket, local_url


@pytest.fixture
def never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A case that wrongly passed validation fails the test instead of serving forever."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("credkit serve started although its input was malformed")

    monkeypatch.setattr(uvicorn.Server, "run", refuse)


@pytest.mark.parametrize(
    "args,words",
    [
        (["--secret-key", "\udcff"], ["'secret_key'", "--secret-key", "UTF-8"]),
        (["--admin-token", "\udcff"], ["'admin_token'", "UTF-8"]),
        (["--admin-token", "two words"], ["'admin_token'", "Authorization header"]),
        (["--cors-origin", "\udcff"], ["--cors-origin", "not an origin"]),
        (["--cors-origin", "http://myhost.*"], ["--cors-origin", "any domain"]),
        (["--cors-origin", "app.example.com"], ["--cors-origin", "no scheme"]),
        (["--cors-origin", "https://ok.example,null"], ["--cors-origin", "sandboxed"]),
        (["--allowed-host", "\udcff"], ["--allowed-host", "not a host name"]),
        (["--allowed-host", "dev.lan:3000"], ["--allowed-host", "port"]),
        (["--host", "\udcff"], ["--host", "IP address"]),
        (["--host", "http://0.0.0.0"], ["--host", "without a scheme"]),
        (["--host", "127.0.0.1:3000"], ["--host", "--port"]),
        (["--port", "abc"], ["--port", "not a valid integer"]),
        (["--port", "70000"], ["--port", "65535"]),
        (["--latency", "nan"], ["latency_ms", "3600000"]),
        (["--latency", "inf"], ["latency_ms"]),
        (["--latency", "-1"], ["--latency"]),
        (["--seed", "1000000000"], ["'seed'", "100000"]),
        (["--max-body", "0"], ["--max-body"]),
        (["--fixtures", "/nonexistent/\udcff.yaml"], ["--fixtures", "does not exist"]),
        (["--state-file", ""], ["'state_file'", "a directory"]),
        (["--profile", "flowise-9"], ["--profile"]),
        (["--no-such-option"], ["No such option"]),
    ],
)
@pytest.mark.usefixtures("never_serve")
def test_a_malformed_input_is_one_line_and_exit_2(args: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0", *args])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert "two words" not in result.stderr


@pytest.mark.parametrize(
    "env,words",
    [
        ({"CREDKIT_SECRET_KEY": "\udcff"}, ["'secret_key'", "UTF-8"]),
        ({"FLOWISE_SECRETKEY_OVERWRITE": "\udcff"}, ["FLOWISE_SECRETKEY_OVERWRITE", "UTF-8"]),
        ({"CREDKIT_CORS_ORIGIN": "http://a.example,http://b.*"}, ["CREDKIT_CORS_ORIGIN"]),
        ({"CREDKIT_ALLOWED_HOST": "a.lan b.lan:80"}, ["CREDKIT_ALLOWED_HOST", "port"]),
        ({"CREDKIT_LATENCY": "nan"}, ["latency_ms"]),
    ],
)
@pytest.mark.usefixtures("never_serve")
def test_a_malformed_variable_is_one_line_and_exit_2(
    env: dict[str, str], words: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def serve(*args: bytes | str) -> subprocess.CompletedProcess[bytes]:
    """`credkit serve ARGS` as a real process (raw bytes in argv, as a shell passes them)."""
    argv = [sys.executable, "-m", "mockserver", "serve", *args]
    return subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.e2e
def test_a_secret_key_that_is_not_utf8_is_one_line_not_a_traceback() -> None:
    """`credkit serve --secret-key $'\\xff'` (it was a UnicodeEncodeError traceback)."""
    done = serve("--port", "0", b"--secret-key", b"Zq7v\xffKw9x")
    assert done.returncode == 2, done.stderr
    assert done.stdout == b""
    lines = done.stderr.decode("utf-8", "replace").splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Config 'secret_key'"), lines
    assert b"Zq7v" not in done.stderr and b"Kw9x" not in done.stderr


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


@pytest.mark.e2e
def test_a_port_in_use_is_one_line_naming_port_and_option(taken_port: int) -> None:
    done = serve("--port", str(taken_port))
    assert done.returncode == 2, done.stderr
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert lines == [
        f"Error: Port {taken_port} on 127.0.0.1 is already in use. Stop what listens there, or "
        "choose another port with --port (or CREDKIT_PORT); --port 0 takes a free one."
    ]


def test_bind_problems_name_the_option(taken_port: int) -> None:
    with pytest.raises(ConfigError, match=r"already in use.*--port") as caught:
        bind_socket(Config(port=taken_port))
    assert caught.value.exit_code == 2
    with pytest.raises(ConfigError, match="not an address of this machine"):
        bind_socket(Config(host="203.0.113.7", port=0))  # TEST-NET-3: never this machine's
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert "--host 'nowhere.invalid': not a known name" in _bind_problem(
        unknown, "nowhere.invalid", 3000
    )
    denied = PermissionError(13, "Permission denied")
    assert "below 1024" in _bind_problem(denied, "127.0.0.1", 80)


def test_a_free_port_is_bound_and_handed_to_uvicorn() -> None:
    sock = bind_socket(Config(port=0))
    try:
        assert sock.getsockname()[0] == "127.0.0.1" and sock.getsockname()[1] > 0
    finally:
        sock.close()


@pytest.mark.parametrize(
    "host,url",
    [
        ("127.0.0.1", "http://127.0.0.1:3000"),
        ("0.0.0.0", "http://127.0.0.1:3000"),
        ("::", "http://[::1]:3000"),
        ("::1", "http://[::1]:3000"),
        ("192.168.1.20", "http://192.168.1.20:3000"),
    ],
)
def test_the_banner_url_is_one_to_use_from_here(host: str, url: str) -> None:
    assert local_url(host, 3000) == url


def test_a_state_file_name_that_is_not_utf8_prints_escaped(tmp_path: Path) -> None:
    from mockserver.app import create_app
    from mockserver.server import banner

    state_file = Path(str(tmp_path / "state-") + "\udcff.jsonl")
    app = create_app(Config(state_file=state_file, secret_key="k"))
    try:
        text = banner("http://127.0.0.1:3000", app)
    finally:
        app.state.close()
    text.encode("utf-8")  # printable on a strict UTF-8 stdout
    assert "state-\\xff.jsonl" in text
