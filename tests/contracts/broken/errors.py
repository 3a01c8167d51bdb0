"""Defects in refusing bad requests: statuses, the error shape, the order of checks."""

from __future__ import annotations

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
    read_body,
    rewrite_bodies,
    rewrite_responses,
)


def unknown_id_500() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] == "PUT" and res[0] == 404:
            return (
                500,
                res[1],
                error_body(
                    500, "Error: credentialsService.updateCredential - Credential not found"
                ),
            )
        return res

    return rewrite_responses(change)


def delete_unknown_200() -> Any:
    def change(req: Request, res: Response) -> Response:
        if req[0] == "DELETE" and res[0] == 404:
            return 200, [(b"content-type", b"application/json")], b'{"raw":[],"affected":0}'
        return res

    return rewrite_responses(change)


def wrong_error_shape() -> Any:
    def change(req: Request, res: Response) -> Response:
        if res[0] == 401:
            return 401, res[1], b'{"error":"Unauthorized Access"}'
        return res

    return rewrite_responses(change)


def not_found_for_405() -> Any:
    def change(req: Request, res: Response) -> Response:
        if res[0] == 405:
            return 404, [(k, v) for k, v in res[1] if k != b"allow"], error_body(404, "Not found")
        return res

    return rewrite_responses(change)


def missing_body_200() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        if method == "PUT" and not body.strip():
            return {**headers, b"content-type": b"application/json"}, b"{}"
        return headers, body

    return rewrite_bodies(change)


def accepts_text_plain() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        if body.strip() and not headers.get(b"content-type", b"").startswith(b"application/json"):
            return {**headers, b"content-type": b"application/json"}, body
        return headers, body

    return rewrite_bodies(change)


def accepts_unknown_fields() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        parsed = parse_json(body)
        if method == "PUT" and isinstance(parsed, dict):
            kept = {k: v for k, v in parsed.items() if k in ("name", "plainDataObj")}
            return headers, json.dumps(kept).encode()
        return headers, body

    return rewrite_bodies(change)


def accepts_array_body() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        if method == "PUT" and isinstance(parse_json(body), list):
            return headers, b"{}"
        return headers, body

    return rewrite_bodies(change)


def accepts_wrong_types() -> Any:
    def change(
        method: str, path: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[bytes, bytes], bytes]:
        parsed = parse_json(body)
        if method == "PUT" and isinstance(parsed, dict) and "name" in parsed:
            if not isinstance(parsed["name"], str) or not parsed["name"]:
                parsed = {**parsed, "name": str(parsed["name"]) or "empty"}
            return headers, json.dumps(parsed).encode()
        return headers, body

    return rewrite_bodies(change)


def parses_body_before_auth() -> Any:
    """As Express in real Flowise: malformed JSON is answered 400 before the key is looked at."""
    app = mock()

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        body = await read_body(receive)
        media = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip()
        if media == b"application/json" and body.strip() and parse_json(body) is None:
            answer = error_body(400, "Unexpected end of JSON input")
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
        if method == "PUT" and is_item(path) and path.rsplit("/", 1)[-1] not in store.ids():
            headers = {**headers, b"content-type": b"application/json"}
            return method, path, headers, b"{}"
        return req

    return Rewrite(app, on_request=request)
