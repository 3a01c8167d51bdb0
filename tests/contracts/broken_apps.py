"""Deliberately broken implementations: the mock with exactly one defect each.

A defect is either a patch on one app's own store / keyring / encryptor instance (never on a
shared object), or a pure-ASGI wrapper that alters requests or responses. `DEFECTS` maps a
name to the defect and the check that must catch it.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mockserver.app import create_app
from mockserver.catalog import BULLETS, MARKER, CredentialType
from mockserver.config import Config

ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
PASSPHRASE = "credkit-test-passphrase"


def mock() -> Any:
    return create_app(Config(access_log=False, log_level="warning", secret_key=PASSPHRASE))


Request = tuple[str, str, dict[bytes, bytes], bytes]  # method, path, headers, body
Response = tuple[int, list[tuple[bytes, bytes]], bytes]


class Rewrite:
    """Buffers a request and its answer so `on_request` / `on_response` can change them."""

    def __init__(
        self,
        app: Any,
        on_request: Callable[[Request], Awaitable[Request]] | None = None,
        on_response: Callable[[Request, Response], Response] | None = None,
    ) -> None:
        self.app, self.on_request, self.on_response = app, on_request, on_response
        self.state = app.state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request: Request = (scope["method"], scope["path"], dict(scope["headers"]), body)
        if self.on_request is not None:
            request = await self.on_request(request)
        method, path, headers, body = request
        scope = {**scope, "method": method, "path": path, "headers": list(headers.items())}
        sent: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                sent["status"], sent["headers"] = (
                    message["status"],
                    list(message.get("headers", [])),
                )
            elif message["type"] == "http.response.body":
                sent["body"] += message.get("body", b"")

        await self.app(scope, replay, capture)
        response: Response = (sent["status"], sent["headers"], sent["body"])
        if self.on_response is not None:
            response = self.on_response(request, response)
        status, out_headers, out_body = response
        out_headers = [(k, v) for k, v in out_headers if k.lower() != b"content-length"]
        out_headers.append((b"content-length", str(len(out_body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        await send({"type": "http.response.body", "body": out_body})


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _error(status: int, message: str) -> bytes:
    return json.dumps(
        {"statusCode": status, "success": False, "message": message, "stack": {}}
    ).encode()


def _is_item(path: str) -> bool:
    return path.startswith("/api/v1/credentials/")


# ---- store / keyring / encryptor patches (on this app's own instances) ---------------------


def _patch_update(app: Any, change: Callable[[Any, Any, Any, dict[str, Any]], Any]) -> Any:
    """Wrap store.update: `change(store, before, after, kwargs)` returns what to store instead
    (`before`/`after` are None for an unknown id)."""
    store = app.state.store
    original = store.update

    def update(credential_id: str, workspace_id: str, **kwargs: Any) -> Any:
        before = store.get(credential_id, workspace_id)
        after = original(credential_id, workspace_id, **kwargs)
        replaced = change(
            store, before, after, {"id": credential_id, "workspace": workspace_id, **kwargs}
        )
        if replaced is not None:
            store._by_id[replaced.id] = replaced
        return replaced

    store.update = update
    return app


def put_replaces() -> Any:
    def replace(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        patch = kwargs.get("patch")
        if after is None or not patch:
            return after
        return dataclasses.replace(after, data=dict(patch), encrypted=store._encrypt(patch))

    return _patch_update(mock(), replace)


def changes_credential_name() -> Any:
    return _patch_update(
        mock(), lambda s, b, a, k: a and dataclasses.replace(a, credential_name="openAIApi")
    )


def no_date_bump() -> Any:
    return _patch_update(
        mock(), lambda s, b, a, k: a and dataclasses.replace(a, updated_ms=b.updated_ms)
    )


def creates_on_put() -> Any:
    def create(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is not None:
            return after
        data = dict(kwargs.get("patch") or {})
        made = store.create(kwargs["workspace"], kwargs.get("name") or "made", "openAIApi", data)
        del store._by_id[made.id]
        return dataclasses.replace(made, id=kwargs["id"])

    return _patch_update(mock(), create)


class _Proxy:
    """Delegates to `inner`, except for the attributes given as keyword arguments."""

    def __init__(self, inner: Any, **overrides: Any) -> None:
        self._inner = inner
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def same_ciphertext() -> Any:
    app = mock()
    store = app.state.store
    original, seen = store.encryptor.encrypt, {}

    def encrypt(plaintext: str) -> str:
        return seen.setdefault(plaintext, original(plaintext))

    store.encryptor = _Proxy(store.encryptor, encrypt=encrypt)
    return app


def leaks_base64() -> Any:
    app = mock()
    store = app.state.store

    def encrypt(plaintext: str) -> str:
        return "U2FsdGVkX1" + base64.b64encode(plaintext.encode()).decode()

    store.encryptor = _Proxy(store.encryptor, encrypt=encrypt)
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


def cross_workspace_read() -> Any:
    app = mock()
    store = app.state.store
    store.get = lambda credential_id, workspace_id: store._by_id.get(credential_id)
    return app


def non_redacted_get() -> Any:
    app = mock()
    store = app.state.store
    store.detail = lambda credential: {
        **credential.summary(),
        "plainDataObj": dict(credential.data),
    }
    return app


def ignores_auth() -> Any:
    app = mock()
    keyring = app.state.keyring
    admin = keyring.authenticate(b"Bearer dev-admin-key")

    def authenticate(header: bytes | None) -> Any:
        try:
            return keyring.authenticate(header)
        except Exception:
            return admin

    app.state.keyring = _Proxy(keyring, authenticate=authenticate)
    return app


def readonly_can_update() -> Any:
    app = mock()
    keyring = app.state.keyring

    def authorize(key: Any, permission: str | None) -> None:
        if permission != "credentials:update":
            keyring.authorize(key, permission)

    app.state.keyring = _Proxy(keyring, authorize=authorize)
    return app


def readonly_cannot_read() -> Any:
    """As the real server: GET by id needs create or update, not view."""
    app = mock()
    keyring = app.state.keyring

    def authorize(key: Any, permission: str | None) -> None:
        if permission == "credentials:view" and "credentials:update" not in key.permissions:
            keyring.authorize(key, "credentials:update")
        keyring.authorize(key, permission)

    app.state.keyring = _Proxy(keyring, authorize=authorize)
    return app


def lowercase_bearer_refused() -> Any:
    async def request(req: Request) -> Request:
        method, path, headers, body = req
        if headers.get(b"authorization", b"").startswith(b"bearer "):
            headers = {**headers, b"authorization": b"Nope"}
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


def raw_key_accepted() -> Any:
    async def request(req: Request) -> Request:
        method, path, headers, body = req
        value = headers.get(b"authorization", b"")
        if value and b" " not in value:
            headers = {**headers, b"authorization": b"Bearer " + value}
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


# ---- ASGI wrappers ------------------------------------------------------------------------


def _on_response(change: Callable[[Request, Response], Response]) -> Any:
    return Rewrite(mock(), on_response=change)


def unknown_id_500() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] == "PUT" and res[0] == 404:
            return (
                500,
                res[1],
                _error(500, "Error: credentialsService.updateCredential - Credential not found"),
            )
        return res

    return _on_response(change)


def delete_unknown_200() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] == "DELETE" and res[0] == 404:
            return 200, [(b"content-type", b"application/json")], b'{"raw":[],"affected":0}'
        return res

    return _on_response(change)


def wrong_error_shape() -> Any:
    def change(req: Request, res: Response) -> Response:
        if res[0] == 401:
            return 401, res[1], b'{"error":"Unauthorized Access"}'
        return res

    return _on_response(change)


def leaks_secret_header() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] in ("POST", "PUT") and res[0] == 200:
            sent = _json(req[3]) or {}
            data = json.dumps(sent.get("plainDataObj") or {}).encode("ascii")
            return res[0], [*res[1], (b"x-debug-data", data)], res[2]
        return res

    return _on_response(change)


def not_found_for_405() -> Any:
    def change(req: Request, res: Response) -> Response:
        if res[0] == 405:
            return 404, [(k, v) for k, v in res[1] if k != b"allow"], _error(404, "Not found")
        return res

    return _on_response(change)


def wrong_content_type() -> Any:
    def change(req: Request, res: Response) -> Response:
        if res[0] == 200 and req[1].startswith("/api/v1/credentials"):
            return (
                res[0],
                [(k, b"text/plain" if k == b"content-type" else v) for k, v in res[1]],
                res[2],
            )
        return res

    return _on_response(change)


def list_filter_500() -> Any:
    async def request(req: Request) -> Request:
        return req

    def change(req: Request, res: Response) -> Response:
        return res

    app = mock()

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"] == "/api/v1/credentials"
            and b"credentialName" in scope.get("query_string", b"")
        ):
            body = _error(500, "boom")
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    asgi.state = app.state  # type: ignore[attr-defined]
    return asgi


def _body_request(
    change: Callable[[str, str, dict[bytes, bytes], bytes], tuple[dict[bytes, bytes], bytes]],
) -> Any:
    async def request(req: Request) -> Request:
        method, path, headers, body = req
        headers, body = change(method, path, headers, body)
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


def missing_body_200() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        if method == "PUT" and not body.strip():
            return {**headers, b"content-type": b"application/json"}, b"{}"
        return headers, body

    return _body_request(change)


def accepts_text_plain() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        if body.strip() and not headers.get(b"content-type", b"").startswith(b"application/json"):
            return {**headers, b"content-type": b"application/json"}, body
        return headers, body

    return _body_request(change)


def accepts_unknown_fields() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        parsed = _json(body)
        if method == "PUT" and isinstance(parsed, dict):
            kept = {k: v for k, v in parsed.items() if k in ("name", "plainDataObj")}
            return headers, json.dumps(kept).encode()
        return headers, body

    return _body_request(change)


def lost_updates() -> Any:
    """Read-merge-write without a lock (as real Flowise 3.1.4): concurrent PUTs overwrite
    each other."""
    app = mock()
    store = app.state.store

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        parsed = _json(body)
        patch = parsed.get("plainDataObj") if isinstance(parsed, dict) else None
        current = store._by_id.get(path.rsplit("/", 1)[-1]) if method == "PUT" else None
        if current is not None and isinstance(patch, dict) and patch:
            snapshot = dict(current.data)
            await asyncio.sleep(0.05)  # other PUTs read the same snapshot meanwhile
            merged = {**snapshot, **patch}
            latest = store._by_id[current.id]
            store._by_id[current.id] = dataclasses.replace(latest, data=merged)
            body = json.dumps({k: v for k, v in parsed.items() if k != "plainDataObj"}).encode()
        return method, path, headers, body

    return Rewrite(app, on_request=request)


def rejected_changes_state() -> Any:
    """A PUT that fails validation is answered 400 but applied anyway."""
    app = mock()
    store = app.state.store

    def change(req: Request, res: Response) -> Response:
        parsed = _json(req[3])
        if (
            req[0] == "PUT"
            and res[0] == 400
            and isinstance(parsed, dict)
            and isinstance(parsed.get("name"), str)
        ):
            found = store._by_id.get(req[1].rsplit("/", 1)[-1])
            if found is not None:
                store._by_id[found.id] = dataclasses.replace(found, name=parsed["name"])
        return res

    return Rewrite(app, on_response=change)


def hangs_on_list_filter() -> Any:
    app = mock()

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"")
        if scope["type"] == "http" and scope["path"] == "/api/v1/credentials" and query:
            await asyncio.sleep(1.5)  # longer than the suite's --timeout in the test
        await app(scope, receive, send)

    asgi.state = app.state  # type: ignore[attr-defined]
    return asgi


# ---- more defects: one for every named check ------------------------------------------------


def name_only_drops_data() -> Any:
    def drop(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None or kwargs.get("patch") is not None:
            return after
        return dataclasses.replace(after, data={}, encrypted=store._encrypt({}))

    return _patch_update(mock(), drop)


def values_only_clears_name() -> Any:
    def clear(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None or kwargs.get("name") is not None:
            return after
        return dataclasses.replace(after, name="")

    return _patch_update(mock(), clear)


def drops_null_values() -> Any:
    def drop(store: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        if after is None:
            return after
        data = {k: v for k, v in after.data.items() if v is not None}
        return dataclasses.replace(after, data=data, encrypted=store._encrypt(data))

    return _patch_update(mock(), drop)


def url_echo_stores_empty() -> Any:
    """A bullet-masked url sent back is stored as an empty string."""

    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        parsed = _json(body)
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

    return _body_request(change)


def response_id_differs() -> Any:
    def change(req: Request, res: Response) -> Response:
        parsed = _json(res[2])
        if req[0] == "PUT" and res[0] == 200 and isinstance(parsed, dict):
            return res[0], res[1], json.dumps({**parsed, "id": "cred-000"}).encode()
        return res

    return _on_response(change)


def unsalted_ciphertext() -> Any:
    app = mock()
    store = app.state.store

    def encrypt(plaintext: str) -> str:
        return base64.b64encode(os.urandom(48)).decode()

    store.encryptor = _Proxy(store.encryptor, encrypt=encrypt)
    return app


def accepts_array_body() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        if method == "PUT" and isinstance(_json(body), list):
            return headers, b"{}"
        return headers, body

    return _body_request(change)


def accepts_wrong_types() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        parsed = _json(body)
        if method == "PUT" and isinstance(parsed, dict) and "name" in parsed:
            if not isinstance(parsed["name"], str) or not parsed["name"]:
                parsed = {**parsed, "name": str(parsed["name"]) or "empty"}
            return headers, json.dumps(parsed).encode()
        return headers, body

    return _body_request(change)


def leaks_secret_in_put_body() -> Any:
    app = mock()
    store = app.state.store

    def change(req: Request, res: Response) -> Response:
        parsed = _json(res[2])
        if req[0] in ("POST", "PUT") and res[0] == 200 and isinstance(parsed, dict):
            found = store._by_id.get(parsed.get("id"))
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


def delete_keeps_credential() -> Any:
    """DELETE answers 200 but the credential stays readable."""

    def change(req: Request, res: Response) -> Response:
        if req[0] == "DELETE" and res[0] == 404 and _is_item(req[1]):
            return 200, [(b"content-type", b"application/json")], b'{"raw":[],"affected":1}'
        return res

    app = mock()
    store = app.state.store
    store.delete = lambda credential_id, workspace_id: False
    return Rewrite(app, on_response=change)


def extra_response_field() -> Any:
    def change(req: Request, res: Response) -> Response:
        parsed = _json(res[2])
        if req[0] == "PUT" and res[0] == 200 and isinstance(parsed, dict):
            return res[0], res[1], json.dumps({**parsed, "version": 2}).encode()
        return res

    return _on_response(change)


def created_201() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] == "POST" and res[0] == 200:
            return 201, res[1], res[2]
        return res

    return _on_response(change)


# ---- order of checks, and type changes --------------------------------------------------------


async def _read_body(receive: Any) -> bytes:
    body: bytes = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def parses_body_before_auth() -> Any:
    """As Express in real Flowise: malformed JSON is answered 400 before the key is looked at."""
    app = mock()

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        body = await _read_body(receive)
        media = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip()
        if media == b"application/json" and body.strip() and _json(body) is None:
            answer = _error(400, "Unexpected end of JSON input")
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(answer)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": answer})
            return

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, replay, send)

    asgi.state = app.state  # type: ignore[attr-defined]
    return asgi


def looks_up_id_before_body() -> Any:
    """An unknown id is answered 404 before the body is parsed or validated."""
    app = mock()
    store = app.state.store

    async def request(req: Request) -> Request:
        method, path, headers, _body = req
        if method == "PUT" and _is_item(path) and path.rsplit("/", 1)[-1] not in store._by_id:
            headers = {**headers, b"content-type": b"application/json"}
            return method, path, headers, b"{}"
        return req

    return Rewrite(app, on_request=request)


def type_change_reveals_secrets() -> Any:
    """As real Flowise: PUT `credentialName` changes the type, and GET redacts by the new type
    (an empty one: nothing redacted), so the old type's secrets show in clear."""
    app = mock()
    store = app.state.store
    catalog = store.catalog

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        parsed = _json(body)
        if method == "PUT" and isinstance(parsed, dict) and "credentialName" in parsed:
            new_type = str(parsed.pop("credentialName")).encode()
            headers = {**headers, b"x-credkit-new-type": new_type}
            return method, path, headers, json.dumps(parsed).encode()
        return req

    def change(req: Request, res: Response) -> Response:
        new_type = req[2].get(b"x-credkit-new-type")
        found = store._by_id.get(req[1].rsplit("/", 1)[-1])
        if new_type is not None and res[0] == 200 and found is not None:
            store._by_id[found.id] = dataclasses.replace(found, credential_name=new_type.decode())
        return res

    def detail(credential: Any) -> dict[str, Any]:
        ctype = catalog.get(credential.credential_name)
        data = ctype.redact(credential.data) if ctype is not None else dict(credential.data)
        return {**credential.summary(), "plainDataObj": data}

    store.detail = detail
    return Rewrite(app, on_request=request, on_response=change)


@dataclass(frozen=True)
class Defect:
    build: Callable[[], Any]
    check: str  # the check that must report it
    schema: bool = False  # caught by a schemathesis check (needs a schemathesis run)
    timeout: float = 10.0
    secret_key: bool = False  # observable only with the server's passphrase (--secret-key)
    phases: tuple[str, ...] = ("fuzzing",)  # schemathesis phases for a `schema` defect
    max_examples: int = 3


DEFECTS: dict[str, Defect] = {
    "put-replaces-instead-of-merging": Defect(put_replaces, "update-partial-merge"),
    "ignores-auth": Defect(ignores_auth, "auth-required"),
    "raw-key-accepted": Defect(raw_key_accepted, "auth-required"),
    "lowercase-bearer-refused": Defect(lowercase_bearer_refused, "auth-scheme-case-insensitive"),
    "leaks-secret-in-header": Defect(leaks_secret_header, "no-secret-in-responses"),
    "leaks-secret-base64-in-encrypted-data": Defect(leaks_base64, "no-secret-in-responses"),
    "unknown-id-500": Defect(unknown_id_500, "unknown-id-404"),
    "delete-unknown-200": Defect(delete_unknown_200, "unknown-id-404"),
    "lost-concurrent-updates": Defect(lost_updates, "concurrent-updates-kept"),
    "changes-credential-name": Defect(changes_credential_name, "update-immutable-fields"),
    "no-updated-date-bump": Defect(no_date_bump, "update-dates-monotonic"),
    "same-encrypted-data": Defect(same_ciphertext, "update-fresh-ciphertext"),
    "stores-marker-literally": Defect(stores_marker, "update-marker-keeps-stored"),
    "creates-on-put-of-unknown-id": Defect(creates_on_put, "update-unknown-id-not-created"),
    "wrong-error-shape": Defect(wrong_error_shape, "error-shape"),
    "missing-body-200": Defect(missing_body_200, "missing-body-412"),
    "accepts-text-plain": Defect(accepts_text_plain, "non-json-415"),
    "accepts-unknown-fields": Defect(accepts_unknown_fields, "unknown-fields-400"),
    "cross-workspace-read": Defect(cross_workspace_read, "workspace-isolation"),
    "readonly-can-update": Defect(readonly_can_update, "readonly-cannot-write"),
    "readonly-cannot-read": Defect(readonly_cannot_read, "readonly-can-read"),
    "404-instead-of-405": Defect(not_found_for_405, "method-not-allowed-405"),
    "non-redacted-get": Defect(non_redacted_get, "get-redacts-secrets"),
    "rejected-request-changes-state": Defect(
        rejected_changes_state, "rejected-update-changes-nothing"
    ),
    "wrong-content-type": Defect(wrong_content_type, "content_type_conformance", schema=True),
    "500-on-list-filter": Defect(list_filter_500, "not_a_server_error", schema=True),
    "name-only-update-drops-data": Defect(name_only_drops_data, "update-name-only-keeps-data"),
    "values-only-update-clears-name": Defect(
        values_only_clears_name, "update-values-only-keeps-name"
    ),
    "drops-null-values": Defect(drops_null_values, "update-stored-data-exact", secret_key=True),
    "marker-replaces-secret": Defect(stores_marker, "update-marker-keeps-secret", secret_key=True),
    "masked-url-stored-literally": Defect(
        stores_marker, "update-masked-url-keeps-password", secret_key=True
    ),
    "masked-url-echo-stores-empty": Defect(url_echo_stores_empty, "update-masked-url-keeps-stored"),
    "response-id-differs": Defect(response_id_differs, "update-response-id"),
    "unsalted-ciphertext": Defect(unsalted_ciphertext, "encrypted-data-format"),
    "accepts-array-body": Defect(accepts_array_body, "malformed-json-400"),
    "accepts-wrong-types": Defect(accepts_wrong_types, "wrong-types-400"),
    "leaks-secret-in-put-body": Defect(leaks_secret_in_put_body, "no-secret-in-responses"),
    "url-password-in-clear-on-get": Defect(url_password_in_clear, "get-redacts-secrets"),
    "delete-keeps-credential": Defect(
        delete_keeps_credential,
        "use_after_free",
        schema=True,
        phases=("stateful",),
        max_examples=10,
    ),
    "extra-field-in-put-answer": Defect(
        extra_response_field, "response_schema_conformance", schema=True
    ),
    "create-answers-201": Defect(created_201, "status_code_conformance", schema=True),
    "parses-body-before-auth": Defect(parses_body_before_auth, "check-order"),
    "looks-up-id-before-body": Defect(looks_up_id_before_body, "check-order"),
    "type-change-reveals-secrets": Defect(type_change_reveals_secrets, "type-change-keeps-secrets"),
    "hangs-on-list-filter": Defect(
        hangs_on_list_filter, "server-responds", schema=True, timeout=0.5
    ),
}
