"""A request without an answer is a defect (exit 1, with the steps that led to it), not "could
not run" (exit 2); a server that stops answering mid-run ends the run with that finding. A
correct server that is merely slow (50 ms an answer) gets no finding."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import mock
from tests.contracts.broken.schema import hangs_on_list_filter
from tests.contracts.second.app import PASSPHRASE, create_app


def _dies_after_a_rename() -> Any:
    """After its first PUT the server answers nothing more (it hangs, then drops)."""
    app = mock()
    dead = asyncio.Event()

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope["method"] == "PUT" and scope["path"].startswith("/api/v1/credentials/"):
            dead.set()
        if dead.is_set():
            await asyncio.sleep(6)  # past the run's --timeout: the client has given up
            return
        await app(scope, receive, send)

    asgi.state = app.state  # type: ignore[attr-defined]
    return asgi


def _slow(app: Any, seconds: float) -> Any:
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    asgi.state = getattr(app, "state", None)  # type: ignore[attr-defined]
    return asgi


def test_a_hang_is_a_finding_of_the_model(make_config: Callable[..., VerifyConfig]) -> None:
    with serving(hangs_on_list_filter()) as url:
        result = run(make_config(url, include_checks=("model-conformance",), timeout=0.5,
                                 max_examples=2))  # fmt: skip
    assert result.exit_code == 1 and result.abort_reason is None
    (outcome,) = result.outcomes
    hung = [f for f in outcome.findings if "no answer within 0.5s" in f.observed]
    assert hung, [f.observed for f in outcome.findings]
    finding = hung[0]
    assert finding.operation == "GET /api/v1/credentials"
    assert "expected 200, got no answer" in finding.signature
    assert finding.curl and "credentialName=" in finding.curl and finding.curl.startswith("# 1.")
    assert not result.leftovers  # the server still answers: cleanup ran


def test_a_server_that_goes_away_ends_the_run_with_a_finding(
    make_config: Callable[..., VerifyConfig],
) -> None:
    checks = ("update-partial-merge", "update-name-only-keeps-data", "get-redacts-secrets",
              "update-response-id")  # fmt: skip
    with serving(_dies_after_a_rename()) as url:
        result = run(make_config(url, include_checks=checks, timeout=2))
    assert result.exit_code == 1 and result.abort_reason is None
    failed = [o for o in result.outcomes if o.status == "failed"]
    assert len(failed) == 1
    (finding,) = failed[0].findings
    assert "the server is down" in finding.observed
    assert finding.operation == "PUT /api/v1/credentials/{id}" and finding.curl
    after = result.outcomes[result.outcomes.index(failed[0]) + 1 :]
    rest = [o for o in after if o.check.kind == "active"]
    assert rest and all(o.status == "skipped" and "stopped answering" in (o.reason or "")
                        for o in rest)  # fmt: skip
    assert result.leftovers  # nothing could be deleted, and the run says so


def test_a_slow_correct_server_gets_no_finding(make_config: Callable[..., VerifyConfig]) -> None:
    with serving(_slow(create_app(), 0.05)) as url:
        result = run(make_config(url, include_checks=("model-conformance",), max_examples=1,
                                 secret_key=PASSPHRASE))  # fmt: skip
    assert result.exit_code == 0, [f.observed for f in result.failures()]
