"""The profile's run-time response check: an answer that breaks the spec never leaves silently."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from mockserver.responses import Reply, error_reply, json_reply
from tests.mockserver.conftest import FULL

PUT = "/api/v1/credentials/cred-789"


def break_handler(app: Any, operation_id: str, reply: Reply) -> None:
    app.profile.handlers[operation_id] = lambda call, space: reply


GOOD = {
    "id": "cred-789",
    "name": "n",
    "credentialName": "openAIApi",
    "encryptedData": "U2FsdGVkX1",
    "createdDate": "2024-01-20T16:00:00.000Z",
    "updatedDate": "2024-01-20T16:00:00.000Z",
    "workspaceId": "workspace-123",
}


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (json_reply(200, {**GOOD, "plainDataObj": {}}), "(body) breaks the schema"),
        (json_reply(200, {**GOOD, "createdDate": "yesterday"}), "createdDate breaks the schema"),
        (json_reply(201, GOOD), "status 201 is not documented"),
        (Reply(200, b"ok", b"text/plain"), "the content type is not application/json"),
        (json_reply(404, {"error": "gone"}), "(body) breaks the schema"),
    ],
)
def test_a_breach_answers_500_naming_it(
    make_app: Callable[..., Any],
    make_client: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
    problem: str,
) -> None:
    app = make_app()
    break_handler(app, "updateCredential", reply)
    with caplog.at_level(logging.ERROR, logger="credkit"):
        response = make_client(app).put(PUT, json={"name": "x"}, headers=FULL)
    assert response.status_code == 500
    body = response.json()
    assert body["success"] is False and body["statusCode"] == 500
    assert "answer to updateCredential broke the spec" in body["message"]
    assert problem in body["message"]
    assert any(problem in record.getMessage() for record in caplog.records)


def test_conforming_answers_pass_unchanged(
    make_app: Callable[..., Any], make_client: Callable[..., Any]
) -> None:
    app = make_app()
    break_handler(app, "updateCredential", error_reply(404, "Credential x not found."))
    response = make_client(app).put(PUT, json={"name": "x"}, headers=FULL)
    assert response.status_code == 404
    assert response.json()["message"] == "Credential x not found."


def test_the_check_can_be_turned_off(
    make_app: Callable[..., Any], make_client: Callable[..., Any]
) -> None:
    app = make_app(validate_responses=False)
    break_handler(app, "updateCredential", json_reply(201, GOOD))
    assert make_client(app).put(PUT, json={"name": "x"}, headers=FULL).status_code == 201


def test_the_flowise_profile_is_not_held_to_the_spec(
    make_app: Callable[..., Any], make_client: Callable[..., Any]
) -> None:
    response = make_client(make_app(profile="flowise-3.1")).put(PUT, json={"name": "x"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized Access"}
