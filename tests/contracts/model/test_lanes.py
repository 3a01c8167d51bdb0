"""`--concurrency`: generated sequences run in lanes at once, share one budget, stop together
(`--max-failures`, `--duration`), and each divergence is still reported once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from contracts.config import VerifyConfig
from contracts.runner import run
from credkit_core.errors import ConfigError
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import mock
from tests.contracts.broken.model import _rename

MODEL = ("model-conformance",)


class InFlight:
    """An ASGI wrapper that holds each API request 20 ms and counts how many were in flight at
    once (the most seen)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = getattr(app, "state", None)
        self.now = 0
        self.most = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0.02)
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def test_lanes_send_sequences_at_once(make_config: Callable[..., VerifyConfig]) -> None:
    app = InFlight(mock())
    with serving(app) as url:
        result = run(make_config(url, include_checks=MODEL, max_examples=1, concurrency=4))
    assert result.exit_code == 0, [f.observed for f in result.failures()]
    # one lane sends one request at a time (two in its `race` rule): more means lanes overlap
    assert app.most >= 3
    assert result.exploration["sequences"] >= 12  # the whole budget: 1 x 12 sequences


def test_one_lane_sends_one_sequence_at_a_time(make_config: Callable[..., VerifyConfig]) -> None:
    app = InFlight(mock())
    with serving(app) as url:
        result = run(make_config(url, include_checks=MODEL, max_examples=1, concurrency=1))
    assert result.exit_code == 0, [f.observed for f in result.failures()]
    assert app.most <= 2  # the race rule's two PUTs at most


def test_max_failures_stops_every_lane(
    make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("contracts.model.check.SHRINK_SECONDS", 2)

    def explore(**options: Any) -> Any:
        # every create stores another name: every sequence diverges at its first step
        with serving(_rename(lambda name: name + "-x")) as url:
            return run(make_config(url, include_checks=MODEL, max_examples=10, concurrency=4,
                                   **options))  # fmt: skip

    first = explore(max_failures=1)
    assert first.exit_code == 1
    (outcome,) = first.outcomes
    assert len(outcome.findings) == 1
    whole = explore()
    assert whole.exploration["sequences"] >= 10 * 12  # the whole budget, past the known one
    # with --max-failures 1 the other lanes stopped at their next sequence
    assert first.exploration["sequences"] < 10 * 12 // 2


def test_duration_bounds_the_exploration(make_config: Callable[..., VerifyConfig]) -> None:
    with serving(mock()) as url:
        result = run(make_config(url, include_checks=MODEL, max_examples=50, duration=15.0))
    assert result.exit_code == 0, [f.observed for f in result.failures()]
    # 600 sequences take minutes: the time bound (60 % of 15 s) stopped the lanes early
    assert 0 < result.exploration["sequences"] < 600


def test_concurrency_must_be_sensible(make_config: Callable[..., VerifyConfig]) -> None:
    with pytest.raises(ConfigError, match="--concurrency 0 must be from 1 to 32"):
        make_config("http://127.0.0.1:1", concurrency=0)


def test_ast_parse_is_serialised_while_threads_run() -> None:
    import ast

    from contracts.threads import serial_ast

    original = ast.parse
    trees: list[Any] = []

    def parse() -> None:
        for _ in range(50):
            trees.append(ast.parse("f(" * 40 + ")" * 40))

    # two users (the lanes, schemathesis' thread) that leave in the order they entered: the
    # second is still serialised after the first has left
    first, second = serial_ast(), serial_ast()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert ast.parse is not original
    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.__exit__(None, None, None)
    assert ast.parse is original
    assert len(trees) == 200


def _sometimes_500() -> Any:
    """A GET by id answers 500 two times in five, at random: a replay of the same sequence is
    answered otherwise, so what the model draws after it (the credentials it still knows)
    differs between hypothesis' runs of one sequence."""
    import random

    app = mock()
    chance = random.Random(3)

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith("/api/v1/credentials/")
            and chance.random() < 0.4
        ):
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json")]})  # fmt: skip
            await send({"type": "http.response.body", "body": b'{"message":"busy"}'})
            return
        await app(scope, receive, send)

    asgi.state = app.state  # type: ignore[attr-defined]
    return asgi


def test_answers_that_vary_between_replays_do_not_break_the_exploration(
    make_config: Callable[..., VerifyConfig], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contracts.baseline import load_baseline, write_baseline

    monkeypatch.setattr("contracts.model.check.SHRINK_SECONDS", 2)
    with serving(_sometimes_500()) as url:
        first = run(make_config(url, include_checks=MODEL, max_examples=2))
        (outcome,) = first.outcomes
        assert outcome.status == "failed"  # the 500s, found and reported
        path = tmp_path / "baseline.yaml"
        write_baseline(outcome.findings, path, "random 500s")
        # known now: the model forgets what a 500 touched and explores on, and sequences whose
        # replays are answered otherwise start a fresh round instead of failing the check
        again = run(make_config(url, include_checks=MODEL, max_examples=8),
                    baseline=load_baseline(path))  # fmt: skip
    (outcome,) = again.outcomes
    assert outcome.status in ("passed", "failed", "allowed"), outcome.reason
    assert again.exploration["sequences"] >= 8 * 12
