"""`mockserver.config.Config`: keyword-only, validated, from the environment."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from credkit_core.errors import ConfigError
from mockserver.app import create_app
from mockserver.config import Config


def test_defaults() -> None:
    config = Config()
    assert (config.host, config.port, config.max_body, config.profile) == (
        "127.0.0.1",
        3000,
        1_048_576,
        "spec",
    )


def test_keyword_only() -> None:
    with pytest.raises(TypeError):
        Config("0.0.0.0")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "word"),
    [
        ({"port": -1}, "port"),
        ({"port": 70000}, "port"),
        ({"seed": -2}, "seed"),
        ({"latency_ms": -1.0}, "latency_ms"),
        ({"max_body": 0}, "max_body"),
        ({"log_level": "loud"}, "log_level"),
        ({"secret_key": ""}, "secret_key"),
        ({"admin_token": ""}, "admin_token"),
        ({"cors_origins": ("localhost",)}, "cors_origins"),
        ({"cors_origins": ("http://192.168.*x",)}, "whole labels"),
        ({"cors_origins": ("http://myhost.*",)}, "any domain"),
        ({"cors_origins": ("null",)}, "sandboxed"),
        ({"cors_origins": ("https://a.example/app",)}, "no path"),
        ({"cors_origins": ("https://a.example:0",)}, "1..65535"),
        ({"cors_origins": ("\udcff",)}, "ASCII"),
        ({"allowed_hosts": ("a.lan:3000",)}, "--allowed-host, CREDKIT_ALLOWED_HOST"),
        ({"allowed_hosts": ("http://a.lan",)}, "name alone"),
        ({"allowed_hosts": ("\udcff",)}, "allowed_hosts"),
        (
            {"secret_key": "\udcff"},
            "'secret_key' (--secret-key, CREDKIT_SECRET_KEY) is not valid UTF-8",
        ),
        (
            {"admin_token": "\udcff"},
            "'admin_token' (--admin-token, CREDKIT_ADMIN_TOKEN) is not valid UTF-8",
        ),
        ({"admin_token": "two words"}, "Authorization header"),
        ({"admin_token": "caf\u00e9"}, "Authorization header"),
        ({"latency_ms": float("nan")}, "latency_ms"),
        ({"latency_ms": float("inf")}, "latency_ms"),
        ({"latency_ms": 1e308}, "latency_ms"),
        ({"seed": 10**9}, "seed"),
        ({"host": "http://0.0.0.0"}, "without a scheme"),
        ({"host": "127.0.0.1:3000"}, "--port"),
        ({"host": "[::1]"}, "without brackets"),
        ({"host": "\udcff"}, "'host'"),
        ({"host": ""}, "'host'"),
        ({"state_file": Path(".")}, "a directory"),
        ({"state_file": Path("/")}, "a directory"),
        ({"base_path": "flowise"}, "base_path"),
        ({"base_path": "/flo wise"}, "base_path"),
        ({"base_path": "/a//b"}, "base_path"),
        ({"base_path": "/api?x=1"}, "base_path"),
        ({"reload": True}, "--fixtures"),
        (
            {"reload": True, "fixtures": Path("f.json"), "store": "redis://127.0.0.1:6379/0"},
            "(--reload) cannot be used with a Redis store (--store)",
        ),
    ],
)
def test_bad_values_are_config_errors(values: dict[str, object], word: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(word)) as caught:
        Config(**values)  # type: ignore[arg-type]
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "\n" not in message
    message.encode("ascii")  # printable anywhere: undecodable bytes are escaped
    for secret in ("two words", "caf\u00e9"):
        assert secret not in message


def test_a_state_file_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    """Its snapshots replace it (`os.replace`): a device such as /dev/null would become a
    regular file. A FIFO stands in for the device here."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        Config(state_file=fifo)
    assert fifo.is_fifo()
    Config(state_file=tmp_path / "new.jsonl")  # not there yet: fine


def test_origins_and_hosts_are_normalized_once() -> None:
    config = Config(
        cors_origins=("HTTPS://A.example/", "https://a.example", "*"),
        allowed_hosts=("Dev.LAN", "dev.lan.", "[FD00::1]"),
    )
    assert config.cors_origins == ("https://a.example", "*")
    assert config.allowed_hosts == ("dev.lan", "[fd00::1]")
    from_env = Config.from_env({"CREDKIT_ALLOWED_HOST": "a.lan, b.lan c.lan"})
    assert from_env.allowed_hosts == ("a.lan", "b.lan", "c.lan")


def test_an_unknown_profile_is_a_config_error_before_anything_starts(tmp_path: Path) -> None:
    # Profiles are checked against their registry (mockserver.profiles.PROFILES) when the app
    # is built, before a state file is touched.
    state_file = tmp_path / "state.jsonl"
    with pytest.raises(ConfigError, match=r"'profile' has value 'flowise-9'.*spec, flowise-3.1"):
        create_app(Config(profile="flowise-9", state_file=state_file))
    assert not state_file.exists()


def test_secrets_stay_out_of_repr() -> None:
    text = repr(Config(secret_key="s3cret-passphrase", admin_token="t0ken-value"))
    assert "s3cret-passphrase" not in text and "t0ken-value" not in text


def test_from_env_reads_documented_names() -> None:
    config = Config.from_env(
        {
            "CREDKIT_PORT": "0",
            "CREDKIT_SECRET_KEY": "k",
            "CREDKIT_CORS_ORIGIN": "https://a.example https://b.example",
            "CREDKIT_MAX_BODY": "10",
            "CREDKIT_STATE_FILE": "/tmp/x.jsonl",
            "CREDKIT_LATENCY": "2.5",
            "CREDKIT_ACCESS_LOG": "false",
            "CREDKIT_LOG_LEVEL": "WARNING",
        }
    )
    assert config.port == 0 and config.secret_key == "k" and config.max_body == 10
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert config.state_file == Path("/tmp/x.jsonl") and config.latency_ms == 2.5
    assert config.access_log is False and config.log_level == "warning"


def test_from_env_names_the_bad_variable() -> None:
    with pytest.raises(ConfigError, match="CREDKIT_PORT"):
        Config.from_env({"CREDKIT_PORT": "eighty"})


def test_from_mapping_suggests_a_name() -> None:
    with pytest.raises(ConfigError, match="did you mean 'max_body'"):
        Config.from_mapping({"max_bdy": 1})
    assert Config.from_mapping({"port": 1}).port == 1


def test_base_path_and_reload_from_env(tmp_path: Path) -> None:
    fixtures = tmp_path / "f.yaml"
    config = Config.from_env(
        {"CREDKIT_BASE_PATH": "/flowise/", "CREDKIT_RELOAD": "1", "CREDKIT_FIXTURES": str(fixtures)}
    )
    assert config.base_path == "/flowise" and config.reload is True
    assert Config(base_path="/").base_path == "" and Config().base_path == ""


@pytest.mark.parametrize("store", ["REDIS://:hunter2@cache/0", "redis:/:hunter2@h", "x@hunter2"])
def test_a_refused_store_url_never_shows_its_password(store: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config(store=store)
    assert "hunter2" not in str(caught.value)
    assert "Use 'memory' or a Redis URL" in str(caught.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"store": "postgres://x"}, "Use 'memory' or a Redis URL"),
        ({"workers": 2}, "--workers 2 needs a shared store: with the in-memory store"),
        ({"workers": 0, "store": "redis://h/0"}, "Use a count >= 1"),
        ({"store": "redis://h/0", "state_file": "s"}, "cannot be used with a Redis store"),
        ({"namespace_ttl": 0}, "Use seconds > 0"),
        ({"max_namespaces": 0}, "Use a count >= 1"),
    ],
)
def test_store_workers_and_namespace_settings_are_checked(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config(**values)  # type: ignore[arg-type]
    assert Config(store="rediss://h:6380/1", workers=3).workers == 3
