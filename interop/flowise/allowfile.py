"""Writes `contracts/allow/flowise-3.1.yaml` from JSON reports of `credkit verify` runs against
real Flowise: one entry per finding's fingerprint (never a whole check), with the documented
departure it is (flowise-3.1-behaviour.md) as its reason.

    python -m interop.flowise.allowfile reports/verify.json [more.json ...]

Several reports (runs with other seeds) are merged, and so are the entries the file already
has, so the departures a single run meets only now and then are in the file too. A finding
no reason below matches gets the fallback reason and is printed: read it, and add a reason
here if it is a departure, or report it if not.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from contracts.outcomes import Finding, fingerprint, route_shape

__all__ = ["REASONS", "main", "reason_for", "write"]

REPO = Path(__file__).resolve().parents[2]
MODEL = "model-conformance"
TARGET = REPO / "contracts/allow/flowise-3.1.yaml"

_UNVALIDATED = "No request validation: bodies breaking the schema are stored or fail in SQLite"
# (pattern on a finding's signature, reason) — the first that matches; from the behaviour doc
REASONS: list[tuple[str, str]] = [
    (r"not refused first",
     "Express parses the body (and looks the id up) before the key: a malformed body is 400 and "
     "an unknown id 500 whatever the key."),
    (r"listed N times",
     "A repeated credentialName filter is matched per value: the same credential is listed "
     "once per repetition."),
    (r"name is a non-empty string|name is …",
     "No validation of name: a number, \"\" or a name another request sent is stored and "
     "answered as is (duplicate JSON keys: the parser keeps the first)."),
    (r"body-too-large",
     "The body limit is 50 MB, not 1 MiB; a body over the contract's limit fails later (500)."),
    (r"create: expected 200, got 500",
     "Some valid creates fail in SQLite with 500 (a NOT NULL or UNIQUE constraint)."),
    (r"no-secret-in-responses \| POST",
     "No validation of name: a create whose name is an object holding a secret (the contract "
     "refuses it with 400) is stored and the name echoed back, secret and all."),
    (r"raw-key not refused|auth-required \|",
     "The key is the Authorization header split on 'Bearer ', last part: a raw key without a "
     "scheme is accepted on every route."),
    (r"case variant of Bearer|auth-scheme-case",
     "'bearer <key>' (lower case) is not split off: the whole header is looked up as a key (401)."),
    (r"readonly refused with 403|readonly-can-read",
     "GET by id needs credentials:create or credentials:update: a view-only key gets 403."),
    (r"error body|error-shape|response_schema_conformance",
     "401 and 403 bodies are {\"error\":\"Unauthorized Access\"} and {\"message\":\"Forbidden\"}, "
     "not the Error shape."),
    (r"marker|stored data|update-stored-data|masked-url|echo",
     "The redaction marker (and a masked url) sent back is stored literally: the secret is lost "
     "(the UI strips markers before saving; the server does not)."),
    (r"type-change",
     "PUT credentialName changes the type unvalidated, and a read redacts by the new type."),
    (r"concurrent|race",
     "updateCredential is read-decrypt-merge-save without a lock: concurrent updates are lost."),
    (r"deleted-id: expected 404, got 200|use_after_free|DELETE .*absent-id|unknown-id-404 \| "
     r"DELETE",
     "DELETE of an unknown or already deleted id is 200 {\"raw\":[],\"affected\":0}."),
    (r"-id: expected 404, got 500|unknown-id|positive_data_acceptance|bola.*500",
     "An unknown id (or another workspace's) is re-wrapped as 500 'Credential <id> not found'."),
    (r"method-not-allowed|unsupported_method|auth-bypass-path|wrong_method",
     "Unmatched methods and routes under /api/v1 fall through to the UI page (200 text/html); "
     "DELETE and PUT /api/v1/credentials without an id are routed: 412 'id not provided!'."),
    (r"body-required|missing-body",
     "body-parser turns no body into {} (PUT: 200; POST: SQLite NOT NULL, 500); a whitespace "
     "JSON body is a JSON.parse error (400)."),
    (r"body-media-type|non-json",
     "No media-type check: non-JSON bodies are ignored or parsed as forms (PUT 200, POST 500)."),
    (r"check-order|permission: readonly|auth-required: .* not refused",
     "Express parses the body before the key is looked at: malformed JSON is 400 whatever the "
     "key; rejected bodies of absent ids are 500."),
    (r"body-malformed|body-schema|malformed-json|wrong-types|unknown-fields|mass-assignment|"
     r"negative_data_rejection|not_a_server_error|create: 200|id-exact", _UNVALIDATED + "."),
    (r"content_type_conformance", "Flowise answers ping with res.send('pong'): text/html."),
    (r"bola|foreign", "Open-source Flowise has one workspace: another key's ids are not refused "
     "as the contract's 404."),
]  # fmt: skip
FALLBACK = "A departure of stock Flowise 3.1.4 met by credkit verify (see interop/flowise)."


def reason_for(signature: str) -> str | None:
    for pattern, reason in REASONS:
        if re.search(pattern, signature):
            return reason
    return None


def _again(signature: str) -> dict[str, str]:
    """A report's signature as this credkit computes it (so reports of an older run count)."""
    check, operation, detail = signature.split(" | ", 2)
    if check != MODEL:  # the detail is derived from `observed`: keep the recorded one
        again = f"{check} | {route_shape(operation)} | {detail}"
        return {fingerprint(again): again}
    finding = Finding(check, operation, "", "", detail=detail)
    return {finding.fingerprint: finding.signature}


def write(reports: list[Path], target: Path = TARGET) -> list[str]:
    """Write the allow file from `reports`; the signatures only the fallback reason covers."""
    found: dict[str, str] = {}
    if target.exists():  # what earlier runs found stays: a departure is not fixed by chance
        for entry in yaml.safe_load(target.read_text(encoding="utf-8")).get("allow") or []:
            if entry.get("fingerprint") and entry.get("finding"):
                found[entry["fingerprint"]] = entry["finding"]
    for report in reports:
        data = json.loads(report.read_text(encoding="utf-8"))
        for check in data["checks"]:
            for finding in check["findings"]:
                found.update(_again(finding["signature"]))
        for finding in data.get("setupFindings", []):
            found.update(_again(finding["signature"]))
    unexplained = []
    entries = []
    for fp, signature in sorted(found.items(), key=lambda item: item[1]):
        reason = reason_for(signature)
        if reason is None:
            unexplained.append(signature)
        entries.append({"fingerprint": fp, "finding": signature,
                        "reason": reason or FALLBACK})  # fmt: skip
    header = (
        "# Known departures of stock Flowise 3.1.4 (npm, SQLite) from credkit's contract, one\n"
        "# entry per finding (fingerprint), never a whole check: a new departure fails the run.\n"
        "# With it, `credkit verify --allow contracts/allow/flowise-3.1.yaml` against a stock\n"
        "# Flowise 3.1.4 (full key + credentials:view key, --secret-key) exits 0.\n"
        f"# Written by `python -m interop.flowise.allowfile` from {len(reports)} run(s) of\n"
        "# interop/flowise/run.py; reasons from /work/shared/reference/flowise-3.1-behaviour.md.\n"
    )
    text = yaml.safe_dump({"allow": entries}, sort_keys=False, allow_unicode=True, width=1000)
    target.write_text(header + text, encoding="utf-8")
    return unexplained


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    unexplained = write([Path(a) for a in argv])
    for signature in unexplained:
        print(f"no documented reason: {signature}")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
