"""The stateful, generated, differential test: a hypothesis state machine that sends each
generated request to the server under test *and* asks the model, and compares after every step.

Every step goes through the suite's client (`Api`): the run's keys, its id guard (only the
run's own credentials and `credkit-absent-...` ids), `credkit-verify-<run>-` names, 429s waited
out, every exchange shown to the passive checks. A divergence raises `Divergence` with the
steps so far; hypothesis then shrinks the sequence to the shortest that still shows it.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlencode

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from contracts.client import CREDENTIALS, Exchange, NoAnswer
from contracts.model.contract import BODY_LIMIT
from contracts.model.divergence import (
    MODEL_CHECK,
    Divergence,
    Step,
    Stopped,
    divergence_detail,
    divergence_details,
    divergence_fingerprints,
)
from contracts.model.equivalence import Timing
from contracts.model.inputs import (
    AUTHS,
    JSON_TYPES,
    NOT_JSON_TYPES,
    auths,
    auths_for,
    create_data,
    malformed,
    name_suffixes,
    update_bodies,
)
from contracts.model.probes import SecurityRules
from contracts.model.session import Session
from contracts.model.state import Call, ContractModel, Expected
from contracts.model.variants import VariantRules
from contracts.safety import absent_id

__all__ = [
    "MODEL_CHECK",
    "Divergence",
    "Session",
    "Step",
    "Stopped",
    "divergence_detail",
    "divergence_details",
    "divergence_fingerprints",
    "machine_for",
]


ROLE_OPS = ("list", "list", "read", "read", "update", "delete")  # reads weigh double


def _broken(how: str, body: dict[str, Any]) -> tuple[bytes | None, str | None]:
    """`body` broken as `how` says: the raw bytes and the Content-Type to send them with."""
    text = json.dumps(body, ensure_ascii=False)
    raw: dict[str, bytes | None] = {
        "no-body": None,
        "whitespace-body": b"  \n\t ",
        "null-body": b"null",
        "array-body": f"[{text}]".encode(),
        "string-body": json.dumps(text).encode(),
        "truncated": text[:-1].encode(),
        "not-utf8": text[:-1].encode() + b', "x": "\xff\xfe"}',
        "overflowing-number": text[:-1].encode() + b', "plainDataObj": {"n": 1e999}}',
        "nan-literal": text[:-1].encode() + b', "plainDataObj": {"n": NaN}}',
        "unknown-field": json.dumps({**body, "id": "x"}, ensure_ascii=False).encode(),
        "empty-name": json.dumps({**body, "name": ""}, ensure_ascii=False).encode(),
        "null-name": json.dumps({**body, "name": None}, ensure_ascii=False).encode(),
        "number-name": json.dumps({**body, "name": 7}, ensure_ascii=False).encode(),
        "null-data": json.dumps({**body, "plainDataObj": None}, ensure_ascii=False).encode(),
        "array-data": json.dumps({**body, "plainDataObj": [1]}, ensure_ascii=False).encode(),
        "oversized": json.dumps({**body, "plainDataObj": {"pad": "x" * BODY_LIMIT}}).encode(),
    }
    return raw[how], "application/json"


def machine_for(session: Session) -> type[RuleBasedStateMachine]:
    """The state machine class for one run (its rules close over `session`)."""
    ctx = session.ctx
    config = ctx.config
    roles = {r for r in ("full", "readonly", "foreign") if config.key_for(r)}
    kinds = st.sampled_from(sorted(session.types))
    any_auth = auths(roles)
    own_auth = auths(roles - {"foreign"})  # never create in another workspace
    others_ = [a for a in auths_for(roles) if a != "full"]
    keyed = [a for a in ("readonly", "foreign") if a in others_]
    other_auth = st.sampled_from(keyed * 6 + others_)  # the other keys often, every variant
    suffixes = name_suffixes()
    names = suffixes.map(session.name)  # (one strategy: update bodies are cached by it)
    catalog_names = st.sampled_from(sorted(ctx.catalog.names()))

    def type_filters(used: list[str]) -> st.SearchStrategy[str]:
        """credentialName filters: the sequence's types, or any type of the catalog (other
        workspaces' credentials are of any type)."""
        return st.one_of(st.sampled_from(used), catalog_names)

    class ModelMachine(SecurityRules, VariantRules, RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.session = session
            keys = {r: config.key_for(r) or "" for r in ("full", "readonly", "foreign")}
            self.model = ContractModel(keys, session.types)
            self.steps: list[Step] = []
            session.started()

        # ---- sending and judging -------------------------------------------------------
        def send(
            self,
            rule_name: str,
            method: str,
            path: str,
            auth: str,
            *,
            body: Any = None,
            raw: bytes | None = None,
            content_type: str | None = None,
            query: tuple[str, ...] = (),
            judged: bool = True,
        ) -> Step:
            role, scheme, change = AUTHS[auth]
            key = config.key_for(role) if role else None
            if change == "near" and key:
                key += "0"
            elif change == "empty":
                key = ""
            header = f"{scheme} {key}".strip() if key is not None else None
            if body is not None:
                raw = json.dumps(body, ensure_ascii=False).encode()
            full_path = path + (
                "?" + urlencode([("credentialName", q) for q in query]) if query else ""
            )
            call = Call(method, path, query, header, content_type, raw)
            self.model.step = len(self.steps) + 1
            expected = self.model.expect(call) if judged else None
            if session.stopped:
                raise Stopped()
            sent = datetime.now(UTC)
            try:
                exchange = ctx.api.request(
                    method,
                    full_path,
                    role=role if change == "" else None,
                    key=key if change else None,
                    scheme=scheme,
                    content=raw,
                    content_type=content_type,
                )
            except NoAnswer as exc:
                assert exc.exchange is not None
                return self.unanswered(rule_name, exc.exchange, expected, path)
            received = datetime.now(UTC)
            session.sent()
            if isinstance(body, dict):
                exchange.request_body, exchange.request_raw = body, None
            step = Step(rule_name, exchange, expected, auth=auth)
            self.steps.append(step)
            if expected is None or exchange.status == 429:
                step.expected = None  # never judged: the client's retries ran out
                return step
            step.problems = session.judge(self.model, expected, exchange, Timing(sent, received))
            if self.diverged(step, path):
                return step
            self.model.commit(expected, exchange.status, exchange.body)
            if expected.kind == "created" and exchange.status == 200 and isinstance(body, dict):
                ctx.tracker.add(str(exchange.body["id"]), "full", body=body)
            if expected.kind in ("created", "updated") and exchange.status == 200:
                # a read after every write: what was stored, as a client sees it
                written = str(exchange.body["id"]) if expected.kind == "created" else path
                item = written if written.startswith(CREDENTIALS) else f"{CREDENTIALS}/{written}"
                self.send(f"{rule_name} (read back)", "GET", item, "full")
            elif method in ("PUT", "DELETE") and self.live_path(path):
                # a rejected request changes nothing
                self.send(f"{rule_name} (read back)", "GET", path, "full")
            return step

        def diverged(self, step: Step, path: str) -> bool:
            """Whether `step` diverged: a new divergence stops the sequence; a known one (seen
            earlier, or expected) resynchronises the model: the credentials the step touched
            are forgotten (what the server did to them is not the model's), and on it goes."""
            if not step.problems:
                return False
            if session.diverges(list(self.steps)):
                raise session.diverged(list(self.steps))
            self.forget(step, path)
            return True

        def forget(self, step: Step, path: str) -> None:
            """Forget the credentials a divergent step may have touched: the one it expected,
            and any the path names in whatever spelling (case, spaces, percent-encoding)."""
            named = path.rsplit("/", 1)[-1] if path.startswith(CREDENTIALS + "/") else ""
            spelled = unquote(named).strip().lower()
            for credential_id in list(self.model.credentials):
                lowered = credential_id.lower()
                if credential_id == named or (
                    spelled and (lowered in spelled or spelled in lowered)
                ):
                    self.model.credentials.pop(credential_id)
            if step.expected is not None and step.expected.credential is not None:
                self.model.credentials.pop(step.expected.credential.id, None)

        def unanswered(
            self, rule_name: str, exchange: Exchange, expected: Expected | None, path: str
        ) -> Step:
            step = Step(rule_name, exchange, expected,
                        [f"no answer within {config.timeout:g}s"])  # fmt: skip
            self.steps.append(step)
            session.no_answer(list(self.steps))
            self.forget(step, path)
            return step

        def live_path(self, path: str) -> bool:
            return any(path == f"{CREDENTIALS}/{c.id}" for c in self.model.live())

        def targets(self) -> list[str]:
            return list(self.model.credentials) or [absent_id()]

        def target(self, data: st.DataObject) -> str:
            """Mostly a credential of the sequence (live or deleted), sometimes an absent id."""
            ids = self.targets()
            pick = data.draw(st.integers(0, len(ids) + len(ids) // 4), "id")
            return ids[pick] if pick < len(ids) else absent_id()

        def draw_update(self, data: st.DataObject, credential_id: str) -> dict[str, Any]:
            found = self.model.credentials.get(credential_id)
            kind = found.kind.name if found else data.draw(kinds, "type")
            drawn = data.draw(update_bodies(session.types[kind], session.others[kind], names))
            return session.materialize(drawn)  # type: ignore[no-any-return]

        # ---- the rules ------------------------------------------------------------------
        @initialize(kind=kinds, suffix=suffixes, data=st.data())
        def start(self, kind: str, suffix: str, data: st.DataObject) -> None:
            """Every sequence starts with a credential to work on."""
            self.create(kind, suffix, data, "full", JSON_TYPES[0])

        @rule(
            kind=kinds,
            suffix=suffixes,
            data=st.data(),
            auth=own_auth,
            ct=st.sampled_from(JSON_TYPES),
        )
        def create(self, kind: str, suffix: str, data: st.DataObject, auth: str, ct: str) -> None:
            plain = data.draw(create_data(session.types[kind], session.others[kind]), "data")
            body = {"name": session.name(suffix), "credentialName": kind,
                    "plainDataObj": session.materialize(plain)}  # fmt: skip
            self.send("create", "POST", CREDENTIALS, auth, body=body, content_type=ct)

        @rule(
            kind=st.one_of(kinds, st.just("noSuchCredentialType")), how=malformed(), auth=own_auth
        )
        def create_malformed(self, kind: str, how: str, auth: str) -> None:
            body = {"name": session.name("bad"), "credentialName": kind,
                    "plainDataObj": {"k": "v", "password": session.ctx.new_secret()}}  # fmt: skip
            raw, ct = _broken(how, body)
            self.send("create_malformed", "POST", CREDENTIALS, auth, raw=raw, content_type=ct)

        @rule(data=st.data(), auth=any_auth, ct=st.sampled_from(JSON_TYPES), dup=st.booleans())
        def update(self, data: st.DataObject, auth: str, ct: str, dup: bool) -> None:
            credential_id = self.target(data)
            body = self.draw_update(data, credential_id)
            path = f"{CREDENTIALS}/{credential_id}"
            if dup and body:  # a duplicate key before the real one: the last one wins
                decoy = json.dumps({"name": session.name("decoy")}, ensure_ascii=False)[:-1]
                raw = (decoy + ", " + json.dumps(body, ensure_ascii=False)[1:]).encode()
                step = self.send("update", "PUT", path, auth, raw=raw, content_type=ct)
                step.exchange.request_body, step.exchange.request_raw = None, raw
                return
            self.send("update", "PUT", path, auth, body=body, content_type=ct)

        @rule(data=st.data(), how=malformed(), auth=any_auth)
        def update_malformed(self, data: st.DataObject, how: str, auth: str) -> None:
            credential_id = self.target(data)
            body = self.draw_update(data, credential_id) or {"name": session.name("x")}
            raw, ct = _broken(how, body)
            self.send("update_malformed", "PUT", f"{CREDENTIALS}/{credential_id}", auth,
                      raw=raw, content_type=ct)  # fmt: skip

        @rule(data=st.data(), auth=any_auth, ct=st.sampled_from(NOT_JSON_TYPES))
        def update_not_json(self, data: st.DataObject, auth: str, ct: str | None) -> None:
            credential_id = self.target(data)
            body = self.draw_update(data, credential_id)
            raw = json.dumps(body, ensure_ascii=False).encode()
            self.send("update_not_json", "PUT", f"{CREDENTIALS}/{credential_id}", auth,
                      raw=raw, content_type=ct)  # fmt: skip

        @rule(data=st.data(), auth=any_auth)
        def read(self, data: st.DataObject, auth: str) -> None:
            self.send("read", "GET", f"{CREDENTIALS}/{self.target(data)}", auth)

        @rule(data=st.data(), auth=any_auth)
        def list_(self, data: st.DataObject, auth: str) -> None:
            used = sorted({c.kind.name for c in self.model.credentials.values()} | {"noSuchType"})
            filters = data.draw(st.lists(type_filters(used), max_size=3), "filters")
            self.send("list", "GET", CREDENTIALS, auth, query=tuple(filters))

        @rule(data=st.data(), auth=any_auth)
        def delete(self, data: st.DataObject, auth: str) -> None:
            self.send("delete", "DELETE", f"{CREDENTIALS}/{self.target(data)}", auth)

        @rule(data=st.data(), then=st.sampled_from(["read", "update", "delete", "list"]),
              auth=any_auth)  # fmt: skip
        def after_delete(self, data: st.DataObject, then: str, auth: str) -> None:
            """Delete a credential, then use it again: it is gone for good."""
            live = [c.id for c in self.model.live()]
            if not live:
                return
            path = f"{CREDENTIALS}/{data.draw(st.sampled_from(live), 'id')}"
            self.send("after_delete", "DELETE", path, "full")
            if then == "list":
                self.send("after_delete", "GET", CREDENTIALS, auth)
            elif then == "update":
                body = self.draw_update(data, path.rsplit("/", 1)[-1])
                self.send("after_delete", "PUT", path, auth, body=body, content_type=JSON_TYPES[0])
            else:
                self.send("after_delete", "GET" if then == "read" else "DELETE", path, auth)

        @rule(data=st.data(), op=st.sampled_from(ROLE_OPS),
              auth=other_auth)  # fmt: skip
        def as_role(self, data: st.DataObject, op: str, auth: str) -> None:
            """Every other role (view-only, another workspace, no key, a near-miss key, other
            schemes, case variants of Bearer) on every operation on a live credential; a read
            with the full key follows a refused write."""
            live = self.model.live()
            if not live:
                return
            found = live[data.draw(st.integers(0, len(live) - 1), "which")]
            path = f"{CREDENTIALS}/{found.id}"
            if op == "list":
                kinds_ = sorted({c.kind.name for c in live} | {"noSuchType"})
                least = 1 if auth == "foreign" else 0  # another workspace filtering by ours
                filters = data.draw(
                    st.lists(type_filters(kinds_), min_size=least, max_size=3), "filters"
                )
                self.send("as_role", "GET", CREDENTIALS, auth, query=tuple(filters))
            elif op == "update":
                body = self.draw_update(data, found.id)
                self.send("as_role", "PUT", path, auth, body=body, content_type=JSON_TYPES[0])
            else:
                self.send("as_role", "GET" if op == "read" else "DELETE", path, auth)

        @rule(data=st.data(), auth=any_auth,
              where=st.sampled_from([("PATCH", "item"), ("POST", "item"), ("PUT", "collection"),
                                     ("DELETE", "collection")]))  # fmt: skip
        def wrong_method(self, data: st.DataObject, auth: str, where: tuple[str, str]) -> None:
            method, target = where
            path = CREDENTIALS if target == "collection" else f"{CREDENTIALS}/{self.target(data)}"
            self.send("wrong_method", method, path, auth)

        @rule(data=st.data(), rename=st.booleans(), suffix=suffixes)
        def echo(self, data: st.DataObject, rename: bool, suffix: str) -> None:
            """Read a credential and send what was read back (markers, masked urls and all),
            perhaps with a new name: nothing may be lost."""
            live = [c.id for c in self.model.live()]
            if not live:
                return
            path = f"{CREDENTIALS}/{data.draw(st.sampled_from(live), 'id')}"
            shown = self.send("echo", "GET", path, "full").exchange.body
            if not isinstance(shown, dict) or not self.live_path(path):
                return  # a known divergence: the model no longer knows this credential
            body: dict[str, Any] = {"plainDataObj": shown.get("plainDataObj")}
            if rename:
                body["name"] = session.name(suffix)
            self.send("echo", "PUT", path, "full", body=body, content_type=JSON_TYPES[0])

        @rule(data=st.data(), suffix=suffixes)
        def race(self, data: st.DataObject, suffix: str) -> None:
            """A rename racing a data update of one credential: both apply, whatever the order."""
            live = [c.id for c in self.model.live()]
            if not live:
                return
            found = self.model.credentials[data.draw(st.sampled_from(live), "id")]
            drawn = data.draw(
                update_bodies(found.kind, session.others[found.kind.name], st.nothing())
            )
            patch = session.materialize(drawn).get("plainDataObj") or {"raced": True}
            bodies: list[dict[str, Any]] = [{"name": session.name(suffix)}, {"plainDataObj": patch}]
            self.raced(found.id, bodies)

        def raced(self, credential_id: str, bodies: list[dict[str, Any]]) -> None:
            found = self.model.credentials[credential_id]
            after = self.model.concurrent(found, bodies)
            barrier = threading.Barrier(len(bodies))
            path = f"{CREDENTIALS}/{credential_id}"

            def one(body: dict[str, Any]) -> Exchange:
                barrier.wait(timeout=config.timeout)
                return ctx.api.request("PUT", path, json_body=body)

            if session.stopped:
                raise Stopped()
            with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
                try:
                    answers = list(pool.map(one, bodies))
                except NoAnswer as exc:
                    assert exc.exchange is not None
                    self.unanswered("race", exc.exchange, None, path)
                    return
            latest = found.updated
            for exchange in answers:
                step = Step(
                    "race",
                    exchange,
                    Expected(frozenset({200}), "both racing PUTs apply", "updated", rule="race"),
                )
                self.steps.append(step)
                if exchange.status == 429:
                    continue
                if exchange.status != 200:
                    step.problems = [f"answered {exchange.status}; the model expects 200: "
                                     "a PUT racing another applies"]  # fmt: skip
                    self.diverged(step, path)
                    return
                from contracts.model.contract import parse_date

                moment = (
                    parse_date(exchange.body.get("updatedDate"))
                    if isinstance(exchange.body, dict)
                    else None
                )
                latest = max(filter(None, [latest, moment]), default=None)
            if any(a.status == 429 for a in answers):
                self.model.credentials.pop(credential_id)  # state unknown: stop using it
                return
            after.updated = latest
            self.model.credentials[credential_id] = after
            self.send("race", "GET", path, "full")

        def teardown(self) -> None:
            if session.stopped:
                return
            for found in self.model.live():
                try:
                    ctx.api.request("DELETE", f"{CREDENTIALS}/{found.id}")
                except Exception:  # cleanup at the end of the run tries again
                    continue

    ModelMachine.__name__ = "ModelMachine"
    return ModelMachine
