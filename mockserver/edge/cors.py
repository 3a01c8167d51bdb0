"""CORS: Starlette's `CORSMiddleware`, inside the `Host` check and outside everything else (so
preflights never meet auth).

Allowed origins are `mockserver.edge.origins.OriginPolicy`: any `http(s)://localhost`, `127.0.0.1`
or `[::1]` origin, plus what `--cors-origin` adds (exact origins, `*` patterns, or `*` for any).
Starlette decides which headers an allowed origin gets; around it:

- A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed
  origin is answered 204 with no body (Starlette: 200 "OK"), also when it asks for a method the
  API does not have: the browser decides from the headers. It goes into the access log.
- A preflight from any other origin gets 403 in the error shape, saying that the origin is not
  allowed and how to allow it (`--cors-origin`); it is logged too.
- A request that is not a preflight and has no allowed `Origin` is passed straight through,
  untouched: no `Vary` on every answer; the browser keeps the answer from the page.
- Private-network preflights (`Access-Control-Request-Private-Network`) from an allowed origin
  are allowed: a page on `http://192.168.1.20:5173` may call a mock on 127.0.0.1.
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.accesslog import AccessLog
from mockserver.edge.origins import OriginPolicy, suggested_origin
from mockserver.requests import route_path
from mockserver.responses import error_reply, send_reply, shown

__all__ = ["MockCORSMiddleware"]

ALLOW_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS")
EXPOSE_HEADERS = ("Allow", "Content-Length")


class MockCORSMiddleware(CORSMiddleware):
    def __init__(
        self, app: ASGIApp, policy: OriginPolicy, access_log: AccessLog | None = None
    ) -> None:
        super().__init__(
            app,
            allow_origins=["*"] if policy.any else [],
            allow_methods=ALLOW_METHODS,
            allow_headers=("*",),  # what the preflight asks for is mirrored back
            allow_private_network=True,
            expose_headers=EXPOSE_HEADERS,
            max_age=600,
        )
        self.policy = policy
        self.access_log = access_log

    def is_allowed_origin(self, origin: str) -> bool:
        return self.policy.allows(origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"origin":
                    origin = value.decode("latin-1")
                    if scope["method"] == "OPTIONS" and any(
                        n == b"access-control-request-method" for n, _ in scope["headers"]
                    ):
                        await self.preflight(scope, receive, send, origin)
                        return
                    if self.policy.allows(origin):
                        await super().__call__(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)

    async def preflight(self, scope: Scope, receive: Receive, send: Send, origin: str) -> None:
        """Answer a preflight: 204 with the CORS headers, or 403 naming `--cors-origin`."""
        started = time.perf_counter()
        if self.policy.allows(origin):
            response = self.preflight_response(Headers(scope=scope))
            await response(scope, receive, send)
            status = response.status_code
        else:
            reply = error_reply(403, self.refusal(origin))
            await send_reply(send, reply)
            status = reply.status
        if self.access_log is not None:
            elapsed = (time.perf_counter() - started) * 1000
            self.access_log.write("OPTIONS", route_path(scope), status, elapsed)

    def refusal(self, origin: str) -> str:
        """Why a preflight from `origin` is refused, and the option that allows it."""
        named = suggested_origin(origin)
        return (
            f"CORS preflight refused: origin {shown(origin)!r} is not allowed (allowed: "
            f"{self.policy.describe()}). To allow it, start the mock with --cors-origin {named} "
            f"(or CREDKIT_CORS_ORIGIN={named})."
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        headers = {
            name: value
            for name, value in answer.headers.items()
            if name not in ("content-length", "content-type")
        }
        return Response(status_code=204, headers=headers)
