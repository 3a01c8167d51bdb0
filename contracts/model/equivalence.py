"""The contract's equivalence, written once: is what the server answered what the model allows?

Judged: the status exactly; the error shape (never its wording); success bodies field by field
(names exactly, ids stable, redaction and masking per the catalog, `encryptedData` fresh on
every write and absent where the contract says, the stored data exactly with the passphrase);
dates monotonic, persisted (a read agrees with the write's answer) and within `skew` seconds
of the client's clock; no secret anywhere in an answer.
Never judged: message wording, key order, id format, extra headers, compression, transfer
encoding, RFC 3339 variants, latency, `Connection: close`, list order; a 429 is never judged
(the client waits it out and retries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from contracts.client import Exchange
from contracts.model.contract import BULLETS, MARKER, is_json_media_type, parse_date, redacted
from contracts.model.state import ContractModel, Expected, Stored
from contracts.secrets import find_leaks

__all__ = ["CREDENTIAL_FIELDS", "DETAIL_FIELDS", "SUMMARY_FIELDS", "Judge", "Timing"]

_COMMON = frozenset({"id", "name", "credentialName", "createdDate", "updatedDate", "workspaceId"})
CREDENTIAL_FIELDS = _COMMON | {"encryptedData"}  # create and update answers
DETAIL_FIELDS = _COMMON | {"plainDataObj"}  # a read by id
SUMMARY_FIELDS = _COMMON  # a list item


@dataclass(frozen=True, slots=True)
class Timing:
    """The client's clock around one request."""

    sent: datetime
    received: datetime


@dataclass
class Judge:
    """Compares answers with the model's expectations; remembers every ciphertext seen."""

    secret_key: str | None = None
    secrets: set[str] = field(default_factory=set)
    skew: float = 120.0
    ciphertexts: set[str] = field(default_factory=set)

    def __call__(
        self, model: ContractModel, expected: Expected, exchange: Exchange, timing: Timing
    ) -> list[str]:
        if exchange.status not in expected.statuses:
            wanted = " or ".join(str(s) for s in sorted(expected.statuses))
            return [f"answered {exchange.status}; the model expects {wanted}: {expected.why}"]
        problems = [f"{p} (secret leak)" for p in find_leaks(exchange, self.secrets)]
        if not is_json_media_type(exchange.headers.get("content-type")):
            problems.append("the answer's Content-Type is application/json")
        body = exchange.body
        if exchange.status != 200:
            problems += _error_shape(exchange)
        elif expected.kind in ("created", "updated") and expected.credential is not None:
            problems += self._written(model, expected, body, timing)
        elif expected.kind == "detail" and expected.credential is not None:
            problems += _detail(model, expected.credential, body)
        elif expected.kind == "list":
            problems += _listing(model, expected, body)
        elif expected.kind == "deleted" and not (
            isinstance(body, dict) and body.get("affected") == 1
        ):
            problems.append('a DELETE answers {"raw": [], "affected": 1}')
        return problems

    def _written(
        self, model: ContractModel, expected: Expected, body: Any, timing: Timing
    ) -> list[str]:
        want = expected.credential
        assert want is not None
        if not isinstance(body, dict):
            return ["the answer is the credential (a JSON object)"]
        problems = _fields(body, CREDENTIAL_FIELDS, "a create/update answer")
        if expected.kind == "updated" and body.get("id") != want.id:
            problems.append(f"id is {body.get('id')!r}, not the id in the path")
        if expected.kind == "created" and not isinstance(body.get("id"), str):
            problems.append("id is a string")
        elif expected.kind == "created" and body["id"] in model.credentials:
            problems.append("a create answers a new id (this one is an earlier credential's)")
        problems += _same(body, want, model)
        encrypted = body.get("encryptedData")
        if not isinstance(encrypted, str) or not encrypted:
            problems.append("encryptedData is a non-empty string")
        elif encrypted in self.ciphertexts:
            problems.append("encryptedData is fresh on every write (this value was seen before)")
        else:
            self.ciphertexts.add(encrypted)
            problems += self._stored(encrypted, want)
        problems += _dates(body, want, expected.kind, timing, self.skew)
        return problems

    def _stored(self, encrypted: str, want: Stored) -> list[str]:
        if not self.secret_key:
            return []
        from credkit_core.crypto import decrypt_json

        try:
            data = decrypt_json(encrypted, self.secret_key)
        except ValueError as exc:
            return [f"encryptedData decrypts with --secret-key to a JSON object ({exc})"]
        if data != want.data:
            return [f"the stored data (decrypted) differs from the model's: {_diff(data, want)}"]
        return []


def _error_shape(exchange: Exchange) -> list[str]:
    """`{"statusCode": <the status>, "success": false, "message": "...", "stack": {}}`; a 405
    names the allowed methods in `Allow`."""
    body = exchange.body
    out = []
    if not (
        isinstance(body, dict)
        and body.get("statusCode") == exchange.status
        and body.get("success") is False
        and isinstance(body.get("message"), str)
        and body.get("message")
    ):
        out.append("the error body is {statusCode: <status>, success: false, message: <text>}")
    if exchange.status == 405 and "allow" not in exchange.headers:
        out.append("a 405 names the allowed methods in an Allow header")
    return out


def _fields(body: dict[str, Any], wanted: frozenset[str], what: str) -> list[str]:
    missing, extra = sorted(wanted - set(body)), sorted(set(body) - wanted)
    out = []
    if missing:
        out.append(f"{what} lacks {missing}")
    if extra:
        out.append(f"{what} has fields the contract does not give it: {extra}")
    return out


def _same(body: dict[str, Any], want: Stored, model: ContractModel) -> list[str]:
    out = []
    if body.get("name") != want.name:
        out.append(f"name is {body.get('name')!r}, the model has {want.name!r}")
    if body.get("credentialName") != want.kind.name:
        out.append(f"credentialName is {body.get('credentialName')!r}, not {want.kind.name!r}")
    if model.workspace is not None and body.get("workspaceId") != model.workspace:
        out.append(f"workspaceId is {body.get('workspaceId')!r}, not the key's workspace")
    return out


def _diff(data: dict[str, Any], want: Stored) -> str:
    return _differences(data, want.data)


def _differences(got: dict[str, Any], expect: dict[str, Any]) -> str:
    """How `got` differs from `expect`, by kind (what a fingerprint keeps: a marker stored in
    place of a value is not a lost change), then the keys (values masked)."""
    keys = sorted(set(got) | set(expect))
    differ = [k for k in keys if got.get(k, ...) != expect.get(k, ...)]
    kinds = set()
    for key in differ:
        value = got.get(key, ...)
        if value is ...:
            kinds.add("a key missing")
        elif key not in expect:
            kinds.add("a key added")
        elif isinstance(value, str) and (value == MARKER or BULLETS in value):
            kinds.add("the marker or mask in place of the value")
        else:
            kinds.add("another value")
    return f"{', '.join(sorted(kinds))} (keys {differ}, values masked)"


def _dates(body: dict[str, Any], want: Stored, kind: str, timing: Timing, skew: float) -> list[str]:
    created, updated = parse_date(body.get("createdDate")), parse_date(body.get("updatedDate"))
    if created is None or updated is None:
        return ["createdDate and updatedDate are RFC 3339 date-times"]
    out = []
    allowance = timedelta(seconds=skew)
    if not timing.sent - allowance <= updated <= timing.received + allowance:
        out.append(f"updatedDate {body.get('updatedDate')} is not now (client clock, ±{skew:g}s)")
    if updated < created:
        out.append("updatedDate is earlier than createdDate")
    if kind == "updated":
        if want.created is not None and created != want.created:
            out.append("createdDate changed on update")
        if want.updated is not None and updated < want.updated:
            out.append("updatedDate went backwards (earlier than the previous one)")
    return out


def _detail(model: ContractModel, want: Stored, body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["a read by id answers the credential (a JSON object)"]
    out = _fields(body, DETAIL_FIELDS, "a read by id")
    if body.get("id") != want.id:
        out.append(f"id is {body.get('id')!r}, not the id in the path")
    out += _same(body, want, model)
    if body.get("plainDataObj") != redacted(want.kind, want.data):
        shown = body.get("plainDataObj")
        expect = redacted(want.kind, want.data)
        how = _differences(shown, expect) if isinstance(shown, dict) else "not an object"
        out.append(f"plainDataObj is not the stored data redacted: {how}")
    out += _persisted(body, want)
    return out


def _persisted(body: dict[str, Any], want: Stored) -> list[str]:
    out = []
    for name, value in (("createdDate", want.created), ("updatedDate", want.updated)):
        if value is not None and parse_date(body.get(name)) != value:
            out.append(f"{name} {body.get(name)} is not what the last write answered")
    return out


def _summary(item: dict[str, Any]) -> list[str]:
    """A list item's fields have the types and order a read by id gives them."""
    out = []
    for name in ("id", "name", "credentialName", "workspaceId"):
        if not isinstance(item.get(name), str) or not item.get(name):
            out.append(f"a list item's {name} is a non-empty string")
    created, updated = parse_date(item.get("createdDate")), parse_date(item.get("updatedDate"))
    if created is None or updated is None:
        out.append("a list item's createdDate and updatedDate are RFC 3339 date-times")
    elif updated < created:
        out.append("a list item's updatedDate is earlier than its createdDate")
    return out


def _listing(model: ContractModel, expected: Expected, body: Any) -> list[str]:
    """Every item shaped as a read by id (less the data); each of ours that must show, once,
    field by field as the model holds it; none that must not; the filter matched exactly."""
    if not isinstance(body, list):
        return ["a list answers a JSON array"]
    out: list[str] = []
    by_id: dict[str, list[dict[str, Any]]] = {}
    for item in body:
        if not isinstance(item, dict):
            out.append("every list item is a credential object")
            continue
        by_id.setdefault(str(item.get("id")), []).append(item)
        extra = set(item) - SUMMARY_FIELDS
        if extra or SUMMARY_FIELDS - set(item):
            out.append(f"a list item has fields {sorted(item)}; the contract gives exactly "
                       f"{sorted(SUMMARY_FIELDS)}")  # fmt: skip
        out += _summary(item)
        named = item.get("credentialName")
        if expected.filters and named not in expected.filters:
            loose = {str(f).strip().lower() for f in expected.filters}
            how = "only in another spelling" if str(named).lower() in loose else "at all"
            out.append(f"a list item does not match the credentialName filter {how}")
        if model.workspace is not None and (item.get("workspaceId") == model.workspace) == (
            expected.any_workspace
        ):
            out.append("a list item belongs to another workspace than the key's")
    out += [f"credential {i} is listed {len(items)} times" for i, items in by_id.items()
            if len(items) > 1]  # fmt: skip
    for want in expected.listed:
        items = by_id.get(want.id, [])
        if len(items) != 1:
            out.append(f"credential {want.id} is listed {len(items)} times, not once")
            continue
        out += [
            f"as listed: {p}" for p in _same(items[0], want, model) + _persisted(items[0], want)
        ]
    for gone in expected.hidden:
        if gone.id in by_id:
            why = "deleted" if gone.deleted_in is not None else "filtered out or not the key's"
            out.append(f"credential {gone.id} is listed, but it is {why}")
    return sorted(set(out), key=out.index)
