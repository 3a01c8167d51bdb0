"""Defects a schemathesis check catches: content types, statuses, fields, 5xx, hangs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.contracts.broken.apps import (
    Request,
    Response,
    Rewrite,
    error_body,
    is_item,
    mock,
    parse_json,
    rewrite_responses,
)


def wrong_content_type() -> Any:
    def change(req: Request, res: Response) -> Response:
        if res[0] == 200 and req[1].startswith("/api/v1/credentials"):
            return (
                res[0],
                [(k, b"text/plain" if k == b"content-type" else v) for k, v in res[1]],
                res[2],
            )
        return res

    return rewrite_responses(change)


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
            body = error_body(500, "boom")
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


def hangs_on_list_filter() -> Any:
    app = mock()

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"")
        if scope["type"] == "http" and scope["path"] == "/api/v1/credentials" and query:
            await asyncio.sleep(1.5)  # longer than the suite's --timeout in the test
        await app(scope, receive, send)

    asgi.state = app.state  # type: ignore[attr-defined]
    return asgi


def delete_keeps_credential() -> Any:
    """DELETE answers 200 but the credential stays readable."""

    def change(req: Request, res: Response) -> Response:
        if req[0] == "DELETE" and res[0] == 404 and is_item(req[1]):
            return 200, [(b"content-type", b"application/json")], b'{"raw":[],"affected":1}'
        return res

    app = mock()
    store = app.state.store
    store.delete = lambda credential_id, workspace_id: False
    return Rewrite(app, on_response=change)


def extra_response_field() -> Any:
    def change(req: Request, res: Response) -> Response:
        parsed = parse_json(res[2])
        if req[0] == "PUT" and res[0] == 200 and isinstance(parsed, dict):
            return res[0], res[1], json.dumps({**parsed, "version": 2}).encode()
        return res

    return rewrite_responses(change)


def created_201() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] == "POST" and res[0] == 200:
            return 201, res[1], res[2]
        return res

    return rewrite_responses(change)
