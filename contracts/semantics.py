"""Update semantics of `PUT /api/v1/credentials/{id}`: what a successful update keeps and changes.

Observed through GET on non-secret inputs and undeclared keys (visible as stored), and exactly
through the decrypted `encryptedData` when the server's passphrase is given (`--secret-key`).
"""

from __future__ import annotations

from typing import Any

from contracts.checks import check
from contracts.context import CheckContext, input_of, pick_type
from credkit_core.catalog import MARKER

__all__ = [
    "marker_keeps_secret",
    "marker_keeps_stored",
    "masked_url_keeps_password",
    "masked_url_keeps_stored",
    "name_only",
    "partial_merge",
    "stored_exact",
    "values_only",
]

_GROUP = "update-semantics"


def _visible(ctx: CheckContext) -> tuple[Any, str, str]:
    """A type with a password and a string input: (type, password input, string input)."""
    ctype = pick_type(ctx.catalog, "password", "string")
    return ctype, input_of(ctype, "password"), input_of(ctype, "string")


def _compare(
    ctx: CheckContext,
    got: dict[str, Any],
    expected: dict[str, Any],
    requirement: str,
    exchange_note: str,
) -> None:
    for key, value in expected.items():
        if key not in got:
            ctx.fail(
                requirement,
                f"{exchange_note}: key {key!r} is missing from plainDataObj",
                operation="GET /api/v1/credentials/{id}",
                curl=ctx.update_then_read(),
            )
        elif value is not None and got[key] != value:
            ctx.fail(
                requirement,
                f"{exchange_note}: {key!r} is {got[key]!r}, expected {value!r}",
                operation="GET /api/v1/credentials/{id}",
                curl=ctx.update_then_read(),
            )
        elif value is None and got[key] is not None:
            ctx.fail(
                requirement,
                f"{exchange_note}: {key!r} should be null",
                operation="GET /api/v1/credentials/{id}",
                curl=ctx.update_then_read(),
            )


REQ_NAME = (
    "A PUT with only `name` replaces the name and keeps every stored plainDataObj key and value."
)


@check("update-name-only-keeps-data", group=_GROUP, requirement=REQ_NAME)
def name_only(ctx: CheckContext) -> None:
    ctype, secret_key, text_key = _visible(ctx)
    data = {
        text_key: "credkit-user",
        secret_key: ctx.new_secret(),
        "extra": "keep-me",
        "nested": {"a": 1},
    }
    created = ctx.create(ctype, data)
    new_name = created["name"] + "-renamed"
    ctx.update_ok(created["id"], {"name": new_name}, "a PUT with only `name` must succeed (200)")
    got = ctx.read(created["id"])
    ctx.expect(
        got.get("name") == new_name,
        REQ_NAME,
        f"GET shows name {got.get('name')!r} after renaming",
        curl=ctx.update_then_read(),
    )
    shown = got.get("plainDataObj") or {}
    _compare(
        ctx,
        shown,
        {text_key: "credkit-user", "extra": "keep-me", "nested": {"a": 1}},
        REQ_NAME,
        "after a name-only PUT",
    )
    ctx.expect(
        secret_key in shown,
        REQ_NAME,
        f"after a name-only PUT, password input {secret_key!r} is gone from GET",
        curl=ctx.update_then_read(),
    )


@check(
    "update-values-only-keeps-name",
    group=_GROUP,
    requirement="A PUT with only `plainDataObj` keeps the stored name.",
)
def values_only(ctx: CheckContext) -> None:
    ctype, _secret_key, text_key = _visible(ctx)
    created = ctx.create(ctype, {text_key: "before"})
    ctx.update_ok(
        created["id"],
        {"plainDataObj": {text_key: "after"}},
        "a PUT with only `plainDataObj` must succeed (200)",
    )
    got = ctx.read(created["id"])
    ctx.expect(
        got.get("name") == created["name"],
        "A PUT with only `plainDataObj` keeps the stored name.",
        f"name became {got.get('name')!r} (was {created['name']!r})",
        curl=ctx.update_then_read(),
    )
    _compare(
        ctx,
        got.get("plainDataObj") or {},
        {text_key: "after"},
        "The given values are stored.",
        "after a values-only PUT",
    )


_MERGE_BEFORE = {"keep": "kept", "replace": "old", "nested": {"a": 1, "b": 2}, "tonull": "x"}
_MERGE_PATCH = {"replace": "new", "nested": {"c": 3}, "tonull": None, "added": "fresh"}
_MERGE_AFTER = {
    "keep": "kept",
    "replace": "new",
    "nested": {"c": 3},
    "tonull": None,
    "added": "fresh",
}
REQ_MERGE = (
    "plainDataObj is shallow-merged: other keys kept, given keys replaced, a nested object "
    "replaced whole, null stored as null."
)


@check("update-partial-merge", group=_GROUP, requirement=REQ_MERGE)
def partial_merge(ctx: CheckContext) -> None:
    ctype, secret_key, text_key = _visible(ctx)
    before = {text_key: "credkit-user", secret_key: ctx.new_secret(), **_MERGE_BEFORE}
    created = ctx.create(ctype, before)
    ctx.update_ok(
        created["id"], {"plainDataObj": dict(_MERGE_PATCH)}, "a partial PUT must succeed (200)"
    )
    shown = ctx.read(created["id"]).get("plainDataObj") or {}
    _compare(
        ctx, shown, {text_key: "credkit-user", **_MERGE_AFTER}, REQ_MERGE, "after a partial PUT"
    )
    if isinstance(shown.get("nested"), dict) and set(shown["nested"]) != {"c"}:
        ctx.fail(
            REQ_MERGE,
            f"nested object was merged, not replaced: keys {sorted(shown['nested'])}",
            operation="PUT /api/v1/credentials/{id}",
            curl=ctx.update_then_read(),
        )
    ctx.expect(
        secret_key in shown,
        REQ_MERGE,
        f"password input {secret_key!r} is gone after a partial PUT",
        curl=ctx.update_then_read(),
    )


REQ_EXACT = (
    "The stored data (decrypted encryptedData) is exactly the merge of the old data and "
    "the PUT's plainDataObj."
)


@check(
    "update-stored-data-exact", group=_GROUP, requirement=REQ_EXACT, needs=("api_key", "secret_key")
)
def stored_exact(ctx: CheckContext) -> None:
    ctype, secret_key, text_key = _visible(ctx)
    secret = ctx.new_secret()
    model: dict[str, Any] = {text_key: "credkit-user", secret_key: secret, **_MERGE_BEFORE}
    created = ctx.create(ctype, model)
    stored = ctx.plain_data(created)
    ctx.expect(
        stored == model,
        "create stores plainDataObj exactly",
        f"decrypted create answer differs in keys {_diff(stored, model)}",
        curl=ctx.update_then_read(),
    )
    steps: list[dict[str, Any]] = [
        {"name": created["name"] + "-x"},
        {"plainDataObj": dict(_MERGE_PATCH)},
        {},
        {"plainDataObj": {secret_key: MARKER}},
    ]
    for body in steps:
        answer = ctx.update_ok(created["id"], body, "a valid PUT must succeed (200)")
        for key, value in body.get("plainDataObj", {}).items():
            if value != MARKER:
                model[key] = value
        stored = ctx.plain_data(answer)
        ctx.expect(
            stored == model,
            REQ_EXACT,
            f"after PUT with keys {sorted(body)}: "
            f"stored data differs in keys {_diff(stored, model)}",
            curl=ctx.update_then_read(),
        )


def _diff(got: dict[str, Any] | None, want: dict[str, Any]) -> list[str]:
    got = got or {}
    return sorted(
        k for k in set(got) | set(want) if got.get(k, "<absent>") != want.get(k, "<absent>")
    )


REQ_MARKER = "A plainDataObj value equal to the redaction marker keeps the stored value (any key)."


@check("update-marker-keeps-stored", group=_GROUP, requirement=REQ_MARKER)
def marker_keeps_stored(ctx: CheckContext) -> None:
    ctype, secret_key, text_key = _visible(ctx)
    created = ctx.create(
        ctype, {text_key: "credkit-user", secret_key: ctx.new_secret(), "extra": "visible"}
    )
    ctx.update_ok(
        created["id"],
        {"plainDataObj": {"extra": MARKER, text_key: MARKER}},
        "a PUT of marker values must succeed (200)",
    )
    shown = ctx.read(created["id"]).get("plainDataObj") or {}
    _compare(
        ctx,
        shown,
        {"extra": "visible", text_key: "credkit-user"},
        REQ_MARKER,
        "after sending the marker",
    )
    echoed = ctx.read(created["id"])
    ctx.update_ok(
        created["id"],
        {"plainDataObj": echoed.get("plainDataObj") or {}},
        "echoing GET's plainDataObj back must succeed (200)",
    )
    again = ctx.read(created["id"]).get("plainDataObj") or {}
    if again != (echoed.get("plainDataObj") or {}):
        ctx.fail(
            REQ_MARKER,
            "GET differs after echoing GET's plainDataObj back into a PUT",
            operation="GET /api/v1/credentials/{id}",
            curl=ctx.update_then_read(),
        )


REQ_MARKER_SECRET = "The marker sent for a password input keeps the stored secret (decrypted data)."


@check(
    "update-marker-keeps-secret",
    group=_GROUP,
    requirement=REQ_MARKER_SECRET,
    needs=("api_key", "secret_key"),
)
def marker_keeps_secret(ctx: CheckContext) -> None:
    ctype, secret_key, _text_key = _visible(ctx)
    secret = ctx.new_secret()
    created = ctx.create(ctype, {secret_key: secret})
    echoed = ctx.read(created["id"]).get("plainDataObj") or {}
    answer = ctx.update_ok(
        created["id"],
        {"plainDataObj": echoed},
        "echoing GET's plainDataObj back must succeed (200)",
    )
    stored = ctx.plain_data(answer) or {}
    ctx.expect(
        stored.get(secret_key) == secret,
        REQ_MARKER_SECRET,
        f"the stored {secret_key!r} is no longer the secret written (it was replaced)",
        curl=ctx.update_then_read(),
    )


REQ_URL = (
    "A url whose password is the bullet mask keeps the stored url: GET shows the same user, "
    "host and path."
)
REQ_URL_SECRET = (
    "A url whose password is the bullet mask keeps the stored password (decrypted data)."
)


def _url_roundtrip(ctx: CheckContext) -> tuple[dict[str, Any], str, str, str, dict[str, Any]]:
    ctype = pick_type(ctx.catalog, "url")
    key = input_of(ctype, "url")
    url, _password = ctx.new_url()
    created = ctx.create(ctype, {key: url})
    masked = (ctx.read(created["id"]).get("plainDataObj") or {}).get(key)
    answer = ctx.update_ok(
        created["id"],
        {"plainDataObj": {key: masked}},
        "echoing a masked url back must succeed (200)",
    )
    return created, key, url, str(masked), answer


@check("update-masked-url-keeps-stored", group=_GROUP, requirement=REQ_URL)
def masked_url_keeps_stored(ctx: CheckContext) -> None:
    created, key, _url, masked, _answer = _url_roundtrip(ctx)
    after = (ctx.read(created["id"]).get("plainDataObj") or {}).get(key)
    ctx.expect(
        after == masked,
        REQ_URL,
        f"GET showed {masked!r} before echoing it back, {after!r} after",
        curl=ctx.update_then_read(),
    )


@check(
    "update-masked-url-keeps-password",
    group=_GROUP,
    requirement=REQ_URL_SECRET,
    needs=("api_key", "secret_key"),
)
def masked_url_keeps_password(ctx: CheckContext) -> None:
    _created, key, url, _masked, answer = _url_roundtrip(ctx)
    stored = (ctx.plain_data(answer) or {}).get(key)
    ctx.expect(
        stored == url,
        REQ_URL_SECRET,
        "the stored url's password is no longer the one written (bullets stored?)",
        curl=ctx.update_then_read(),
    )
