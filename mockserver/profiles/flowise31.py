"""The `flowise-3.1` profile: real Flowise 3.1.4's request pipeline (Express), not the contract's.

In Express's order (`express_http` has the details): the body is parsed first, for every path
(`express.json` strict, then `express.urlencoded` extended; malformed JSON → 400 with V8's
message, even without a key; a bad charset or content-encoding → 415); then the URL is run
through `decodeURI` (malformed → 500 `URI malformed`) and sanitize-html; then, for paths
containing `/api/v1/`, unless whitelisted: `x-request-from: internal` switches to the session
cookie check (→ 401 `{"message":"Invalid or Missing token"}`: the mock has no sessions), else
the API key (the first `Authorization` header split on `"Bearer "`, last part: a raw key works,
`bearer <key>` does not; failure → 401 `{"error":"Unauthorized Access"}`); then the route
(Express: case-insensitive, trailing slash ignored; a parameter that does not decode → 400); a
route's permission check → 403 `{"message":"Forbidden"}`; anything unmatched → 200 `text/html`
(the UI's index page). The operations themselves are in `flowise31_ops`.

House rules hold here too: a url's password is never answered in clear (real `/reveal` does), a
body with `"streaming": true` is answered, and a parser message never quotes the body except
body-parser's for a bare JSON scalar (`Unexpected token 'n', "null" is not valid JSON`), which
cannot hold a credential's data.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import orjson

from credkit_core.fixtures.loader import ApiKey
from mockserver.profiles.express_http import (
    decode_param,
    decode_uri,
    has_tag,
    header,
    pathname,
    read_body,
    sanitized_url,
)
from mockserver.profiles.flowise31_ops import FlowiseOperations
from mockserver.requests import Call
from mockserver.responses import JSON, ApiError, Reply
from mockserver.runtime import Runtime
from mockserver.space import Space

__all__ = ["Flowise31Profile", "js_number", "json_value", "parse_express_body"]

HTML = b"text/html; charset=UTF-8"
INDEX_PAGE = (
    b'<!DOCTYPE html>\r\n<html lang="en">\r\n    <head>\r\n'
    b"        <title>Flowise - Build AI Agents, Visually</title>\r\n    </head>\r\n"
    b"    <body>\r\n        <noscript>You need to enable JavaScript to run this app.</noscript>\r\n"
    b'        <div id="root"></div>\r\n    </body>\r\n</html>\r\n'
)
UNAUTHORIZED = orjson.dumps({"error": "Unauthorized Access"})
FORBIDDEN = orjson.dumps({"message": "Forbidden"})
NO_SESSION = orjson.dumps({"message": "Invalid or Missing token"})
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
MAX_DEPTH = 16_384
_NUMBER_JS_DIFFERS = re.compile(r"\d[.eE]|\d{16}")

Op = Callable[[Call, Space, Any], Reply]
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


def _depth(body: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in body:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _parse_deep(body: str) -> Any:
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


def json_value(text: str) -> Any:
    """JSON.parse's value of a valid JSON text: JavaScript numbers, nesting up to MAX_DEPTH."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:  # deeper than orjson goes, or a lone surrogate escape
        return _parse_deep(text)
    # Numbers JavaScript would hold differently (fractions, exponents, long integers): parse
    # again with its number semantics. A digit before . or e in a string costs only time.
    return _parse_deep(text) if _NUMBER_JS_DIFFERS.search(text) else value


def parse_express_body(content_type: bytes | None, body: bytes) -> Any:
    """What Express's `json` (strict) and `urlencoded` parsers make of a body; `{}` otherwise."""
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    return _express_body(headers, body)


def _express_body(
    headers: Sequence[tuple[bytes, bytes]], body: bytes, limit: int | None = None
) -> Any:
    kind, parsed = read_body(headers, body, limit)
    return json_value(parsed) if kind == "json" and isinstance(parsed, str) else parsed


class Flowise31Profile:
    """Real Flowise 3.1.4's answers, quirks included (see the module docstring). Its answers
    depart from the spec on purpose, so they are not checked against it."""

    def __init__(self, runtime: Runtime) -> None:
        self.max_body = runtime.config.max_body
        self.ops = FlowiseOperations(runtime)

    @staticmethod
    def _key(headers: Sequence[tuple[bytes, bytes]], space: Space) -> ApiKey:
        token = (header(headers, b"authorization") or "").split("Bearer ")[-1]
        if not token or token != token.strip():  # the key is looked up exactly as split off
            raise ApiError(401, "")
        try:
            return space.keyring.authenticate(b"Bearer " + token.encode("latin-1"))
        except ApiError:
            raise ApiError(401, "") from None

    def _dispatch(self, call: Call, space: Space, sub: str, body: Any) -> Reply:
        for method, pattern, permissions, op in _ROUTES:
            found = pattern.fullmatch(sub)
            if found is None:
                continue
            # Express decodes a matching route's parameters before it looks at the method.
            params = {name: decode_param(value) for name, value in found.groupdict().items()}
            if method != call.method:
                continue
            call.params = params
            if permissions is not None and (
                call.key is None or not any(p in call.key.permissions for p in permissions)
            ):
                return Reply(403, FORBIDDEN, JSON)
            operation: Op = getattr(self.ops, op)
            return operation(call, space, body)
        return Reply(200, INDEX_PAGE, HTML)

    def _url(self, call: Call) -> str:
        """`req.url` after Flowise's sanitize middleware (decodeURI, then sanitize-html)."""
        raw = call.raw_path.decode("latin-1") if call.raw_path else quote(call.path, safe="/%")
        if call.query:
            raw += "?" + call.query.decode("latin-1")
        try:
            url = decode_uri(raw)
        except ValueError:
            raise ApiError(500, "URI malformed") from None
        return url if has_tag(url) else sanitized_url(url)

    def handle(self, call: Call, space: Space) -> Reply:
        headers = call.header_list or tuple(call.headers.items())
        try:
            body = _express_body(headers, call.body, self.max_body)
            path = pathname(self._url(call))
        except ApiError as exc:
            return exc.reply()
        call.json = body if isinstance(body, dict) else None
        if "/api/v1/" in path.lower():
            if "/api/v1/" not in path:
                return Reply(401, UNAUTHORIZED, JSON)
            if not path.startswith(WHITELIST):
                if header(headers, b"x-request-from") == "internal":
                    return Reply(401, NO_SESSION, JSON)  # no session cookie is ever valid here
                if path.startswith(KEY_BLACKLIST):
                    return Reply(401, UNAUTHORIZED, JSON)
                try:
                    call.key = self._key(headers, space)
                except ApiError:
                    return Reply(401, UNAUTHORIZED, JSON)
        if path[:7].lower() != "/api/v1":
            return Reply(200, INDEX_PAGE, HTML)
        try:
            return self._dispatch(call, space, path[7:], body)
        except ApiError as exc:
            return exc.reply()
