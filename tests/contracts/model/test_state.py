"""The model's answers: the order of checks, roles, and what success must look like."""

from __future__ import annotations

import json

import pytest

from contracts.model.contract import BODY_LIMIT, MARKER, TypeInputs
from contracts.model.state import COLLECTION, Call, ContractModel

KEYS = {"full": "k-full", "readonly": "k-view", "foreign": "k-other"}
KIND = TypeInputs("openAIApi", frozenset({"openAIApiKey"}), frozenset())
FULL = "Bearer k-full"


def model_with_one() -> tuple[ContractModel, str]:
    model = ContractModel(KEYS, {KIND.name: KIND})
    data = {"openAIApiKey": "s", "x": 1}
    body = {"name": "n", "credentialName": KIND.name, "plainDataObj": data}
    call = Call("POST", COLLECTION, (), FULL, "application/json", json.dumps(body).encode())
    expected = model.expect(call)
    assert expected.kind == "created"
    dates = {"createdDate": "2026-12-01T14:00:00Z", "updatedDate": "2026-12-01T14:00:00Z"}
    model.commit(expected, 200, {"id": "c1", "workspaceId": "w", **dates})
    return model, f"{COLLECTION}/c1"


def put(
    path: str, body: bytes | None, auth: str | None = FULL, ct: str | None = "application/json"
) -> Call:
    return Call("PUT", path, (), auth, ct, body)


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (put("/api/v1/credentials/c1", b"x" * (BODY_LIMIT + 1), None, None), 413),
        (Call("PATCH", "/api/v1/credentials/c1", (), None), 405),
        (put("/api/v1/credentials/c1", b"{}", None), 401),
        (put("/api/v1/credentials/c1", b"{}", "Token k-full"), 401),
        (put("/api/v1/credentials/c1", b"{}", "k-full"), 401),
        (put("/api/v1/credentials/c1", b"{}", "Bearer k-full0"), 401),
        (put("/api/v1/credentials/c1", b"{}", "bEaReR k-full"), 200),
        (put("/api/v1/credentials/c1", b"not json", "Bearer k-view"), 403),
        (put("/api/v1/credentials/c1", b"  ", FULL, "text/plain"), 412),
        (put("/api/v1/credentials/c1", b"{}", FULL, "text/plain"), 415),
        (put("/api/v1/credentials/c1", b"{}", FULL, "application/json; charset=utf-8"), 200),
        (put("/api/v1/credentials/absent", b"[]"), 400),
        (put("/api/v1/credentials/absent", b'{"name": ""}'), 400),
        (put("/api/v1/credentials/absent", b'{"id": "x"}'), 400),
        (put("/api/v1/credentials/absent", b"{}"), 404),
    ],
)
def test_order_of_checks(call: Call, status: int) -> None:
    model, _ = model_with_one()
    assert model.expect(call).statuses == {status}


def test_foreign_key_may_be_refused_or_not_find() -> None:
    model, path = model_with_one()
    assert model.expect(Call("GET", path, (), "Bearer k-other")).statuses == {403, 404}


def test_update_merges_and_markers_keep() -> None:
    model, path = model_with_one()
    body = json.dumps({"name": "m", "plainDataObj": {"openAIApiKey": MARKER, "y": None}})
    expected = model.expect(put(path, body.encode()))
    assert expected.credential is not None
    assert expected.credential.name == "m"
    assert expected.credential.data == {"openAIApiKey": "s", "x": 1, "y": None}


def test_deleted_is_gone_for_every_operation() -> None:
    model, path = model_with_one()
    deleted = model.expect(Call("DELETE", path, (), FULL))
    model.commit(deleted, 200, {"raw": [], "affected": 1})
    for call in (Call("DELETE", path, (), FULL), Call("GET", path, (), FULL), put(path, b"{}")):
        assert model.expect(call).statuses == {404}
    listed = model.expect(Call("GET", COLLECTION, (), FULL))
    assert not listed.listed and [c.id for c in listed.hidden] == ["c1"]


def test_list_filters() -> None:
    model, _ = model_with_one()
    assert len(model.expect(Call("GET", COLLECTION, ("openAIApi", "x"), FULL)).listed) == 1
    assert not model.expect(Call("GET", COLLECTION, ("other",), FULL)).listed
    foreign = model.expect(Call("GET", COLLECTION, ("openAIApi",), "Bearer k-other"))
    assert foreign.any_workspace and [c.id for c in foreign.hidden] == ["c1"]
