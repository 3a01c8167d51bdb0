"""The credentials API's operations as the `spec` profile answers them: one method per
operationId, named in snake_case (`createCredential` → `create_credential`)."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson

from credkit_core.fixtures.loader import ApiKey
from mockserver.requests import Call
from mockserver.responses import TEXT, ApiError, Reply, json_reply, shown
from mockserver.state import AppState

__all__ = ["DELETED", "SpecOperations"]

DELETED = b'{"raw":[],"affected":1}'


def _key(call: Call) -> ApiKey:
    if call.key is None:  # pragma: no cover - the spec gives every credentials operation security
        raise ApiError(401, "Missing Authorization header; send 'Authorization: Bearer <API key>'.")
    return call.key


def _not_found(credential_id: str) -> ApiError:
    return ApiError(404, f"Credential {shown(credential_id)!r} not found in this workspace.")


class SpecOperations:
    """The `spec` profile's handlers; each gets a `Call` that passed every check."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._catalog_body: bytes | None = None

    def create_credential(self, call: Call) -> Reply:
        body = call.json or {}
        if body["credentialName"] not in self.state.catalog:
            raise ApiError(400, "field 'credentialName' must be a known credential type.")
        created = self.state.store.create(
            _key(call).workspace, body["name"], body["credentialName"], dict(body["plainDataObj"])
        )
        return json_reply(200, created.full())

    def list_credentials(self, call: Call) -> Reply:
        query = parse_qs(call.query.decode("latin-1"), keep_blank_values=True)
        types = query.get("credentialName")
        found = self.state.store.list(_key(call).workspace, types)
        return json_reply(200, [c.summary() for c in found])

    def get_credential(self, call: Call) -> Reply:
        credential_id = call.params["id"]
        found = self.state.store.get(credential_id, _key(call).workspace)
        if found is None:
            raise _not_found(credential_id)
        return json_reply(200, self.state.store.detail(found))

    def update_credential(self, call: Call) -> Reply:
        credential_id = call.params["id"]
        body = call.json or {}
        updated = self.state.store.update(
            credential_id,
            _key(call).workspace,
            name=body.get("name"),
            patch=body.get("plainDataObj"),
        )
        if updated is None:
            raise _not_found(credential_id)
        return json_reply(200, updated.full())

    def delete_credential(self, call: Call) -> Reply:
        credential_id = call.params["id"]
        if not self.state.store.delete(credential_id, _key(call).workspace):
            raise _not_found(credential_id)
        return Reply(200, DELETED)

    def list_credential_types(self, call: Call) -> Reply:
        if self._catalog_body is None:
            self._catalog_body = orjson.dumps(self.state.catalog.entries)
        return Reply(200, self._catalog_body)

    def get_credential_type(self, call: Call) -> Reply:
        name = call.params["name"]
        found = self.state.catalog.get(name)
        if found is None:
            raise ApiError(404, f"Credential type {shown(name)!r} not found.")
        return json_reply(200, found.raw)

    def ping(self, call: Call) -> Reply:
        return Reply(200, b"pong", TEXT)
