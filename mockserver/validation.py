"""Request body checks, in the contract's order: 412 (no body) → 415 (media type) → 400 (not
UTF-8 JSON, not an object, non-finite number, too deep, breaks the schema).

Messages name the field concerned and never quote a value from the body: they are built from
jsonschema_rs's `error.kind` and `instance_path`, never from `error.message`.
"""

from __future__ import annotations

from typing import Any

import orjson

from mockserver.responses import ApiError, shown
from mockserver.routing import Operation

__all__ = ["MAX_DEPTH", "is_json_media_type", "parse_body", "schema_message", "validate_body"]

MAX_DEPTH = 64
_WHITESPACE = b" \t\r\n"


def is_json_media_type(content_type: bytes | None) -> bool:
    """`application/json` or any `+json` type, parameters (charset) ignored."""
    if not content_type:
        return False
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend(
                (child, depth + 1) for child in node.values() if isinstance(child, (dict, list))
            )
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return False


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object in `body`, or `ApiError(400)` saying what is wrong with it."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"Request body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        text = str(exc)
        if "infinity" in text.lower():
            raise ApiError(
                400,
                f"Request body has a non-finite number (line {exc.lineno}, column {exc.colno}).",
            ) from None
        if "recursion" in text.lower() or "depth" in text.lower():
            raise ApiError(
                400, f"Request body is nested too deeply (limit {MAX_DEPTH} levels)."
            ) from None
        raise ApiError(
            400, f"Request body is not valid JSON (line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise ApiError(
            400, f"Request body is nested too deeply (limit {MAX_DEPTH} levels)."
        ) from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else "null" if value is None else "a scalar"
        raise ApiError(400, f"Request body must be a JSON object, not {kind}.")
    # Nesting deeper than MAX_DEPTH needs more than MAX_DEPTH opening brackets.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _depth_exceeds(value, MAX_DEPTH):
        raise ApiError(400, f"Request body is nested too deeply (limit {MAX_DEPTH} levels).")
    return value


def _field(path: list[str | int]) -> str:
    return "/".join(shown(str(p)) for p in path) if path else "(body)"


_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
}


def schema_message(error: Any) -> str:
    """One schema error in words, from its kind and location only."""
    kind = error.kind
    name = type(kind).__name__
    where = _field(list(error.instance_path))
    if name == "AdditionalProperties":
        fields = ", ".join(repr(shown(str(f))) for f in kind.unexpected)
        return f"unknown field {fields}" + (f" in {where}" if error.instance_path else "")
    if name == "Required":
        return f"missing required field {shown(str(kind.property))!r}" + (
            f" in {where}" if error.instance_path else ""
        )
    if name == "Type":
        wanted = (
            " or ".join(_TYPE_NAMES.get(str(t), f"a {t}") for t in kind.types) or "another type"
        )
        return f"field {where!r} must be {wanted}"
    if name == "MinLength":
        return (
            f"field {where!r} must not be empty"
            if kind.limit == 1
            else f"field {where!r} is too short"
        )
    if name == "MaxLength":
        return f"field {where!r} is too long (at most {kind.limit} characters)"
    if name == "Enum":
        options = list(kind.options)
        if where == "credentialName":
            return (
                "field 'credentialName' must be a known credential type "
                "(see GET /api/v1/components-credentials)"
            )
        if len(options) <= 8:
            return f"field {where!r} must be one of " + ", ".join(repr(o) for o in options)
        return f"field {where!r} must be one of the {len(options)} values the spec allows"
    if name == "Format":
        return f"field {where!r} must be a valid {kind.format}"
    return f"field {where!r} breaks the schema ({name})"


def validate_body(operation: Operation, value: dict[str, Any]) -> None:
    """`ApiError(400)` naming every schema violation of `value` for `operation`."""
    validator = operation.body_validator
    if validator is None or validator.is_valid(value):
        return
    messages = sorted({schema_message(e) for e in validator.iter_errors(value)})
    raise ApiError(400, "Invalid request body: " + "; ".join(messages) + ".")


def body_is_empty(body: bytes) -> bool:
    return not body.strip(_WHITESPACE)
