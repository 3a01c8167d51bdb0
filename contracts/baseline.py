"""Baselines: the findings a target is known to have today, so a run fails only on new ones.

`credkit verify --baseline-write FILE` records every finding of a run by its fingerprint;
`--baseline FILE` reports a finding in it as allowed ("in the baseline") and fails only on the
others, and names the baseline's entries that no longer occur (fixed upstream: the file can
shrink). A team pinning a server version commits the file beside its CI job.

    # credkit baseline
    baseline:
      target: http://127.0.0.1:3000       # for people: where it was recorded
      findings:
        - fingerprint: 3f2a9c1b0d4e
          finding: "model-conformance | PUT /api/v1/credentials/{id} | ..."
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contracts.outcomes import Finding
from credkit_core import __version__
from credkit_core.errors import ConfigError

__all__ = ["Baseline", "BaselineEntry", "load_baseline", "parse_baseline", "write_baseline"]

_FINGERPRINT = re.compile(r"^[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    finding: str  # the signature: check | operation | what


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[BaselineEntry, ...]
    source: str

    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)

    @property
    def reason(self) -> str:
        return f"in the baseline {self.source}"

    def gone(self, findings: list[Finding], ran: set[str]) -> list[BaselineEntry]:
        """The entries of checks that ran whose finding did not occur this time."""
        seen = {f.fingerprint for f in findings}
        return [
            e
            for e in self.entries
            if e.fingerprint not in seen and e.finding.split(" | ", 1)[0] in ran
        ]


def parse_baseline(document: Any, source: str) -> Baseline:
    where = f"--baseline {source}"
    body = document.get("baseline") if isinstance(document, dict) else None
    findings = body.get("findings") if isinstance(body, dict) else None
    if not isinstance(findings, list):
        raise ConfigError(
            f"{where}: a baseline is a mapping `baseline:` with a list `findings:`; write one "
            "with --baseline-write."
        )
    entries = []
    for number, raw in enumerate(findings, 1):
        fingerprint = raw.get("fingerprint") if isinstance(raw, dict) else None
        finding = raw.get("finding") if isinstance(raw, dict) else None
        if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
            raise ConfigError(f"{where}: finding {number} has no valid `fingerprint`.")
        if not isinstance(finding, str):
            raise ConfigError(f"{where}: finding {number} has no `finding` (its signature).")
        entries.append(BaselineEntry(fingerprint, finding))
    return Baseline(tuple(entries), source)


def load_baseline(path: Path) -> Baseline:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"--baseline {path}: cannot read it ({exc.strerror}); record one with --baseline-write."
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"--baseline {path}: not valid YAML ({exc}).") from exc
    return parse_baseline(document, str(path))


def write_baseline(findings: list[Finding], path: Path, target: str) -> int:
    """Write `findings` (every finding of a run, allowed ones too) as a baseline; how many
    distinct entries it holds. Signatures hold no secret: no ids, values or wording."""
    unique = {f.fingerprint: f.signature for f in findings}
    document = {
        "baseline": {
            "target": target,
            "tool": f"credkit {__version__}",
            "findings": [
                {"fingerprint": fp, "finding": sig}
                for fp, sig in sorted(unique.items(), key=lambda item: item[1])
            ],
        }
    }
    text = (
        "# credkit baseline: findings known for this target. `credkit verify --baseline FILE`\n"
        "# fails only on findings not listed here. Rewrite with --baseline-write.\n"
    ) + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
    fd, tmp = tempfile.mkstemp(prefix=".credkit-baseline-", dir=path.expanduser().parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path.expanduser())
    return len(unique)
