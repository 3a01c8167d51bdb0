"""Regressions injected into copies of the mock's `flowise-3.1` profile (real Flowise 3.1.4's
behaviour, departures and all): what a later Flowise release might break. A baseline recorded
against the clean profile must let each one through as exactly its new findings.

Each is the profile behind a small ASGI wrapper that changes one thing in the requests it
passes on or the answers it sends back (`Around`); the profile itself is never patched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from credkit_core.catalog import MARKER
from credkit_core.resources import DEV_KEYS
from mockserver.app import create_app
from mockserver.config import Config
from tests.contracts.broken.apps import read_body

__all__ = ["PASSPHRASE", "REGRESSIONS", "flowise"]

PASSPHRASE = "credkit-test-passphrase"
COLLECTION = "/api/v1/credentials"

Scope = dict[str, Any]
Answer = tuple[int, dict[bytes, bytes], bytes]
OnRequest = Callable[[Scope, bytes], tuple[Scope, bytes]]
OnAnswer = Callable[[Scope, bytes, Answer], Answer]


def flowise() -> Any:
    """The clean `flowise-3.1` profile."""
    config = Config(
        access_log=False, log_level="warning", profile="flowise-3.1", secret_key=PASSPHRASE
    )
    return create_app(config)


class Around:
    """The profile with `on_request` / `on_answer` applied to every credentials request."""

    def __init__(self, on_request: OnRequest | None = None, on_answer: OnAnswer | None = None):
        self.app = flowise()
        self.state = self.app.state
        self.on_request, self.on_answer = on_request, on_answer

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(COLLECTION):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if self.on_request is not None:
            scope, body = self.on_request(dict(scope), body)
        answer: dict[str, Any] = {"status": 500, "headers": {}, "body": b""}

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = dict(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self.app(scope, replay, capture)
        status, headers, out = answer["status"], answer["headers"], answer["body"]
        if self.on_answer is not None:
            status, headers, out = self.on_answer(scope, body, (status, headers, out))
        headers[b"content-length"] = str(len(out)).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": list(headers.items())})  # fmt: skip
        await send({"type": "http.response.body", "body": out})


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _auth(scope: Scope) -> str:
    return str(dict(scope["headers"]).get(b"authorization", b"").decode("latin-1"))


def _with_key(scope: Scope, key: str) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
    return {**scope, "headers": [*headers, (b"authorization", f"Bearer {key}".encode())]}


def _is_item(scope: Scope) -> bool:
    return str(scope["path"]).startswith(COLLECTION + "/")


# ---- the regressions ---------------------------------------------------------------------
def secret_in_clear() -> Any:
    """A read by id answers what was written to a password input, not the marker."""
    written: dict[str, dict[str, Any]] = {}

    def answer(scope: Scope, body: bytes, got: Answer) -> Answer:
        status, headers, out = got
        sent, shown = _json(body), _json(out)
        if status != 200 or not isinstance(shown, dict):
            return got
        if scope["method"] in ("POST", "PUT") and isinstance(sent, dict):
            data = sent.get("plainDataObj")
            if isinstance(data, dict):
                kept = written.setdefault(str(shown.get("id")), {})
                kept.update({k: v for k, v in data.items() if v != MARKER})
        elif scope["method"] == "GET" and isinstance(shown.get("plainDataObj"), dict):
            known = written.get(str(shown.get("id")), {})
            data = shown["plainDataObj"]
            shown["plainDataObj"] = {
                k: known.get(k, v) if v == MARKER else v for k, v in data.items()
            }
            out = json.dumps(shown).encode()
        return status, headers, out

    return Around(on_answer=answer)


def lost_update() -> Any:
    """A PUT that changes data answers 200 and keeps the old data (only the name is saved)."""

    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        sent = _json(body)
        if scope["method"] == "PUT" and isinstance(sent, dict) and "plainDataObj" in sent:
            sent.pop("plainDataObj")
            body = json.dumps(sent).encode()
        return scope, body

    return Around(on_request=request)


def stale_list() -> Any:
    """A list answered from a cache kept per query and key: a write is not seen until the
    same list is asked for with another query."""
    cache: dict[tuple[bytes, str], Answer] = {}

    def answer(scope: Scope, body: bytes, got: Answer) -> Answer:
        if scope["method"] != "GET" or _is_item(scope) or got[0] != 200:
            return got  # (and a write does not invalidate the cache)
        key = (scope.get("query_string", b""), _auth(scope))
        return cache.setdefault(key, got)

    return Around(on_answer=answer)


def dropped_filter() -> Any:
    """The credentialName filter is ignored: every credential is listed."""

    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        if scope["method"] == "GET" and not _is_item(scope):
            scope = {**scope, "query_string": b""}
        return scope, body

    return Around(on_request=request)


def delete_keeps() -> Any:
    """A DELETE answers {"raw": [], "affected": 1} and deletes nothing."""

    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        if scope["method"] == "DELETE" and _is_item(scope):
            scope = {**scope, "method": "GET"}
        return scope, body

    def answer(scope: Scope, body: bytes, got: Answer) -> Answer:
        if scope["method"] == "GET" and _is_item(scope) and got[0] == 200:
            was_delete = scope.get("credkit_was_delete")
            if was_delete:
                return 200, got[1], b'{"raw":[],"affected":1}'
        return got

    def mark(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        was = scope["method"] == "DELETE" and _is_item(scope)
        scope, body = request(scope, body)
        return {**scope, "credkit_was_delete": was}, body

    return Around(on_request=mark, on_answer=answer)


def readonly_can_update() -> Any:
    """The view-only key can update (its PUT is served as the full key's)."""

    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        if scope["method"] == "PUT" and _auth(scope) == f"Bearer {DEV_KEYS['readonly']}":
            scope = _with_key(scope, DEV_KEYS["admin"])
        return scope, body

    return Around(on_request=request)


def names_trimmed() -> Any:
    """Names are stored trimmed of surrounding whitespace."""

    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        sent = _json(body)
        name = sent.get("name") if isinstance(sent, dict) else None
        if scope["method"] in ("POST", "PUT") and isinstance(name, str) and name != name.strip():
            sent["name"] = name.strip()
            body = json.dumps(sent).encode()
        return scope, body

    return Around(on_request=request)


def unicode_500() -> Any:
    """A write whose body holds a character outside Latin-1 fails with 500."""

    def answer(scope: Scope, body: bytes, got: Answer) -> Answer:
        if scope["method"] in ("POST", "PUT") and got[0] == 200:
            text = body.decode("utf-8", "replace")
            if any(ord(c) > 0xFF for c in text) or "\\u" in text:
                message = {"statusCode": 500, "success": False, "stack": {},
                           "message": "Error: credentialsService: encoding"}  # fmt: skip
                return 500, got[1], json.dumps(message).encode()
        return got

    return Around(on_answer=answer)


def list_shows_data() -> Any:
    """List items carry `plainDataObj` (redacted, as a read by id shows it)."""

    def answer(scope: Scope, body: bytes, got: Answer) -> Answer:
        shown = _json(got[2])
        if scope["method"] == "GET" and not _is_item(scope) and isinstance(shown, list):
            for item in shown:
                if isinstance(item, dict):
                    item["plainDataObj"] = {}
            return got[0], got[1], json.dumps(shown).encode()
        return got

    return Around(on_answer=answer)


def update_without_ciphertext() -> Any:
    """A PUT answers the credential without `encryptedData`."""

    def answer(scope: Scope, body: bytes, got: Answer) -> Answer:
        shown = _json(got[2])
        if scope["method"] == "PUT" and got[0] == 200 and isinstance(shown, dict):
            shown.pop("encryptedData", None)
            return got[0], got[1], json.dumps(shown).encode()
        return got

    return Around(on_answer=answer)


# name -> (the app, the words one of which every new finding's signature holds: the defect
# itself, or what follows from it — a view-only key whose write went through leaves data the
# model did not expect, a DELETE that keeps leaves a credential a later PUT finds)
REGRESSIONS: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "secret-in-clear": (secret_in_clear, ("GET /api/v1/credentials/{id}", "secret")),
    "lost-update": (lost_update, ("stored data", "plainDataObj", "update")),
    "update-without-ciphertext": (update_without_ciphertext, ("PUT", "encryptedData")),
    "stale-list": (stale_list, ("GET /api/v1/credentials |",)),
    "dropped-filter": (dropped_filter, ("GET /api/v1/credentials |",)),
    "delete-keeps": (delete_keeps, ("DELETE", "GET /api/v1/credentials", "listed", "deleted-id")),
    "readonly-can-update": (
        readonly_can_update,
        ("permission", "readonly", "bola: expected 403", "stored data", "plainDataObj"),
    ),
    "names-trimmed": (names_trimmed, ("name is",)),
    "unicode-500": (unicode_500, ("got 500",)),
    "list-shows-data": (
        list_shows_data,
        ("GET /api/v1/credentials |", "list item", "stored data", "plainDataObj"),
    ),
}
