"""What an update must never change, must always change, and what a rejected update must leave."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from contracts.checks import Abort, check
from contracts.client import CREDENTIALS
from contracts.context import CheckContext, input_of, pick_type
from contracts.safety import absent_id, run_name

__all__ = [
    "dates",
    "fresh_ciphertext",
    "immutable",
    "rejected_changes_nothing",
    "response_id",
    "unknown_not_created",
]

_GROUP = "update-semantics"
_IMMUTABLE = ("id", "credentialName", "workspaceId", "createdDate")


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


REQ_IMMUTABLE = "id, credentialName, workspaceId and createdDate never change on update."


@check("update-immutable-fields", group=_GROUP, requirement=REQ_IMMUTABLE)
def immutable(ctx: CheckContext) -> None:
    ctype = pick_type(ctx.catalog, "password", "string")
    created = ctx.create(ctype, {input_of(ctype, "string"): "v0"})
    bodies: list[dict[str, Any]] = [
        {"name": created["name"] + "-1"},
        {"plainDataObj": {"k": "v"}},
        {},
    ]
    for body in bodies:
        answer = ctx.update_ok(created["id"], body, "a valid PUT must succeed (200)")
        for view, seen in (("PUT answer", answer), ("GET", ctx.read(created["id"]))):
            for field in _IMMUTABLE:
                if seen.get(field) != created.get(field):
                    ctx.fail(
                        REQ_IMMUTABLE,
                        f"{view} after PUT {sorted(body)}: {field} is "
                        f"{seen.get(field)!r}, was {created.get(field)!r}",
                        operation="PUT /api/v1/credentials/{id}",
                        curl=ctx.update_then_read(),
                    )


REQ_ID = "The id in a PUT answer is the id in the path."


@check("update-response-id", group=_GROUP, requirement=REQ_ID)
def response_id(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {})
    exchange = ctx.update(created["id"], {"name": created["name"] + "-id"})
    if ctx.expect_status(exchange, 200, "a valid PUT must succeed (200)") and isinstance(
        exchange.body, dict
    ):
        ctx.expect(
            exchange.body.get("id") == created["id"],
            REQ_ID,
            f"answer id {exchange.body.get('id')!r} for path id {created['id']!r}",
            exchange,
        )


REQ_DATES = (
    "updatedDate is set on every update: never earlier than createdDate or the previous "
    "updatedDate, and later once time has moved on."
)


@check("update-dates-monotonic", group=_GROUP, requirement=REQ_DATES)
def dates(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {})
    created_at, previous = _date(created.get("createdDate")), _date(created.get("updatedDate"))
    if created_at is None or previous is None:
        ctx.fail(
            REQ_DATES,
            f"create answer has unparsable dates {created.get('createdDate')!r} / "
            f"{created.get('updatedDate')!r}",
            operation="POST /api/v1/credentials",
        )
        raise Abort()
    time.sleep(1.1)  # the real server stores whole seconds: after this, "now" is strictly later
    for i in range(2):
        exchange = ctx.update(created["id"], {"name": created["name"] + f"-d{i}"})
        if not ctx.expect_status(exchange, 200, "a valid PUT must succeed (200)"):
            return
        updated = _date(
            exchange.body.get("updatedDate") if isinstance(exchange.body, dict) else None
        )
        if updated is None:
            ctx.fail(REQ_DATES, "PUT answer has no parsable updatedDate", exchange)
            return
        ctx.expect(
            updated >= created_at,
            REQ_DATES,
            f"updatedDate {updated.isoformat()} is before createdDate {created_at.isoformat()}",
            exchange,
        )
        ctx.expect(
            updated >= previous,
            REQ_DATES,
            f"updatedDate went back from {previous.isoformat()} to {updated.isoformat()}",
            exchange,
        )
        if i == 0:
            ctx.expect(
                updated > previous,
                REQ_DATES,
                f"updatedDate stayed {updated.isoformat()} on a PUT more than a second "
                "after the create",
                exchange,
            )
        previous = updated


REQ_FRESH = (
    "encryptedData changes on every successful update (fresh salt), even when the data is the same."
)


@check("update-fresh-ciphertext", group=_GROUP, requirement=REQ_FRESH)
def fresh_ciphertext(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {"k": "same"})
    seen = [created.get("encryptedData")]
    for _ in range(3):
        exchange = ctx.update(created["id"], {"plainDataObj": {"k": "same"}})
        if not ctx.expect_status(exchange, 200, "a valid PUT must succeed (200)"):
            return
        value = exchange.body.get("encryptedData") if isinstance(exchange.body, dict) else None
        if not ctx.expect(
            value not in seen, REQ_FRESH, "encryptedData is identical to an earlier one", exchange
        ):
            return
        seen.append(value)


REQ_REJECTED = (
    "A rejected request (400/401/403/404/412/415) changes nothing: name, data and updatedDate stay."
)


def _snapshot(ctx: CheckContext, credential_id: str) -> dict[str, Any]:
    got = ctx.read(credential_id)
    return {k: got.get(k) for k in ("name", "plainDataObj", "updatedDate", "credentialName")}


@check("rejected-update-changes-nothing", group=_GROUP, requirement=REQ_REJECTED)
def rejected_changes_nothing(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {"k": "original"})
    path = f"{CREDENTIALS}/{created['id']}"
    change = {"name": created["name"] + "-changed", "plainDataObj": {"k": "changed"}}
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("wrong type (400)", {"json_body": {**change, "name": 12345}}),
        ("unknown field (400)", {"json_body": {**change, "credkitUnknownField": 1}}),
        (
            "malformed JSON (400)",
            {
                "content": b'{"name": "x", "plainDataObj": {"k": "changed"',
                "content_type": "application/json",
            },
        ),
        ("no key (401)", {"json_body": change, "role": None}),
        ("missing body (412)", {"content": b"", "content_type": "application/json"}),
        (
            "text/plain body (415)",
            {"content": json.dumps(change).encode(), "content_type": "text/plain"},
        ),
    ]
    if ctx.config.readonly_api_key:
        attempts.append(("view-only key (403)", {"json_body": change, "role": "readonly"}))
    if ctx.config.foreign_api_key:
        attempts.append(("another workspace's key (404)", {"json_body": change, "role": "foreign"}))
    before = _snapshot(ctx, created["id"])
    for label, kwargs in attempts:
        exchange = ctx.api.request("PUT", path, **kwargs)
        after = _snapshot(ctx, created["id"])
        if after != before and exchange.status >= 400:  # accepted ones: the status checks' job
            changed = sorted(k for k in before if before[k] != after[k])
            ctx.fail(
                REQ_REJECTED, f"{label}: answered {exchange.status} and changed {changed}", exchange
            )
        before = after


REQ_NOT_CREATED = "A PUT to an unknown id does not create a credential."


@check("update-unknown-id-not-created", group=_GROUP, requirement=REQ_NOT_CREATED)
def unknown_not_created(ctx: CheckContext) -> None:
    missing = absent_id()
    body = {"name": run_name(ctx.run_id, "put-absent"), "plainDataObj": {"k": "v"}}
    put = ctx.update(missing, body)
    got = ctx.api.request("GET", f"{CREDENTIALS}/{missing}")
    listed = ctx.api.request("GET", CREDENTIALS)
    in_list = isinstance(listed.body, list) and any(
        isinstance(i, dict) and i.get("id") == missing for i in listed.body
    )
    if got.status == 200 or in_list or put.status == 200:
        ctx.tracker.add(missing)  # so cleanup removes what the server made
    if got.status == 200 or in_list:
        ctx.fail(
            REQ_NOT_CREATED,
            f"PUT answered {put.status}; afterwards the id is "
            f"{'listed' if in_list else 'readable'} (GET {got.status})",
            put,
        )
