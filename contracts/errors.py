"""Bad requests get the documented status, in the documented error shape."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs

from contracts.checks import check, passive
from contracts.client import CREDENTIALS, Exchange
from contracts.context import CheckContext, pick_type
from contracts.safety import absent_id, run_name
from credkit_core.resources import CREDENTIALS_SPEC, load_spec

__all__ = ["error_shape"]

_GROUP = "errors"


@cache
def _error_validator() -> Any:
    schema = load_spec(CREDENTIALS_SPEC)["components"]["schemas"]["Error"]
    return jsonschema_rs.validator_for(schema)


REQ_SHAPE = (
    "Every error answer is application/json {statusCode, success: false, message, stack: {}} "
    "with statusCode equal to the HTTP status."
)


def _is_error(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.status >= 400


@passive(
    "error-shape",
    group=_GROUP,
    requirement=REQ_SHAPE,
    judges=_is_error,
    unjudged=(
        "no exchanges to judge: no error answer was recorded; include a check that provokes "
        "errors (e.g. auth-required)"
    ),
)
def error_shape(ctx: CheckContext, exchange: Exchange) -> list[str]:
    problems = []
    media = exchange.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        problems.append(f"{exchange.status} answered with Content-Type {media or '(none)'}")
    body = exchange.body
    if body is None:
        problems.append(f"{exchange.status} body is not JSON")
        return problems
    errors = [_schema_error(e) for e in _error_validator().iter_errors(body)]
    if errors:
        problems.append(
            f"{exchange.status} body breaks the Error schema at {', '.join(errors[:3])}"
        )
    elif body.get("statusCode") != exchange.status:
        problems.append(
            f"statusCode {body.get('statusCode')} differs from the HTTP status {exchange.status}"
        )
    return problems


def _schema_error(error: Any) -> str:
    """Where and how a body breaks the Error schema, without quoting any value."""
    kind = error.kind
    where = "/".join(map(str, error.instance_path)) or "(root)"
    if hasattr(kind, "property"):
        return f"{where}: missing {kind.property!r}"
    if hasattr(kind, "unexpected"):
        return f"{where}: unexpected {sorted(kind.unexpected)}"
    return f"{where}: {type(kind).__name__}"


def _targets(ctx: CheckContext) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, a valid body) for the two operations with a body."""
    ctype = pick_type(ctx.catalog, "password")
    created = ctx.create(ctype, {})
    return [
        ("PUT", f"{CREDENTIALS}/{created['id']}", {"name": run_name(ctx.run_id, ctx.label("err"))}),
        (
            "POST",
            CREDENTIALS,
            {
                "name": run_name(ctx.run_id, ctx.label("err")),
                "credentialName": ctype.name,
                "plainDataObj": {},
            },
        ),
    ]


def _expect_all(
    ctx: CheckContext,
    status: int,
    requirement: str,
    cases: list[tuple[str, str, str, dict[str, Any]]],
) -> None:
    for label, method, path, kwargs in cases:
        exchange = ctx.api.request(method, path, **kwargs)
        if exchange.status != status:
            ctx.fail(requirement, f"{label}: {ctx.describe(exchange)}", exchange)


REQ_412 = "A request without a body where one is required (none, or only whitespace) gets 412."


@check("missing-body-412", group=_GROUP, requirement=REQ_412)
def missing_body(ctx: CheckContext) -> None:
    cases = []
    for method, path, _body in _targets(ctx):
        cases.append(
            ("no body", method, path, {"content": b"", "content_type": "application/json"})
        )
        cases.append(
            (
                "whitespace body",
                method,
                path,
                {"content": b"  \n ", "content_type": "application/json"},
            )
        )
    _expect_all(ctx, 412, REQ_412, cases)


REQ_415 = "A body whose Content-Type is not application/json (or +json), or has none, gets 415."


@check("non-json-415", group=_GROUP, requirement=REQ_415)
def non_json(ctx: CheckContext) -> None:
    cases = []
    for method, path, body in _targets(ctx):
        raw = json.dumps(body).encode()
        cases.append(("text/plain", method, path, {"content": raw, "content_type": "text/plain"}))
        cases.append(
            (
                "form",
                method,
                path,
                {"content": b"name=credkit", "content_type": "application/x-www-form-urlencoded"},
            )
        )
        cases.append(("no Content-Type", method, path, {"content": raw}))
    _expect_all(ctx, 415, REQ_415, cases)


REQ_400_JSON = "A body that is not a JSON object (malformed, array, string, NaN) gets 400."


@check("malformed-json-400", group=_GROUP, requirement=REQ_400_JSON)
def malformed(ctx: CheckContext) -> None:
    raw = {
        "malformed": b'{"name": ',
        "array": b"[]",
        "string": b'"text"',
        "NaN": b'{"name": NaN}',
        "nested 10k": b"[" * 10000 + b"]" * 10000,
    }
    cases = [
        (label, m, p, {"content": content, "content_type": "application/json"})
        for m, p, _ in _targets(ctx)
        for label, content in raw.items()
    ]
    _expect_all(ctx, 400, REQ_400_JSON, cases)


REQ_400_TYPES = (
    "A body breaking the operation's schema (wrong types, empty name, missing fields, "
    "unknown type) gets 400."
)


@check("wrong-types-400", group=_GROUP, requirement=REQ_400_TYPES)
def wrong_types(ctx: CheckContext) -> None:
    (put_m, put_p, _put_b), (post_m, post_p, post_b) = _targets(ctx)
    bodies = [
        ("name number", put_m, put_p, {"name": 123}),
        ("name empty", put_m, put_p, {"name": ""}),
        ("name null", put_m, put_p, {"name": None}),
        ("plainDataObj string", put_m, put_p, {"plainDataObj": "text"}),
        ("plainDataObj null", put_m, put_p, {"plainDataObj": None}),
        (
            "missing credentialName",
            post_m,
            post_p,
            {k: v for k, v in post_b.items() if k != "credentialName"},
        ),
        (
            "missing plainDataObj",
            post_m,
            post_p,
            {k: v for k, v in post_b.items() if k != "plainDataObj"},
        ),
        (
            "unknown credentialName",
            post_m,
            post_p,
            {**post_b, "credentialName": "credkitNoSuchType"},
        ),
    ]
    _expect_all(
        ctx, 400, REQ_400_TYPES, [(label, m, p, {"json_body": b}) for label, m, p, b in bodies]
    )


REQ_400_UNKNOWN = (
    "A body with a field the operation does not define (e.g. credentialName or id on PUT) gets 400."
)


@check("unknown-fields-400", group=_GROUP, requirement=REQ_400_UNKNOWN)
def unknown_fields(ctx: CheckContext) -> None:
    (put_m, put_p, put_b), (post_m, post_p, post_b) = _targets(ctx)
    bodies = [
        ("credentialName on PUT", put_m, put_p, {**put_b, "credentialName": "openAIApi"}),
        ("id on PUT", put_m, put_p, {**put_b, "id": absent_id()}),
        ("unknown field on PUT", put_m, put_p, {**put_b, "credkitUnknownField": 1}),
        ("id on POST", post_m, post_p, {**post_b, "id": absent_id()}),
    ]
    _expect_all(
        ctx, 400, REQ_400_UNKNOWN, [(label, m, p, {"json_body": b}) for label, m, p, b in bodies]
    )


REQ_404 = (
    "GET, PUT and DELETE of an unknown credential id, and GET of an unknown type name, get 404."
)


@check("unknown-id-404", group=_GROUP, requirement=REQ_404)
def unknown_id(ctx: CheckContext) -> None:
    missing = f"{CREDENTIALS}/{absent_id()}"
    cases = [
        ("GET unknown id", "GET", missing, {}),
        ("PUT unknown id", "PUT", missing, {"json_body": {"name": run_name(ctx.run_id, "absent")}}),
        ("DELETE unknown id", "DELETE", missing, {}),
        ("unknown type", "GET", "/api/v1/components-credentials/credkitNoSuchType", {}),
    ]
    _expect_all(ctx, 404, REQ_404, cases)


REQ_405 = (
    "A known route with another method gets 405 with an Allow header; an unknown route gets 404."
)


@check("method-not-allowed-405", group=_GROUP, requirement=REQ_405)
def method_not_allowed(ctx: CheckContext) -> None:
    created = ctx.create(pick_type(ctx.catalog, "password"), {})
    spec_paths = load_spec(CREDENTIALS_SPEC)["paths"]
    for template, method in (
        ("/api/v1/credentials/{id}", "PATCH"),
        ("/api/v1/credentials", "DELETE"),
    ):
        declared = {
            m.upper()
            for m in spec_paths[template]
            if m in ("get", "put", "post", "delete", "patch")
        }
        exchange = ctx.api.request(method, template.replace("{id}", created["id"]))
        if not ctx.expect_status(exchange, 405, REQ_405):
            continue
        allow = {
            m.strip().upper() for m in exchange.headers.get("allow", "").split(",") if m.strip()
        }
        ctx.expect(
            declared <= allow,
            REQ_405,
            f"Allow header {exchange.headers.get('allow')!r} lacks {sorted(declared - allow)}",
            exchange,
        )
    ctx.expect_status(ctx.api.request("GET", "/api/v1/credkit-no-such-route"), 404, REQ_405)
