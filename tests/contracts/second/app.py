"""A second correct implementation of the contract, written apart from the mock and from the
model: its own routing, checks, merge and redaction (urllib instead of the model's regex),
over Starlette. It differs from the mock wherever the contract lets it: numeric ids, `+00:00`
timestamps with microseconds, gzip, chunked answers, and a rate limiter in front that answers
429 (with and without `Retry-After`) to some requests. `credkit verify` must pass it.
"""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from credkit_core.catalog import default_catalog
from credkit_core.crypto import encrypt

PASSPHRASE = "second-implementation-passphrase"
KEYS = {  # key -> (workspace, permissions)
    "dev-admin-key": ("1", {"view", "create", "update", "delete"}),
    "dev-readonly-key": ("1", {"view"}),
    "dev-other-workspace-key": ("2", {"view", "create", "update", "delete"}),
}
MARK = "_FLOWISE_BLANK_07167752-1a71-43b1-bf8f-4f32252165db"
DOTS = "\u2022" * 6
LIMIT = 1_048_576


class Refused(Exception):
    def __init__(self, status: int, message: str, allow: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.allow = status, message, allow


def _reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """Answers stream in two chunks (no Content-Length: chunked transfer encoding)."""
    text = json.dumps(body, ensure_ascii=False).encode()

    async def chunks() -> Any:
        yield text[: len(text) // 2]
        yield text[len(text) // 2 :]

    return StreamingResponse(chunks(), status, headers, media_type="application/json")


def _now() -> str:
    return datetime.now(UTC).isoformat()  # 2026-12-01T14:00:00.123456+00:00


def _url_secret(value: Any) -> str | None:
    if not isinstance(value, str) or "://" not in value:
        return None
    try:
        return urlsplit(value).password or None
    except ValueError:
        return None


def _hide_url(value: str) -> str:
    parts = urlsplit(value)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo.partition(':')[0]}:{DOTS}@{hostport}"))


class Vault:
    """The credentials, by id; one lock serialises every change."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.next_id = 1000
        self.lock = threading.Lock()
        self.catalog = default_catalog()

    def inputs(self, type_name: str, kind: str) -> set[str]:
        found = self.catalog.get(type_name)
        return {
            i["name"] for i in (found.raw.get("inputs", []) if found else []) if i["type"] == kind
        }

    def public(self, row: dict[str, Any], *, cipher: bool) -> dict[str, Any]:
        out = {
            k: row[k]
            for k in ("id", "name", "credentialName", "createdDate", "updatedDate", "workspaceId")
        }
        if cipher:
            out["encryptedData"] = encrypt(json.dumps(row["data"]), PASSPHRASE)
            row["cipher"] = out["encryptedData"]
        return out

    def shown(self, row: dict[str, Any]) -> dict[str, Any]:
        passwords = self.inputs(row["credentialName"], "password")
        urls = self.inputs(row["credentialName"], "url")
        data: dict[str, Any] = {}
        for key, value in row["data"].items():
            if key in passwords:
                data[key] = MARK
            elif key in urls and _url_secret(value):
                data[key] = _hide_url(value)
            else:
                data[key] = value
        return {**self.public(row, cipher=False), "plainDataObj": data}

    def merge(self, row: dict[str, Any], patch: dict[str, Any]) -> None:
        urls = self.inputs(row["credentialName"], "url")
        for key, value in patch.items():
            if value == MARK or (key in urls and _url_secret(value) == DOTS):
                continue  # sent back as read: keep what is stored (or nothing)
            row["data"][key] = value


VAULT_KEY = "vault"


def _who(request: Request, permission: str) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or key not in KEYS:
        raise Refused(401, "Unauthorized: send 'Authorization: Bearer <API key>'.")
    workspace, granted = KEYS[key]
    if permission not in granted:
        raise Refused(403, f"Forbidden: the key lacks credentials:{permission}.")
    return workspace


def _no_constant(text: str) -> Any:
    raise ValueError(text)


async def _json(
    request: Request, raw: bytes, fields: set[str], required: set[str]
) -> dict[str, Any]:
    if not raw.strip():
        raise Refused(412, "A request body is required.")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise Refused(415, "Send the body as application/json.")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Refused(400, "The body is not valid UTF-8 JSON.") from None
    if not isinstance(body, dict):
        raise Refused(400, "The body must be a JSON object.")
    if any(isinstance(v, float) and not math.isfinite(v) for v in _leaves(body)):
        raise Refused(400, "The body has a number that is not finite.")
    if set(body) - fields or required - set(body):
        raise Refused(400, f"The body may have only {sorted(fields)} and needs {sorted(required)}.")
    if "name" in body and (not isinstance(body["name"], str) or body["name"] == ""):
        raise Refused(400, "name must be a non-empty string.")
    if "plainDataObj" in body and not isinstance(body["plainDataObj"], dict):
        raise Refused(400, "plainDataObj must be an object.")
    return body


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


async def collection(request: Request, raw: bytes) -> Response:
    vault: Vault = request.app.state.vault
    if request.method == "GET":
        workspace = _who(request, "view")
        wanted = request.query_params.getlist("credentialName")
        with vault.lock:
            rows = [r for r in vault.rows.values() if r["workspaceId"] == workspace]
        rows = [r for r in rows if not wanted or r["credentialName"] in wanted]
        return _reply(200, [vault.public(r, cipher=False) for r in reversed(rows)])
    workspace = _who(request, "create")
    body = await _json(
        request,
        raw,
        {"name", "credentialName", "plainDataObj"},
        {"name", "credentialName", "plainDataObj"},
    )
    if (
        not isinstance(body["credentialName"], str)
        or vault.catalog.get(body["credentialName"]) is None
    ):
        raise Refused(400, "credentialName is not a known credential type.")
    with vault.lock:
        vault.next_id += 1
        stamp = _now()
        row = {
            "id": str(vault.next_id),
            "name": body["name"],
            "credentialName": body["credentialName"],
            "createdDate": stamp,
            "updatedDate": stamp,
            "workspaceId": workspace,
            "data": dict(body["plainDataObj"]),
        }
        vault.rows[row["id"]] = row
        return _reply(200, vault.public(row, cipher=True))


async def item(request: Request, raw: bytes) -> Response:
    vault: Vault = request.app.state.vault
    permission = {"GET": "view", "PUT": "update", "DELETE": "delete"}[request.method]
    workspace = _who(request, permission)
    body = (
        await _json(request, raw, {"name", "plainDataObj"}, set())
        if request.method == "PUT"
        else {}
    )
    credential_id = request.path_params["id"]
    with vault.lock:
        row = vault.rows.get(credential_id)
        if row is None or row["workspaceId"] != workspace:
            raise Refused(404, f"Credential {credential_id} not found.")
        if request.method == "GET":
            return _reply(200, vault.shown(row))
        if request.method == "DELETE":
            del vault.rows[credential_id]
            return _reply(200, {"raw": [], "affected": 1})
        if "name" in body:
            row["name"] = body["name"]
        vault.merge(row, body.get("plainDataObj") or {})
        row["updatedDate"] = max(_now(), row["updatedDate"])
        return _reply(200, vault.public(row, cipher=True))


class Front:
    """Body limit, routing with 405 + Allow, errors in the contract's shape, and a rate
    limiter answering 429 to every 61st request (every other one without Retry-After)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.count = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ALL_METHODS:  # one Starlette would answer in plain text
            allow = "GET" if "components" in scope["path"] or "ping" in scope["path"] else None
            allow = allow or (
                "GET, POST" if scope["path"] == "/api/v1/credentials" else "GET, PUT, DELETE"
            )
            body = {
                "statusCode": 405,
                "success": False,
                "message": "Method not allowed.",
                "stack": {},
            }
            await JSONResponse(body, 405, {"Allow": allow})(scope, receive, send)
            return
        with self.lock:
            self.count += 1
            limited = self.count % 61 == 0
        if limited:
            headers = {"Retry-After": "0"} if self.count % 2 else {}
            await Response(b"slow down", 429, headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def dispatch(request: Request) -> Response:
    raw = b""
    try:
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > LIMIT:
                raise Refused(413, f"The body is over {LIMIT} bytes.")
        path = request.url.path
        if path == "/api/v1/ping":
            if request.method != "GET":
                raise Refused(405, "Method not allowed.", "GET")
            return Response(b"pong", 200, media_type="text/plain")
        if path.startswith("/api/v1/components-credentials"):
            if request.method != "GET":
                raise Refused(405, "Method not allowed.", "GET")
            return _catalog(request)
        if path != "/api/v1/credentials" and not path.startswith("/api/v1/credentials/"):
            raise Refused(404, f"No route {path}.")
        if path == "/api/v1/credentials":
            if request.method not in ("GET", "POST"):
                raise Refused(405, "Method not allowed.", "GET, POST")
            return await collection(request, raw)
        if request.method not in ("GET", "PUT", "DELETE"):
            raise Refused(405, "Method not allowed.", "GET, PUT, DELETE")
        return await item(request, raw)
    except Refused as exc:
        headers = {"Allow": exc.allow} if exc.allow else None
        body = {"statusCode": exc.status, "success": False, "message": exc.message, "stack": {}}
        return JSONResponse(body, exc.status, headers)


def _catalog(request: Request) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or key not in KEYS:
        raise Refused(401, "Unauthorized: send 'Authorization: Bearer <API key>'.")
    catalog = request.app.state.vault.catalog
    name = request.path_params.get("name")
    if name is None:
        return _reply(200, list(catalog.entries))
    found = catalog.get(name)
    if found is None:
        raise Refused(404, f"Credential type {name} not found.")
    return _reply(200, dict(found.raw))


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]


def create_app() -> Any:
    app = Starlette(
        routes=[
            Route("/api/v1/ping", dispatch, methods=ALL_METHODS),
            Route("/api/v1/credentials", dispatch, methods=ALL_METHODS),
            Route("/api/v1/credentials/{id}", dispatch, methods=ALL_METHODS),
            Route("/api/v1/components-credentials", dispatch, methods=ALL_METHODS),
            Route("/api/v1/components-credentials/{name}", dispatch, methods=ALL_METHODS),
            Route("/{path:path}", dispatch, methods=ALL_METHODS),
        ],
        middleware=[Middleware(GZipMiddleware, minimum_size=0)],
    )
    app.state.vault = Vault()
    return Front(app)
