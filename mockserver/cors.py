"""CORS: Starlette's `CORSMiddleware`, the outermost layer (so preflights never meet auth).

Allowed origins: the configured list (`*` for any), by default any `http(s)://localhost[:port]`,
`127.0.0.1[:port]` or `[::1][:port]` origin (`allow_origin_regex`), which is where a frontend
under development runs. Starlette decides which origins are allowed and which headers an
allowed origin gets; two things are kept as they were before it:

- A request without an allowed `Origin` is passed straight through, untouched: no `Vary` on
  every answer, and a preflight from another origin meets the API like any `OPTIONS` (405),
  instead of Starlette's 400 "Disallowed CORS origin".
- A preflight from an allowed origin is answered 204 with no body (Starlette: 200 "OK"), also
  when it asks for a method the API does not have: the browser decides from the headers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["LOCAL_ORIGIN", "MockCORSMiddleware"]

LOCAL_ORIGIN = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?"
ALLOW_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS")
EXPOSE_HEADERS = ("Allow", "Content-Length")


class MockCORSMiddleware(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: Sequence[str] = ()) -> None:
        super().__init__(
            app,
            allow_origins=[o.rstrip("/") if o != "*" else o for o in origins],
            allow_origin_regex=None if origins else LOCAL_ORIGIN,
            allow_methods=ALLOW_METHODS,
            allow_headers=("*",),  # what the preflight asks for is mirrored back
            expose_headers=EXPOSE_HEADERS,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"origin":
                    if self.is_allowed_origin(value.decode("latin-1")):
                        await super().__call__(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        headers = {
            name: value
            for name, value in answer.headers.items()
            if name not in ("content-length", "content-type")
        }
        return Response(status_code=204, headers=headers)
