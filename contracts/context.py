"""What a check works with: the client, the run's identity, secrets and how to report.

`CheckContext` creates credentials (named and tracked), generates unique secrets (registered for
scanning and scrubbing), reads and updates, and turns unexpected answers into `Finding`s.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from contracts.client import CREDENTIALS, Api, Exchange
from contracts.config import VerifyConfig
from contracts.outcomes import Abort, Finding, SetupRefused
from contracts.safety import IdTracker, Redactor, mask_body, run_name
from credkit_core.catalog import Catalog, CredentialType

__all__ = ["CheckContext", "describe", "pick_type"]


def describe(exchange: Exchange, redactor: Redactor | None = None) -> str:
    """`status 500, Content-Type ..., body {...}` with data values masked and truncated."""
    if isinstance(exchange.body, list):  # a listing: other people's names are not ours to print
        text = f"[a JSON array of {len(exchange.body)} items]"
    elif exchange.body is not None:
        text = json.dumps(mask_body(exchange.body), ensure_ascii=False)
    else:
        text = exchange.content.decode("utf-8", "replace")
    if len(text) > 300:
        text = text[:300] + "..."
    content_type = exchange.headers.get("content-type", "(none)")
    out = f"status {exchange.status}, Content-Type {content_type}, body {text or '(empty)'}"
    return redactor(out) if redactor else out


def pick_type(catalog: Catalog, *kinds: str) -> CredentialType:
    """The first catalog type that has an input of each of `kinds` (e.g. `password`, `string`)."""
    for entry in catalog.entries:
        types = {i.get("type") for i in entry.get("inputs", [])}
        if all(kind in types for kind in kinds):
            return catalog[entry["name"]]
    raise LookupError(f"no credential type in the catalog has inputs of types {kinds}")


def input_of(ctype: CredentialType, kind: str) -> str:
    """The name of the first input of `ctype` of type `kind`."""
    return str(next(i["name"] for i in ctype.raw["inputs"] if i["type"] == kind))


@dataclass
class CheckContext:
    """Everything a running check may use."""

    config: VerifyConfig
    api: Api
    run_id: str
    tracker: IdTracker
    redactor: Redactor
    catalog: Catalog
    secrets: set[str] = field(default_factory=set, repr=False)  # never shown
    findings: list[Finding] = field(default_factory=list)
    check_name: str = ""
    mode: str = "verify"  # verify | fuzz
    gone: bool = False  # the server stopped answering mid-run (nothing more is sent)
    # fingerprints of findings already expected (--baseline, allow entries naming one): the
    # model resynchronises on them and explores on instead of stopping
    expected: frozenset[str] = frozenset()
    exploration: dict[str, int] = field(default_factory=dict)  # the model's, for the report
    schema_findings: int = 0  # distinct schemathesis findings so far (for progress)
    started: float = field(default_factory=time.monotonic)  # when the run began
    stopping: threading.Event = field(default_factory=threading.Event)  # interrupted: wind down
    schema_beside: bool = False  # schemathesis runs beside the active checks (--concurrency)
    # the check's latest PUT and GET by id (reset for each check): a finding about what a read
    # shows after an update reproduces both (`update_then_read`)
    last_update: Exchange | None = None
    last_read: Exchange | None = None
    _counter: int = 0

    # ---- values -------------------------------------------------------------------------
    def label(self, what: str) -> str:
        self._counter += 1
        return f"{self.check_name or 'run'}-{what}-{self._counter}"

    def new_secret(self, what: str = "secret", *, scanned: bool = True) -> str:
        """A unique secret value, registered for scrubbing and (unless `scanned` is False, for a
        check that scans for it itself) for the passive `no-secret-in-responses` scan. (The
        scan finds values of this shape only: `contracts.secrets._SECRET_SHAPE`.)"""
        value = f"credkit-secret-{uuid.uuid4().hex}"
        if scanned:
            self.secrets.add(value)
        self.redactor.add_secret(value)
        return value

    def new_url(self, scheme: str = "postgresql") -> tuple[str, str]:
        """A url with a fresh secret password, and that password."""
        password = f"Pw{uuid.uuid4().hex}"
        self.secrets.add(password)
        self.redactor.add_secret(password)
        return f"{scheme}://credkit-user:{password}@db.credkit.invalid:5432/app", password

    # ---- reporting ----------------------------------------------------------------------
    def fail(
        self,
        requirement: str,
        observed: str,
        exchange: Exchange | None = None,
        *,
        operation: str | None = None,
        curl: str | None = None,
    ) -> None:
        """Record a finding; `curl` (a reproduction) defaults to `exchange`'s."""
        if curl is None and exchange is not None:
            curl = exchange.curl()
        self.findings.append(
            Finding(
                check=self.check_name,
                operation=operation or (exchange.operation if exchange else "-"),
                requirement=self.redactor(requirement),
                observed=self.redactor(observed),
                curl=self.redactor(curl) if curl else None,
                status=exchange.status if exchange else None,
            )
        )

    def expect(
        self,
        ok: bool,
        requirement: str,
        observed: str,
        exchange: Exchange | None = None,
        *,
        curl: str | None = None,
    ) -> bool:
        if not ok:
            self.fail(requirement, observed, exchange, curl=curl)
        return ok

    def expect_status(self, exchange: Exchange, expected: int | set[int], requirement: str) -> bool:
        wanted = {expected} if isinstance(expected, int) else expected
        if exchange.status in wanted:
            return True
        self.fail(requirement, describe(exchange), exchange)
        return False

    def describe(self, exchange: Exchange) -> str:
        return describe(exchange, self.redactor)

    def update_then_read(self) -> str | None:
        """The check's latest PUT and the GET after it as one reproduction (None before any):
        for a finding about what a read shows after an update."""
        steps = [e for e in (self.last_update, self.last_read) if e is not None]
        if not steps:
            return None
        return "\n".join([steps[0].curl(), *(e.curl(setup=False) for e in steps[1:])])

    # ---- requests -----------------------------------------------------------------------
    def create(
        self, ctype: CredentialType | str, data: dict[str, Any], what: str = "cred"
    ) -> dict[str, Any]:
        """Create a credential for the check (setup): its body, or Abort with a finding."""
        type_name = ctype if isinstance(ctype, str) else ctype.name
        body = {
            "name": run_name(self.run_id, self.label(what)),
            "credentialName": type_name,
            "plainDataObj": data,
        }
        exchange = self.api.request("POST", CREDENTIALS, json_body=body)
        if exchange.status in (401, 403):
            raise SetupRefused(
                f"creating a credential was refused with {exchange.status}: the --api-key "
                "(CREDKIT_API_KEY) must hold credentials:create/view/update/delete"
            )
        if (
            exchange.status != 200
            or not isinstance(exchange.body, dict)
            or "id" not in exchange.body
        ):
            self.fail(
                "setup: creating a valid credential must answer 200 with the credential",
                self.describe(exchange),
                exchange,
            )
            raise Abort()
        result: dict[str, Any] = exchange.body
        return result

    def read(self, credential_id: str, role: str = "full") -> dict[str, Any]:
        """GET a credential by id: its body, or Abort with a finding."""
        exchange = self.api.request("GET", f"{CREDENTIALS}/{credential_id}", role=role)
        self.last_read = exchange
        if exchange.status != 200 or not isinstance(exchange.body, dict):
            self.fail(
                "reading a credential this run created must answer 200 with the credential",
                self.describe(exchange),
                exchange,
            )
            raise Abort()
        result: dict[str, Any] = exchange.body
        return result

    def update(self, credential_id: str, body: Any, role: str = "full") -> Exchange:
        exchange = self.api.request(
            "PUT", f"{CREDENTIALS}/{credential_id}", json_body=body, role=role
        )
        self.last_update, self.last_read = exchange, None
        return exchange

    def update_ok(self, credential_id: str, body: Any, requirement: str) -> dict[str, Any]:
        """PUT that must succeed: its body, or Abort with a finding."""
        exchange = self.update(credential_id, body)
        if exchange.status != 200 or not isinstance(exchange.body, dict):
            self.fail(requirement, self.describe(exchange), exchange)
            raise Abort()
        result: dict[str, Any] = exchange.body
        return result

    def plain_data(self, credential: dict[str, Any]) -> dict[str, Any] | None:
        """Decrypted `encryptedData` of a create/update answer (needs --secret-key)."""
        from credkit_core.crypto import decrypt_json

        if not self.config.secret_key:
            return None
        value = credential.get("encryptedData")
        try:
            data = decrypt_json(str(value), self.config.secret_key)
        except ValueError as exc:
            self.fail(
                "encryptedData decrypts with the server's passphrase (--secret-key) "
                "to a JSON object",
                f"could not decrypt: {exc}",
                operation="-",
            )
            raise Abort() from exc
        return data
