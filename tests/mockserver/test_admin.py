"""The admin API (`mockserver.admin`, spec/admin.openapi.yaml): access rules and operations."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mockserver.journal import Journal, JournalEntry
from mockserver.resources import ADMIN_SPEC, load_spec
from tests.mockserver.conftest import FULL, Client
from tests.mockserver.test_conformance import SpecRequest, SpecResponse

CRED = "/api/v1/credentials/cred-789"
REMOTE = ("203.0.113.9", 40000)


def test_loopback_without_token_is_allowed_remote_is_403(app: Any, make_client: Any) -> None:
    assert make_client(app).get("/__admin/state").status_code == 200
    remote = make_client(app, REMOTE).get("/__admin/state")
    assert remote.status_code == 403 and "loopback" in remote.json()["message"]
    assert make_client(app, REMOTE).post("/__admin/reset").status_code == 403


def test_with_a_token_every_call_needs_it(make_app: Any, make_client: Any) -> None:
    app = make_app(admin_token="t0ken")
    local, remote = make_client(app), make_client(app, REMOTE)
    assert local.get("/__admin/state").status_code == 401
    assert local.get("/__admin/state", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert local.get("/__admin/state", headers={"Authorization": "t0ken"}).status_code == 401
    good = {"Authorization": "Bearer t0ken"}
    assert local.get("/__admin/state", headers=good).status_code == 200
    assert remote.get("/__admin/state", headers=good).status_code == 200
    assert "t0ken" not in local.get("/__admin/state").text


def test_state_view_masks_every_value_and_shows_no_key(client: Client) -> None:
    response = client.get("/__admin/state")
    body = response.json()
    assert {c["id"] for c in body["credentials"]} >= {"cred-789"}
    for credential in body["credentials"]:
        assert credential["plainDataObj"] and set(credential["plainDataObj"].values()) == {"***"}
    for secret in ("sk-fake-credkit", "ZsJhaZSrwT13hY", "YOUR_API_KEY", "dev-admin-key"):
        assert secret not in response.text
    assert {k["workspace"] for k in body["apiKeys"]} == {"workspace-123", "workspace-456"}


def test_reset_goes_back_to_the_fixtures(app: Any, client: Client) -> None:
    client.put(CRED, json={"name": "changed"}, headers=FULL)
    client.delete("/api/v1/credentials/4a23d596-2217-4ead-9bc4-96cb8e81973e", headers=FULL)
    client.post("/__admin/faults", json={"path": "/nowhere"})
    response = client.post("/__admin/reset")
    assert (response.status_code, response.content) == (204, b"")
    assert client.get("/__admin/requests").json() == []
    assert client.get("/__admin/faults").json() == []
    assert client.get(CRED, headers=FULL).json()["name"] == "OpenAI Key"
    assert len(app.state.store) == 7


def test_put_state_loads_a_fixture_document(client: Client) -> None:
    document = {
        "apiKeys": [
            {
                "key": "runtime-key",
                "workspace": "workspace-123",
                "permissions": ["credentials:view"],
            }
        ],
        "credentials": [
            {
                "id": "c-1",
                "name": "one",
                "credentialName": "openAIApi",
                "workspace": "workspace-123",
                "plainDataObj": {"openAIApiKey": "sk-loaded"},
            },
        ],
    }
    response = client.put("/__admin/state", json=document)
    assert response.status_code == 200
    assert response.json() == {"workspaces": 2, "apiKeys": 1, "credentials": 1}
    listed = client.get(
        "/api/v1/credentials", headers={"Authorization": "Bearer runtime-key"}
    ).json()
    assert [c["id"] for c in listed] == ["c-1"]
    assert client.get(CRED, headers=FULL).status_code == 401  # the old keys are gone
    client.post("/__admin/reset")
    assert client.get(CRED, headers=FULL).status_code == 200


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (
            {
                "credentials": [
                    {"name": "x", "credentialName": "openAIApi", "workspace": "workspace-123"}
                ]
            },
            ("credentials[0]", "plainDataObj"),
        ),
        (
            {
                "credentials": [
                    {
                        "name": "x",
                        "credentialName": "nope",
                        "workspace": "workspace-123",
                        "plainDataObj": {"k": "sk-do-not-echo"},
                    }
                ]
            },
            ("credentials[0]", "credentialName"),
        ),
        (
            {"apiKeys": [{"key": "k", "workspace": "nowhere", "permissions": []}]},
            ("apiKeys[0]", "workspace"),
        ),
        ({"bogus": []}, ("bogus",)),
    ],
)
def test_put_state_errors_name_entry_and_field(
    client: Client, document: Any, words: tuple[str, ...]
) -> None:
    before = client.get("/__admin/state").json()
    response = client.put("/__admin/state", json=document)
    assert response.status_code == 400
    for word in words:
        assert word in response.json()["message"]
    assert "sk-do-not-echo" not in response.text
    assert client.get("/__admin/state").json() == before


def test_journal_records_api_requests_masked(client: Client) -> None:
    client.put(
        CRED + "?credentialName=secret-q",
        json={"plainDataObj": {"openAIApiKey": "sk-journal"}},
        headers=FULL,
    )
    client.get("/api/v1/ping")
    client.get("/__admin/state")  # admin calls are not journaled
    response = client.get("/__admin/requests")
    entries = response.json()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("PUT", CRED, 200),
        ("GET", "/api/v1/ping", 200),
    ]
    first = entries[0]
    assert first["headers"]["authorization"] == "***"
    assert first["body"] == {"plainDataObj": {"openAIApiKey": "***"}}
    assert first["query"] == {"credentialName": "***"}
    for secret in ("sk-journal", "YOUR_API_KEY", "secret-q"):
        assert secret not in response.text
    assert client.request("DELETE", "/__admin/requests").status_code == 204
    assert client.get("/__admin/requests").json() == []


def test_journal_keeps_the_last_thousand() -> None:
    journal = Journal()
    for i in range(1005):
        journal.record(JournalEntry(time.time(), "GET", f"/{i}", b"", 200, 0.1, (), None, 0))
    view = journal.view()
    assert len(view) == 1000 and view[0]["path"] == "/5" and view[-1]["path"] == "/1004"


def test_faults_inject_status_count_glob_and_latency(client: Client) -> None:
    response = client.post(
        "/__admin/faults",
        json={"method": "put", "path": "/api/v1/credentials/*", "status": 503, "count": 2},
    )
    assert response.status_code == 201
    fault = response.json()
    assert (fault["method"], fault["status"], fault["count"], fault["hits"]) == ("PUT", 503, 2, 0)
    assert client.get(CRED, headers=FULL).status_code == 200  # other method
    first = client.put(CRED, json={}, headers=FULL)
    assert first.status_code == 503 and first.json()["success"] is False
    assert client.put(CRED, json={}, headers=FULL).status_code == 503
    assert client.put(CRED, json={}, headers=FULL).status_code == 200  # count used up
    assert client.get("/__admin/faults").json() == []

    client.post("/__admin/faults", json={"path": "/api/v1/ping", "latencyMs": 50})
    started = time.perf_counter()
    assert client.get("/api/v1/ping").status_code == 200
    assert time.perf_counter() - started >= 0.045
    assert client.get("/__admin/faults").json()[0]["hits"] == 1
    client.post("/__admin/faults", json={"path": "/api/v1/ping", "status": 204, "count": 1})
    assert client.request("DELETE", "/__admin/faults").status_code == 204
    assert client.get("/api/v1/ping").text == "pong"


def test_fault_with_204_sends_no_body(client: Client) -> None:
    client.post("/__admin/faults", json={"path": "/api/v1/ping", "status": 204})
    response = client.get("/api/v1/ping")
    assert (response.status_code, response.content) == (204, b"")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/__admin/nothing", {}, 404),
        ("PATCH", "/__admin/state", {}, 405),
        ("POST", "/__admin/faults", {"content": b""}, 412),
        ("POST", "/__admin/faults", {"content": b'{"path": "/x"}'}, 415),
        ("POST", "/__admin/faults", {"json": {"path": "/x", "status": 99}}, 400),
        ("POST", "/__admin/faults", {"json": {"status": 500}}, 400),
        (
            "POST",
            "/__admin/faults",
            {"content": b"{bad", "headers": {"Content-Type": "application/json"}},
            400,
        ),
    ],
)
def test_admin_errors_are_error_shaped(
    client: Client, method: str, path: str, kwargs: Any, status: int
) -> None:
    response = client.request(method, path, **kwargs)
    assert response.status_code == status
    assert set(response.json()) == {"statusCode", "success", "message", "stack"}


def test_admin_answers_conform_to_the_admin_spec(
    client: Client, make_app: Any, make_client: Any
) -> None:
    from openapi_core import OpenAPI

    openapi = OpenAPI.from_dict(load_spec(ADMIN_SPEC))
    client.put(CRED, json={"plainDataObj": {"k": {"nested": 1}}}, headers=FULL)
    client.request("PATCH", CRED, headers=FULL)
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/__admin/state", None),
        ("GET", "/__admin/requests", None),
        ("POST", "/__admin/faults", {"path": "/x", "status": 500, "count": 1, "latencyMs": 1}),
        ("GET", "/__admin/faults", None),
        ("DELETE", "/__admin/faults", None),
        ("DELETE", "/__admin/requests", None),
        ("PUT", "/__admin/state", {"credentials": []}),
        ("PUT", "/__admin/state", {"credentials": [{}]}),
        ("POST", "/__admin/reset", None),
    ]
    remote = make_client(client.app, REMOTE)
    tokened = make_client(make_app(admin_token="t"))
    checked = 0
    for who in (client, remote, tokened):
        for method, path, body in calls:
            response: httpx.Response = who.request(method, path, json=body)
            request = SpecRequest(method.lower(), path, None, "application/json")
            openapi.validate_response(
                request,
                SpecResponse(
                    response.status_code,
                    response.headers.get("content-type", ""),
                    dict(response.headers),
                    response.content,
                ),
            )
            checked += 1
    assert checked == 27
