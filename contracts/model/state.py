"""The executable model of the credentials API: what a client may observe for each request.

`ContractModel.expect(call)` says, without changing anything, what the contract requires of
the answer to `call` — the status (the order of checks: 413 → 404/405 → 401 → 403 → 412 → 415
→ 400 → 404) and, on success, the credential as it must be. `commit(call, expected, body)`
then applies a success the server confirmed (learning the ids and dates only it can choose).
The model holds the credentials of one generated sequence; it is pure and sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from contracts.model.contract import (
    BODY_LIMIT,
    BodyProblem,
    TypeInputs,
    is_json_media_type,
    merged,
    parse_body,
    parse_date,
)

__all__ = ["COLLECTION", "Call", "ContractModel", "Expected", "Stored"]

COLLECTION = "/api/v1/credentials"
# Which operation needs which permission; `None` for a role means "unknown" (a foreign key).
_PERMISSION = {
    ("GET", "collection"): "view",
    ("POST", "collection"): "create",
    ("GET", "item"): "view",
    ("PUT", "item"): "update",
    ("DELETE", "item"): "delete",
}
_ROLE_PERMISSIONS: dict[str, frozenset[str] | None] = {
    "full": frozenset({"view", "create", "update", "delete"}),
    "readonly": frozenset({"view"}),
    "foreign": None,
}
_UPDATE_FIELDS = frozenset({"name", "plainDataObj"})
_CREATE_FIELDS = frozenset({"name", "credentialName", "plainDataObj"})


@dataclass(frozen=True, slots=True)
class Call:
    """One request as sent: method, path, filters, the Authorization header, the body."""

    method: str
    path: str
    query: tuple[str, ...] = ()  # credentialName filter values
    authorization: str | None = None
    content_type: str | None = None
    body: bytes | None = None


@dataclass(slots=True)
class Stored:
    """A credential as the model holds it (dates as the server first answered them)."""

    id: str
    name: str
    kind: TypeInputs
    data: dict[str, Any]
    created: datetime | None = None
    updated: datetime | None = None
    deleted_in: int | None = None  # the step that deleted it
    made_in: int = 0  # the step that created it


@dataclass(slots=True)
class Expected:
    """What the contract requires of one answer."""

    statuses: frozenset[int]
    why: str  # the model's reason, for a person
    kind: str = "error"  # error | created | updated | detail | list | deleted
    credential: Stored | None = None  # created / updated / detail: the credential as it must be
    listed: list[Stored] = field(default_factory=list)  # list: ours that must be there
    hidden: list[Stored] = field(default_factory=list)  # list: ours that must not be there
    filters: tuple[str, ...] = ()
    any_workspace: bool = False  # foreign-key list: none of ours may show
    # the contract rule the answer follows, a stable slug (`auth-required`, `body-schema`,
    # `update`, ...): part of a divergence's fingerprint, never the wording of `why`
    rule: str = ""
    or_forbidden: bool = False  # a foreign key's 403 added to `statuses` (its rights unknown)

    @property
    def success(self) -> bool:
        return 200 in self.statuses


def _respelled(given: str, credential: Stored) -> bool:
    """Whether `given` is `credential`'s id in another spelling, or its name."""
    ident = credential.id
    return (
        given.lower() == ident.lower()
        or given.strip() == ident
        or given.startswith(ident)
        or given == credential.name
    )


def _error(status: int | frozenset[int], why: str, rule: str) -> Expected:
    statuses = frozenset({status}) if isinstance(status, int) else status
    return Expected(statuses, why, rule=rule)


class ContractModel:
    """The credentials of one generated sequence and the rules that answer requests."""

    def __init__(self, keys: Mapping[str, str], types: Mapping[str, TypeInputs]) -> None:
        self.keys = {role: key for role, key in keys.items() if key}
        self.types = dict(types)
        self.credentials: dict[str, Stored] = {}
        self.workspace: str | None = None
        self.step = 0

    # ---- the order of checks ----------------------------------------------------------
    def role_of(self, authorization: str | None) -> str | None:
        """The role a header authenticates as: `Bearer <key>` (scheme case-insensitive)."""
        if authorization is None:
            return None
        scheme, sep, token = authorization.partition(" ")
        if not sep or scheme.lower() != "bearer":
            return None
        return next((role for role, key in self.keys.items() if key == token), None)

    def expect(self, call: Call) -> Expected:
        if call.body is not None and len(call.body) > BODY_LIMIT:
            return _error(
                413, f"the body ({len(call.body)} bytes) is over the limit", "body-too-large"
            )
        target, credential_id = self._route(call.path)
        if target is None:
            return _error(404, "no such route", "no-route")
        permission = _PERMISSION.get((call.method, target))
        if permission is None:
            return _error(405, f"{call.method} is not allowed on this route", "method-not-allowed")
        role = self.role_of(call.authorization)
        if role is None:
            return _error(
                401,
                "the Authorization header does not carry a known key as Bearer",
                "auth-required",
            )
        granted = _ROLE_PERMISSIONS.get(role)
        if granted is not None and permission not in granted:
            return _error(403, f"the {role} key lacks credentials:{permission}", "permission")
        outcome = self._after_auth(call, target, credential_id, role)
        if granted is None:  # a foreign key: its permissions are not known to the suite
            statuses = outcome.statuses | {403}
            outcome.why += " (or 403 if the foreign key lacks the permission)"
            outcome.statuses = frozenset(statuses)
            outcome.or_forbidden = True
        return outcome

    def _route(self, path: str) -> tuple[str | None, str | None]:
        if path == COLLECTION:
            return "collection", None
        if path.startswith(COLLECTION + "/") and "/" not in path[len(COLLECTION) + 1 :]:
            # the id is the segment percent-decoded: `%2D` is `-` (RFC 3986 2.3), `%20` a space
            return "item", unquote(path[len(COLLECTION) + 1 :])
        return None, None

    def _after_auth(
        self, call: Call, target: str, credential_id: str | None, role: str
    ) -> Expected:
        body: dict[str, Any] | None = None
        if call.method in ("POST", "PUT"):
            if call.body is None or not call.body.strip(b" \t\r\n"):
                return _error(412, "a body is required and there is none", "body-required")
            if not is_json_media_type(call.content_type):
                return _error(
                    415, f"Content-Type {call.content_type!r} is not JSON", "body-media-type"
                )
            try:
                body = parse_body(call.body)
            except BodyProblem as exc:
                return _error(400, f"the body is {exc}", "body-malformed")
            problem = self._schema_problem(call.method, body)
            if problem:
                return _error(400, problem, "body-schema")
        if target == "collection":
            if call.method == "GET":
                return self._list(call.query, role)
            assert body is not None
            return self._create(body)
        found = self._mine(credential_id, role)
        if found is None:
            why, rule = self._absence(credential_id, role)
            return _error(404, why, rule)
        if call.method == "GET":
            return Expected(
                frozenset({200}), "the credential, redacted", "detail", found, rule="read"
            )
        if call.method == "DELETE":
            return Expected(
                frozenset({200}), "the credential is deleted", "deleted", found, rule="delete"
            )
        assert body is not None
        return self._update(found, body)

    def _schema_problem(self, method: str, body: dict[str, Any]) -> str | None:
        allowed = _UPDATE_FIELDS if method == "PUT" else _CREATE_FIELDS
        unknown = sorted(set(body) - allowed)
        if unknown:
            return f"the body has fields the schema does not allow: {unknown}"
        if method == "POST":
            missing = sorted(_CREATE_FIELDS - set(body))
            if missing:
                return f"the body lacks required fields: {missing}"
        if "name" in body and (not isinstance(body["name"], str) or not body["name"]):
            return "name must be a non-empty string"
        if "plainDataObj" in body and not isinstance(body["plainDataObj"], dict):
            return "plainDataObj must be an object"
        if method == "POST":
            kind = body["credentialName"]
            if not isinstance(kind, str) or kind not in self.types:
                return "credentialName must be a known credential type"
        return None

    def _mine(self, credential_id: str | None, role: str) -> Stored | None:
        found = self.credentials.get(credential_id or "")
        if found is None or found.deleted_in is not None or role == "foreign":
            return None
        return found

    def _absence(self, credential_id: str | None, role: str) -> tuple[str, str]:
        """Why the credential is not found, and the rule's slug."""
        found = self.credentials.get(credential_id or "")
        if (
            found is None
            and credential_id
            and any(_respelled(credential_id, c) for c in self.credentials.values())
        ):
            return (
                "no credential has this id: ids match exactly (not in another case, trimmed, "
                "by a prefix or by name)",
                "id-exact",
            )
        if found is None:
            return "no such credential", "absent-id"
        if found.deleted_in is not None:
            return f"the credential was deleted in step {found.deleted_in}", "deleted-id"
        return "the credential belongs to another workspace than the key's", "foreign-id"

    # ---- successes ----------------------------------------------------------------------
    def _list(self, filters: tuple[str, ...], role: str) -> Expected:
        ours = [c for c in self.credentials.values() if c.deleted_in is None]
        shown = [c for c in ours if not filters or c.kind.name in filters]
        if role == "foreign":
            return Expected(frozenset({200}), "another workspace's list: none of ours", "list",
                            hidden=list(self.credentials.values()), filters=filters,
                            any_workspace=True, rule="list-foreign")  # fmt: skip
        hidden = [c for c in self.credentials.values() if c not in shown]
        return Expected(
            frozenset({200}), "the workspace's credentials", "list", None, shown, hidden, filters,
            rule="list-filtered" if filters else "list",
        )  # fmt: skip

    def _create(self, body: dict[str, Any]) -> Expected:
        kind = self.types[body["credentialName"]]
        made = Stored("", body["name"], kind, dict(body["plainDataObj"]), made_in=self.step)
        return Expected(
            frozenset({200}), "the credential is created", "created", made, rule="create"
        )

    def _update(self, found: Stored, body: dict[str, Any]) -> Expected:
        after = replace(found, data=dict(found.data))
        if "name" in body:
            after.name = body["name"]
        if "plainDataObj" in body:
            after.data = merged(found.kind, found.data, body["plainDataObj"])
        return Expected(
            frozenset({200}), "the credential is updated", "updated", after, rule="update"
        )

    # ---- applying what the server confirmed ----------------------------------------------
    def commit(self, expected: Expected, status: int, body: Any) -> None:
        """Apply a success the server answered (its status is one the model expected)."""
        if status != 200 or expected.credential is None:
            return
        if expected.kind == "deleted":
            self.credentials[expected.credential.id].deleted_in = self.step
        elif expected.kind in ("created", "updated") and isinstance(body, dict):
            stored = replace(expected.credential)
            if expected.kind == "created":
                stored.id = str(body.get("id"))
                stored.created = parse_date(body.get("createdDate"))
                if self.workspace is None and isinstance(body.get("workspaceId"), str):
                    self.workspace = body["workspaceId"]
            stored.updated = parse_date(body.get("updatedDate")) or stored.updated
            self.credentials[stored.id] = stored

    def live(self) -> list[Stored]:
        return [c for c in self.credentials.values() if c.deleted_in is None]

    def concurrent(self, found: Stored, bodies: list[dict[str, Any]]) -> Stored:
        """The state after PUTs that raced (each must apply: none may be lost). Only for
        bodies that touch different fields, so the order does not matter."""
        after = replace(found, data=dict(found.data))
        for body in bodies:
            if "name" in body:
                after.name = body["name"]
            if "plainDataObj" in body:
                after.data = merged(found.kind, after.data, body["plainDataObj"])
        return after
