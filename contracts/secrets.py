"""Secrets never leave the server: response scanning, redaction on read, ciphertext format."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from contracts.checks import check, passive
from contracts.client import CREDENTIALS, Exchange
from contracts.context import CheckContext, input_of, pick_type
from credkit_core.catalog import BULLETS, MARKER, CredentialType
from credkit_core.crypto import PREFIX, decode_salted

__all__ = [
    "encrypted_data_format",
    "find_leaks",
    "get_redacts",
    "no_secret_in_responses",
    "type_change_keeps_secrets",
]

_GROUP = "secrets"
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")
_URLSAFE = bytes.maketrans(b"-_", b"+/")

REQ_NO_LEAK = (
    "No secret the suite wrote appears in any response body or header, in clear or "
    "base64-decoded (e.g. inside encryptedData)."
)


def _decoded_runs(content: bytes) -> list[bytes]:
    """The base64-decoding of every long base64-looking run in `content`."""
    out = []
    for match in _BASE64_RUN.finditer(content):
        for offset in range(4):  # the encoded data may start anywhere in the run
            run = match.group(0)[offset:].rstrip(b"=")
            run = run[: len(run) - len(run) % 4]
            try:
                out.append(base64.b64decode(run, validate=False))
            except (binascii.Error, ValueError):
                continue
    return out


# What every secret the suite writes looks like (`CheckContext.new_secret` / `new_url`): an
# answer is searched once for anything of that shape, and what is found looked up among the
# secrets written, instead of searching it once per secret (a run writes thousands). The
# lookahead finds overlapping candidates too.
_SECRET_SHAPE = re.compile(rb"(?=(credkit-secret-[0-9a-f]{32}|Pw[0-9a-f]{32}))")


def _shaped(blobs: list[bytes]) -> set[str]:
    return {m.group(1).decode() for blob in blobs for m in _SECRET_SHAPE.finditer(blob)}


def find_leaks(exchange: Exchange, secrets: set[str]) -> list[str]:
    """Where each of `secrets` (values of `_SECRET_SHAPE`, as the suite writes them) shows in
    `exchange`'s answer (never the secret itself)."""
    if not secrets:
        return []
    problems = []
    header_text = "\n".join(f"{k}: {v}" for k, v in exchange.headers.items()).encode()
    # a header may carry it percent-encoded (Location, Set-Cookie) or base64 / base64url
    # (a cookie, a debug header)
    header_views = [header_text, unquote_to_bytes(header_text)]
    header_views += _decoded_runs(header_text) + _decoded_runs(header_text.translate(_URLSAFE))
    decoded = _decoded_runs(exchange.content)
    views = ([exchange.content], header_views, decoded)
    candidates = [_shaped(view) for view in views]
    suspects = {c for c in candidates[0] | candidates[1] | candidates[2] if c in secrets}
    for secret in sorted(suspects):
        found = [secret in shaped for shaped in candidates]
        if found[0]:
            problems.append(
                f"a secret the suite wrote appears in clear in the body ({len(secret)} chars)"
            )
        elif found[1]:
            problems.append("a secret the suite wrote appears in a response header")
        elif found[2]:
            problems.append(
                "a secret the suite wrote appears base64-decoded in the body "
                "(e.g. in encryptedData)"
            )
    return sorted(set(problems))


def _after_a_secret(ctx: CheckContext, exchange: Exchange) -> bool:
    """An answer could leak only once the suite has written a secret."""
    return bool(ctx.secrets)


@passive(
    "no-secret-in-responses",
    group=_GROUP,
    requirement=REQ_NO_LEAK,
    judges=_after_a_secret,
    unjudged=(
        "no exchanges to judge: no answer followed a secret written by the suite; include a "
        "check that writes secrets (e.g. get-redacts-secrets)"
    ),
)
def no_secret_in_responses(ctx: CheckContext, exchange: Exchange) -> list[str]:
    return find_leaks(exchange, ctx.secrets)


REQ_FORMAT = (
    "encryptedData is OpenSSL 'Salted__' AES-256-CBC, base64: it starts with U2FsdGVkX1 and holds "
    "an 8-byte salt and whole AES blocks."
)


def _carries_ciphertext(ctx: CheckContext, exchange: Exchange) -> bool:
    body = exchange.body
    return exchange.status == 200 and isinstance(body, dict) and "encryptedData" in body


@passive(
    "encrypted-data-format",
    group=_GROUP,
    requirement=REQ_FORMAT,
    judges=_carries_ciphertext,
    unjudged=(
        "no exchanges to judge: no answer carried encryptedData; include a check that creates "
        "or updates a credential (e.g. update-fresh-ciphertext)"
    ),
)
def encrypted_data_format(ctx: CheckContext, exchange: Exchange) -> list[str]:
    value = exchange.body["encryptedData"]
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return [f"encryptedData does not start with {PREFIX}"]
    try:
        decode_salted(value)
    except ValueError as exc:
        return [f"encryptedData {exc}"]
    return []


REQ_REDACT = (
    "GET by id redacts secrets: password inputs show the marker, url inputs show the password as "
    "six bullets; other inputs and undeclared keys as stored."
)


def _check_redacted(ctx: CheckContext, shown: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, want in expected.items():
        got = shown.get(key, "<absent>")
        if got != want:
            what = "the marker" if want == MARKER else repr(want)
            ctx.fail(
                REQ_REDACT,
                f"plainDataObj[{key!r}] is {got!r}, expected {what}",
                operation="GET /api/v1/credentials/{id}",
                curl=ctx.update_then_read(),
            )


@check("get-redacts-secrets", group=_GROUP, requirement=REQ_REDACT)
def get_redacts(ctx: CheckContext) -> None:
    ctype = pick_type(ctx.catalog, "password", "string")
    password_key, text_key = input_of(ctype, "password"), input_of(ctype, "string")
    created = ctx.create(
        ctype, {password_key: ctx.new_secret(), text_key: "credkit-user", "undeclared": "as-stored"}
    )
    shown = ctx.read(created["id"]).get("plainDataObj")
    if not isinstance(shown, dict):
        ctx.fail(
            REQ_REDACT,
            f"plainDataObj is {type(shown).__name__}, not an object",
            operation="GET /api/v1/credentials/{id}",
            curl=ctx.update_then_read(),
        )
        return
    _check_redacted(
        ctx, shown, {password_key: MARKER, text_key: "credkit-user", "undeclared": "as-stored"}
    )

    url_type = pick_type(ctx.catalog, "url")
    url_key = input_of(url_type, "url")
    url, password = ctx.new_url()
    created = ctx.create(url_type, {url_key: url})
    shown = ctx.read(created["id"]).get("plainDataObj") or {}
    _check_redacted(ctx, shown, {url_key: url.replace(password, BULLETS)})


REQ_TYPE_CHANGE = (
    "Changing a credential's type never reveals its secrets: PUT {credentialName} is refused "
    "(400: not an update field), and if a server accepts it, GET by id still shows no secret "
    "in clear."
)


def _other_type(ctx: CheckContext, ctype: CredentialType, key: str) -> CredentialType:
    """A catalog type other than `ctype` that declares no input named `key`."""
    for entry in ctx.catalog.entries:
        names = {i.get("name") for i in entry.get("inputs", [])}
        if entry["name"] != ctype.name and key not in names:
            return ctx.catalog[entry["name"]]
    raise LookupError(f"no credential type in the catalog lacks an input named {key!r}")


@check("type-change-keeps-secrets", group=_GROUP, requirement=REQ_TYPE_CHANGE)
def type_change_keeps_secrets(ctx: CheckContext) -> None:
    """Its secrets are scanned here, not by `no-secret-in-responses`: the one leak is reported
    once, by the check that knows the request that caused it, with both requests to reproduce."""
    ctype = pick_type(ctx.catalog, "password")
    key = input_of(ctype, "password")
    for label, new_type in (
        ("an empty type", ""),
        ("a type not declaring the password input", _other_type(ctx, ctype, key).name),
    ):
        secret = ctx.new_secret(scanned=False)
        created = ctx.create(ctype, {key: secret})
        path = f"{CREDENTIALS}/{created['id']}"
        try:
            put = ctx.update(created["id"], {"credentialName": new_type})
            seen = [put]
            if put.status < 400:  # the contract's 400 needs nothing more
                seen.append(ctx.api.request("GET", path))
            for exchange in seen:
                for leak in find_leaks(exchange, {secret}):
                    both = f"{put.curl()} && {exchange.curl(setup=False)}"
                    ctx.fail(
                        REQ_TYPE_CHANGE,
                        f"PUT credentialName {new_type!r} ({label}) answered {put.status}; then "
                        f"{exchange.method} by id: {leak} ({ctx.describe(exchange)})",
                        exchange,
                        curl=both if exchange is not put else None,
                    )
        finally:  # the secret may now be readable: delete at once (cleanup retries on failure)
            ctx.api.request("DELETE", path)
