"""Defects only generated, stateful testing finds: each is one step away from a hand-written
probe (a second password input, a deleted id, another scheme, a name with trailing spaces).
The `model-conformance` check must catch every one of them by itself."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from credkit_core.catalog import MARKER
from tests.contracts.broken.apps import (
    Request,
    Response,
    Rewrite,
    error_body,
    is_item,
    mock,
    parse_json,
    patch_update,
    rewrite_bodies,
    rewrite_responses,
)


def put_revives_deleted() -> Any:
    """A PUT to a deleted credential brings it back (200, and it is listed again)."""
    app = mock()
    store = app.state.store
    graveyard: dict[str, Any] = {}
    original = store.delete

    def delete(credential_id: str, workspace_id: str) -> bool:
        found = store.get(credential_id, workspace_id)
        if found is not None:
            graveyard[credential_id] = found
        return bool(original(credential_id, workspace_id))

    store.delete = delete

    def revive(s: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        dead = graveyard.get(kwargs["id"])
        if after is not None or dead is None:
            return after
        data = {**dead.data, **(kwargs.get("patch") or {})}
        return dataclasses.replace(
            dead, name=kwargs.get("name") or dead.name, data=data, encrypted=s._encrypt(data)
        )

    return patch_update(app, revive)


def both_fields_keeps_name() -> Any:
    """A PUT with both `name` and `plainDataObj` applies the data and ignores the name."""

    def keep(s: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None or kwargs.get("name") is None or kwargs.get("patch") is None:
            return after
        return dataclasses.replace(after, name=before.name)

    return patch_update(mock(), keep)


def empty_data_wipes() -> Any:
    """`plainDataObj: {}` wipes the stored data."""

    def wipe(s: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None or kwargs.get("patch") != {}:
            return after
        return dataclasses.replace(after, data={}, encrypted=s._encrypt({}))

    return patch_update(mock(), wipe)


def markers_keep_only_first() -> Any:
    """With several inputs sent back as the marker, only the first keeps its stored value; the
    others store the marker literally (the secret is lost)."""

    def lose(s: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        patch = kwargs.get("patch") or {}
        if after is None:
            return after
        markers = [k for k, v in patch.items() if v == MARKER and k in before.data]
        if len(markers) < 2:
            return after
        data = {**after.data, **dict.fromkeys(markers[1:], MARKER)}
        return dataclasses.replace(after, data=data, encrypted=s._encrypt(data))

    return patch_update(mock(), lose)


def readonly_sees_ciphertext() -> Any:
    """A view-only key's read by id carries `encryptedData`."""
    app = mock()
    store = app.state.store

    def change(req: Request, res: Response) -> Response:
        method, path, headers, _ = req
        found = store.find(path.rsplit("/", 1)[-1])
        auth = headers.get(b"authorization", b"").lower()
        if method == "GET" and is_item(path) and res[0] == 200 and found and b"readonly" in auth:
            shown = {**json.loads(res[2]), "encryptedData": found.encrypted}
            return res[0], res[1], json.dumps(shown).encode()
        return res

    return Rewrite(app, on_response=change)


def filter_crosses_workspaces() -> Any:
    """A list filtered by `credentialName` shows other workspaces' credentials."""
    app = mock()
    store = app.state.store
    original = store.list

    def listed(workspace_id: str, types: Any = None) -> list[Any]:
        if not types:
            return list(original(workspace_id, types))
        wanted = set(types)
        return [c for c in store.all() if c.credential_name in wanted]

    store.list = listed
    return app


def token_scheme_accepted() -> Any:
    """A known key under another scheme (`Token <key>`) is accepted."""

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        value = headers.get(b"authorization", b"")
        if value.lower().startswith(b"token "):
            headers = {**headers, b"authorization": b"Bearer " + value[6:]}
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


def error_quotes_body() -> Any:
    """A 400's message quotes the request body, secrets included."""

    def change(req: Request, res: Response) -> Response:
        if res[0] != 400:
            return res
        quoted = req[3][:2000].decode("utf-8", "replace")
        return 400, res[1], error_body(400, f"Invalid request body: {quoted}")

    return rewrite_responses(change)


def _rename(change: Any) -> Any:
    def rewrite(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        parsed = parse_json(body)
        named = isinstance(parsed, dict) and isinstance(parsed.get("name"), str)
        if method in ("POST", "PUT") and named:
            parsed["name"] = change(parsed["name"]) or parsed["name"]
            return headers, json.dumps(parsed).encode()
        return headers, body

    return rewrite_bodies(rewrite)


def names_trimmed() -> Any:
    """Names are stored with surrounding whitespace trimmed."""
    return _rename(str.strip)


def names_latin1() -> Any:
    """Names pass through latin-1: UTF-8 bytes read as latin-1 characters."""
    return _rename(lambda name: name.encode("utf-8").decode("latin-1"))


def whole_second_dates() -> Any:
    """`updatedDate` is stored in whole seconds (cut, not rounded) while `createdDate` keeps its
    milliseconds: an update in the second of the create goes back in time."""

    def cut(s: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None:
            return after
        return dataclasses.replace(after, updated_ms=int(time.time()) * 1000)

    return patch_update(mock(), cut)


def delete_again_200() -> Any:
    """A DELETE of an already deleted id answers 200 (an unknown id still gets 404)."""
    deleted: set[str] = set()

    def change(req: Request, res: Response) -> Response:
        if req[0] != "DELETE" or not is_item(req[1]):
            return res
        credential_id = req[1].rsplit("/", 1)[-1]
        if res[0] == 200:
            deleted.add(credential_id)
        elif res[0] == 404 and credential_id in deleted:
            return 200, [(b"content-type", b"application/json")], b'{"raw":[],"affected":1}'
        return res

    return rewrite_responses(change)


MODEL_DEFECTS: dict[str, Any] = {
    "put-revives-deleted": put_revives_deleted,
    "both-fields-keeps-name": both_fields_keeps_name,
    "empty-data-wipes": empty_data_wipes,
    "markers-keep-only-first": markers_keep_only_first,
    "readonly-sees-ciphertext": readonly_sees_ciphertext,
    "filter-crosses-workspaces": filter_crosses_workspaces,
    "token-scheme-accepted": token_scheme_accepted,
    "error-quotes-body": error_quotes_body,
    "names-trimmed": names_trimmed,
    "names-latin1": names_latin1,
    "whole-second-dates": whole_second_dates,
    "delete-again-200": delete_again_200,
}
