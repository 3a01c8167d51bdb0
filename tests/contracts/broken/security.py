"""Defects a deployment gets probed for (OWASP API Security Top 10 at the contract's level):
the correct mock with one realistic defect each, in how it authenticates (API2), which fields
it takes from a body (API3) or whose credential it serves (API1). The `model-conformance`
check must catch every one of them by itself, with the generated security rules."""

from __future__ import annotations

import dataclasses
import json
import posixpath
from collections.abc import Callable
from typing import Any

from contracts.model.contract import parse_date
from credkit_core.resources import DEV_KEYS
from mockserver.responses import ApiError, Reply, json_reply
from mockserver.store import StoredCredential
from tests.contracts.broken.apps import Request, Response, Rewrite, mock, parse_json

ADMIN = b"Bearer " + DEV_KEYS["admin"].encode()  # the identity a skipped key check falls back on
LOCAL = (b"127.0.0.1", b"::1", b"localhost")
PUBLIC = "/api/v1/ping"  # the route that needs no key (Flowise's whitelist matches prefixes)
OWNED = ("id", "workspaceId", "createdDate", "updatedDate", "encryptedData")
STASH = b"x-credkit-broken-stash"  # what the wrapper took out of a body, for its answer


def _trusting(trusted: Callable[[dict[bytes, bytes]], bool]) -> Any:
    """The mock behind a gateway that lets `trusted` requests in as its service identity."""

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        if trusted(headers):
            headers = {**headers, b"authorization": ADMIN}
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


def internal_header_trusted() -> Any:
    """`x-request-from: internal` is taken for a call from the UI's own backend: no key needed."""
    return _trusting(lambda h: h.get(b"x-request-from", b"").lower() == b"internal")


def forwarded_loopback_trusted() -> Any:
    """A caller whose `X-Forwarded-For` (first hop) or `X-Real-IP` is loopback is trusted as
    local, though any client can send those headers."""

    def local(headers: dict[bytes, bytes]) -> bool:
        first = headers.get(b"x-forwarded-for", b"").split(b",")[0].strip()
        return first in LOCAL or headers.get(b"x-real-ip", b"").strip() in LOCAL

    return _trusting(local)


def original_url_trusted() -> Any:
    """The key check reads the path from `X-Original-URL` / `X-Rewrite-URL` (as if a proxy had
    rewritten it) and skips routes that need no key; the router serves the real path."""

    def public(headers: dict[bytes, bytes]) -> bool:
        said = headers.get(b"x-original-url") or headers.get(b"x-rewrite-url") or b""
        return said.decode("latin-1").split("?", 1)[0].startswith(PUBLIC)

    return _trusting(public)


def method_override_after_auth() -> Any:
    """`X-HTTP-Method-Override` (or `X-HTTP-Method`, `X-Method-Override`) is honoured after the
    key's permission was checked for the method sent: a view-only key's GET deletes."""
    app = mock()
    profile = app.profile
    original = profile.authenticate

    def authenticate(call: Any, operation: Any, space: Any) -> None:
        sent = call.headers.get(STASH)
        found = profile.routes.match(call.path) if sent else None
        if sent and found is not None:
            operation = found[0].operations.get(sent.decode(), operation)
        original(call, operation, space)

    profile.authenticate = authenticate

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        names = (b"x-http-method-override", b"x-http-method", b"x-method-override")
        verb = next((headers[n] for n in names if n in headers), b"").decode().upper()
        if verb and verb != method:
            return verb, path, {**headers, STASH: method.encode()}, body
        return req

    return Rewrite(app, on_request=request)


def _public_prefix_skips_auth(route: Callable[[str], str | None]) -> Any:
    """The key check looks at the path as sent; the router serves `route(path)` (None: the
    path as is) as the service identity."""

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        served = route(path)
        if served is not None and served != path:
            return method, served, {**headers, b"authorization": ADMIN}, body
        return req

    return Rewrite(mock(), on_request=request)


def uppercase_path_skips_auth() -> Any:
    """The key check guards paths under `/api/v1/` exactly as spelt; the router matches
    case-insensitively, so `/API/V1/credentials` is served without a key."""

    def route(path: str) -> str | None:
        if not path.lower().startswith("/api/v1/") or path.startswith("/api/v1/"):
            return None
        parts = path.split("/")
        return "/".join([p.lower() for p in parts[:4]] + parts[4:])

    return _public_prefix_skips_auth(route)


def dot_segment_skips_auth() -> Any:
    """Paths starting with the key-less route (`/api/v1/ping`, matched as a prefix, as
    Flowise's whitelist does) skip the key check; the router then resolves `..` segments
    (`/api/v1/ping/%2e%2e/credentials` is the list)."""

    def route(path: str) -> str | None:
        if not path.startswith(PUBLIC + "/"):
            return None
        return posixpath.normpath(path)

    return _public_prefix_skips_auth(route)


def _stashing(method: str, wanted: Callable[[str], bool]) -> Callable[[Request], Any]:
    """An on_request that takes the server-owned fields out of a JSON body of `method` on a
    `wanted` path (so validation never sees them) and keeps them for the answer."""

    async def request(req: Request) -> Request:
        sent, path, headers, body = req
        parsed = parse_json(body)
        if sent != method or not wanted(path) or not isinstance(parsed, dict):
            return req
        owned = {k: parsed.pop(k) for k in OWNED if k in parsed}
        if not owned:
            return req
        return (
            sent,
            path,
            {**headers, STASH: json.dumps(owned).encode()},
            json.dumps(parsed).encode(),
        )

    return request


def _applied(
    app: Any, answer: Response, change: Callable[[StoredCredential], StoredCredential]
) -> Response:
    """`answer` (a 200 with a credential) after `change` was applied to the stored one."""
    status, headers, body = answer
    store = app.state.store
    found = store.find(str(json.loads(body).get("id"))) if status == 200 else None
    if found is None:
        return answer
    changed = change(found)
    if changed.id != found.id:
        store.delete(found.id, found.workspace_id)
    store.put(changed)
    return status, headers, json.dumps(changed.full()).encode()


def post_takes_workspace() -> Any:
    """A create takes `workspaceId` from its body (other server-owned fields are ignored)."""
    app = mock()

    def response(req: Request, res: Response) -> Response:
        owned = json.loads(req[2].get(STASH, b"{}"))
        space = owned.get("workspaceId")
        if not isinstance(space, str):
            return res
        return _applied(app, res, lambda c: dataclasses.replace(c, workspace_id=space))

    return Rewrite(app, _stashing("POST", lambda p: p == "/api/v1/credentials"), response)


def put_applies_server_fields() -> Any:
    """An update applies `id`, `createdDate` and `updatedDate` from its body (the other
    server-owned fields are ignored)."""
    app = mock()

    def change(owned: dict[str, Any]) -> Callable[[StoredCredential], StoredCredential]:
        def apply(found: StoredCredential) -> StoredCredential:
            stamps = {}
            for field in ("createdDate", "updatedDate"):
                moment = parse_date(owned.get(field))
                stamps[field] = int(moment.timestamp() * 1000) if moment is not None else None
            out = dataclasses.replace(
                found,
                created_ms=stamps["createdDate"] or found.created_ms,
                updated_ms=stamps["updatedDate"] or found.updated_ms,
            )
            new_id = owned.get("id")
            if isinstance(new_id, str) and app.state.store.find(new_id) is None:
                out = dataclasses.replace(out, id=new_id)
            return out

        return apply

    def response(req: Request, res: Response) -> Response:
        owned = json.loads(req[2].get(STASH, b"{}"))
        return _applied(app, res, change(owned)) if owned else res

    wanted = _stashing("PUT", lambda p: p.startswith("/api/v1/credentials/"))
    return Rewrite(app, wanted, response)


def get_ignores_workspace() -> Any:
    """A read by id finds the credential in any workspace (updates and deletes are scoped)."""
    app = mock()
    store = app.state.store

    def get_credential(call: Any, space: Any) -> Reply:
        found = store.find(call.params["id"])
        if found is None:
            raise ApiError(404, "Credential not found in this workspace.")
        return json_reply(200, store.detail(found))

    app.profile.handlers["getCredential"] = get_credential
    return app


SECURITY_DEFECTS: dict[str, Any] = {
    "internal-header-trusted": internal_header_trusted,
    "forwarded-loopback-trusted": forwarded_loopback_trusted,
    "original-url-trusted": original_url_trusted,
    "method-override-after-auth": method_override_after_auth,
    "uppercase-path-skips-auth": uppercase_path_skips_auth,
    "dot-segment-skips-auth": dot_segment_skips_auth,
    "post-takes-workspace": post_takes_workspace,
    "put-applies-server-fields": put_applies_server_fields,
    "get-ignores-workspace": get_ignores_workspace,
}
