"""The contract's rules as pure functions: redaction on read, the merge of a PUT, url passwords,
request bodies and dates — written from `contract.md` and the spec, not from the mock.

Nothing here sends a request or keeps state; `contracts.model.state` applies these rules to
the model's credentials.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "BODY_LIMIT",
    "BULLETS",
    "MARKER",
    "BodyProblem",
    "TypeInputs",
    "is_json_media_type",
    "masked",
    "merged",
    "parse_body",
    "parse_date",
    "redacted",
    "url_password",
]

MARKER = "_FLOWISE_BLANK_07167752-1a71-43b1-bf8f-4f32252165db"
BULLETS = "\u2022" * 6
BODY_LIMIT = 1_048_576  # bytes: the mock's default limit (contract.md, order of checks 1)

# scheme://[user][:password]@host...  (the userinfo ends at the last '@' before the path)
_URL = re.compile(
    r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#]*)@(?P<rest>.*)$", re.S
)


@dataclass(frozen=True, slots=True)
class TypeInputs:
    """What the contract needs to know of a credential type: its secret-bearing inputs."""

    name: str
    passwords: frozenset[str]
    urls: frozenset[str]


def url_password(value: Any) -> str | None:
    """The password in a url's userinfo (`scheme://user:pw@host`), or None when it has none."""
    if not isinstance(value, str):
        return None
    match = _URL.match(value)
    if match is None or ":" not in match.group("userinfo"):
        return None
    return match.group("userinfo").split(":", 1)[1] or None


def masked(value: str) -> str:
    """A url with its password replaced by six bullets (the user, host and path kept)."""
    match = _URL.match(value)
    if match is None or url_password(value) is None:
        return value
    user = match.group("userinfo").split(":", 1)[0]
    return f"{match.group('head')}{user}:{BULLETS}@{match.group('rest')}"


def redacted(kind: TypeInputs, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` as a read by id shows it: password inputs → the marker, url passwords → bullets,
    everything else (other inputs, undeclared keys) as stored."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in kind.passwords:
            out[key] = MARKER
        elif key in kind.urls and isinstance(value, str):
            out[key] = masked(value)
        else:
            out[key] = value
    return out


def _keeps_stored(kind: TypeInputs, key: str, value: Any) -> bool:
    """A value sent back as read (the marker, or a url input whose password is the bullets)."""
    if value == MARKER:
        return True
    return key in kind.urls and url_password(value) == BULLETS


def merged(kind: TypeInputs, stored: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A PUT's `plainDataObj` shallow-merged into the stored data: given keys overwrite, others
    are kept, nested values replace whole, null is stored; a marker (or masked url) keeps the
    stored value — and stores nothing for a key never stored."""
    out = dict(stored)
    for key, value in patch.items():
        if not _keeps_stored(kind, key, value):
            out[key] = value
    return out


def is_json_media_type(value: str | None) -> bool:
    """`application/json` or `application/*+json`, case-insensitive, parameters ignored."""
    if not value:
        return False
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class BodyProblem(ValueError):
    """Why a body is a 400 (for the model's reason, never shown as the server's wording)."""


def _no_constant(name: str) -> Any:
    raise BodyProblem(f"non-finite number {name}")


def _finite(value: Any) -> None:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            raise BodyProblem("non-finite number")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object in `raw` (duplicate keys: the last wins), or BodyProblem."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyProblem("not UTF-8") from exc
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise BodyProblem("nested too deep") from exc
    except ValueError as exc:
        if isinstance(exc, BodyProblem):
            raise
        raise BodyProblem("not JSON") from exc
    if not isinstance(value, dict):
        raise BodyProblem("not a JSON object")
    _finite(value)
    return value


_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$"
)


def parse_date(value: Any) -> datetime | None:
    """An RFC 3339 date-time (`Z` or an offset, 0–9 fractional digits) as an aware datetime,
    or None when `value` is not one."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        moment = datetime.fromisoformat(
            f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micro:06d}{offset}"
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)
