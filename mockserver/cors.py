"""CORS as pure ASGI middleware, the outermost layer (so preflights never meet auth).

Allowed origins: the configured list (`*` for any), by default any `http(s)://localhost[:port]`
or `127.0.0.1[:port]` origin, which is where a frontend under development runs. A preflight
(`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed origin is answered
204 here; other requests from an allowed origin get `Access-Control-Allow-Origin` added.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

__all__ = ["LOCAL_ORIGIN", "CORSMiddleware"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOCAL_ORIGIN = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?")
ALLOW_METHODS = b"GET, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = b"Authorization, Content-Type"
EXPOSE_HEADERS = b"Allow, Content-Length"


class CORSMiddleware:
    def __init__(self, app: ASGIApp, origins: Sequence[str] = ()) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = frozenset(o.rstrip("/") for o in origins if o != "*")
        self.local_default = not origins

    @property
    def state(self) -> Any:
        """The wrapped app's state (the store, config, ...)."""
        return getattr(self.app, "state", None)

    def allowed(self, origin: str) -> bool:
        if self.any_origin:
            return True
        if self.local_default:
            return LOCAL_ORIGIN.fullmatch(origin) is not None
        return origin in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin_raw = None
        request_method = None
        request_headers = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin_raw = value
            elif name == b"access-control-request-method":
                request_method = value
            elif name == b"access-control-request-headers":
                request_headers = value
        if origin_raw is None or not self.allowed(origin_raw.decode("latin-1")):
            await self.app(scope, receive, send)
            return
        allow_origin = b"*" if self.any_origin else origin_raw
        if scope["method"] == "OPTIONS" and request_method is not None:
            headers = [
                (b"access-control-allow-origin", allow_origin),
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-allow-headers", request_headers or ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", allow_origin),
                    (b"access-control-expose-headers", EXPOSE_HEADERS),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)
