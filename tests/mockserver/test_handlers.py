"""The `spec` profile's operations (`mockserver.profiles.spec_ops`): lifecycle, merge, redaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from credkit_core.catalog import BULLETS, MARKER
from credkit_core.crypto import decrypt
from credkit_core.resources import DEV_KEYS
from mockserver.stores.redis.layout import decode, keys_for
from tests.mockserver.conftest import FULL, OTHER, SECRET, Client, app_factory


@pytest.fixture
def make_app(store_url: str) -> Callable[..., Any]:
    """Every test here runs on the in-memory store and on Redis: both answer alike."""
    return app_factory(store_url)


CRED = "/api/v1/credentials/cred-789"
FIELDS = {
    "id",
    "name",
    "credentialName",
    "encryptedData",
    "createdDate",
    "updatedDate",
    "workspaceId",
}
PG = "postgresql://bob:s3cret-pw@db.example.com:5432/app"


MEMORY_ONLY = pytest.mark.parametrize("store_url", ["memory"], indirect=True)


def stored(app: Any, credential_id: str = "cred-789") -> dict[str, Any]:
    """The plain data stored for `credential_id` (on Redis: its ciphertext, decrypted)."""
    if app.runtime.config.store == "memory":
        return dict(app.state.store.find(credential_id).data)
    client = redis.Redis.from_url(app.runtime.config.store)
    raw = client.hget(keys_for("default")["creds"], credential_id)
    client.close()
    assert raw is not None
    return dict(decode(raw, app.runtime.encryptor).data)


def create(
    client: Client, credential_name: str = "PostgresUrl", data: Any = None
) -> dict[str, Any]:
    body = {
        "name": "made",
        "credentialName": credential_name,
        "plainDataObj": data or {"postgresUrl": PG},
    }
    response = client.post("/api/v1/credentials", json=body, headers=FULL)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_documented_examples_work_as_written(client: Client) -> None:
    response = client.put(CRED, json={"name": "OpenAI Production Key"}, headers=FULL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["name"] == "OpenAI Production Key"
    assert (body["id"], body["credentialName"], body["workspaceId"]) == (
        "cred-789",
        "openAIApi",
        "workspace-123",
    )
    response = client.put(
        CRED,
        json={"name": "OpenAI Production Key", "plainDataObj": {"openAIApiKey": "sk-new-key-..."}},
        headers=FULL,
    )
    assert response.status_code == 200
    assert decrypt(response.json()["encryptedData"], SECRET) == '{"openAIApiKey":"sk-new-key-..."}'


def test_create_then_get_list_delete(app: Any, client: Client) -> None:
    made = create(client)
    assert set(made) == FIELDS and made["encryptedData"].startswith("U2FsdGVkX1")
    assert made["createdDate"] == made["updatedDate"] and made["createdDate"].endswith("Z")
    got = client.get(f"/api/v1/credentials/{made['id']}", headers=FULL).json()
    assert "encryptedData" not in got
    assert got["plainDataObj"] == {
        "postgresUrl": f"postgresql://bob:{BULLETS}@db.example.com:5432/app"
    }
    listed = client.get("/api/v1/credentials", headers=FULL).json()
    assert made["id"] in [c["id"] for c in listed]
    assert all("encryptedData" not in c and "plainDataObj" not in c for c in listed)
    response = client.delete(f"/api/v1/credentials/{made['id']}", headers=FULL)
    assert (response.status_code, response.json()) == (200, {"raw": [], "affected": 1})
    assert client.get(f"/api/v1/credentials/{made['id']}", headers=FULL).status_code == 404
    assert client.delete(f"/api/v1/credentials/{made['id']}", headers=FULL).status_code == 404


def test_list_filter_is_repeatable_and_unknown_type_is_empty(client: Client) -> None:
    one = client.get("/api/v1/credentials?credentialName=openAIApi", headers=FULL).json()
    assert one and {c["credentialName"] for c in one} == {"openAIApi"}
    two = client.get(
        "/api/v1/credentials?credentialName=openAIApi&credentialName=awsApi", headers=FULL
    ).json()
    assert {c["credentialName"] for c in two} == {"openAIApi", "awsApi"}
    assert client.get("/api/v1/credentials?credentialName=nope", headers=FULL).json() == []


def test_list_is_workspace_scoped(client: Client) -> None:
    mine = {c["workspaceId"] for c in client.get("/api/v1/credentials", headers=FULL).json()}
    theirs = {c["workspaceId"] for c in client.get("/api/v1/credentials", headers=OTHER).json()}
    assert mine == {"workspace-123"} and theirs == {"workspace-456"}


@MEMORY_ONLY  # reads the in-memory store's objects
def test_another_workspace_is_never_read_or_changed(app: Any, client: Client) -> None:
    before = app.state.store.find("cred-789")
    for method, body in (("GET", None), ("PUT", {"name": "hijack"}), ("DELETE", None)):
        response = client.request(method, CRED, json=body, headers=OTHER)
        assert response.status_code == 404 and "cred-789" in response.json()["message"]
    assert app.state.store.find("cred-789") is before


def test_redaction_on_read(client: Client) -> None:
    data = {"roleArn": "arn:plain", "awsSecret": "secret-1", "extra": "kept", "n": 1}
    made = create(client, "awsApi", data)
    got = client.get(f"/api/v1/credentials/{made['id']}", headers=FULL).json()["plainDataObj"]
    assert got == {"roleArn": "arn:plain", "awsSecret": MARKER, "extra": "kept", "n": 1}


@MEMORY_ONLY  # reads the in-memory store's objects
def test_unknown_type_in_the_store_shows_no_data(app: Any, client: Client) -> None:
    app.state.store.find("cred-789").credential_name = "gone"
    assert client.get(CRED, headers=FULL).json()["plainDataObj"] == {}


def test_shallow_merge_rules(app: Any, client: Client) -> None:
    made = create(
        client, "awsApi", {"awsKey": "k", "awsSecret": "s", "nested": {"a": 1, "b": 2}, "gone": 1}
    )
    url = f"/api/v1/credentials/{made['id']}"
    patch = {"awsKey": "k2", "nested": {"c": 3}, "gone": None, "new": [1, 2]}
    response = client.put(url, json={"plainDataObj": patch}, headers=FULL)
    assert response.status_code == 200
    assert response.json()["name"] == "made"  # kept when absent
    assert stored(app, made["id"]) == {
        "awsKey": "k2",
        "awsSecret": "s",
        "nested": {"c": 3},
        "gone": None,
        "new": [1, 2],
    }


def test_marker_and_bullet_mask_keep_the_stored_secret(app: Any, client: Client) -> None:
    made = create(client, "PostgresUrl", {"postgresUrl": PG})
    url = f"/api/v1/credentials/{made['id']}"
    echoed = client.get(url, headers=FULL).json()["plainDataObj"]
    assert client.put(url, json={"plainDataObj": echoed}, headers=FULL).status_code == 200
    assert stored(app, made["id"]) == {"postgresUrl": PG}
    assert (
        client.put(CRED, json={"plainDataObj": {"openAIApiKey": MARKER}}, headers=FULL).status_code
        == 200
    )
    assert stored(app) == {"openAIApiKey": "sk-fake-credkit-0000000000000000"}
    client.put(CRED, json={"plainDataObj": {"never": MARKER}}, headers=FULL)
    assert "never" not in stored(app)


def test_get_echoed_into_put_loses_nothing(app: Any, client: Client) -> None:
    before = stored(app, "9cfc8652-3919-4242-a2ed-dbbd5464ecc2")
    url = "/api/v1/credentials/9cfc8652-3919-4242-a2ed-dbbd5464ecc2"
    got = client.get(url, headers=FULL).json()
    client.put(url, json={"name": got["name"], "plainDataObj": got["plainDataObj"]}, headers=FULL)
    assert stored(app, "9cfc8652-3919-4242-a2ed-dbbd5464ecc2") == before


def test_immutables_dates_and_fresh_ciphertext(app: Any, client: Client) -> None:
    first = client.put(CRED, json={}, headers=FULL).json()
    second = client.put(CRED, json={}, headers=FULL).json()
    assert first["encryptedData"] != second["encryptedData"]
    for field in ("id", "credentialName", "workspaceId", "createdDate", "name"):
        assert first[field] == second[field]
    assert first["createdDate"] == "2024-01-20T16:00:00.000Z"
    assert first["createdDate"] <= first["updatedDate"] <= second["updatedDate"]
    assert "sk-fake" not in second["encryptedData"]


@MEMORY_ONLY  # reads the in-memory store's objects
def test_updated_date_never_goes_back(app: Any, client: Client) -> None:
    record = app.state.store.find("cred-789")
    record.updated_ms = 4_102_444_800_000  # 2100-01-01: a clock that went backwards
    body = client.put(CRED, json={}, headers=FULL).json()
    assert body["updatedDate"] == "2100-01-01T00:00:00.000Z"


@MEMORY_ONLY  # reads the in-memory store's objects
def test_rejected_requests_change_nothing(app: Any, client: Client) -> None:
    before = app.state.store.find("cred-789")
    bad = [
        ({"name": ""}, FULL),
        ({"name": "x", "id": "y"}, FULL),
        ({"plainDataObj": "s"}, FULL),
        ({"name": "x"}, {"Authorization": f"Bearer {DEV_KEYS['readonly']}"}),
        ({"name": "x"}, {}),
    ]
    for body, headers in bad:
        assert client.put(CRED, json=body, headers=headers).status_code >= 400
    assert app.state.store.find("cred-789") is before


def test_concurrent_puts_of_distinct_keys_all_survive(app: Any) -> None:
    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            responses = await asyncio.gather(
                *(
                    http.put(CRED, json={"plainDataObj": {f"k{i}": i}}, headers=FULL)
                    for i in range(100)
                )
            )
        await app.backend.close()  # a Redis store's connections on this loop
        return [r.status_code for r in responses]

    assert asyncio.run(run()) == [200] * 100
    data = stored(app)
    assert all(data[f"k{i}"] == i for i in range(100))


def test_components_catalog(client: Client) -> None:
    listed = client.get("/api/v1/components-credentials", headers=FULL).json()
    assert any(entry["name"] == "openAIApi" for entry in listed)
    one = client.get("/api/v1/components-credentials/openAIApi", headers=FULL)
    assert one.status_code == 200 and one.json()["name"] == "openAIApi"
    missing = client.get("/api/v1/components-credentials/openaiapi", headers=FULL)
    assert missing.status_code == 404 and "openaiapi" in missing.json()["message"]


def test_yaml_only_values_in_fixtures_are_served(
    tmp_path: Any, make_app: Any, make_client: Any
) -> None:
    fixtures = tmp_path / "f.yaml"
    fixtures.write_text(
        "credentials:\n"
        "  - {id: odd, name: odd, credentialName: openAIApi, workspace: workspace-123,\n"
        "     plainDataObj: {big: 123456789012345678901234567890, when: 2024-01-01}}\n"
    )
    client = make_client(make_app(fixtures=fixtures))
    response = client.get("/api/v1/credentials/odd", headers=FULL)
    assert response.status_code == 200
    assert response.json()["plainDataObj"] == {
        "big": 123456789012345678901234567890,
        "when": "2024-01-01",
    }
    assert client.put("/api/v1/credentials/odd", json={}, headers=FULL).status_code == 200
