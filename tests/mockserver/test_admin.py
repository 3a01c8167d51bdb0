"""The admin API (`mockserver.apps.admin`, spec/admin.openapi.yaml): access rules and operations."""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from credkit_core.resources import ADMIN_SPEC, load_spec
from mockserver.journal import Journal, JournalEntry
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


# -- a failing state file: reset and load answer 503 and change nothing ------------------------

RUNTIME = {"Authorization": "Bearer runtime-key"}
PERMISSIONS = ["credentials:view", "credentials:update"]
LOAD = {
    "apiKeys": [{"key": "runtime-key", "workspace": "workspace-123", "permissions": PERMISSIONS}],
    "credentials": [
        {
            "id": "c-1",
            "name": "loaded",
            "credentialName": "openAIApi",
            "workspace": "workspace-123",
            "plainDataObj": {"openAIApiKey": "sk-loaded-secret"},
        }
    ],
}


def check_503(response: httpx.Response, method: str, path: str, *words: str) -> None:
    """A 503 in the error shape, naming the state file, as the admin spec documents it."""
    from openapi_core import OpenAPI

    assert response.status_code == 503, response.text
    body = response.json()
    assert set(body) == {"statusCode", "success", "message", "stack"}
    assert (body["statusCode"], body["success"], body["stack"]) == (503, False, {})
    for word in words:
        assert word in body["message"], body["message"]
    assert "sk-loaded-secret" not in response.text and "sk-fake-credkit" not in response.text
    OpenAPI.from_dict(load_spec(ADMIN_SPEC)).validate_response(
        SpecRequest(method.lower(), path, None, "application/json"),
        SpecResponse(
            503, response.headers["content-type"], dict(response.headers), response.content
        ),
    )


def failing(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Make the disk fail: every fsync (EIO), writes to the snapshot's temp file (ENOSPC), or
    only the fsync of the directory (after the new file was renamed into place)."""
    real_fsync, real_write = os.fsync, os.write

    def fsync(fd: int) -> None:
        if how == "fsync" or (how == "dir-fsync" and stat.S_ISDIR(os.fstat(fd).st_mode)):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    def write(fd: int, data: Any) -> int:
        if how == "write" and os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("how", ["fsync", "write"])
def test_reset_on_a_failing_disk_answers_503_and_changes_nothing(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    client = make_client(app)
    assert client.put("/__admin/state", json=LOAD).status_code == 200
    assert client.put("/api/v1/credentials/c-1", json={"name": "changed"}, headers=RUNTIME)
    client.post("/__admin/faults", json={"path": "/nowhere"})
    saved, before = path.read_bytes(), client.get("/__admin/state").json()
    journal, faults = client.get("/__admin/requests").json(), client.get("/__admin/faults").json()
    failing(monkeypatch, how)
    check_503(client.post("/__admin/reset"), "POST", "/__admin/reset", str(path), "nothing")
    assert client.get("/__admin/requests").json() == journal != []
    assert client.get("/__admin/faults").json() == faults != []
    # nothing changed: credentials, keys, the loaded document, the file
    assert client.get("/__admin/state").json() == before
    assert client.get("/api/v1/credentials/c-1", headers=RUNTIME).json()["name"] == "changed"
    assert client.get(CRED, headers=FULL).status_code == 401  # the fixture keys stay gone
    assert path.read_bytes() == saved and not path.with_name(path.name + ".tmp").exists()
    monkeypatch.undo()  # the disk works again: the file was never poisoned
    assert client.post("/__admin/reset").status_code == 204
    assert client.get(CRED, headers=FULL).json()["name"] == "OpenAI Key"
    assert make_app(state_file=path).state.store.ids() == app.state.store.ids()


@pytest.mark.parametrize("how", ["fsync", "write"])
def test_loading_state_on_a_failing_disk_answers_503_and_changes_nothing(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    client = make_client(app)
    saved, before = path.read_bytes(), client.get("/__admin/state").json()
    failing(monkeypatch, how)
    check_503(client.put("/__admin/state", json=LOAD), "PUT", "/__admin/state", str(path))
    assert client.get("/__admin/state").json() == before
    assert client.get(CRED, headers=FULL).status_code == 200
    assert client.get("/api/v1/credentials/c-1", headers=RUNTIME).status_code == 401
    assert app.state.loaded is None and path.read_bytes() == saved
    monkeypatch.undo()
    assert client.put("/__admin/state", json=LOAD).status_code == 200
    assert make_app(state_file=path).state.store.ids() == {"c-1"}


def test_after_a_failed_fsync_admin_writes_are_refused_too(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    client = make_client(make_app(state_file=path))
    failing(monkeypatch, "fsync")
    assert client.put(CRED, json={"name": "lost?"}, headers=FULL).status_code == 503
    monkeypatch.undo()  # a later write that succeeds proves nothing: still refused
    for method, path_, body in (("POST", "/__admin/reset", None), ("PUT", "/__admin/state", LOAD)):
        check_503(
            client.request(method, path_, json=body), method, path_, "fsync failed", "Restart"
        )
    assert client.get(CRED, headers=FULL).json()["name"] == "lost?"  # memory as it was


def test_a_reset_whose_directory_fsync_fails_says_the_outcome_is_unknown(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    client = make_client(make_app(state_file=path))
    assert client.put(CRED, json={"name": "changed"}, headers=FULL).status_code == 200
    failing(monkeypatch, "dir-fsync")
    check_503(
        client.post("/__admin/reset"), "POST", "/__admin/reset", str(path), "old state or the new"
    )
    assert client.get(CRED, headers=FULL).json()["name"] == "changed"  # memory as it was
    monkeypatch.undo()
    refused = client.put(CRED, json={"name": "later"}, headers=FULL)
    assert refused.status_code == 503 and "nothing was changed" in refused.json()["message"]
