"""Allow files: deviations a team has accepted, reported as "allowed" instead of failed.

    allow:
      - fingerprint: 3f2a9c1b0d4e                        # one finding (see a report)
        finding: "model-conformance | PUT ... | ..."     # optional: its signature, for people
        reason: "why this deviation is accepted"         # required
      - check: <check name>                              # a whole check ...
        operation: "PUT /api/v1/credentials/{id}"        # ... on one operation (optional)
        reason: "why this deviation is accepted"

A fingerprint entry allows exactly one finding (the same defect gives the same fingerprint on
every run); a check entry allows every finding of the check, so a new defect would hide behind
it — `model-conformance` and the passive checks, whose findings are many and varied, can only
be allowed by fingerprint. Unknown check names, unknown keys and missing fields are errors
(exit 2) naming the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contracts.checks import all_checks, unknown_check_error
from contracts.outcomes import Finding
from credkit_core.errors import ConfigError

__all__ = ["AllowEntry", "AllowList", "load_allow", "parse_allow"]

_KEYS = {"check", "operation", "reason", "fingerprint", "finding"}
_FINGERPRINT = re.compile(r"^[0-9a-f]{12}$")
# checks whose findings differ in kind from one another: allowed by fingerprint only
BY_FINGERPRINT_ONLY = frozenset(
    {"model-conformance", "no-secret-in-responses", "error-shape", "encrypted-data-format"}
)


@dataclass(frozen=True, slots=True)
class AllowEntry:
    reason: str
    check: str | None = None
    operation: str | None = None
    fingerprint: str | None = None
    finding: str | None = None  # the finding's signature, for a person reading the file

    def matches(self, finding: Finding) -> bool:
        if self.fingerprint is not None:
            return self.fingerprint == finding.fingerprint
        return self.check == finding.check and (
            self.operation is None or _norm(self.operation) == _norm(finding.operation)
        )


def _norm(operation: str) -> str:
    method, _, path = operation.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


@dataclass(frozen=True, slots=True)
class AllowList:
    entries: tuple[AllowEntry, ...] = ()
    source: str = "<none>"

    def reason_for(self, finding: Finding) -> str | None:
        for entry in self.entries:
            if entry.matches(finding):
                return entry.reason
        return None

    def fingerprints(self) -> frozenset[str]:
        """The fingerprints named (the model explores past them instead of stopping)."""
        return frozenset(e.fingerprint for e in self.entries if e.fingerprint)


def parse_allow(document: Any, source: str = "<allow>") -> AllowList:
    """Validate an allow document (already parsed YAML)."""
    if (
        not isinstance(document, dict)
        or set(document) != {"allow"}
        or not isinstance(document["allow"], list)
    ):
        raise ConfigError(
            f"{source}: an allow file is a mapping with one key, `allow`, "
            "holding a list of entries."
        )
    entries = [_entry(raw, f"{source}: entry {n}") for n, raw in enumerate(document["allow"], 1)]
    return AllowList(tuple(entries), source)


def _entry(raw: Any, where: str) -> AllowEntry:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a mapping with `fingerprint` (or `check`) and `reason`.")
    extra = set(raw) - _KEYS
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {sorted(extra)}; allowed are {', '.join(sorted(_KEYS))}."
        )
    if not isinstance(raw.get("reason"), str) or not raw["reason"].strip():
        raise ConfigError(f"{where}: `reason` is required and must be a non-empty string.")
    for name in ("check", "operation", "finding"):
        if name in raw and (not isinstance(raw[name], str) or not raw[name].strip()):
            raise ConfigError(f"{where}: `{name}` must be a non-empty string.")
    check, fingerprint = raw.get("check"), raw.get("fingerprint")
    if fingerprint is not None:
        if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
            raise ConfigError(
                f"{where}: `fingerprint` {fingerprint!r} is not one; copy it from a report "
                "(12 hex digits, e.g. 3f2a9c1b0d4e)."
            )
        if "operation" in raw:
            raise ConfigError(f"{where}: a fingerprint names one finding; drop `operation`.")
    elif check is None:
        raise ConfigError(f"{where}: give `fingerprint` (one finding) or `check` (a whole check).")
    elif check in BY_FINGERPRINT_ONLY:
        raise ConfigError(
            f"{where}: {check} cannot be allowed as a whole (a new defect would hide behind "
            "the known ones); allow its findings by `fingerprint`, or record them with "
            "--baseline-write."
        )
    if check is not None and check not in {c.name for c in all_checks()}:
        raise unknown_check_error(check, where)
    operation = raw.get("operation")
    if operation is not None and " /" not in operation:
        raise ConfigError(
            f'{where}: `operation` {operation!r} must look like "PUT /api/v1/credentials/{{id}}".'
        )
    return AllowEntry(
        reason=raw["reason"].strip(),
        check=check,
        operation=operation,
        fingerprint=fingerprint,
        finding=raw.get("finding"),
    )


def load_allow(path: Path) -> AllowList:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--allow {path}: cannot read it ({exc.strerror}).") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"--allow {path}: not valid YAML ({exc}).") from exc
    return parse_allow(document, str(path))
