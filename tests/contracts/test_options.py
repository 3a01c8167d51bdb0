"""Every option of `credkit verify` / `credkit fuzz` has its environment variable, named in
`--help`; lists in a variable parse as everywhere else in credkit."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from contracts import pytest_plugin
from contracts.cli import fuzz, verify
from contracts.config import ENV_VARS
from contracts.options import NO_ENVVAR, env_var
from credkit_core.envvars import parse_list
from mockserver.config import Config

COMMANDS = {"verify": verify, "fuzz": fuzz}


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_its_variable_named_in_help(name: str) -> None:
    command = COMMANDS[name]
    help_text = " ".join(CliRunner().invoke(command, ["--help"], terminal_width=200).output.split())
    options = _options(command)
    assert len(options) >= 19
    for option in options:
        if option.name in NO_ENVVAR:
            assert option.envvar is None and not option.allow_from_autoenv
            continue
        assert option.envvar == env_var(name, option.opts[0]), option.name
        assert option.show_envvar, option.name
        assert f"[env var: {option.envvar}" in help_text or f"env var: {option.envvar};" in (
            help_text
        ), option.envvar


def test_variable_names() -> None:
    # where the server is and who the run is: the same for verify, fuzz and the pytest plugin
    for command in ("verify", "fuzz"):
        assert env_var(command, "--base-url") == "CREDKIT_BASE_URL"
        assert env_var(command, "--api-key") == "CREDKIT_API_KEY"
        assert env_var(command, "--secret-key") == "CREDKIT_VERIFY_SECRET_KEY"
    assert env_var("verify", "--rate-limit") == "CREDKIT_VERIFY_RATE_LIMIT"
    assert env_var("fuzz", "--duration") == "CREDKIT_FUZZ_DURATION"
    assert env_var("fuzz", "--max-examples") == "CREDKIT_FUZZ_MAX_EXAMPLES"
    # the plugin spells its variables out (to stay cheap to import): they are the same
    assert {k: v for k, v in ENV_VARS.items() if k != "base_url"} == pytest_plugin._KEY_VARS
    # none collides with a variable of the mock, which means something else there
    mock_vars = {var for var, _ in __import__("mockserver.config").config.ENV_VARS.values()}
    every = {o.envvar for c in COMMANDS.values() for o in _options(c) if o.envvar}
    assert not every & mock_vars


def test_help_explains_the_exit_codes() -> None:
    output = CliRunner().invoke(verify, ["--help"]).output
    assert "Exit status:" in output
    for line in ("0  every check passed", "1  the server violates", "2  the run could not"):
        assert line in output


@pytest.mark.parametrize("raw", ["a,b", "a, b c", " a\tb ,, c ", "single"])
def test_lists_in_variables_parse_the_same_way_as_the_mocks(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDKIT_VERIFY_INCLUDE_CHECK", raw)
    monkeypatch.setenv("CREDKIT_FUZZ_EXCLUDE_CHECK", raw)
    include = verify.make_context("verify", []).params["include"]
    exclude = fuzz.make_context("fuzz", []).params["exclude"]
    as_origins = re.sub(r"[^,\s]+", lambda m: "http://" + m.group(0), raw)
    origins = Config.from_env({"CREDKIT_CORS_ORIGIN": as_origins}).cors_origins
    assert include == exclude == parse_list(raw)
    assert tuple(o.removeprefix("http://") for o in origins) == include


def test_headers_in_a_variable_are_one_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDKIT_VERIFY_HEADER", "X-One: a b, c\n\n  X-Two: d\n")
    assert verify.make_context("verify", []).params["headers"] == ("X-One: a b, c", "X-Two: d")


def test_values_from_the_environment_reach_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run(config: object, **kwargs: object) -> object:
        seen["config"] = config
        raise KeyboardInterrupt  # stop here: only the configuration is of interest

    monkeypatch.setattr("contracts.runner.run", fake_run)
    env = {
        "CREDKIT_BASE_URL": "http://127.0.0.1:9/flowise/",
        "CREDKIT_API_KEY": "key-0123456789",
        "CREDKIT_VERIFY_RATE_LIMIT": "90/m",
        "CREDKIT_VERIFY_MAX_EXAMPLES": "7",
        "CREDKIT_VERIFY_INSECURE": "true",
        "CREDKIT_VERIFY_FAIL_ON_SKIP": "1",
        "CREDKIT_VERIFY_INCLUDE_CHECK": "update-partial-merge,update-response-id",
    }
    CliRunner().invoke(verify, [], env=env)
    config = seen["config"]
    assert config.base_url == "http://127.0.0.1:9/flowise"  # type: ignore[attr-defined]
    assert config.rate_limit == "90/m" and config.max_examples == 7  # type: ignore[attr-defined]
    assert config.insecure and config.fail_on_skip  # type: ignore[attr-defined]
    assert config.include_checks == ("update-partial-merge", "update-response-id")  # type: ignore[attr-defined]


def test_list_checks_is_never_read_from_the_environment() -> None:
    result = CliRunner().invoke(
        verify, [], env={"CREDKIT_VERIFY_LIST_CHECKS": "1", "CREDKIT_BASE_URL": ""}
    )
    assert result.exit_code == 2
    assert "--base-url (or CREDKIT_BASE_URL) is required" in result.output
