"""The credentials API's operations as the `spec` profile answers them: one method per
operationId, named in snake_case (`createCredential` → `create_credential`)."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson

from credkit_core.fixtures.loader import ApiKey
from mockserver.requests import Call
from mockserver.responses import TEXT, ApiError, Reply, json_reply, shown
from mockserver.runtime import Runtime
from mockserver.space import Space

__all__ = ["DELETED", "SpecOperations"]

DELETED = b'{"raw":[],"affected":1}'


def _key(call: Call) -> ApiKey:
    if call.key is None:  # pragma: no cover - the spec gives every credentials operation security
        raise ApiError(401, "Missing Authorization header; send 'Authorization: Bearer <API key>'.")
    return call.key


def _not_found(credential_id: str) -> ApiError:
    return ApiError(404, f"Credential {shown(credential_id)!r} not found in this workspace.")


class SpecOperations:
    """The `spec` profile's handlers; each gets a `Call` that passed every check and the
    request's `Space`."""

    def __init__(self, runtime: Runtime) -> None:
        self.catalog = runtime.catalog
        self._catalog_body: bytes | None = None

    def create_credential(self, call: Call, space: Space) -> Reply:
        body = call.json or {}
        if body["credentialName"] not in self.catalog:
            raise ApiError(400, "field 'credentialName' must be a known credential type.")
        created = space.store.create(
            _key(call).workspace, body["name"], body["credentialName"], dict(body["plainDataObj"])
        )
        return json_reply(200, created.full())

    def list_credentials(self, call: Call, space: Space) -> Reply:
        query = parse_qs(call.query.decode("latin-1"), keep_blank_values=True)
        types = query.get("credentialName")
        found = space.store.list(_key(call).workspace, types)
        return json_reply(200, [c.summary() for c in found])

    def get_credential(self, call: Call, space: Space) -> Reply:
        credential_id = call.params["id"]
        found = space.store.get(credential_id, _key(call).workspace)
        if found is None:
            raise _not_found(credential_id)
        return json_reply(200, space.store.detail(found))

    def update_credential(self, call: Call, space: Space) -> Reply:
        credential_id = call.params["id"]
        body = call.json or {}
        updated = space.store.update(
            credential_id,
            _key(call).workspace,
            name=body.get("name"),
            patch=body.get("plainDataObj"),
        )
        if updated is None:
            raise _not_found(credential_id)
        return json_reply(200, updated.full())

    def delete_credential(self, call: Call, space: Space) -> Reply:
        credential_id = call.params["id"]
        if not space.store.delete(credential_id, _key(call).workspace):
            raise _not_found(credential_id)
        return Reply(200, DELETED)

    def list_credential_types(self, call: Call, space: Space) -> Reply:
        if self._catalog_body is None:
            self._catalog_body = orjson.dumps(self.catalog.entries)
        return Reply(200, self._catalog_body)

    def get_credential_type(self, call: Call, space: Space) -> Reply:
        name = call.params["name"]
        found = self.catalog.get(name)
        if found is None:
            raise ApiError(404, f"Credential type {shown(name)!r} not found.")
        return json_reply(200, found.raw)

    def ping(self, call: Call, space: Space) -> Reply:
        return Reply(200, b"pong", TEXT)
