"""One path for configuration: `credkit serve`'s options are the `Config` fields, with their
environment variables and defaults, and the command line reads a variable as `Config.from_env`
does (lists included)."""

from __future__ import annotations

from dataclasses import fields

import click
import pytest
from click.testing import CliRunner

import mockserver
from mockserver.cli import serve
from mockserver.config import ENV_VARS, Config

TUNING_ONLY = {"compact_every"}  # for tests and benchmarks: no option, no variable


def _options() -> dict[str, click.Option]:
    return {p.name: p for p in serve.params if isinstance(p, click.Option) and p.name}


def test_every_config_field_has_an_option_with_its_variable_and_default() -> None:
    names = {f.name for f in fields(Config)} - TUNING_ONLY
    assert set(ENV_VARS) == names
    options = _options()
    assert set(options) == names
    for name, option in options.items():
        assert option.envvar == ENV_VARS[name][0], name
        assert option.default == getattr(Config(), name), name


def _from_cli(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Config:
    seen: list[Config] = []
    monkeypatch.setattr(mockserver, "run", seen.append)
    result = CliRunner().invoke(serve, [], env=env)
    assert result.exit_code == 0, result.output
    return seen[0]


@pytest.mark.parametrize(
    "env",
    [
        {"CREDKIT_CORS_ORIGIN": "http://a.example,http://b.example"},
        {"CREDKIT_CORS_ORIGIN": "http://a.example, http://b.example http://c.example"},
        {"CREDKIT_ACCESS_LOG": "false", "CREDKIT_VALIDATE_RESPONSES": "0"},
        {"CREDKIT_PORT": "0", "CREDKIT_LATENCY": "2.5", "CREDKIT_LOG_LEVEL": "WARNING"},
        {"CREDKIT_SECRET_KEY": "k", "CREDKIT_ADMIN_TOKEN": "t", "CREDKIT_PROFILE": "flowise-3.1"},
    ],
)
def test_the_command_line_reads_a_variable_as_from_env_does(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _from_cli(env, monkeypatch) == Config.from_env(env)


def test_comma_separated_origins_are_two_origins_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Config] = []
    monkeypatch.setattr(mockserver, "run", seen.append)
    result = CliRunner().invoke(serve, ["--cors-origin", "http://a.example,http://b.example"])
    assert result.exit_code == 0, result.output
    assert seen[0].cors_origins == ("http://a.example", "http://b.example")
