"""The route table, compiled once from an OpenAPI document.

Each path template becomes one `PathRoute` (matched once, then dispatched on the method, so a
405 carries every allowed method in `Allow`). Each operation carries what the request pipeline
needs, all read from the spec: its permission (`x-credkit-permission`), whether it needs a key
(`security`), whether a body is required, the accepted media types and a compiled jsonschema_rs
validator for the body, the statuses it documents and a compiled validator for each documented
JSON response (so the mock can check its own answers at run time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
import orjson

from credkit_core.errors import SpecError

__all__ = ["Operation", "PathRoute", "RouteTable", "compile_spec", "resolve"]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_PARAM = re.compile(r"\{([^/{}]+)\}")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the spec, ready to serve."""

    operation_id: str
    handler: str  # the method answering it: the operationId in snake_case
    method: str
    path: str
    permission: str | None
    needs_auth: bool
    body_required: bool
    media_types: tuple[str, ...]
    body_validator: Any | None
    statuses: frozenset[int]
    response_validators: Mapping[int, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PathRoute:
    """One path template and its operations by (upper-case) method."""

    template: str
    operations: Mapping[str, Operation]
    allow: str


@dataclass(slots=True)
class RouteTable:
    """Static paths in a dict, templated paths as compiled regexes tried in spec order."""

    static: dict[str, PathRoute] = field(default_factory=dict)
    dynamic: list[tuple[re.Pattern[str], PathRoute]] = field(default_factory=list)
    by_operation_id: dict[str, Operation] = field(default_factory=dict)

    def match(self, path: str) -> tuple[PathRoute, dict[str, str]] | None:
        """The route for `path` and its path parameters, or None (404). One trailing slash is
        ignored, as Express routes do (`/api/v1/credentials/` is `/api/v1/credentials`)."""
        found = self._match(path)
        if found is None and len(path) > 1 and path.endswith("/"):
            return self._match(path[:-1])
        return found

    def _match(self, path: str) -> tuple[PathRoute, dict[str, str]] | None:
        route = self.static.get(path)
        if route is not None:
            return route, {}
        for pattern, candidate in self.dynamic:
            found = pattern.fullmatch(path)
            if found is not None:
                return candidate, found.groupdict()
        return None


def _security_needed(operation: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    security = operation.get("security", document.get("security", []))
    return any(requirement for requirement in security) and not any(
        requirement == {} for requirement in security
    )


def _schema_validator(schema: Mapping[str, Any], document: Mapping[str, Any]) -> Any:
    """A validator for `schema` whose `#/components/...` references resolve in `document`."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    root["components"] = document.get("components", {})
    return jsonschema_rs.validator_for(root, validate_formats=True)


def resolve(node: Mapping[str, Any], document: Mapping[str, Any]) -> Mapping[str, Any]:
    """`node`, with its local `$ref`s followed to what they name in `document`."""
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise SpecError(f"Only local $refs are supported; got {ref!r}.")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _compile_operation(
    path: str,
    method: str,
    operation: Mapping[str, Any],
    document: Mapping[str, Any],
    compiled: dict[bytes, Any],
) -> Operation:
    operation_id = operation.get("operationId")
    if not operation_id:
        raise SpecError(f"{method.upper()} {path} has no operationId.")
    media_types: tuple[str, ...] = ()
    validator = None
    body_required = False
    if "requestBody" in operation:
        body = resolve(operation["requestBody"], document)
        body_required = bool(body.get("required", False))
        content = body.get("content", {})
        media_types = tuple(content)
        json_media = next(
            (m for m in content if m == "application/json" or m.endswith("+json")), None
        )
        if json_media is not None and "schema" in content[json_media]:
            validator = _schema_validator(content[json_media]["schema"], document)
    statuses = frozenset(int(code) for code in operation.get("responses", {}) if code.isdigit())
    response_validators: dict[int, Any] = {}
    for code, response in operation.get("responses", {}).items():
        schema = resolve(response, document).get("content", {}).get("application/json", {})
        if code.isdigit() and "schema" in schema:
            # one validator per distinct schema: the error responses all share `Error`'s
            key = orjson.dumps(schema["schema"], option=orjson.OPT_SORT_KEYS)
            if key not in compiled:
                compiled[key] = _schema_validator(schema["schema"], document)
            response_validators[int(code)] = compiled[key]
    return Operation(
        operation_id=operation_id,
        handler=_SNAKE.sub("_", operation_id).lower(),
        method=method.upper(),
        path=path,
        permission=operation.get("x-credkit-permission"),
        needs_auth=_security_needed(operation, document),
        body_required=body_required,
        media_types=media_types,
        body_validator=validator,
        statuses=statuses,
        response_validators=response_validators,
    )


def compile_spec(document: Mapping[str, Any]) -> RouteTable:
    """Compile an OpenAPI document's paths into a route table."""
    table = RouteTable()
    compiled: dict[bytes, Any] = {}
    for template, item in document.get("paths", {}).items():
        operations: dict[str, Operation] = {}
        for method in METHODS:
            if method in item:
                op = _compile_operation(template, method, item[method], document, compiled)
                operations[method.upper()] = op
                table.by_operation_id[op.operation_id] = op
        if not operations:
            continue
        allow = ", ".join(operations)
        route = PathRoute(template=template, operations=operations, allow=allow)
        if _PARAM.search(template):
            regex = "".join(
                f"(?P<{part[1:-1]}>[^/]+)" if _PARAM.fullmatch(part) else re.escape(part)
                for part in re.split(r"(\{[^/{}]+\})", template)
            )
            table.dynamic.append((re.compile(regex), route))
        else:
            table.static[template] = route
    return table
