"""What a check reports (`Finding`) and how a check ends early (`Skip`, `Abort`,
`SetupRefused`). The bottom of the suite: `contracts.context` and `contracts.checks` both use it.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = [
    "Abort",
    "Finding",
    "ServerGone",
    "SetupRefused",
    "Skip",
    "fingerprint",
    "operation_shape",
    "problem_shape",
    "route_shape",
]

# Where an observation stops describing the problem and starts quoting the answer.
_TAIL = re.compile(
    r" — after |\s\(status \d|[:;,]\s+status \d|^status \d|\s\(received |\s\(values masked"
)
_QUOTED = re.compile(r"(?<!\w)'[^']*'|\"[^\"]*\"|`[^`]*`")
_SEGMENT_ID = re.compile(r"/(?=[^/?]*\d)[^/?{}]{8,}|/\d+(?=/|$)|/credkit-absent-[^/?]*")
_BRACKETED = re.compile(r"\[[^\]]*\]|\{[^}]*\}")
_VARIABLE = re.compile(r"\S*\d\S*")
# a status code is part of the problem
_STATUS = re.compile(r"^(10[0-3]|2[0-2]\d|30[0-8]|4[0-5]\d|5[01]\d)[,.;:)]?$")


def _variable(match: re.Match[str]) -> str:
    return match.group(0) if _STATUS.match(match.group(0)) else "N"


def problem_shape(text: str) -> str:
    """A problem's wording with what varies from run to run taken out: the answer quoted
    after it, quoted values, lists, and any token with a digit but a status code (ids,
    names, times, sizes)."""
    text = _TAIL.split(text, maxsplit=1)[0]
    text = _QUOTED.sub("…", text)
    text = _BRACKETED.sub("[…]", text)
    text = _VARIABLE.sub(_variable, text)
    return " ".join(text.split())[:120].rstrip(" :;,")


def route_shape(operation: str) -> str:
    """`operation_shape` of the route a path spelling stands for (`/API/V1//credentials;`,
    `/api/v1/%2e/credentials/x` → `/api/v1/credentials/{id}`): what a check that judges every
    exchange (the passive ones) reports a finding under, one per route, not per spelling."""
    method, _, path = operation.partition(" ")
    path = unquote(path.split("?", 1)[0]).lower().replace(";", "")
    path = posixpath.normpath(re.sub(r"/+", "/", path)) if path.startswith("/") else path
    return operation_shape(f"{method} {path}")


def operation_shape(operation: str) -> str:
    """`PUT /api/v1/credentials/3f2a...` → `PUT /api/v1/credentials/{id}`: a path segment
    that is an id (a number, or 8+ characters with a digit) is a placeholder, whatever the
    route around it."""
    method, _, path = operation.partition(" ")
    path = path.split("?", 1)[0]
    return f"{method} {_SEGMENT_ID.sub('/{id}', path)}"


def fingerprint(signature: str) -> str:
    """The stable short id of a finding's signature (12 hex digits)."""
    return hashlib.sha256(signature.encode("utf-8")).hexdigest()[:12]


@dataclass(slots=True)
class Finding:
    """One observed violation of a contract requirement, ready to act on."""

    check: str
    operation: str
    requirement: str
    observed: str
    curl: str | None = None
    status: int | None = None
    allowed_reason: str | None = None
    # what the finding is, stable across runs (the model's rule, expected and observed
    # status; never ids, times or wording); None: derived from the status and `observed`
    detail: str | None = None
    baselined: bool = False  # matched an entry of --baseline (reported, not failed)

    @property
    def allowed(self) -> bool:
        return self.allowed_reason is not None

    @property
    def signature(self) -> str:
        """`check | operation | what`: the same defect gives the same signature on every run."""
        detail = self.detail
        if detail is None:
            got = "no status" if self.status is None else f"got {self.status}"
            detail = f"{got}: {problem_shape(self.observed)}"
        route = operation_shape if self.detail is not None else route_shape
        return f"{self.check} | {route(self.operation)} | {detail}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signature)


class Skip(Exception):
    """The check cannot run here (a missing option, or nothing to test against)."""


class Abort(Exception):
    """The check cannot go on; the reason is already recorded as a finding."""


class SetupRefused(Exception):
    """A setup request was refused with 401/403: the keys are wrong, the run cannot proceed."""


class ServerGone(Exception):
    """The server stopped answering after the run started (a request hung or was refused and
    a ping gets no answer either): the finding is recorded, the remaining checks cannot run."""
