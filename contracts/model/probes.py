"""Generated steps for the API-security classes a real deployment gets probed for (OWASP API
Security Top 10, at the contract's level): rules mixed into the model's state machine.

- `mass_assignment` (API3): server-owned fields (`id`, `workspaceId`, `createdDate`,
  `updatedDate`, `encryptedData`) in a PUT or POST body, alone or beside valid changes: 400,
  and a read with the full key shows nothing changed.
- `auth_bypass` (API2): every operation without a key (or with a wrong one) but with the
  headers frameworks use to trust internal callers or to reroute a request
  (`x-request-from: internal`, `X-Forwarded-For`/`X-Real-IP: 127.0.0.1`, `X-Original-URL`,
  `X-HTTP-Method-Override`), or on another spelling of its path (case, `//`, `;`, a trailing
  slash, `%2e` segments, a query naming another route): never a 2xx.
- `bola` (API1): every operation by id with another workspace's key on our credentials, and
  with ours on credentials the run made in the other workspace (with its key, found in its own
  list, deleted with its key): 404 (or 403), and the owner's read shows nothing changed.

Safety: a path only ever names a credential this run created (`contracts.client`'s guard
refuses anything else); a credential the run makes in the other workspace is deleted with the
other key when the rule ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from contracts.client import CREDENTIALS, Exchange, NoAnswer, path_id
from contracts.model.divergence import Step
from contracts.model.equivalence import Timing
from contracts.model.inputs import create_data
from contracts.model.state import Call, ContractModel, Expected
from contracts.safety import absent_id

if TYPE_CHECKING:
    from contracts.model.session import Session

__all__ = ["NOT_2XX", "SERVER_FIELDS", "SecurityRules", "path_variants"]

API = "/api/v1"
PING = f"{API}/ping"
CATALOG = f"{API}/components-credentials"
NOT_2XX = frozenset(range(300, 600))  # where the contract does not pin the status
SERVER_FIELDS = ("id", "workspaceId", "createdDate", "updatedDate", "encryptedData")
WRONG_KEY = "credkit-not-a-key"
# one server-owned field two times in three, else two of them
OWNED_FIELDS = st.one_of(
    st.sampled_from(SERVER_FIELDS).map(lambda f: frozenset({f})),
    st.sampled_from(SERVER_FIELDS).map(lambda f: frozenset({f})),
    st.sets(st.sampled_from(SERVER_FIELDS), min_size=2, max_size=2).map(frozenset),
)
# Headers that make some frameworks trust a caller as internal (or local).
TRUSTING: tuple[dict[str, str], ...] = (
    {"x-request-from": "internal"},
    {"X-Forwarded-For": "127.0.0.1"},
    {"X-Real-IP": "127.0.0.1"},
    {"X-Forwarded-For": "127.0.0.1, 203.0.113.7"},
    {"x-request-from": "internal", "X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
)
REROUTING = ("X-Original-URL", "X-Rewrite-URL")
OVERRIDING = ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
OPS = ("list", "create", "read", "update", "delete", "catalog")
DATES = ("2001-02-03T04:05:06.000Z", "2999-12-31T23:59:59.000Z")
CIPHERTEXT = "U2FsdGVkX19jcmVka2l0Y3JlZGtpdGNyZWRraXRjcmVka2l0"  # "Salted__credkit..."


def path_variants(path: str) -> dict[str, list[str]]:
    """Other spellings of `path` (`/api/v1/...`) that a correct server does not serve without
    a key, by kind: case; doubled slashes and `.` segments; `..` after a route that needs no
    key; `;`; a trailing or encoded slash; a query naming a route that needs no key."""
    rest = path[len(API) :]  # "/credentials", "/credentials/<id>", "/components-credentials"
    head, _, tail = rest[1:].partition("/")
    return {
        "case": [
            "/API/V1" + rest,
            "/Api/v1" + rest,
            f"{API}/{head.upper()}" + (f"/{tail}" if tail else ""),
        ],
        "normalised": ["/" + path, f"{API}/" + rest, "/api//v1" + rest, f"{API}/%2e" + rest],
        "traversal": [f"{PING}/%2e%2e" + rest, f"{PING}/..%2f" + rest[1:]],
        "semicolon": [f"{API};" + rest, f"{API}/{head};/{tail}" if tail else path + ";"],
        "trailing": [f"{API}/{head}%2f{tail}"] if tail else [path + "/", path + "%2f"],
        "query": [f"{path}?next={PING}", f"{path}?{PING}"],
    }


def _worded(problems: list[str], expected: Expected, exchange: Exchange) -> list[str]:
    """The judge's problems, a status outside a wide expectation said as such."""
    if problems and len(expected.statuses) > 4 and problems[0].startswith("answered "):
        return [
            f"answered {exchange.status}; the model expects no 2xx answer: {expected.why}",
            *problems[1:],
        ]
    return problems


def _ids(body: Any) -> set[str]:
    if not isinstance(body, list):
        return set()
    return {str(item.get("id")) for item in body if isinstance(item, dict)}


class SecurityRules:
    """Rules of `contracts.model.machine`'s state machine (they use its `send`, `session`
    and `model`). `probe` is their one way to send, judge and report a request."""

    session: Session
    model: ContractModel
    steps: list[Step]

    if TYPE_CHECKING:

        def send(self, rule_name: str, method: str, path: str, auth: str) -> Step: ...

        def live_path(self, path: str) -> bool: ...

        def unanswered(
            self, rule_name: str, exchange: Exchange, expected: Expected | None, path: str
        ) -> Step: ...

        def target(self, data: st.DataObject) -> str: ...

        def draw_update(self, data: st.DataObject, credential_id: str) -> dict[str, Any]: ...

    # ---- sending, judging, reporting ---------------------------------------------------
    def diverged(self, step: Step, path: str) -> bool:
        """Whether `step` diverged (raising the divergence). The machine's own `diverged`, when
        it has one, takes precedence over this one."""
        if not step.problems:
            return False
        raise self.session.diverged(list(self.steps))

    def probe(
        self,
        name: str,
        rule_slug: str,
        method: str,
        path: str,
        *,
        role: str | None = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        model: ContractModel | None = None,
        statuses: frozenset[int] | None = None,
        why: str = "",
        touches: str | None = None,
        shown: str | None = None,
    ) -> Step | None:
        """Send one request (the key of `role`, or `key`; extra `headers`; `body` as JSON),
        judge its answer against `model` (the machine's by default) or, given `statuses`, an
        expectation of its own, and record the step under `name`, its expectation under
        `rule_slug`, its operation as `shown`'s (the path another spelling stands for). A
        divergence goes to `diverged` (`touches`: the credential path it concerns); the step
        when the server agreed, None when it did not or was rate-limited."""
        session, ctx = self.session, self.session.ctx
        model = model if model is not None else self.model
        raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        media = "application/json" if raw is not None else None
        used = key if key is not None else (ctx.config.key_for(role) if role else None)
        header = f"Bearer {used}" if used is not None else None
        model.step = len(self.steps) + 1
        if statuses is None:
            call = Call(method, path.split("?", 1)[0], (), header, media, raw)
            expected = replace(model.expect(call), rule=rule_slug)
        else:
            expected = Expected(statuses, why, rule=rule_slug)
        sent = datetime.now(UTC)
        try:
            exchange = ctx.api.request(
                method, path, role=role if key is None else None, key=key,
                headers=headers, content=raw, content_type=media,
            )  # fmt: skip
        except NoAnswer as exc:  # recorded as found, as the machine's `send` does
            assert exc.exchange is not None
            self.unanswered(name, exc.exchange, expected, touches or path)
            return None
        received = datetime.now(UTC)
        session.sent()
        if isinstance(body, dict):
            exchange.request_body, exchange.request_raw = body, None
        exchange.path = shown or exchange.path  # the url keeps what was sent
        made = exchange.body.get("id") if isinstance(exchange.body, dict) else None
        if method == "POST" and exchange.status == 200 and isinstance(made, str):
            ctx.tracker.add(made, role or "full", body=body)  # whatever the path: cleaned up
        step = Step(name, exchange, expected)
        self.steps.append(step)
        if exchange.status == 429:
            step.expected = None  # never judged: the client's retries ran out
            return None
        judged = session.judge(model, expected, exchange, Timing(sent, received))
        step.problems = _worded(judged, expected, exchange)
        if self.diverged(step, touches or path):
            return None
        model.commit(expected, exchange.status, exchange.body)
        return step

    def read_back(self, name: str, path: str) -> None:
        """A read with the full key after a probe on one of the sequence's live credentials:
        whatever the server answered, nothing changed."""
        if path.startswith(CREDENTIALS + "/") and self.live_path(path):
            self.send(f"{name} (read back)", "GET", path, "full")

    # ---- what the rules draw -----------------------------------------------------------
    def create_body(self, data: st.DataObject, label: str) -> dict[str, Any]:
        """A valid create body: a type of the run, data with fresh secrets, a run name."""
        session = self.session
        kind = data.draw(st.sampled_from(sorted(session.types)), "type")
        plain = data.draw(create_data(session.types[kind], session.others[kind]), "data")
        return {"name": session.name(label), "credentialName": kind,
                "plainDataObj": session.materialize(plain)}  # fmt: skip

    def operation(self, data: st.DataObject, op: str) -> tuple[str, str, Any]:
        """Method, path and body of `op` on one of the sequence's live credentials."""
        if op == "catalog":
            return "GET", CATALOG, None
        if op in ("list", "create"):
            body = self.create_body(data, "bypass") if op == "create" else None
            return ("GET" if op == "list" else "POST"), CREDENTIALS, body
        live = [c.id for c in self.model.live()] or [absent_id()]
        credential_id = data.draw(st.sampled_from(live), "id")
        path = f"{CREDENTIALS}/{credential_id}"
        if op == "update":
            return "PUT", path, self.draw_update(data, credential_id)
        return ("GET" if op == "read" else "DELETE"), path, None

    def owned_value(self, data: st.DataObject, field: str, credential_id: str) -> Any:
        """A value for a server-owned field: the sequence's own ids and workspace only (a
        server that applies it must not reach anything the run did not create)."""
        if field == "id":
            ids = [credential_id, *(c.id for c in self.model.live()), absent_id()]
            return data.draw(st.sampled_from(ids), "id value")
        if field == "workspaceId":
            return self.model.workspace
        if field == "encryptedData":
            return CIPHERTEXT
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return data.draw(st.sampled_from((*DATES, now)), "date")

    def rerouting(self, data: st.DataObject, method: str, path: str) -> tuple[str, dict[str, str]]:
        """Headers that trust, reroute or re-verb a request, and which kind they are."""
        kind = data.draw(st.sampled_from(("trust", "trust", "route", "verb")), "header kind")
        if kind == "trust":
            return kind, dict(data.draw(st.sampled_from(TRUSTING), "headers"))
        if kind == "route":
            # half the time the route that needs no key; else another of the API's
            routes = [CREDENTIALS, CATALOG, *(f"{CREDENTIALS}/{c.id}" for c in self.model.live())]
            others = st.sampled_from([r for r in routes if r != path])
            other = data.draw(st.one_of(st.just(PING), others), "route")
            return kind, {data.draw(st.sampled_from(REROUTING), "header"): other}
        verb = data.draw(st.sampled_from([m for m in METHODS if m != method]), "verb")
        return kind, {data.draw(st.sampled_from(OVERRIDING), "header"): verb}

    # ---- the rules ---------------------------------------------------------------------
    @rule(data=st.data(), fields=OWNED_FIELDS, beside=st.booleans(), create=st.booleans())
    def mass_assignment(
        self, data: st.DataObject, fields: frozenset[str], beside: bool, create: bool
    ) -> None:
        """Server-owned fields (mostly one) in a PUT or POST body, alone or beside valid
        changes: 400, and nothing changes."""
        if create:
            body = self.create_body(data, "mass")
            path, target = CREDENTIALS, ""
        else:
            target = self.target(data)
            path = f"{CREDENTIALS}/{target}"
            body = self.draw_update(data, target) if beside else {}
        owned = {f: self.owned_value(data, f, target or absent_id()) for f in sorted(fields)}
        owned = {f: v for f, v in owned.items() if v is not None} or {"createdDate": DATES[0]}
        body = {**body, **owned}
        named = owned.get("id") if create else target
        touched = f"{CREDENTIALS}/{named}" if isinstance(named, str) else path
        self.probe("mass_assignment", "mass-assignment", "POST" if create else "PUT",
                   path, role="full", body=body, touches=touched)  # fmt: skip
        self.read_back("mass_assignment", touched)

    @rule(data=st.data(), op=st.sampled_from(OPS), wrong=st.booleans())
    def auth_bypass_header(self, data: st.DataObject, op: str, wrong: bool) -> None:
        """Every operation without a valid key but with headers that make a framework trust,
        reroute or re-verb a request (or with a key that may read, re-verbed): what the
        contract answers the request as sent, and nothing changes."""
        method, path, body = self.operation(data, op)
        key = WRONG_KEY if wrong else None
        kind, headers = self.rerouting(data, method, path)
        role = None
        readonly = self.session.ctx.config.key_for("readonly")
        if kind == "verb" and op in ("read", "list") and readonly and data.draw(st.booleans()):
            role, key = "readonly", None  # a key that may read, its request re-verbed
        statuses = frozenset({401}) if op == "catalog" and role is None else None
        self.probe("auth_bypass_header", "auth-bypass-header", method, path, role=role, key=key,
                   headers=headers, body=body, statuses=statuses,
                   why="the catalog needs a valid key")  # fmt: skip
        self.read_back("auth_bypass_header", path)

    @rule(data=st.data(), op=st.sampled_from(OPS), wrong=st.booleans())
    def auth_bypass_path(self, data: st.DataObject, op: str, wrong: bool) -> None:
        """Every operation without a valid key on another spelling of its path: never a 2xx
        (the contract's 401, 404 or 405, in the error shape), and nothing changes."""
        method, path, body = self.operation(data, op)
        guard = self.session.ctx.tracker.is_safe_target
        kinds = sorted(path_variants(path).items())
        spellings = data.draw(st.sampled_from(kinds), "kind of spelling")[1]
        safe = [v for v in spellings if guard(path_id(v) or absent_id())]
        variant = data.draw(st.sampled_from(safe), "variant")
        why = f"{method} {variant} is not {path} or carries no valid key: anything but a 2xx"
        self.probe("auth_bypass_path", "auth-bypass-path", method, variant,
                   key=WRONG_KEY if wrong else None, body=body, statuses=NOT_2XX, why=why,
                   touches=path, shown=path)  # fmt: skip
        self.read_back("auth_bypass_path", path)

    @precondition(lambda self: bool(self.session.ctx.config.key_for("foreign")))
    @rule(data=st.data(), method=st.sampled_from(("GET", "PUT", "DELETE")), ours=st.booleans())
    def bola(self, data: st.DataObject, method: str, ours: bool) -> None:
        """Another workspace's key on our credentials, or ours on theirs: never found."""
        if not ours:
            self.bola_on_theirs(data, method)
            return
        ids = [c.id for c in self.model.live()] or list(self.model.credentials)
        if not ids:
            return
        credential_id = data.draw(st.sampled_from(ids), "id")
        path = f"{CREDENTIALS}/{credential_id}"
        body = self.draw_update(data, credential_id) if method == "PUT" else None
        self.probe("bola", "bola", method, path, role="foreign", body=body)
        self.read_back("bola", path)

    def bola_on_theirs(self, data: st.DataObject, method: str) -> None:
        """Make a credential in the other workspace with its key (judged by a model of that
        workspace), find it in that key's list, send `method` on it with one of our keys, and
        read it back with its key: unchanged. What it made is deleted with its key in any
        case (the run's cleanup deletes with the full key, which cannot reach it)."""
        config = self.session.ctx.config
        theirs = ContractModel({"owner": config.key_for("foreign") or ""}, self.session.types)
        start = len(self.steps)
        try:
            made = self.probe("bola", "bola-setup", "POST", CREDENTIALS, role="foreign",
                              body=self.create_body(data, "theirs"), model=theirs)  # fmt: skip
            if made is None or made.exchange.status != 200:
                return  # the other key may not create: nothing of theirs to probe
            path = f"{CREDENTIALS}/{made.exchange.body['id']}"
            listed = self.probe("bola", "bola-setup", "GET", CREDENTIALS, role="foreign",
                                model=theirs)  # fmt: skip
            if listed is None or path.rsplit("/", 1)[-1] not in _ids(listed.exchange.body):
                return
            role = data.draw(st.sampled_from([r for r in ("full", "readonly") if
                                              config.key_for(r)]), "our key")  # fmt: skip
            body = self.draw_update(data, absent_id()) if method == "PUT" else None
            if self.probe("bola", "bola", method, path, role=role, body=body) is None:
                return
            self.probe("bola (read back)", "bola", "GET", path, role="foreign", model=theirs)
        finally:
            for step in self.steps[start:]:
                if step.exchange.method == "POST" and step.exchange.status == 200:
                    self.delete_theirs(step.exchange.body)

    def delete_theirs(self, made: Any) -> None:
        """Delete what a create in the other workspace answered, with its key."""
        made_id = made.get("id") if isinstance(made, dict) else None
        if isinstance(made_id, str):
            with contextlib.suppress(Exception):  # the run's cleanup is the last resort
                self.session.ctx.api.request("DELETE", f"{CREDENTIALS}/{made_id}", role="foreign")
