"""`credkit serve` and `mockserver.server`: options, env vars, banner; end-to-end runs."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import mockserver
from credkit_cli import cli
from credkit_core.resources import DEV_KEYS
from mockserver.app import create_app
from mockserver.config import Config
from mockserver.server import banner
from tests import live


def test_serve_builds_the_config_from_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[Config] = []
    monkeypatch.setattr(mockserver, "run", seen.append)
    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "--port",
            "0",
            "--seed",
            "3",
            "--cors-origin",
            "https://a.example",
            "--cors-origin",
            "*",
            "--max-body",
            "99",
            "--latency",
            "5",
            "--log-level",
            "WARNING",
            "--state-file",
            str(tmp_path / "s"),
        ],
        auto_envvar_prefix="CREDKIT",
    )
    assert result.exit_code == 0, result.output
    (config,) = seen
    assert (config.port, config.seed, config.max_body, config.latency_ms) == (0, 3, 99, 5.0)
    assert config.cors_origins == ("https://a.example", "*") and config.log_level == "warning"


def test_serve_reads_documented_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Config] = []
    monkeypatch.setattr(mockserver, "run", seen.append)
    env = {
        "CREDKIT_PORT": "0",
        "CREDKIT_SECRET_KEY": "env-key",
        "CREDKIT_ADMIN_TOKEN": "tok",
        "CREDKIT_MAX_BODY": "7",
    }
    result = CliRunner().invoke(cli, ["serve"], env=env, auto_envvar_prefix="CREDKIT")
    assert result.exit_code == 0, result.output
    assert (seen[0].port, seen[0].secret_key, seen[0].admin_token, seen[0].max_body) == (
        0,
        "env-key",
        "tok",
        7,
    )


def test_serve_base_path_and_reload_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[Config] = []
    monkeypatch.setattr(mockserver, "run", seen.append)
    fixtures = tmp_path / "f.yaml"
    fixtures.write_text("credentials: []\n")
    args = ["serve", "--base-path", "/flowise", "--reload", "--fixtures", str(fixtures)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (seen[0].base_path, seen[0].reload, seen[0].fixtures) == ("/flowise", True, fixtures)
    env = {
        "CREDKIT_BASE_PATH": "/api-mock",
        "CREDKIT_RELOAD": "true",
        "CREDKIT_FIXTURES": str(fixtures),
    }
    result = CliRunner().invoke(cli, ["serve"], env=env, auto_envvar_prefix="CREDKIT")
    assert result.exit_code == 0, result.output
    assert (seen[1].base_path, seen[1].reload) == ("/api-mock", True)
    refused = CliRunner().invoke(cli, ["serve", "--reload"])
    assert refused.exit_code == 2 and "--fixtures" in refused.output


def test_serve_help_says_the_flowise_profile_ignores_prefer() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert (
        "'flowise-3.1' reproduces the real Flowise 3.1.4 server and, like it, ignores Prefer"
        in text
    )
    assert "CREDKIT_BASE_PATH" in text and "CREDKIT_RELOAD" in text


def test_banner_under_a_base_path_names_the_docs() -> None:
    app = create_app(Config(secret_key="k", port=0, base_path="/flowise"))
    text = banner("http://127.0.0.1:4321", app)
    assert "listening on http://127.0.0.1:4321 (base path /flowise)" in text
    assert (
        "docs: http://127.0.0.1:4321/flowise/docs   (Try it out: Authorize with YOUR_API_KEY)"
        in text
    )
    assert "curl -X PUT 'http://127.0.0.1:4321/flowise/api/v1/credentials/cred-789'" in text


def test_serve_refuses_bad_options() -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "-1"])
    assert result.exit_code == 2 and "--port" in result.output


def test_corrupt_state_file_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "state.jsonl"
    path.write_text("garbage\n")
    result = CliRunner().invoke(
        cli, ["serve", "--port", "0", "--state-file", str(path), "--secret-key", "k"]
    )
    assert result.exit_code == 2
    assert str(path) in result.output and "line 1" in result.output


def test_banner_shows_url_keys_and_curl_never_the_passphrase() -> None:
    app = create_app(Config(secret_key="do-not-print-me", port=0))
    text = banner("http://127.0.0.1:4321", app)
    assert "http://127.0.0.1:4321" in text
    for key in ("dev-admin-key", "YOUR_API_KEY", "dev-readonly-key"):
        assert key in text
    assert "curl -X PUT 'http://127.0.0.1:4321/api/v1/credentials/cred-789'" in text
    assert "do-not-print-me" not in text and "--secret-key" in text


def test_seed_adds_deterministic_generated_credentials() -> None:
    one = create_app(Config(seed=5, secret_key="k")).state.store
    two = create_app(Config(seed=5, secret_key="k")).state.store
    assert len(one) == 12
    assert sorted(c.id for c in one.all()) == sorted(c.id for c in two.all())


# -- end to end: a real `credkit serve --port 0` ---------------------------------------------


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., live.LiveServer]]:
    started: list[live.LiveServer] = []

    def start(*args: str) -> live.LiveServer:
        started.append(live.start(tmp_path / f"serve-{len(started)}.log", *args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def served(serve: Callable[..., live.LiveServer]) -> live.LiveServer:
    return serve("--secret-key", "e2e-passphrase")


@pytest.mark.e2e
def test_documented_curl_examples_against_a_real_server(served: live.LiveServer) -> None:
    url = served.url
    headers = {"Authorization": f"Bearer {DEV_KEYS['full']}", "Content-Type": "application/json"}
    first = httpx.put(
        f"{url}/api/v1/credentials/cred-789",
        content='{\n    "name": "OpenAI Production Key"\n  }',
        headers=headers,
    )
    assert first.status_code == 200 and first.json()["name"] == "OpenAI Production Key"
    second = httpx.put(
        f"{url}/api/v1/credentials/cred-789",
        content='{"name": "OpenAI Production Key", '
        '"plainDataObj": {"openAIApiKey": "sk-new-key-..."}}',
        headers=headers,
    )
    body = second.json()
    assert second.status_code == 200 and body["encryptedData"].startswith("U2FsdGVkX1")
    assert set(body) == {
        "id",
        "name",
        "credentialName",
        "encryptedData",
        "createdDate",
        "updatedDate",
        "workspaceId",
    }
    output = served.wait_for_output("PUT /api/v1/credentials/cred-789 200")
    for secret in ("sk-new-key", "e2e-passphrase"):
        assert secret not in output
    assert (
        output.count("YOUR_API_KEY") == output[: output.index("try:")].count("YOUR_API_KEY") + 1
    )  # banner only


@pytest.mark.e2e
def test_real_server_stops_cleanly_on_sigint(served: live.LiveServer) -> None:
    assert httpx.get(f"{served.url}/api/v1/ping").text == "pong"
    assert served.stop(signal.SIGINT) == 0


@pytest.mark.e2e
def test_state_file_survives_a_real_restart(
    serve: Callable[..., live.LiveServer], tmp_path: Path
) -> None:
    state = tmp_path / "state.jsonl"
    first = serve("--state-file", str(state))
    headers = {"Authorization": f"Bearer {DEV_KEYS['full']}"}
    response = httpx.put(
        f"{first.url}/api/v1/credentials/cred-789", json={"name": "persisted"}, headers=headers
    )
    assert response.status_code == 200
    assert first.stop(signal.SIGINT) == 0
    assert (tmp_path / "state.jsonl.key").exists()
    second = serve("--state-file", str(state))
    got = httpx.get(f"{second.url}/api/v1/credentials/cred-789", headers=headers)
    assert got.json()["name"] == "persisted"


def test_the_banner_says_who_may_reach_the_mock() -> None:
    from mockserver.server import access_lines

    plain = access_lines(Config())
    assert plain == [
        "  allowed hosts: localhost, 127.0.0.1, [::1] (any port)",
        "  CORS origins: http(s)://localhost, 127.0.0.1 or [::1] on any port",
    ]
    wide = "\n".join(access_lines(Config(host="0.0.0.0")))
    assert "bound to every interface" in wide and "--allowed-host NAME" in wide
    named = "\n".join(access_lines(Config(host="0.0.0.0", allowed_hosts=("dev.lan",))))
    assert "allowed hosts: localhost, 127.0.0.1, [::1], dev.lan (any port)" in named
    assert "bound to every interface" not in named
    opened = "\n".join(access_lines(Config(allowed_hosts=("*",), cors_origins=("*",))))
    assert "WARNING: --allowed-host '*'" in opened and "DNS rebinding" in opened
    assert "WARNING: --cors-origin '*'" in opened
    listed = "\n".join(access_lines(Config(cors_origins=("http://192.168.*",))))
    assert "on any port; and http://192.168.*" in listed


def test_the_worker_config_leaves_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """It holds the secret key and the admin token: no later child process inherits it."""
    import socket

    import uvicorn.supervisors

    from mockserver import server

    seen: list[bool] = []

    class Supervisor:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def run(self) -> None:
            seen.append(server.WORKER_CONFIG in os.environ)  # the workers read it
            config = os.environ[server.WORKER_CONFIG]
            with monkeypatch.context() as worker:  # a worker process's own environment
                worker.setenv(server.WORKER_CONFIG, config)
                assert server.worker_app() is not None
                seen.append(server.WORKER_CONFIG in os.environ)

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    config = Config(admin_token="t0ken", access_log=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        server._run_workers(config, sock, lambda url: url)
    assert seen == [True, False]
    assert server.WORKER_CONFIG not in os.environ
