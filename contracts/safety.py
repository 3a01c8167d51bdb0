"""What makes a contract run safe to point at production.

- Every credential the run creates is named `credkit-verify-<run id>-...` and tracked by id.
- Path ids are only ever ids this run created, or `credkit-absent-<uuid>` (never an example id,
  never anything listed).
- Nothing printed carries a key, a passphrase or a secret: bodies are masked and the known
  sensitive strings are scrubbed from every line of output.
- A reproduction that names a credential the run created (and deleted at its end) first makes a
  stand-in with the same create request, values masked, and uses its id (`$CREDENTIAL_ID`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import shlex
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ABSENT_PREFIX",
    "BODY_FILE_LIMIT",
    "MASK",
    "IdTracker",
    "Made",
    "Redactor",
    "absent_id",
    "base64_cores",
    "body_file",
    "body_files",
    "curl",
    "is_absent_id",
    "mask_body",
    "new_run_id",
    "run_name",
]

ABSENT_PREFIX = "credkit-absent-"
# A reproduction's body longer than this goes to a file beside the report (`--data-binary
# @credkit-body-<hash>.bin`) instead of the command line, whole and byte for byte.
BODY_FILE_LIMIT = 2000
_BODY_FILES: dict[str, bytes] = {}
_BODY_LOCK = threading.Lock()
MASK = "***"
_NAME_PREFIX = "credkit-verify-"


def new_run_id() -> str:
    """A short id unique to one run: UTC time plus 6 random hex digits."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def run_name(run_id: str, label: str) -> str:
    """The name of a credential the run creates."""
    return f"{_NAME_PREFIX}{run_id}-{label}"


def absent_id() -> str:
    """An id that names no credential anywhere."""
    return f"{ABSENT_PREFIX}{uuid.uuid4()}"


def is_absent_id(value: str) -> bool:
    return value.startswith(ABSENT_PREFIX)


@dataclass(frozen=True, slots=True)
class Made:
    """A credential the run created, as a reproduction needs it: its id, the role whose key
    created it and the create request's body (None when unknown, e.g. found at cleanup)."""

    credential_id: str
    role: str = "full"
    body: Any = None


class IdTracker:
    """Ids of the credentials this run created (thread-safe), and which are still alive."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._created: dict[str, str] = {}  # id -> role that created it
        self._bodies: dict[str, Any] = {}  # id -> the body of the request that created it
        self._deleted: set[str] = set()
        self._random = random.Random(seed)

    def add(self, credential_id: str, role: str = "full", body: Any = None) -> None:
        with self._lock:
            self._created.setdefault(credential_id, role)
            if body is not None:
                self._bodies.setdefault(credential_id, body)
            self._deleted.discard(credential_id)

    def made(self, credential_id: str | None) -> Made | None:
        """How the run made `credential_id` (None for an id it did not create, or an absent
        id it only tracks for cleanup)."""
        if credential_id is None or is_absent_id(credential_id):
            return None
        with self._lock:
            if credential_id not in self._created:
                return None
            return Made(
                credential_id, self._created[credential_id], self._bodies.get(credential_id)
            )

    def deleted(self, credential_id: str) -> None:
        with self._lock:
            if credential_id in self._created:
                self._deleted.add(credential_id)

    def owns(self, credential_id: str) -> bool:
        with self._lock:
            return credential_id in self._created

    def alive(self) -> list[str]:
        with self._lock:
            return [i for i in self._created if i not in self._deleted]

    def created(self) -> list[str]:
        with self._lock:
            return list(self._created)

    def pick(self, candidates: list[str]) -> str:
        with self._lock:
            return self._random.choice(candidates)

    def chance(self, probability: float) -> bool:
        with self._lock:
            return self._random.random() < probability

    def is_safe_target(self, credential_id: str) -> bool:
        """Whether a request may name `credential_id` in its path."""
        return self.owns(credential_id) or is_absent_id(credential_id)


class Redactor:
    """Scrubs known sensitive strings (keys, passphrase, secrets the run wrote) from text."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self.add(*values)

    def add(self, *values: str) -> None:
        with self._lock:
            self._values.update(v for v in values if v and len(v) >= 4)

    def add_secret(self, value: str) -> None:
        """`value` and the base64 forms it takes inside any base64-encoded text."""
        self.add(value, *base64_cores(value))

    def values(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values():
            if value in text:
                text = text.replace(value, MASK)
        return text


def base64_cores(value: str) -> list[str]:
    """The part of `value`'s base64 encoding that is the same wherever it sits in a longer
    encoded text (one per alignment), so an encoded secret can be found and scrubbed."""
    cores = []
    raw = value.encode()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start = -(-offset * 4 // 3)  # characters touched by the padding bytes
        end = len(encoded) - 4  # the last group may mix with what follows
        if end - start >= 8:
            cores.append(encoded[start:end])
    return cores


def mask_body(body: Any) -> Any:
    """`body` with every `plainDataObj` value masked (at any depth); other fields kept."""
    if isinstance(body, Mapping):
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key == "plainDataObj" and isinstance(value, Mapping):
                out[key] = {k: MASK for k in value}
            elif key == "plainDataObj":
                out[key] = MASK
            elif key == "encryptedData" and isinstance(value, str) and len(value) > 16:
                out[key] = f"{value[:10]}...({len(value)} chars)"
            else:
                out[key] = mask_body(value)
        return out
    if isinstance(body, list):
        return [mask_body(item) for item in body]
    return body


def curl(
    method: str,
    url: str,
    *,
    role: str | None = "full",
    scheme: str = "Bearer",
    body: Any = None,
    raw_body: bytes | None = None,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    insecure: bool = False,
    made: Made | None = None,
    setup: bool = True,
) -> str:
    """A shell command reproducing a request; the key is a variable, data values are masked.

    When the url names `made` (a credential the run created: it is gone by the time a person
    reads this), the id becomes `$CREDENTIAL_ID` and, unless `setup` is False (a command that
    follows one that has it), the lines before the request say so and create a stand-in."""
    from contracts.config import KEY_ROLES

    target, lines = shlex.quote(url), []
    marker = f"/{made.credential_id}" if made is not None else ""
    if made is not None and marker in url:
        collection, _, rest = url.rpartition(marker)
        target = f'"{_in_dquotes(collection)}/$CREDENTIAL_ID{_in_dquotes(rest)}"'
        if setup:
            lines = _stand_in(made, collection, insecure)
    parts = ["curl", "-X", method, target]
    if insecure:
        parts.insert(1, "-k")
    if role is not None:
        variable = KEY_ROLES.get(role, "API_KEY")
        value = " ".join(filter(None, [scheme, f"${variable}"]))
        parts += ["-H", f'"Authorization: {value}"']
    for name, value in (headers or {}).items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if content_type is not None:
        parts += ["-H", shlex.quote(f"Content-Type: {content_type}")]
    data: bytes | None = None
    if body is not None:
        data = json.dumps(mask_body(body), ensure_ascii=False).encode()
    elif raw_body is not None:
        data = raw_body
    if data is not None and len(data) > BODY_FILE_LIMIT:
        name = body_file(data)
        lines.append(
            f"# the {len(data):,}-byte body is in {name}, written beside the report: "
            "run this in that directory"
        )
        parts += ["--data-binary", "@" + name]
    elif data is not None:
        parts += ["--data-raw", shlex.quote(data.decode("utf-8", "replace"))]
    return "\n".join([*lines, " ".join(parts)])


def body_file(data: bytes) -> str:
    """The file name a reproduction uses for `data` (remembered for `body_files`)."""
    name = f"credkit-body-{hashlib.sha256(data).hexdigest()[:16]}.bin"
    with _BODY_LOCK:
        _BODY_FILES.setdefault(name, data)
    return name


def body_files(text: str) -> dict[str, bytes]:
    """The bodies that the reproductions in `text` read from files, by file name."""
    names = set(re.findall(r"credkit-body-[0-9a-f]{16}\.bin", text))
    with _BODY_LOCK:
        return {name: _BODY_FILES[name] for name in sorted(names) if name in _BODY_FILES}


def _in_dquotes(text: str) -> str:
    """`text` escaped for the inside of a double-quoted shell word."""
    for char in ("\\", '"', "$", "`"):
        text = text.replace(char, "\\" + char)
    return text


def _stand_in(made: Made, collection: str, insecure: bool) -> list[str]:
    """Comment and command lines that create a stand-in for `made` and set $CREDENTIAL_ID."""
    note = f"# credential {made.credential_id} was created and deleted by this run;"
    if made.body is None:
        return [f"{note} create one (POST {collection}) and set CREDENTIAL_ID to its id"]
    create = curl(
        "POST",
        collection,
        role=made.role,
        body=made.body,
        content_type="application/json",
        insecure=insecure,
    )
    return [
        f"{note} this creates a stand-in (put real values for ***, delete it when done):",
        f"CREDENTIAL_ID=$({create.replace('curl ', 'curl -s ', 1)} | jq -r .id)",
    ]
