"""Authentication, permissions and workspace isolation (derived from the spec's operations)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from contracts.checks import check
from contracts.client import CREDENTIALS
from contracts.context import CheckContext, pick_type
from contracts.safety import run_name
from credkit_core.resources import CREDENTIALS_SPEC, load_spec

__all__ = ["Operation", "fill", "operations"]

_GROUP = "access"
_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    template: str
    secured: bool
    permission: str | None
    has_body: bool

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


def operations() -> list[Operation]:
    """Every operation of the credentials spec, with its security and permission."""
    spec = load_spec(CREDENTIALS_SPEC)
    default_secured = bool(spec.get("security"))
    out = []
    for template, item in spec["paths"].items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            secured = bool(op["security"]) if "security" in op else default_secured
            out.append(
                Operation(
                    method.upper(),
                    template,
                    secured,
                    op.get("x-credkit-permission"),
                    "requestBody" in op,
                )
            )
    return out


def fill(ctx: CheckContext, op: Operation, credential_id: str, role: str | None) -> dict[str, Any]:
    """Request arguments for `op` with valid data (path, body), sent as `role`."""
    path = op.template.replace("{id}", credential_id).replace("{name}", ctx.catalog.names()[0])
    kwargs: dict[str, Any] = {"role": role}
    if op.has_body and op.method == "POST":
        ctype = pick_type(ctx.catalog, "password")
        kwargs["json_body"] = {
            "name": run_name(ctx.run_id, ctx.label("authz")),
            "credentialName": ctype.name,
            "plainDataObj": {},
        }
    elif op.has_body:
        kwargs["json_body"] = {"name": run_name(ctx.run_id, ctx.label("authz"))}
    return {"method": op.method, "path": path, **kwargs}


REQ_401 = (
    "A missing Authorization header, an unknown key or a key without the Bearer scheme gets 401."
)


@check("auth-required", group=_GROUP, requirement=REQ_401)
def auth_required(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {})
    wrong = f"credkit-wrong-key-{uuid.uuid4().hex}"
    for op in operations():
        if not op.secured:
            continue
        for label, extra in (
            ("no key", {"role": None}),
            ("unknown key", {"key": wrong}),
            ("raw key, no scheme", {"scheme": ""}),
        ):
            args = fill(ctx, op, created["id"], "full")
            args.update(extra)
            exchange = ctx.api.request(**args)
            if exchange.status != 401:
                ctx.fail(REQ_401, f"{label}: {ctx.describe(exchange)}", exchange)


REQ_SCHEME = "The Bearer scheme name is case-insensitive: `bearer <key>` is accepted."


@check("auth-scheme-case-insensitive", group=_GROUP, requirement=REQ_SCHEME)
def scheme_case(ctx: CheckContext) -> None:
    exchange = ctx.api.request("GET", CREDENTIALS, scheme="bearer")
    ctx.expect_status(exchange, 200, REQ_SCHEME)


REQ_RO_WRITE = "A view-only key cannot create, update or delete (403), and nothing changes."


@check(
    "readonly-cannot-write",
    group=_GROUP,
    requirement=REQ_RO_WRITE,
    needs=("api_key", "readonly_api_key"),
)
def readonly_cannot_write(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {"k": "v"})
    before = ctx.read(created["id"])
    writes = []
    for op in operations():
        if op.permission in (None, "credentials:view"):
            continue
        exchange = ctx.api.request(**fill(ctx, op, created["id"], "readonly"))
        writes.append(exchange)
        ctx.expect_status(exchange, 403, REQ_RO_WRITE)
    after = ctx.read(created["id"])
    steps = [e for e in (*writes, ctx.last_read) if e is not None and e.made is not None]
    ctx.expect(
        after == before,
        REQ_RO_WRITE,
        "the credential changed after writes with a view-only key",
        curl="\n".join([steps[0].curl(), *(e.curl(setup=False) for e in steps[1:])])
        if steps
        else None,
    )


REQ_RO_READ = "A view-only key can read: list and get by id answer 200."


@check(
    "readonly-can-read",
    group=_GROUP,
    requirement=REQ_RO_READ,
    needs=("api_key", "readonly_api_key"),
)
def readonly_can_read(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {})
    for op in operations():
        if op.permission == "credentials:view":
            ctx.expect_status(
                ctx.api.request(**fill(ctx, op, created["id"], "readonly")), 200, REQ_RO_READ
            )


REQ_ISOLATION = (
    "Another workspace's key can neither see nor change the credential: GET, PUT and DELETE by id "
    "answer 404, the list does not show it, and it is unchanged."
)


@check(
    "workspace-isolation",
    group=_GROUP,
    requirement=REQ_ISOLATION,
    needs=("api_key", "foreign_api_key"),
)
def workspace_isolation(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {"k": "v"})
    before = ctx.read(created["id"])
    for op in operations():
        if "{id}" in op.template:
            ctx.expect_status(
                ctx.api.request(**fill(ctx, op, created["id"], "foreign")), 404, REQ_ISOLATION
            )
    listed = ctx.api.request("GET", CREDENTIALS, role="foreign")
    if isinstance(listed.body, list) and any(
        isinstance(i, dict) and i.get("id") == created["id"] for i in listed.body
    ):
        ctx.fail(REQ_ISOLATION, "the other workspace's list shows the credential", listed)
    after = ctx.read(created["id"])
    ctx.expect(
        after == before,
        REQ_ISOLATION,
        "the credential changed after requests with another workspace's key",
    )
