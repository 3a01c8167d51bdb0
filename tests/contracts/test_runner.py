"""A whole run against a correct mock: passes, touches only what it created, leaves no trace."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from rich.console import Console

from contracts import runner as runner_module
from contracts.checks import get_check
from contracts.config import VerifyConfig
from contracts.report import print_console, to_json
from contracts.runner import run
from contracts.safety import ABSENT_PREFIX
from credkit_core.resources import DEV_KEYS
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import PASSPHRASE, Request, Response, Rewrite, mock
from tests.contracts.broken.semantics import response_id_differs

Seen = list[tuple[str, str, Any]]
REPORT_SCHEMA = jsonschema_rs.validator_for(
    json.loads((Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text())
)


def recording(seen: Seen) -> Rewrite:
    def note(req: Request, res: Response) -> Response:
        try:
            body = json.loads(req[3]) if req[3] else None
        except (ValueError, RecursionError):
            body = None
        seen.append((req[0], req[1], body))
        return res

    return Rewrite(mock(), on_response=note)


def state_of(app: Any) -> dict[str, Any]:
    return {c.id: (c.name, c.credential_name, c.data, c.updated_ms) for c in app.state.store.all()}


def test_full_run_against_the_mock_passes_and_is_safe(
    make_config: Callable[..., VerifyConfig],
) -> None:
    seen: Seen = []
    app = recording(seen)
    seeded = state_of(app)
    with serving(app) as url:
        result = run(make_config(url, secret_key=PASSPHRASE))
    assert result.exit_code == 0, [(f.check, f.observed) for f in result.failures()]
    assert {o.status for o in result.outcomes} == {"passed"}
    assert not result.leftovers
    # the seeded data is exactly as before: nothing listed or seeded was touched
    assert state_of(app) == seeded
    created: set[str] = set()
    for method, path, body in seen:
        if (
            method == "POST"
            and path == "/api/v1/credentials"
            and isinstance(body, dict)
            and isinstance(body.get("name"), str)
            and body["name"]
        ):
            assert body["name"].startswith(f"credkit-verify-{result.run_id}-"), body["name"]
    for cid in seeded:
        assert not any(path.endswith("/" + cid) for _, path, _ in seen), (
            f"touched seeded credential {cid}"
        )
    item_paths = [p for _, p, _ in seen if p.startswith("/api/v1/credentials/")]
    assert any(p.rsplit("/", 1)[-1].startswith(ABSENT_PREFIX) for p in item_paths)
    assert result.created > 10 and not created


def test_interrupted_run_still_cleans_up(
    make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = mock()
    seeded = state_of(app)
    item = get_check("update-response-id")

    def interrupt(ctx: Any) -> None:
        ctx.create("openAIApi", {"openAIApiKey": ctx.new_secret()})
        raise KeyboardInterrupt

    real = runner_module._run_active
    monkeypatch.setattr(
        runner_module,
        "_run_active",
        lambda ctx, check: interrupt(ctx) if check is item else real(ctx, check),
    )
    with serving(app) as url:
        result = run(
            make_config(url, include_checks=("update-partial-merge", "update-response-id"))
        )
    assert result.exit_code == 2 and result.abort_reason == "interrupted"
    assert [o.check.name for o in result.outcomes] == ["update-partial-merge"]  # kept
    assert state_of(app) == seeded


def test_failed_cleanup_is_reported_and_turns_success_into_2(
    make_config: Callable[..., VerifyConfig],
) -> None:
    def refuse_delete(req: Request, res: Response) -> Response:
        if req[0] == "DELETE":
            return 503, res[1], b'{"statusCode":503,"success":false,"message":"no","stack":{}}'
        return res

    with serving(Rewrite(mock(), on_response=refuse_delete)) as url:
        result = run(make_config(url, include_checks=("update-response-id",)))
    assert result.exit_code == 2
    assert len(result.leftovers) == 1


def test_unreachable_server_exits_2(make_config: Callable[..., VerifyConfig]) -> None:
    with serving(mock()) as url:
        pass  # the port is free again
    result = run(make_config(url, include_checks=("update-response-id",), timeout=2))
    assert result.exit_code == 2
    assert result.abort_reason and "ConnectError" in result.abort_reason


def test_refused_key_exits_2(mock_url: str, make_config: Callable[..., VerifyConfig]) -> None:
    result = run(
        make_config(mock_url, api_key="credkit-not-a-key", include_checks=("update-response-id",))
    )
    assert result.exit_code == 2
    assert "--api-key (CREDKIT_API_KEY) was refused" in (result.abort_reason or "")
    assert result.outcomes == []  # nothing was checked: no passive check judged the refusal
    assert "credkit-not-a-key" not in (result.abort_reason or "")


def test_setup_5xx_is_a_violation(make_config: Callable[..., VerifyConfig]) -> None:
    def fail_create(req: Request, res: Response) -> Response:
        if req[0] == "POST":
            return 500, res[1], b'{"statusCode":500,"success":false,"message":"boom","stack":{}}'
        return res

    with serving(Rewrite(mock(), on_response=fail_create)) as url:
        result = run(make_config(url, include_checks=("update-response-id",)))
    assert result.exit_code == 1
    assert result.failures()[0].status == 500


def test_checks_needing_a_missing_key_are_skipped_never_passed(
    mock_url: str, make_config: Callable[..., VerifyConfig]
) -> None:
    checks = (
        "readonly-cannot-write",
        "workspace-isolation",
        "update-marker-keeps-secret",
        "update-response-id",
    )
    result = run(
        make_config(mock_url, readonly_api_key=None, foreign_api_key=None, include_checks=checks)
    )
    status = {o.check.name: (o.status, o.reason) for o in result.outcomes}
    assert status["readonly-cannot-write"] == ("skipped", "needs --readonly-api-key")
    assert status["workspace-isolation"] == ("skipped", "needs --foreign-api-key")
    assert status["update-marker-keeps-secret"] == ("skipped", "needs --secret-key")
    assert status["update-response-id"][0] == "passed"
    assert result.exit_code == 0


def test_a_wrong_secret_key_is_reported(
    mock_url: str, make_config: Callable[..., VerifyConfig]
) -> None:
    result = run(
        make_config(
            mock_url, secret_key="not-the-passphrase", include_checks=("update-stored-data-exact",)
        )
    )
    assert result.exit_code == 1
    assert "could not decrypt" in result.failures()[0].observed


def test_cleanup_finds_creates_whose_answer_was_lost(
    make_config: Callable[..., VerifyConfig],
) -> None:
    def lose_answer(req: Request, res: Response) -> Response:
        if req[0] == "POST" and res[0] == 200:
            return 502, [(b"content-type", b"text/plain")], b"bad gateway"
        return res

    app = Rewrite(mock(), on_response=lose_answer)
    seeded = state_of(app)
    with serving(app) as url:
        result = run(make_config(url, include_checks=("update-response-id",)))
    assert result.exit_code == 1  # the 502 on setup is reported
    assert state_of(app) == seeded  # and the credential created behind it is gone


def test_base_url_with_a_path_prefix(make_config: Callable[..., VerifyConfig]) -> None:
    async def strip(req: Request) -> Request:
        method, path, headers, body = req
        inside = (
            path.removeprefix("/flowise") if path.startswith("/flowise/") else "/outside" + path
        )
        return method, inside, headers, body

    checks = ("update-partial-merge", "auth-required", "status_code_conformance", "error-shape")
    with serving(Rewrite(mock(), on_request=strip)) as url:
        result = run(make_config(url + "/flowise/", include_checks=checks, phases=("examples",)))
    assert result.base_url == url + "/flowise"
    assert result.exit_code == 0, [(f.check, f.observed) for f in result.failures()]


PASSIVE = ("no-secret-in-responses", "error-shape", "encrypted-data-format")


def test_passive_checks_with_nothing_to_judge_are_skipped_never_passed(
    mock_url: str, make_config: Callable[..., VerifyConfig]
) -> None:
    for name in PASSIVE:
        result = run(make_config(mock_url, include_checks=(name,)))
        [outcome] = result.outcomes
        assert (outcome.check.name, outcome.status) == (name, "skipped")
        assert outcome.reason and outcome.reason.startswith("no exchanges to judge"), outcome.reason
        assert result.exit_code == 0
        report = to_json(result)
        assert report["summary"]["skipped"] == 1 and report["summary"]["passed"] == 0
        assert not list(REPORT_SCHEMA.iter_errors(report))
        console = Console(file=io.StringIO(), width=200)
        print_console(result, console)
        assert "nothing was checked: every selected check was skipped" in console.file.getvalue()


def test_a_passive_check_is_skipped_when_the_traffic_holds_nothing_it_judges(
    mock_url: str, make_config: Callable[..., VerifyConfig]
) -> None:
    # auth-required creates a credential without data and provokes errors: it writes no secret
    result = run(make_config(mock_url, include_checks=("auth-required", *PASSIVE)))
    status = {o.check.name: o.status for o in result.outcomes}
    assert status == {
        "auth-required": "passed",
        "error-shape": "passed",
        "encrypted-data-format": "passed",
        "no-secret-in-responses": "skipped",
    }
    # only a listing answers auth-scheme-case-insensitive: no error, no ciphertext, no secret
    result = run(make_config(mock_url, include_checks=("auth-scheme-case-insensitive", *PASSIVE)))
    status = {o.check.name: o.status for o in result.outcomes}
    assert status == {"auth-scheme-case-insensitive": "passed"} | dict.fromkeys(PASSIVE, "skipped")


def test_passive_checks_pass_once_they_judged_traffic(
    mock_url: str, make_config: Callable[..., VerifyConfig]
) -> None:
    checks = ("get-redacts-secrets", "update-fresh-ciphertext", "auth-required", *PASSIVE)
    result = run(make_config(mock_url, include_checks=checks))
    assert {o.status for o in result.outcomes} == {"passed"}, [
        (o.check.name, o.status, o.reason) for o in result.outcomes
    ]


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_a_reproduction_still_works_after_the_run_deleted_its_credential(
    make_config: Callable[..., VerifyConfig],
) -> None:
    app = response_id_differs()
    with serving(app) as url:
        result = run(make_config(url, include_checks=("update-response-id",)))
        assert result.exit_code == 1 and not result.leftovers
        finding = next(f for f in result.failures() if f.operation.startswith("PUT"))
        assert finding.curl and "$CREDENTIAL_ID" in finding.curl
        assert "was created and deleted by this run;" in finding.curl
        before = {c.id for c in app.state.store.all()}
        replay = subprocess.run(
            ["bash", "-c", "set -eo pipefail\n" + finding.curl],
            env={**os.environ, "API_KEY": DEV_KEYS["admin"]},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert replay.returncode == 0, replay.stderr
    answer = json.loads(replay.stdout)
    [stand_in] = {c.id for c in app.state.store.all()} - before
    # the PUT reached the credential the reproduction made, and shows the defect again
    assert answer["id"] == "cred-000" and answer["name"].endswith("-id")
    assert state_of(app)[stand_in][0] == answer["name"]


def test_the_run_counts_every_request_it_sent(make_config: Callable[..., VerifyConfig]) -> None:
    seen: Seen = []
    checks = ("update-partial-merge", "status_code_conformance")
    with serving(recording(seen)) as url:
        result = run(make_config(url, include_checks=checks, phases=("examples",)))
    assert result.exit_code == 0
    # the checks', schemathesis', the preflight's and cleanup's; not schemathesis' own probe of
    # how the server parses odd paths, which no check sees (`GET /schemathesis-probe...`)
    sent = [path for _, path, _ in seen if not path.startswith("/schemathesis-probe")]
    assert len(seen) - len(sent) <= 2
    assert result.requests == len(sent) > 10
    assert to_json(result)["requests"] == result.requests


def test_a_redirecting_target_is_not_the_api_and_says_where_it_points(
    make_config: Callable[..., VerifyConfig],
) -> None:
    def redirect(req: Request, res: Response) -> Response:
        return 301, [(b"location", b"https://flowise.example.invalid" + req[1].encode())], b""

    with serving(Rewrite(mock(), on_response=redirect)) as url:
        result = run(make_config(url, include_checks=("update-response-id",)))
    assert result.exit_code == 2 and result.outcomes == []
    reason = result.abort_reason or ""
    assert "is not the Flowise credentials API" in reason
    assert "answered 301 redirect to 'https://flowise.example.invalid/api/v1/credentials'" in reason


def test_fuzz_schemathesis_rounds_stop_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline on a fake clock: each schemathesis round gets what is left of
    `--duration` (less what the checks before it spent) and no round starts after it."""
    import types

    from contracts import schema as schema_module
    from contracts.checks import Check

    clock = [1000.0]
    rounds: list[float | None] = []

    def fake_round(*args: Any, max_time: float | None = None, **kwargs: Any) -> list[Any]:
        rounds.append(max_time)
        clock[0] += 7.0  # each round takes 7 s of the fake clock
        return []

    monkeypatch.setattr("contracts.runner.time.monotonic", lambda: clock[0])
    monkeypatch.setattr(schema_module, "run_schemathesis", fake_round)

    def fuzz(concurrency: int) -> list[Any]:
        config = types.SimpleNamespace(
            duration=30.0, has=lambda name: True, concurrency=concurrency, rate_limit=None
        )
        ctx = types.SimpleNamespace(
            config=config,
            api=types.SimpleNamespace(observers=[lambda exchange: None]),
            check_name="",
            redactor=str,
            gone=False,
            stopping=threading.Event(),
            schema_beside=False,
        )
        spent = runner_module.Outcome(get_check("model-conformance"), "passed", seconds=9.0)
        outcomes = [spent]
        schema = Check("not_a_server_error", "schema", "no 5xx", kind="schema")
        runner_module._run_all(ctx, [schema], "fuzz", lambda *a: None, outcomes)  # type: ignore[arg-type]
        return outcomes

    # one lane: 30 s less the 9 s the model spent first, for schemathesis, in rounds of 7 s
    outcomes = fuzz(concurrency=1)
    assert rounds == [21.0, 14.0, 7.0]
    assert clock[0] - 1000.0 == 21.0
    assert [o.status for o in outcomes[1:]] == ["passed"]
    # lanes: schemathesis runs beside the model, for the whole 30 s
    rounds.clear()
    clock[0] = 1000.0
    outcomes = fuzz(concurrency=8)
    assert rounds == [30.0, 23.0, 16.0, 9.0, 2.0]
    assert [o.status for o in outcomes[1:]] == ["passed"]
