"""The correct mock the defects start from, and the tools they are made with: an ASGI
wrapper that rewrites requests and answers, a patch on one app's store, a delegating proxy."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from mockserver.app import create_app
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


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def error_body(status: int, message: str) -> bytes:
    return json.dumps(
        {"statusCode": status, "success": False, "message": message, "stack": {}}
    ).encode()


def is_item(path: str) -> bool:
    return path.startswith("/api/v1/credentials/")


async def read_body(receive: Any) -> bytes:
    body: bytes = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def rewrite_responses(change: Callable[[Request, Response], Response]) -> Any:
    return Rewrite(mock(), on_response=change)


def rewrite_bodies(
    change: Callable[[str, str, dict[bytes, bytes], bytes], tuple[dict[bytes, bytes], bytes]],
) -> Any:
    async def request(req: Request) -> Request:
        method, path, headers, body = req
        headers, body = change(method, path, headers, body)
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


def patch_update(app: Any, change: Callable[[Any, Any, Any, dict[str, Any]], Any]) -> Any:
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
            store.put(replaced)
        return replaced

    store.update = update
    return app


class Proxy:
    """Delegates to `inner`, except for the attributes given as keyword arguments."""

    def __init__(self, inner: Any, **overrides: Any) -> None:
        self._inner = inner
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
