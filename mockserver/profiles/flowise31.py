"""The `flowise-3.1` profile: real Flowise 3.1.4's request pipeline (Express), not the contract's.

In Express's order: the body is parsed first, for every path (`express.json` strict, then
`express.urlencoded`; malformed JSON → 400 with a JSON.parse-style message, even without a key);
then, for paths containing `/api/v1/`, the API key (`Authorization` split on `"Bearer "`, last
part: a raw key works, `bearer <key>` does not; failure → 401 `{"error":"Unauthorized Access"}`)
unless the path is whitelisted; then the route (Express: case-insensitive, trailing slash
ignored); a route's permission check → 403 `{"message":"Forbidden"}`; anything unmatched → 200
`text/html` (the UI's index page). The operations themselves are in `flowise31_ops`.

House rules hold here too: no message quotes a request body, a url's password is never
answered in clear (real `/reveal` does), and a body with `"streaming": true` is answered.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import orjson

from credkit_core.fixtures.loader import ApiKey
from mockserver.profiles.flowise31_ops import FlowiseOperations
from mockserver.requests import Call
from mockserver.responses import JSON, ApiError, Reply
from mockserver.state import AppState

__all__ = ["Flowise31Profile", "js_number", "parse_express_body"]

HTML = b"text/html; charset=UTF-8"
INDEX_PAGE = (
    b'<!DOCTYPE html>\r\n<html lang="en">\r\n    <head>\r\n'
    b"        <title>Flowise - Build AI Agents, Visually</title>\r\n    </head>\r\n"
    b"    <body>\r\n        <noscript>You need to enable JavaScript to run this app.</noscript>\r\n"
    b'        <div id="root"></div>\r\n    </body>\r\n</html>\r\n'
)
UNAUTHORIZED = orjson.dumps({"error": "Unauthorized Access"})
FORBIDDEN = orjson.dumps({"message": "Forbidden"})
# Paths that skip the key check (prefixes, as Flowise's WHITELIST_URLS), and those API keys
# may never use (API_KEY_BLACKLIST_URLS).
WHITELIST = (
    "/api/v1/verify/apikey/",
    "/api/v1/chatflows/apikey/",
    "/api/v1/public-chatflows",
    "/api/v1/public-chatbotConfig",
    "/api/v1/public-executions",
    "/api/v1/prediction/",
    "/api/v1/webhook/",
    "/api/v1/chatmessage/abort",
    "/api/v1/node-icon/",
    "/api/v1/components-credentials-icon/",
    "/api/v1/chatflows-streaming",
    "/api/v1/chatflows-uploads",
    "/api/v1/openai-assistants-file/download",
    "/api/v1/feedback",
    "/api/v1/leads",
    "/api/v1/get-upload-file",
    "/api/v1/ip",
    "/api/v1/ping",
    "/api/v1/version",
    "/api/v1/attachments",
    "/api/v1/auth/",
    "/api/v1/settings",
    "/api/v1/account/",
    "/api/v1/loginmethod/default",
    "/api/v1/pricing",
    "/api/v1/user/test",
    "/api/v1/oauth2-credential/",
    "/api/v1/mcp/",
    "/api/v1/text-to-speech/",
)
KEY_BLACKLIST = (
    "/api/v1/nvidia-nim",
    "/api/v1/account/delete",
    "/api/v1/files",
    "/api/v1/organizationuser",
    "/api/v1/workspace",
    "/api/v1/workspaceuser",
)
CREATE_OR_UPDATE = ("credentials:create", "credentials:update")
_WS = b" \t\r\n"
MAX_DEPTH = 16_384
_NUMBER_JS_DIFFERS = re.compile(rb"\d[.eE]|\d{16}")

Op = Callable[[Call, Any], Reply]
# (method, path pattern under /api/v1, permissions (any of; None: any valid key), operation)
_ROUTES: list[tuple[str, re.Pattern[str], tuple[str, ...] | None, str]] = [
    ("GET", re.compile(r"/ping/?", re.I), None, "ping"),
    ("POST", re.compile(r"/credentials/?", re.I), ("credentials:create",), "create"),
    ("GET", re.compile(r"/credentials/?", re.I), ("credentials:view",), "list"),
    ("GET", re.compile(r"/credentials/(?P<id>[^/]+)/?", re.I), CREATE_OR_UPDATE, "get"),
    ("GET", re.compile(r"/credentials/(?P<id>[^/]+)/reveal/?", re.I), CREATE_OR_UPDATE, "reveal"),
    ("PUT", re.compile(r"/credentials/?", re.I), CREATE_OR_UPDATE, "update_no_id"),
    ("PUT", re.compile(r"/credentials/(?P<id>[^/]+)/?", re.I), CREATE_OR_UPDATE, "update"),
    ("DELETE", re.compile(r"/credentials/?", re.I), ("credentials:delete",), "delete_no_id"),
    (
        "DELETE",
        re.compile(r"/credentials/(?P<id>[^/]+)/?", re.I),
        ("credentials:delete",),
        "delete",
    ),
    ("GET", re.compile(r"/components-credentials/?", re.I), None, "types"),
    ("GET", re.compile(r"/components-credentials/(?P<name>[^/]+)/?", re.I), None, "type"),
]


def _parse_error(exc: orjson.JSONDecodeError) -> ApiError:
    """A JSON.parse-style message that, unlike V8's, never quotes the body."""
    if exc.pos >= len(exc.doc.rstrip()):
        return ApiError(400, "Unexpected end of JSON input")
    return ApiError(400, f"Unexpected token in JSON at position {exc.pos}")


def _depth(body: bytes) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _parse_deep(body: bytes) -> Any:
    """JSON.parse's result: JavaScript numbers, and nesting far deeper than orjson's 1024
    levels, up to MAX_DEPTH (beyond it: 400, a departure kept to bound the parser's stack)."""
    depth = _depth(body)
    if depth > MAX_DEPTH:
        raise ApiError(400, f"Request body is nested too deeply (more than {MAX_DEPTH} levels)")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 2 * depth + 1000))
    try:
        return json.loads(
            body, parse_constant=_reject_constant, parse_float=js_number, parse_int=_js_int
        )
    except json.JSONDecodeError as exc:
        end = exc.pos >= len(body.rstrip(_WS))
        message = "Unexpected end of JSON input" if end else "Unexpected token in JSON"
        raise ApiError(400, message) from None
    except (ValueError, RecursionError):
        raise ApiError(400, "Unexpected token in JSON") from None
    finally:
        sys.setrecursionlimit(limit)


def js_number(text: str) -> Any:
    """A JSON number as JavaScript holds and writes it back: a double, so `1.0` and `3e16` are
    integers, an integer past 2**53 loses precision, and an overflow becomes null."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return None  # JSON.stringify(Infinity) is null
    if value.is_integer() and abs(value) < 1e21:
        # Shortest round-trip digits, then zeros, as JavaScript prints it (and repr() finds).
        return int(Decimal(repr(value)))
    return value


def _js_int(text: str) -> Any:
    return int(text) if len(text) < 16 else js_number(text)


def parse_express_body(content_type: bytes | None, body: bytes) -> Any:
    """What Express's `json` (strict) and `urlencoded` parsers make of a body; `{}` otherwise."""
    media = (content_type or b"").split(b";", 1)[0].strip().lower()
    if media == b"application/json":
        if not body:
            return {}
        text = body.strip(_WS)
        if not text:
            raise ApiError(400, "Unexpected end of JSON input")
        if text[:1] not in (b"{", b"["):  # strict mode: only objects and arrays
            raise ApiError(400, "Unexpected token in JSON at position 0")
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            if str(exc).startswith("depth limit exceeded"):
                return _parse_deep(body)
            raise _parse_error(exc) from None
        # Numbers JavaScript would hold differently (fractions, exponents, long integers): parse
        # again with its number semantics. A digit before . or e in a string costs only time.
        return _parse_deep(body) if _NUMBER_JS_DIFFERS.search(body) else value
    if media == b"application/x-www-form-urlencoded":
        form: dict[str, Any] = {}
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            previous = form.get(name)
            if previous is None:
                form[name] = value
            else:
                form[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        return form
    return {}


class Flowise31Profile:
    """Real Flowise 3.1.4's answers, quirks included (see the module docstring). Its answers
    depart from the spec on purpose, so they are not checked against it."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.ops = FlowiseOperations(state)

    def _key(self, call: Call) -> ApiKey:
        header = call.headers.get(b"authorization", b"").decode("latin-1")
        token = header.split("Bearer ")[-1]
        if not token or token != token.strip():  # the key is looked up exactly as split off
            raise ApiError(401, "")
        try:
            return self.state.keyring.authenticate(b"Bearer " + token.encode("latin-1"))
        except ApiError:
            raise ApiError(401, "") from None

    def _dispatch(self, call: Call, sub: str, body: Any) -> Reply:
        for method, pattern, permissions, op in _ROUTES:
            found = pattern.fullmatch(sub)
            if method != call.method or found is None:
                continue
            call.params = found.groupdict()
            if permissions is not None and (
                call.key is None or not any(p in call.key.permissions for p in permissions)
            ):
                return Reply(403, FORBIDDEN, JSON)
            operation: Op = getattr(self.ops, op)
            return operation(call, body)
        return Reply(200, INDEX_PAGE, HTML)

    def handle(self, call: Call) -> Reply:
        try:
            body = parse_express_body(call.headers.get(b"content-type"), call.body)
        except ApiError as exc:
            return exc.reply()
        call.json = body if isinstance(body, dict) else None
        path = call.path
        if "/api/v1/" in path.lower():
            if "/api/v1/" not in path:
                return Reply(401, UNAUTHORIZED, JSON)
            if not path.startswith(WHITELIST):
                if path.startswith(KEY_BLACKLIST):
                    return Reply(401, UNAUTHORIZED, JSON)
                try:
                    call.key = self._key(call)
                except ApiError:
                    return Reply(401, UNAUTHORIZED, JSON)
        if path[:7].lower() != "/api/v1":
            return Reply(200, INDEX_PAGE, HTML)
        try:
            return self._dispatch(call, path[7:], body)
        except ApiError as exc:
            return exc.reply()
