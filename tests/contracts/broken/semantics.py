"""Defects in what a PUT does: merge, immutable fields, dates, ciphertext, the marker."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from credkit_core.catalog import BULLETS, CredentialType
from tests.contracts.broken.apps import (
    Proxy,
    Request,
    Response,
    Rewrite,
    mock,
    parse_json,
    patch_update,
    rewrite_bodies,
    rewrite_responses,
)


def put_replaces() -> Any:
    def replace(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        patch = kwargs.get("patch")
        if after is None or not patch:
            return after
        return dataclasses.replace(after, data=dict(patch), encrypted=store._encrypt(patch))

    return patch_update(mock(), replace)


def changes_credential_name() -> Any:
    return patch_update(
        mock(), lambda s, b, a, k: a and dataclasses.replace(a, credential_name="openAIApi")
    )


def no_date_bump() -> Any:
    return patch_update(
        mock(), lambda s, b, a, k: a and dataclasses.replace(a, updated_ms=b.updated_ms)
    )


def creates_on_put() -> Any:
    def create(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is not None:
            return after
        data = dict(kwargs.get("patch") or {})
        made = store.create(kwargs["workspace"], kwargs.get("name") or "made", "openAIApi", data)
        store.delete(made.id, made.workspace_id)
        return dataclasses.replace(made, id=kwargs["id"])

    return patch_update(mock(), create)


def same_ciphertext() -> Any:
    app = mock()
    store = app.state.store
    original, seen = store.encryptor.encrypt, {}

    def encrypt(plaintext: str) -> str:
        return seen.setdefault(plaintext, original(plaintext))

    store.encryptor = Proxy(store.encryptor, encrypt=encrypt)
    return app


class _NoKeep:
    """A catalog whose types never keep the stored value (the marker is stored literally)."""

    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog

    def get(self, name: str) -> Any:
        found = self._catalog.get(name)
        if found is None:
            return None
        return _LiteralType(found)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)


@dataclass
class _LiteralType:
    inner: CredentialType

    def keeps_stored(self, key: str, value: Any) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def stores_marker() -> Any:
    app = mock()
    app.state.store.catalog = _NoKeep(app.state.store.catalog)
    return app


def rejected_changes_state() -> Any:
    """A PUT that fails validation is answered 400 but applied anyway."""
    app = mock()
    store = app.state.store

    def change(req: Request, res: Response) -> Response:
        parsed = parse_json(req[3])
        if (
            req[0] == "PUT"
            and res[0] == 400
            and isinstance(parsed, dict)
            and isinstance(parsed.get("name"), str)
        ):
            found = store.find(req[1].rsplit("/", 1)[-1])
            if found is not None:
                store.put(dataclasses.replace(found, name=parsed["name"]))
        return res

    return Rewrite(app, on_response=change)


def name_only_drops_data() -> Any:
    def drop(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None or kwargs.get("patch") is not None:
            return after
        return dataclasses.replace(after, data={}, encrypted=store._encrypt({}))

    return patch_update(mock(), drop)


def values_only_clears_name() -> Any:
    def clear(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None or kwargs.get("name") is not None:
            return after
        return dataclasses.replace(after, name="")

    return patch_update(mock(), clear)


def drops_null_values() -> Any:
    def drop(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None:
            return after
        data = {k: v for k, v in after.data.items() if v is not None}
        return dataclasses.replace(after, data=data, encrypted=store._encrypt(data))

    return patch_update(mock(), drop)


def url_echo_stores_empty() -> Any:
    """A bullet-masked url sent back is stored as an empty string."""

    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        parsed = parse_json(body)
        if (
            method == "PUT"
            and isinstance(parsed, dict)
            and isinstance(parsed.get("plainDataObj"), dict)
        ):
            data = {
                k: "" if isinstance(v, str) and BULLETS in v else v
                for k, v in parsed["plainDataObj"].items()
            }
            return headers, json.dumps({**parsed, "plainDataObj": data}).encode()
        return headers, body

    return rewrite_bodies(change)


def response_id_differs() -> Any:
    def change(req: Request, res: Response) -> Response:
        parsed = parse_json(res[2])
        if req[0] == "PUT" and res[0] == 200 and isinstance(parsed, dict):
            return res[0], res[1], json.dumps({**parsed, "id": "cred-000"}).encode()
        return res

    return rewrite_responses(change)
