"""use_after_free / ensure_resource_availability judged against the run's own record of what it
created and deleted (never against ids schemathesis guesses); 429s retried in that phase."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from contracts.checks import Finding
from contracts.client import Api
from contracts.config import VerifyConfig
from contracts.context import CheckContext
from contracts.safety import IdTracker, Redactor, absent_id
from contracts.schema_lifecycle import LIFECYCLE_CHECKS, judge_lifecycle
from credkit_core.catalog import default_catalog


@pytest.fixture
def ctx() -> CheckContext:
    config = VerifyConfig(base_url="http://127.0.0.1:9", api_key="k")
    tracker = IdTracker()
    return CheckContext(config, Api(config, tracker), "run", tracker, Redactor(), default_catalog())


def case(method: str, credential_id: str) -> Any:
    label = f"{method} /api/v1/credentials/{{id}}"
    operation = SimpleNamespace(path="/api/v1/credentials/{id}", label=label)
    return SimpleNamespace(
        method=method,
        operation=operation,
        path_parameters={"id": credential_id},
        formatted_path=f"/api/v1/credentials/{credential_id}",
        query=None,
        headers=None,
        body=None,
        media_type=None,
    )


def judged(ctx: CheckContext, method: str, credential_id: str, status: int) -> list[Finding]:
    found: dict[tuple[str, str, str], Finding] = {}
    judge_lifecycle(ctx, case(method, credential_id), status, set(LIFECYCLE_CHECKS), found)
    return list(found.values())


def test_live_credential_answering_404_is_reported(ctx: CheckContext) -> None:
    ctx.tracker.add("c1")
    (finding,) = judged(ctx, "GET", "c1", 404)
    assert finding.check == "ensure_resource_availability"
    assert not judged(ctx, "PUT", "c1", 400)  # a refused body is not a missing credential


def test_deleted_credential_answering_2xx_is_reported(ctx: CheckContext) -> None:
    ctx.tracker.add("c1")
    ctx.tracker.deleted("c1")
    (finding,) = judged(ctx, "GET", "c1", 200)
    assert finding.check == "use_after_free"
    assert finding.curl and "DELETE" in finding.curl.split("\n")[-2]
    assert not judged(ctx, "GET", "c1", 404)


def test_ids_the_run_did_not_create_are_never_judged(ctx: CheckContext) -> None:
    assert not judged(ctx, "GET", absent_id(), 404)
    assert not judged(ctx, "GET", absent_id(), 200)


def test_schemathesis_transport_retries_429() -> None:
    from schemathesis.transport import requests as transport

    from contracts.schema_retry import retrying_429

    answers = iter([429, 429, 200])
    original = transport._request
    transport._request = lambda session, data, events: SimpleNamespace(
        status_code=next(answers), headers={"retry-after": "0"}
    )
    try:
        with retrying_429():
            assert transport._request(None, {}, 0).status_code == 200
    finally:
        transport._request = original
