"""`Prefer: code=NNN` / `Prefer: example=NAME` (`mockserver.prefer`) in the `spec` profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mockserver.prefer import Preference, parse_prefer
from mockserver.responses import ApiError
from tests.mockserver.conftest import FULL, READONLY, Client

CRED = "/api/v1/credentials/cred-789"
ERROR_FIELDS = {"statusCode", "success", "message", "stack"}


def stored_name(client: Client) -> str:
    name: str = client.app.state.store.get("cred-789", "workspace-123").name
    return name


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("code=404", Preference(404, None)),
        ("Code = 500", Preference(500, None)),
        ("example=Updated", Preference(None, "Updated")),
        ('code=200, example="Updated"', Preference(200, "Updated")),
        ("return=minimal, code=401", Preference(401, None)),
        ("respond-async", None),
        ("", None),
    ],
)
def test_parse_prefer(header: str, expected: Preference | None) -> None:
    assert parse_prefer(header.encode()) == expected


@pytest.mark.parametrize(
    "header", ["code=abc", "code=99", "code=4040", "code=", "example=", "code=\xb2\xb2\xb2"]
)
def test_parse_prefer_refuses_a_malformed_code_or_example(header: str) -> None:
    # "code=²²²" (latin-1 superscript digits): str.isdigit() says yes, int() does not (was a 500)
    with pytest.raises(ApiError) as caught:
        parse_prefer(header.encode("latin-1"))
    assert caught.value.status == 400 and "Prefer" in caught.value.message


def test_code_404_answers_the_documented_404_and_changes_nothing(client: Client) -> None:
    before = client.app.state.store.get("cred-789", "workspace-123")
    answer = client.put(CRED, json={"name": "Never stored"}, headers={**FULL, "Prefer": "code=404"})
    assert answer.status_code == 404
    body = answer.json()
    assert set(body) == ERROR_FIELDS and body["statusCode"] == 404 and body["success"] is False
    assert "Prefer" in body["message"]
    assert stored_name(client) == "OpenAI Key"
    assert client.app.state.store.get("cred-789", "workspace-123") == before


def test_code_200_answers_the_documented_example_without_a_write(client: Client) -> None:
    answer = client.put(CRED, json={"name": "Never stored"}, headers={**FULL, "Prefer": "code=200"})
    assert answer.status_code == 200
    assert answer.json()["name"] == "OpenAI Production Key"  # the spec's `Updated` example
    assert answer.json()["encryptedData"] == "encrypted_string_here"
    assert stored_name(client) == "OpenAI Key"


def test_a_delete_with_prefer_deletes_nothing(client: Client) -> None:
    answer = client.delete(CRED, headers={**FULL, "Prefer": "code=200"})
    assert answer.status_code == 200 and answer.json() == {"raw": [], "affected": 1}
    assert client.get(CRED, headers=FULL).status_code == 200


def test_example_by_name(client: Client) -> None:
    listed = client.get("/api/v1/credentials", headers={**FULL, "Prefer": "example=Empty"})
    assert listed.status_code == 200 and listed.json() == []
    both = client.get("/api/v1/credentials", headers={**FULL, "Prefer": "code=200, example=Empty"})
    assert both.json() == []
    pong = client.get("/api/v1/ping", headers={"Prefer": "example=Pong"})
    assert pong.status_code == 200 and pong.text == "pong"
    assert pong.headers["content-type"].startswith("text/plain")


def test_an_undocumented_code_is_400_naming_the_documented_ones(client: Client) -> None:
    answer = client.get(CRED, headers={**FULL, "Prefer": "code=418"})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert "code=418 is not documented for getCredential" in message
    assert "200, 401, 403, 404, 413, 500" in message


def test_an_unknown_example_is_400_naming_the_examples(client: Client) -> None:
    answer = client.get("/api/v1/credentials", headers={**FULL, "Prefer": "example=Nope"})
    assert answer.status_code == 400
    assert "its examples: Credentials (200), Empty (200)" in answer.json()["message"]
    wrong_status = client.get(
        "/api/v1/credentials", headers={**FULL, "Prefer": "code=401, example=Empty"}
    )
    assert wrong_status.status_code == 400
    assert "with status 401; it has none" in wrong_status.json()["message"]


def test_route_and_key_checks_come_first(client: Client) -> None:
    assert client.get(CRED, headers={"Prefer": "code=200"}).status_code == 401
    refused = client.put(CRED, json={}, headers={**READONLY, "Prefer": "code=200"})
    assert refused.status_code == 403
    assert client.get("/api/v1/nope", headers={**FULL, "Prefer": "code=200"}).status_code == 404
    assert client.post(CRED, headers={**FULL, "Prefer": "code=200"}).status_code == 405


def test_every_documented_status_of_every_operation_can_be_chosen(client: Client) -> None:
    """The answers pass the run-time response check (a breach would be a 500)."""
    document = client.app.runtime.document
    calls: dict[str, Callable[..., Any]] = {
        "get": client.get,
        "put": client.put,
        "post": client.post,
        "delete": client.delete,
    }
    for path, item in document["paths"].items():
        url = path.replace("{id}", "cred-789").replace("{name}", "openAIApi")
        for method, operation in item.items():
            if method not in calls:
                continue
            for status in operation["responses"]:
                answer = calls[method](url, headers={**FULL, "Prefer": f"code={status}"})
                assert answer.status_code == int(status), (operation["operationId"], status)


def test_the_flowise_profile_ignores_prefer(
    make_app: Callable[..., Any], make_client: Callable[..., Client]
) -> None:
    client = make_client(make_app(profile="flowise-3.1"))
    answer = client.put(CRED, json={"name": "Stored"}, headers={**FULL, "Prefer": "code=404"})
    assert answer.status_code == 200 and answer.json()["name"] == "Stored"
    assert client.get(CRED, headers={**FULL, "Prefer": "code=418"}).status_code == 200
