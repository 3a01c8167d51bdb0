"""The credentials operations of real Flowise 3.1.4, as the `flowise-3.1` profile answers them.

Each method mirrors the controller and service of `packages/server` 3.1.4 (npm build):
service errors are 500 with `Error: credentialsService.<fn> - <detail>` (an unknown id included;
GET by id says `createCredential`, sic), SQLite's NOT NULL failures name the column, DELETE of
an unknown id is 200 `affected: 0`, POST may carry an `id` (an existing one is overwritten),
PUT merges shallowly (a string `plainDataObj` spreads into index keys), stores the marker
literally and may change `credentialName`; dates have whole seconds; a non-string `name` is
echoed as sent and read back as SQLite's text.

Departures kept on purpose (house rules): `/reveal` masks a url's password with bullets instead
of answering it in clear; with an empty `credentialName` (real: everything in clear), and for
keys the credential's type does not declare (real: as stored, so a type change shows a password
in clear), each key is redacted as any catalog type declaring it would; POST with the id of
another workspace's credential is refused (500 UNIQUE) rather than moving it.
"""

from __future__ import annotations

import uuid
from typing import Any, cast
from urllib.parse import parse_qs

import orjson

from credkit_core.catalog import MARKER, mask_url_password
from mockserver.requests import Call
from mockserver.responses import JSON, ApiError, Reply, dumps, json_reply, shown
from mockserver.runtime import Runtime
from mockserver.space import Space
from mockserver.store import StoredCredential, now_ms

__all__ = ["PING_TYPE", "FlowiseOperations", "sql_text"]

PING_TYPE = b"text/html; charset=utf-8"
_MISSING: Any = object()
_TYPES = "componentsCredentialsService.getSingleComponentsCredential"


def sql_text(value: Any) -> Any:
    """A value as SQLite hands back a text column (node-sqlite3 binds numbers and booleans)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return "[object Object]"  # node-sqlite3 binds any object or array as this text
    return value


def _truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value."""
    return value not in (None, False, 0, "") and value == value


def _spread(value: Any) -> dict[str, Any]:
    """`{...value}` in JavaScript: objects by key, strings and arrays by index, else nothing."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str | list):
        return {str(i): item for i, item in enumerate(value)}
    return {}


def _service_error(fn: str, detail: str) -> ApiError:
    return ApiError(500, f"Error: credentialsService.{fn} - {detail}")


def _not_found(fn: str, credential_id: str) -> ApiError:
    return _service_error(fn, f"Credential {shown(credential_id)} not found")


def _not_null(fn: str, column: str) -> ApiError:
    return _service_error(fn, f"SQLITE_CONSTRAINT: NOT NULL constraint failed: credential.{column}")


def _now_s() -> int:
    return now_ms() // 1000 * 1000


class FlowiseOperations:
    """One method per Flowise route; each takes the call and the parsed (Express) body."""

    def __init__(self, runtime: Runtime) -> None:
        self.catalog = runtime.catalog
        self._types_body: bytes | None = None
        secret_keys: dict[str, str] = {}
        for ctype in runtime.catalog.types.values():
            secret_keys.update(dict.fromkeys(ctype.password_inputs, "password"))
            secret_keys.update(dict.fromkeys(ctype.url_inputs, "url"))
        self._secret_keys = secret_keys

    def _workspace(self, call: Call) -> str:
        if call.key is None:  # pragma: no cover - every credentials route needs a key
            raise ApiError(401, "Unauthorized Access")
        return call.key.workspace

    @staticmethod
    def _encrypt(space: Space, data: Any) -> str:
        return space.store.encryptor.encrypt(dumps(data).decode("utf-8"))

    def ping(self, call: Call, space: Space, body: Any) -> Reply:
        return Reply(200, b"pong", PING_TYPE)

    def create(self, call: Call, space: Space, body: Any) -> Reply:
        fields = body if isinstance(body, dict) else {}
        name, ctype = fields.get("name"), fields.get("credentialName")
        data = fields.get("plainDataObj")
        if name is None:
            raise _not_null("createCredential", "name")
        if ctype is None:
            raise _not_null("createCredential", "credentialName")
        if not _truthy(data):
            raise _not_null("createCredential", "encryptedData")
        workspace = self._workspace(call)
        given = fields.get("id")
        stamp = _now_s()
        encrypted = self._encrypt(space, data)
        if _truthy(given):
            credential_id = str(given)
            existing = space.store.find(credential_id)
            if existing is not None and existing.workspace_id != workspace:
                raise _service_error(
                    "createCredential", "SQLITE_CONSTRAINT: UNIQUE constraint failed: credential.id"
                )
        else:
            credential_id, existing = str(uuid.uuid4()), None
        stored = StoredCredential(
            id=credential_id,
            name=sql_text(name),
            credential_name=sql_text(ctype),
            workspace_id=workspace,
            data=cast(dict[str, Any], data),  # any truthy JSON value, as the real server
            encrypted=encrypted,
            created_ms=existing.created_ms if existing is not None else stamp,
            updated_ms=stamp,
        )
        space.store.put(stored)
        answer = stored.full()
        answer.update(name=name, credentialName=ctype)
        if existing is not None:  # TypeORM's save() of a known id: an UPDATE, no createdDate
            del answer["createdDate"]
            order: tuple[str, ...] = (
                "id",
                "name",
                "credentialName",
                "encryptedData",
                "workspaceId",
                "updatedDate",
            )
        elif _truthy(given):
            order = (
                "id",
                "name",
                "credentialName",
                "encryptedData",
                "workspaceId",
                "createdDate",
                "updatedDate",
            )
        else:
            order = (
                "name",
                "credentialName",
                "encryptedData",
                "workspaceId",
                "id",
                "createdDate",
                "updatedDate",
            )
        return json_reply(200, {k: answer[k] for k in order})

    def list(self, call: Call, space: Space, body: Any) -> Reply:
        workspace = self._workspace(call)
        wanted = parse_qs(call.query.decode("latin-1")).get("credentialName", [])
        everything = space.store.list(workspace)
        if not any(wanted):
            found = everything
        else:  # one query per name, results concatenated in the order of the names
            found = [c for name in wanted for c in everything if c.credential_name == name]
        return json_reply(200, [c.summary() for c in found])

    def _redact(self, credential: StoredCredential) -> Any:
        data, name = credential.data, credential.credential_name
        ctype = self.catalog.get(name) if name else None
        if name and ctype is None:
            return {}  # an unknown type: nothing, whatever the data is
        if not isinstance(data, dict):
            return data  # an array (POST accepts any truthy plainDataObj): no secret names
        if ctype is None:  # no type. Real: everything in clear; here: redacted by any type
            return {k: self._redact_any(k, v) for k, v in data.items()}
        # Real: keys the type does not declare come back as stored, so a password written under
        # another type (before a type change) is shown in clear; here it is redacted by any type.
        declared = {i["name"] for i in ctype.raw.get("inputs", [])}
        redacted = ctype.redact(data)
        return {k: v if k in declared else self._redact_any(k, v) for k, v in redacted.items()}

    def _redact_any(self, key: str, value: Any) -> Any:
        kind = self._secret_keys.get(key)
        if kind == "password":
            return MARKER
        return mask_url_password(value) if kind == "url" and isinstance(value, str) else value

    def get(self, call: Call, space: Space, body: Any) -> Reply:
        credential_id = call.params["id"]
        found = space.store.get(credential_id, self._workspace(call))
        if found is None:
            raise _not_found("createCredential", credential_id)
        answer = found.summary()
        answer["plainDataObj"] = self._redact(found)
        return json_reply(200, answer)

    def reveal(self, call: Call, space: Space, body: Any) -> Reply:
        credential_id = call.params["id"]
        found = space.store.get(credential_id, self._workspace(call))
        if found is None:
            raise _not_found("revealCredentialById", credential_id)
        ctype = self.catalog.get(found.credential_name)
        urls = ctype.url_inputs if ctype is not None else frozenset()
        shown_data = {
            key: (mask_url_password(value) if isinstance(value, str) else value)
            if key in urls
            else MARKER
            for key, value in _spread(found.data).items()
        }
        return json_reply(200, {"plainDataObj": shown_data})

    def update_no_id(self, call: Call, space: Space, body: Any) -> Reply:
        raise ApiError(412, "Error: credentialsController.updateCredential - id not provided!")

    def update(self, call: Call, space: Space, body: Any) -> Reply:
        credential_id = call.params["id"]
        current = space.store.get(credential_id, self._workspace(call))
        if current is None:
            raise _not_found("updateCredential", credential_id)
        fields = body if isinstance(body, dict) else {}
        incoming = fields.get("plainDataObj")
        data = {**_spread(current.data), **_spread({} if incoming is None else incoming)}
        name = fields.get("name", _MISSING)
        ctype = fields.get("credentialName", _MISSING)
        if name is None:
            raise _not_null("updateCredential", "name")
        if ctype is None:
            raise _not_null("updateCredential", "credentialName")
        updated = StoredCredential(
            id=current.id,
            name=current.name if name is _MISSING else sql_text(name),
            credential_name=current.credential_name if ctype is _MISSING else sql_text(ctype),
            workspace_id=current.workspace_id,
            data=data,
            encrypted=self._encrypt(space, data),
            created_ms=current.created_ms,
            updated_ms=_now_s(),
        )
        space.store.put(updated)
        answer = updated.full()
        if name is not _MISSING:
            answer["name"] = name
        if ctype is not _MISSING:
            answer["credentialName"] = ctype
        return json_reply(200, answer)

    def delete_no_id(self, call: Call, space: Space, body: Any) -> Reply:
        raise ApiError(412, "Error: credentialsController.deleteCredentials - id not provided!")

    def delete(self, call: Call, space: Space, body: Any) -> Reply:
        deleted = space.store.delete(call.params["id"], self._workspace(call))
        return Reply(200, b'{"raw":[],"affected":%d}' % int(deleted), JSON)

    def types(self, call: Call, space: Space, body: Any) -> Reply:
        if self._types_body is None:
            self._types_body = orjson.dumps([self._with_icon(e) for e in self.catalog.entries])
        return Reply(200, self._types_body, JSON)

    @staticmethod
    def _with_icon(entry: Any) -> dict[str, Any]:
        # Real Flowise answers the icon's path on its own disk; this is where it serves it.
        return {**entry, "icon": f"/api/v1/components-credentials-icon/{entry['name']}"}

    def type(self, call: Call, space: Space, body: Any) -> Reply:
        name = call.params["name"]
        found = []
        # The name is read after sanitize-html, which turned "&" into "&amp;": Flowise splits on
        # that (a literal "&amp;" in the URL does the same).
        for part in name.split("&amp;") if "&amp;" in name else [name]:
            entry = self.catalog.get(part)
            if entry is None:
                detail = f"Error: {_TYPES} - Credential {shown(part)} not found"
                raise ApiError(500, f"Error: {_TYPES} - {detail}")
            found.append(self._with_icon(entry.raw))
        return json_reply(200, found if "&amp;" in name else found[0])
