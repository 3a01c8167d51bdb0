"""Turning a scenario run into a recording, and comparing two recordings exchange by exchange.

Scrubbing replaces every API key with a placeholder (`$API_KEY`, ...), every secret and runtime
id with its scenario name (`${secret_pg}`, `${c_openai}`), and every `encryptedData` with a
placeholder; the ciphertext's content is kept as `decrypted` (scrubbed the same way) when the
passphrase is known, so the recording shows what the server stored without holding a secret.

Comparison is on status, content type, and the body with dates, ciphertexts and parser
messages reduced to their kind: keys, types and every other value must be equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from credkit_core import crypto
from interop.flowise.scenario import Run
from interop.flowise.steps import STEPS

__all__ = ["KEY_PLACEHOLDERS", "Comparison", "compare", "decrypt", "normalise", "scrub"]

KEY_PLACEHOLDERS = {
    "full": "$API_KEY",
    "view": "$API_KEY_VIEWONLY",
    "nocred": "$API_KEY_NOCRED",
    "create": "$API_KEY_CREATEONLY",
}
OPENSSL_PREFIX = "U2FsdGVkX1"
_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
_HTML_KEEP = 80
_INSTALL_DIR = re.compile(r"^/\S*?/node_modules/")  # Flowise answers icon paths on its disk


def decrypt(token: str, passphrase: str) -> Any:
    """The JSON inside an OpenSSL "Salted__" AES-256-CBC token (`credkit_core.crypto`)."""
    return json.loads(crypto.decrypt(token, passphrase))


def _replacer(run: Run) -> list[tuple[str, str]]:
    pairs = [(value, KEY_PLACEHOLDERS[role]) for role, value in run.keys.items()]
    pairs += [(value, f"${{{name}}}") for name, value in run.secrets.items()]
    pairs += [(value, f"${{{name}}}") for name, value in run.variables.items()]
    return sorted((p for p in pairs if p[0]), key=lambda p: -len(p[0]))


def _hide(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for secret, placeholder in pairs:
            value = value.replace(secret, placeholder)
        return _INSTALL_DIR.sub("$FLOWISE_HOME/node_modules/", value)
    if isinstance(value, list | tuple):
        return [_hide(v, pairs) for v in value]
    if isinstance(value, dict):
        return {_hide(k, pairs): _hide(v, pairs) for k, v in value.items()}
    return value


def _ciphertexts(body: Any, passphrase: str | None) -> tuple[Any, list[Any]]:
    """`body` with each `encryptedData` replaced by a placeholder, and what each decrypts to."""
    found: list[Any] = []

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "encryptedData" and isinstance(value, str):
                prefixed = value.startswith(OPENSSL_PREFIX)
                out[key] = f"{OPENSSL_PREFIX}...(ciphertext)" if prefixed else "(not OpenSSL)"
                if passphrase and prefixed:
                    try:
                        found.append(decrypt(value, passphrase))
                    except ValueError:
                        found.append("(undecryptable)")
            else:
                out[key] = walk(value)
        return out

    return walk(body), found


def scrub(run: Run, passphrase: str | None = None) -> list[dict[str, Any]]:
    """The run's exchanges, JSON-ready, with no key, secret, ciphertext or runtime id in them."""
    pairs = _replacer(run)
    notes = {step.name: step.note for step in STEPS}
    out: list[dict[str, Any]] = []
    for ex in run.exchanges:
        body, stored = _ciphertexts(ex.body, passphrase)
        if isinstance(body, str) and "html" in ex.content_type and len(body) > _HTML_KEEP:
            body = body[:_HTML_KEEP] + f"...({len(body)} chars)"
        response: dict[str, Any] = {
            "status": ex.status,
            "content_type": ex.content_type,
            "body": _hide(body, pairs),
        }
        if stored:
            response["decrypted"] = _hide(stored, pairs)
        out.append(
            {
                "step": ex.step,
                "note": notes.get(ex.step, ""),
                "request": _hide(
                    {
                        "method": ex.method,
                        "path": ex.path,
                        "headers": ex.request_headers,
                        "body": ex.request_body,
                    },
                    pairs,
                ),
                "response": response,
            }
        )
    return out


def _kinds(value: Any, loose: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return "<date>" if _DATE.match(value) else value
    if isinstance(value, list):
        return [_kinds(v, loose) for v in value]
    if isinstance(value, dict):
        return {
            k: (f"<{type(v).__name__}>" if k in loose else _kinds(v, loose))
            for k, v in value.items()
        }
    return value


def normalise(exchange: Mapping[str, Any], loose: tuple[str, ...] = ()) -> dict[str, Any]:
    """What of a scrubbed exchange must match: dates, html pages and `loose` fields by kind."""
    response = exchange["response"]
    content_type = response["content_type"]
    body = response["body"]
    if "html" in content_type and isinstance(body, str):
        body = (
            "<html page>" if body.lstrip().lower().startswith(("<!doctype html", "<html")) else body
        )
    return {
        "status": response["status"],
        "content_type": content_type,
        "body": _kinds(body, loose),
        "decrypted": _kinds(response.get("decrypted"), ()),
    }


def _diff(a: Any, b: Any, where: str, out: list[str], withheld: list[str]) -> None:
    if isinstance(a, str) and isinstance(b, str) and a != b and "${secret_" in a:
        # The recorded server answered a secret in clear; an answer without it is "withheld".
        (out if "${secret_" in b else withheld).append(f"{where}: {a[:80]!r} != {b[:80]!r}")
    elif type(a) is not type(b):
        out.append(f"{where}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}")
    elif isinstance(a, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                side = "recorded only" if key in a else "replayed only"
                out.append(f"{where}.{key}: {side}")
            else:
                _diff(a[key], b[key], f"{where}.{key}", out, withheld)
    elif isinstance(a, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{where}[{i}]", out, withheld)
    elif a != b:
        out.append(f"{where}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}")


@dataclass
class Comparison:
    """How a replayed exchange differs from the recorded one."""

    step: str
    differences: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)  # secrets the replay did not answer

    @property
    def matches(self) -> bool:
        return not self.differences and not self.withheld


def compare(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> Comparison:
    """How `actual` (a replayed exchange) differs from `expected` (the recorded one)."""
    step = next((s for s in STEPS if s.name == expected["step"]), None)
    loose = step.loose if step else ()
    result = Comparison(str(expected["step"]))
    _diff(
        normalise(expected, loose),
        normalise(actual, loose),
        "response",
        result.differences,
        result.withheld,
    )
    return result
