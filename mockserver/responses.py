"""Replies and the error shape: `{"statusCode", "success": false, "message", "stack": {}}`.

A `Reply` is what a handler returns; `send_reply` writes it to an ASGI `send`. Messages are built
by the caller from field names and ids, never from request body values.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import Send

from credkit_core.errors import StateFileError

__all__ = [
    "JSON",
    "TEXT",
    "ApiError",
    "Reply",
    "dumps",
    "error_body",
    "error_reply",
    "failure_reply",
    "json_reply",
    "send_reply",
    "shown",
]

JSON = b"application/json; charset=utf-8"
TEXT = b"text/plain; charset=utf-8"
MAX_ID_IN_MESSAGE = 80


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    content_type: bytes = JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


class ApiError(Exception):
    """Raised by a pipeline step or handler; becomes an error-shaped reply."""

    def __init__(
        self, status: int, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers

    def reply(self) -> Reply:
        return error_reply(self.status, self.message, self.headers)


def shown(text: str) -> str:
    """An id or name from a URL, shortened for a message."""
    return text if len(text) <= MAX_ID_IN_MESSAGE else text[:MAX_ID_IN_MESSAGE] + "…"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> bytes:
    """JSON bytes: orjson, or the standard library for what orjson refuses (integers beyond
    64 bits, nesting beyond 254 levels, non-string keys) — such values can come from a YAML
    fixture, never from a request (orjson parsed those)."""
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        # A lone surrogate (JSON.parse accepts "\ud800") is escaped, as JSON.stringify does.
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def error_body(status: int, message: str) -> bytes:
    return orjson.dumps({"statusCode": status, "success": False, "message": message, "stack": {}})


def error_reply(status: int, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Reply:
    return Reply(status, error_body(status, message), JSON, headers)


def failure_reply(exc: Exception, method: str, path: str) -> Reply:
    """The answer to a request whose profile (or store) raised `exc`: its own `ApiError`, 503
    for a change the state file refused (nothing changed), else 500 with the exception's type
    and frames logged, never its message (it could quote a body value)."""
    if isinstance(exc, ApiError):
        return exc.reply()
    if isinstance(exc, StateFileError):
        return error_reply(503, str(exc))
    logging.getLogger("credkit").error(
        "Unhandled %s in %s %s:\n%s",
        type(exc).__name__,
        method,
        path,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    return error_reply(500, "Internal error in the mock server (a bug; see its log).")


def json_reply(status: int, data: Any) -> Reply:
    return Reply(status, dumps(data), JSON)


async def send_reply(send: Send, reply: Reply) -> None:
    headers = [
        (b"content-type", reply.content_type),
        (b"content-length", str(len(reply.body)).encode("ascii")),
        *reply.headers,
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
