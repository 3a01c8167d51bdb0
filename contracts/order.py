"""The order of checks: a request that breaks two rules gets the status of the earlier rule.

The contract's order (spec `info.description`, contract.md) is 404/405 → 401 → 403 → 412 → 415
→ 400 → 404 (no such credential). Each probe here breaks two adjacent-or-later rules at once
and expects the earlier status. The operations probed are the spec's secured operations with a
request body; a probe runs only when the spec documents its expected status for the operation.
Every probe is safe: its path names a credential this run created or a `credkit-absent-` id,
and after it the suite verifies that nothing changed (the credential as read, no credential
created under the probe's name or at the absent id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contracts.access import Operation, operations
from contracts.checks import check
from contracts.client import CREDENTIALS, Exchange
from contracts.context import CheckContext, pick_type
from contracts.safety import absent_id, run_name
from credkit_core.resources import CREDENTIALS_SPEC, load_spec

__all__ = ["Probe", "check_order", "probes"]

_GROUP = "errors"
REQ_ORDER = (
    "A request breaking several rules gets the status of the first in the contract's order: "
    "405 → 401 → 403 → 412 → 415 → 400 → 404; a rejected request changes nothing."
)


@dataclass(frozen=True, slots=True)
class Probe:
    """One request breaking two rules, and the status of the earlier one."""

    label: str
    expected: int
    role: str | None  # None: no Authorization header
    body: str  # malformed | empty | json | invalid (breaks the schema)
    content_type: str | None
    absent: bool = False  # on a `credkit-absent-` id instead of the run's credential

    def needs_readonly(self) -> bool:
        return self.role == "readonly"


def probes() -> list[Probe]:
    """Every probe, earliest rule first (filtered per operation by `_applies`)."""
    json_type, text = "application/json", "text/plain"
    return [
        Probe("no key + malformed JSON", 401, None, "malformed", json_type),
        Probe("no key + no body", 401, None, "empty", json_type),
        Probe("no key + text/plain body", 401, None, "json", text),
        Probe("view-only key + malformed JSON", 403, "readonly", "malformed", json_type),
        Probe("view-only key + no body", 403, "readonly", "empty", json_type),
        Probe("empty text/plain body", 412, "full", "empty", text),
        Probe("malformed JSON sent as text/plain", 415, "full", "malformed", text),
        Probe("no key, absent id", 401, None, "json", json_type, absent=True),
        Probe("view-only key, absent id", 403, "readonly", "json", json_type, absent=True),
        Probe("no body, absent id", 412, "full", "empty", json_type, absent=True),
        Probe("text/plain body, absent id", 415, "full", "json", text, absent=True),
        Probe("malformed JSON, absent id", 400, "full", "malformed", json_type, absent=True),
        Probe("schema-breaking body, absent id", 400, "full", "invalid", json_type, absent=True),
    ]


def _applies(ctx: CheckContext, op: Operation, probe: Probe) -> bool:
    documented = load_spec(CREDENTIALS_SPEC)["paths"][op.template][op.method.lower()]["responses"]
    if str(probe.expected) not in documented:
        return False
    if probe.absent and "{id}" not in op.template:
        return False
    readonly_applies = bool(ctx.config.readonly_api_key) and op.permission not in (
        None,
        "credentials:view",
    )
    return readonly_applies or not probe.needs_readonly()


def _content(probe: Probe, name: str, ctype: str) -> bytes:
    """The probe's body; any body carries `name`, so an applied one is seen."""
    body: dict[str, Any] = {"name": name, "credentialName": ctype, "plainDataObj": {"k": "probe"}}
    if probe.body == "empty":
        return b""
    if probe.body == "invalid":
        return json.dumps({**body, "name": 12345, "credkitUnknownField": name}).encode()
    text = json.dumps(body)
    return text[:-2].encode() if probe.body == "malformed" else text.encode()


def _snapshot(ctx: CheckContext, credential_id: str) -> dict[str, Any]:
    got = ctx.read(credential_id)
    return {k: got.get(k) for k in ("name", "credentialName", "plainDataObj", "updatedDate")}


def _judge(
    ctx: CheckContext, probe: Probe, exchange: Exchange, changed: list[str], created: bool
) -> None:
    effects = []
    if changed:
        effects.append(f"changed {changed}")
    if created:
        effects.append("created a credential")
    effect = f" and {' and '.join(effects)}" if effects else ""
    if exchange.status != probe.expected:
        ctx.fail(
            REQ_ORDER,
            f"{probe.label}: expected {probe.expected}{effect}; {ctx.describe(exchange)}",
            exchange,
        )
    elif effect and exchange.status >= 400:
        ctx.fail(REQ_ORDER, f"{probe.label}: answered {exchange.status}{effect}", exchange)


def _listed_names(ctx: CheckContext, prefix: str) -> bool:
    listed = ctx.api.request("GET", CREDENTIALS)
    return isinstance(listed.body, list) and any(
        isinstance(i, dict) and str(i.get("name", "")).startswith(prefix) for i in listed.body
    )


def _absent_created(ctx: CheckContext, missing: str) -> bool:
    """Whether a credential now answers at `missing` (then it is tracked, so cleanup deletes it)."""
    got = ctx.api.request("GET", f"{CREDENTIALS}/{missing}")
    if got.status == 200 and isinstance(got.body, dict):
        ctx.tracker.add(missing)
        return True
    return False


@check("check-order", group=_GROUP, requirement=REQ_ORDER)
def check_order(ctx: CheckContext) -> None:
    ctype = pick_type(ctx.catalog, "password")
    credential = ctx.create(ctype, {"k": "original"})
    for op in operations():
        if not (op.secured and op.has_body):
            continue
        for probe in probes():
            if not _applies(ctx, op, probe):
                continue
            target = absent_id() if probe.absent else credential["id"]
            path = op.template.replace("{id}", target)
            name = run_name(ctx.run_id, ctx.label("order"))
            before = _snapshot(ctx, credential["id"])
            exchange = ctx.api.request(
                op.method,
                path,
                role=probe.role,
                content=_content(probe, name, ctype.name),
                content_type=probe.content_type,
            )
            after = _snapshot(ctx, credential["id"])
            changed = sorted(k for k in before if before[k] != after[k])
            created = _listed_names(ctx, name) if op.method == "POST" else False
            if probe.absent:
                created = _absent_created(ctx, target) or created
            _judge(ctx, probe, exchange, changed, created)
