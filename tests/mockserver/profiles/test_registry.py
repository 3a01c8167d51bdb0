"""`mockserver.profiles.PROFILES`: the only list of profiles, and what the CLI offers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from credkit_cli import cli
from mockserver.config import Config
from mockserver.profiles import PROFILES, create_profile
from mockserver.requests import Call
from mockserver.runtime import build_runtime
from mockserver.stores.memory import MemoryBackend


def test_the_cli_offers_exactly_the_registered_profiles() -> None:
    option = next(p for p in cli.commands["serve"].params if p.name == "profile")
    assert list(option.type.choices) == list(PROFILES)  # type: ignore[attr-defined]
    result = CliRunner().invoke(cli, ["serve", "--profile", "no-such-profile"])
    assert result.exit_code == 2
    assert all(name in result.output for name in PROFILES)


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_profile_answers_through_the_one_interface(name: str) -> None:
    runtime = build_runtime(Config(profile=name, secret_key="k"))
    profile = create_profile(name, runtime)
    space = MemoryBackend(runtime).default
    reply = profile.handle(Call("GET", "/api/v1/ping", b"", {}, b""), space)
    assert (reply.status, reply.body) == (200, b"pong")
