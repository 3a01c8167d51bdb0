"""The admin API under `/__admin` (described by spec/admin.openapi.yaml, routed from it).

Access: loopback clients only, unless `--admin-token` is set; then every call needs
`Authorization: Bearer <token>` (compared in constant time), from anywhere. Nothing it returns
holds a secret or an API key: data values and journal bodies are masked.

Cross-site requests: a web page on another site runs in the developer's browser, so it *is* a
loopback client, and a "simple" request (a form, or `fetch` with `text/plain`) reaches the mock
without a preflight. So a request whose `Origin` is present and is neither the mock's own
(same-origin) nor one listed with `--cors-origin` is refused with 403 (neither the localhost
default nor `*` count here: a page on another local port is another site); and a write without
a body may carry no `Content-Type` but JSON (403: `text/plain`, forms and multipart are what a
page can send cross-site unasked); a write with a body needs `application/json` already (415).

With `--state-file`, reset and load write a snapshot before anything changes in memory: when
it cannot be written (or the file failed earlier) they answer 503 naming the file, as API
writes do, and change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple
from urllib.parse import unquote

from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from credkit_core.errors import FixtureError, StateFileError
from credkit_core.fixtures.loader import parse_fixtures
from credkit_core.resources import ADMIN_SPEC, load_spec
from mockserver.apps.dashboard import DASHBOARD_HEADERS, dashboard_page
from mockserver.apps.stream import request_stream
from mockserver.auth import bearer_token, tokens_equal
from mockserver.edge.origins import suggested_origin
from mockserver.journal import MASK
from mockserver.requests import read_body, route_path
from mockserver.responses import ApiError, Reply, json_reply, send_reply, shown
from mockserver.routing import compile_spec
from mockserver.runtime import Runtime
from mockserver.store import format_ms
from mockserver.stores.base import Backend
from mockserver.validation import body_is_empty, is_json_media_type, parse_body, validate_body

__all__ = ["AdminApp", "AdminCall", "is_loopback"]

PREFIX = "/__admin"  # where the app mounts this one; the admin spec's paths start with it
NO_CONTENT = Reply(204, b"", b"application/json")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# With --admin-token, the dashboard's live stream (a GET: EventSource cannot send headers) also
# takes the token from this cookie, which the page sets (SameSite=Strict, path /__admin).
TOKEN_COOKIE = "credkit_admin_token"
# Operations answered without the token when one is set: the dashboard's page holds no data,
# only the script, which asks for the token and sends it with every call.
PUBLIC_WITH_TOKEN = frozenset({"dashboard"})


class AdminCall(NamedTuple):
    """What a handler gets: the parsed JSON body (None without one), the path parameters and
    the request headers."""

    document: dict[str, Any] | None
    params: dict[str, str]
    headers: dict[bytes, bytes]


AdminHandler = Callable[[AdminCall], Awaitable[Reply | Response]]


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return unquote(value)
    return None


def is_loopback(client: Any) -> bool:
    """True for 127.0.0.0/8 and ::1 (and Starlette's in-process TestClient, "testclient")."""
    if not client:
        return False
    host = str(client[0])
    return (
        host.startswith("127.")
        or host in ("::1", "localhost", "testclient")
        or host.startswith("::ffff:127.")
    )


def _same_origin(origin: str, host: bytes | None) -> bool:
    """Whether `origin` is the mock's own, as the request's `Host` names it."""
    if host is None:
        return False
    _, _, authority = origin.lower().partition("://")
    return authority == host.decode("latin-1").lower()


class AdminApp:
    """The `/__admin` ASGI app. Each operation's handler is the method named by its
    operationId in snake_case (`resetState` → `reset_state`), as in the profiles."""

    def __init__(self, runtime: Runtime, backend: Backend) -> None:
        self.runtime = runtime
        self.backend = backend
        self.origins = runtime.origins
        self.routes = compile_spec(load_spec(ADMIN_SPEC))
        self.handlers: dict[str, AdminHandler] = {
            operation_id: getattr(self, operation.handler)
            for operation_id, operation in self.routes.by_operation_id.items()
        }

    def check_access(
        self, scope: Scope, headers: dict[bytes, bytes], operation_id: str = ""
    ) -> None:
        token = self.runtime.config.admin_token
        if token is not None:
            if operation_id in PUBLIC_WITH_TOKEN:
                return
            cookie = _cookie(headers, TOKEN_COOKIE) if operation_id == "streamRequests" else None
            try:
                given = cookie or bearer_token(headers.get(b"authorization"))
            except ApiError:
                raise ApiError(
                    401, "The admin API needs 'Authorization: Bearer <admin token>'."
                ) from None
            if not tokens_equal(given, token):
                raise ApiError(401, "Wrong admin token.")
            return
        if not is_loopback(scope.get("client")):
            raise ApiError(
                403, "The admin API answers loopback clients only (start with --admin-token)."
            )

    def check_origin(self, headers: dict[bytes, bytes]) -> None:
        """403 for a request from a web page of another site (see the module docstring)."""
        raw = headers.get(b"origin")
        if raw is None:
            return
        origin = raw.decode("latin-1")
        if self.origins.lists(origin) or _same_origin(origin, headers.get(b"host")):
            return
        named = suggested_origin(origin)
        raise ApiError(
            403,
            f"Cross-site request refused: the admin API does not answer pages from origin "
            f"{shown(origin)!r}: it answers its own pages"
            + (f" and {', '.join(self.origins.listed)}" if self.origins.listed else "")
            + f". If that page is yours, start the mock with --cors-origin {named} "
            f"(or CREDKIT_CORS_ORIGIN={named}).",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one admin request and log it (status 0 when the client went away)."""
        started = time.perf_counter()
        path = PREFIX + route_path(scope)  # mounted at /__admin: read below the mount point
        status = await self.answer(scope, receive, send, path)
        elapsed = (time.perf_counter() - started) * 1000
        self.runtime.access_log.write(scope["method"], path, status, elapsed)

    async def answer(self, scope: Scope, receive: Receive, send: Send, path: str) -> int:
        """Answer one admin request; the status sent (0 when the client went away)."""
        try:
            body = await read_body(scope, receive, self.runtime.config.max_body)
        except ConnectionAbortedError:
            return 0
        headers = dict(scope["headers"])
        try:
            if body is None:
                raise ApiError(
                    413, f"Request body is larger than {self.runtime.config.max_body} bytes."
                )
            reply = await self.dispatch(scope, path, headers, body)
        except ApiError as exc:
            reply = exc.reply()
        if isinstance(reply, Response):  # the dashboard's page and its live stream
            try:
                await reply(scope, receive, send)
            except OSError:  # the client went away mid-stream
                return 0
            return reply.status_code
        await send_reply(send, reply)
        return reply.status

    async def dispatch(
        self, scope: Scope, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> Reply | Response:
        found = self.routes.match(path)
        route = found[0] if found is not None else None
        operation = route.operations.get(scope["method"]) if route is not None else None
        self.check_access(scope, headers, operation.operation_id if operation else "")
        self.check_origin(headers)
        if found is None or route is None:
            raise ApiError(404, "No such admin route.")
        params = found[1]
        if operation is None:
            raise ApiError(
                405,
                f"Method {scope['method']} is not allowed on {route.template}; "
                f"allowed: {route.allow}.",
                ((b"allow", route.allow.encode("ascii")),),
            )
        document: dict[str, Any] | None = None
        content_type = headers.get(b"content-type")
        if (
            not operation.media_types
            and scope["method"] not in SAFE_METHODS
            and content_type is not None
            and not is_json_media_type(content_type)
        ):
            raise ApiError(
                403,
                f"Cross-site request refused: {scope['method']} {route.template} takes no body, "
                "and a Content-Type other than application/json is what a web page can send "
                "from another site. Send no Content-Type (curl -X POST URL) or application/json.",
            )
        if operation.media_types:
            if body_is_empty(body):
                raise ApiError(412, "Request body is required and was not provided.")
            if not is_json_media_type(headers.get(b"content-type")):
                raise ApiError(415, "Content-Type must be application/json.")
            document = parse_body(body)
            validate_body(operation, document)
        try:
            return await self.handlers[operation.operation_id](AdminCall(document, params, headers))
        except StateFileError as exc:  # refused before anything changed in memory
            raise ApiError(503, str(exc)) from None

    # -- operations, by operationId in snake_case ----------------------------------------------

    async def reset_state(self, _: object) -> Reply:
        await self.backend.reset()
        return NO_CONTENT

    async def get_state(self, _: object) -> Reply:
        fixtures, credentials = await self.backend.view()
        keys, workspaces = fixtures.api_keys, fixtures.workspaces
        return json_reply(
            200,
            {
                "passphraseSource": self.runtime.passphrase_source,
                "workspaces": [{"id": w.id, "name": w.name} for w in workspaces],
                "apiKeys": [
                    {"name": k.name, "workspace": k.workspace, "permissions": sorted(k.permissions)}
                    for k in keys
                ],
                "credentials": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "credentialName": c.credential_name,
                        "workspaceId": c.workspace_id,
                        "createdDate": format_ms(c.created_ms),
                        "updatedDate": format_ms(c.updated_ms),
                        "plainDataObj": dict.fromkeys(c.data, MASK),
                    }
                    for c in credentials
                ],
            },
        )

    async def load_state(self, call: AdminCall) -> Reply:
        try:
            loaded = parse_fixtures(
                call.document or {}, source="PUT /__admin/state", catalog=self.runtime.catalog
            )
        except FixtureError as exc:
            raise ApiError(400, str(exc)) from None
        await self.backend.load(loaded)
        return json_reply(
            200,
            {
                "workspaces": len(loaded.workspaces),
                "apiKeys": len(loaded.api_keys),
                "credentials": len(loaded.credentials),
            },
        )

    async def list_requests(self, _: object) -> Reply:
        return json_reply(200, await self.backend.journal())

    async def clear_requests(self, _: object) -> Reply:
        await self.backend.clear_journal()
        return NO_CONTENT

    async def add_fault(self, call: AdminCall) -> Reply:
        spec = call.document or {}
        fault = await self.backend.add_fault(
            method=spec.get("method", "*"),
            path=spec["path"],
            status=spec.get("status"),
            count=spec.get("count"),
            latency_ms=float(spec.get("latencyMs", 0)),
        )
        return json_reply(201, fault)

    async def list_faults(self, _: object) -> Reply:
        return json_reply(200, await self.backend.faults())

    async def clear_faults(self, _: object) -> Reply:
        await self.backend.clear_faults()
        return NO_CONTENT

    async def list_namespaces(self, _: object) -> Reply:
        return json_reply(200, await self.backend.namespaces())

    async def remove_fault(self, call: AdminCall) -> Reply:
        text = call.params.get("id", "")
        if not (text.isascii() and text.isdigit()) or not await self.backend.remove_fault(
            int(text)
        ):
            raise ApiError(
                404, f"No active fault with id {shown(text)}; GET /__admin/faults lists them."
            )
        return NO_CONTENT

    async def stream_requests(self, call: AdminCall) -> Response:
        # The caller's namespace: this process's journal, or every process's on Redis.
        journal = await self.backend.live_journal()
        return request_stream(journal, call.headers.get(b"last-event-id"), self.runtime)

    async def dashboard(self, _: object) -> Response:
        return HTMLResponse(dashboard_page(), headers=DASHBOARD_HEADERS)
