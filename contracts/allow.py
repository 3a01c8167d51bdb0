"""Allow files: deviations a team has accepted, reported as "allowed" instead of failed.

    allow:
      - check: <check name>                              # required
        operation: "PUT /api/v1/credentials/{id}"        # optional; omitted = any operation
        reason: "why this deviation is accepted"         # required

Unknown check names, unknown keys and missing fields are errors (exit 2) naming the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contracts.checks import all_checks, unknown_check_error
from credkit_core.errors import ConfigError

__all__ = ["AllowEntry", "AllowList", "load_allow", "parse_allow"]

_KEYS = {"check", "operation", "reason"}


@dataclass(frozen=True, slots=True)
class AllowEntry:
    check: str
    reason: str
    operation: str | None = None

    def matches(self, check: str, operation: str) -> bool:
        return self.check == check and (
            self.operation is None or _norm(self.operation) == _norm(operation)
        )


def _norm(operation: str) -> str:
    method, _, path = operation.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


@dataclass(frozen=True, slots=True)
class AllowList:
    entries: tuple[AllowEntry, ...] = ()
    source: str = "<none>"

    def reason_for(self, check: str, operation: str) -> str | None:
        for entry in self.entries:
            if entry.matches(check, operation):
                return entry.reason
        return None


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
    known = {c.name for c in all_checks()}
    entries = []
    for index, raw in enumerate(document["allow"], start=1):
        where = f"{source}: entry {index}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} is not a mapping with `check` and `reason`.")
        extra = set(raw) - _KEYS
        if extra:
            raise ConfigError(
                f"{where}: unknown key(s) {sorted(extra)}; allowed are check, operation, reason."
            )
        for required in ("check", "reason"):
            if not isinstance(raw.get(required), str) or not raw[required].strip():
                raise ConfigError(
                    f"{where}: `{required}` is required and must be a non-empty string."
                )
        if raw["check"] not in known:
            raise unknown_check_error(raw["check"], where)
        operation = raw.get("operation")
        if operation is not None and (not isinstance(operation, str) or " /" not in operation):
            raise ConfigError(
                f"{where}: `operation` {operation!r} must look like "
                '"PUT /api/v1/credentials/{id}".'
            )
        entries.append(
            AllowEntry(check=raw["check"], reason=raw["reason"].strip(), operation=operation)
        )
    return AllowList(tuple(entries), source)


def load_allow(path: Path) -> AllowList:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--allow {path}: cannot read it ({exc.strerror}).") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"--allow {path}: not valid YAML ({exc}).") from exc
    return parse_allow(document, str(path))
