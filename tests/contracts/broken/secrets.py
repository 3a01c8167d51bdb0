"""Defects that let a secret out: in a header, a body, base64, a GET, after a type change."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from typing import Any

from credkit_core.catalog import MARKER
from tests.contracts.broken.apps import (
    Proxy,
    Request,
    Response,
    Rewrite,
    mock,
    parse_json,
    rewrite_responses,
)


def leaks_base64() -> Any:
    app = mock()
    store = app.state.store

    def encrypt(plaintext: str) -> str:
        return "U2FsdGVkX1" + base64.b64encode(plaintext.encode()).decode()

    store.encryptor = Proxy(store.encryptor, encrypt=encrypt)
    return app


def non_redacted_get() -> Any:
    app = mock()
    store = app.state.store
    store.detail = lambda credential: {
        **credential.summary(),
        "plainDataObj": dict(credential.data),
    }
    return app


def leaks_secret_header() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] in ("POST", "PUT") and res[0] == 200:
            sent = parse_json(req[3]) or {}
            data = json.dumps(sent.get("plainDataObj") or {}).encode("ascii")
            return res[0], [*res[1], (b"x-debug-data", data)], res[2]
        return res

    return rewrite_responses(change)


def unsalted_ciphertext() -> Any:
    app = mock()
    store = app.state.store

    def encrypt(plaintext: str) -> str:
        return base64.b64encode(os.urandom(48)).decode()

    store.encryptor = Proxy(store.encryptor, encrypt=encrypt)
    return app


def leaks_secret_in_put_body() -> Any:
    app = mock()
    store = app.state.store

    def change(req: Request, res: Response) -> Response:
        parsed = parse_json(res[2])
        if req[0] in ("POST", "PUT") and res[0] == 200 and isinstance(parsed, dict):
            found = store.find(parsed.get("id"))
            data = dict(found.data) if found is not None else {}
            return res[0], res[1], json.dumps({**parsed, "plainDataObj": data}).encode()
        return res

    return Rewrite(app, on_response=change)


def url_password_in_clear() -> Any:
    """GET redacts password inputs but shows url inputs with their password."""
    app = mock()
    store = app.state.store
    catalog = store.catalog

    def detail(credential: Any) -> dict[str, Any]:
        ctype = catalog.get(credential.credential_name)
        data = {
            k: MARKER if ctype is not None and k in ctype.password_inputs else v
            for k, v in credential.data.items()
        }
        return {**credential.summary(), "plainDataObj": data}

    store.detail = detail
    return app


def type_change_reveals_secrets() -> Any:
    """As real Flowise: PUT `credentialName` changes the type, and GET redacts by the new type
    (an empty one: nothing redacted), so the old type's secrets show in clear."""
    app = mock()
    store = app.state.store
    catalog = store.catalog

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        parsed = parse_json(body)
        if method == "PUT" and isinstance(parsed, dict) and "credentialName" in parsed:
            new_type = str(parsed.pop("credentialName")).encode()
            headers = {**headers, b"x-credkit-new-type": new_type}
            return method, path, headers, json.dumps(parsed).encode()
        return req

    def change(req: Request, res: Response) -> Response:
        new_type = req[2].get(b"x-credkit-new-type")
        found = store.find(req[1].rsplit("/", 1)[-1])
        if new_type is not None and res[0] == 200 and found is not None:
            store.put(dataclasses.replace(found, credential_name=new_type.decode()))
        return res

    def detail(credential: Any) -> dict[str, Any]:
        ctype = catalog.get(credential.credential_name)
        data = ctype.redact(credential.data) if ctype is not None else dict(credential.data)
        return {**credential.summary(), "plainDataObj": data}

    store.detail = detail
    return Rewrite(app, on_request=request, on_response=change)
