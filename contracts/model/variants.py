"""Generated steps a few steps off the main rules: odd data values on every kind of key, ids
in other spellings, DELETEs addressed by something other than the id, names shared by two
credentials, lists in every filter variant and read again right after a write, url passwords
holding `@`, `:` or a percent-encoding, refused requests carrying fresh secrets: rules mixed
into the model's state machine.

A path naming a credential in another spelling (another case, whitespace around it, a
percent-encoded character, a suffix, its name) can only name a credential this run made: it is
let through the client's id guard for that one request (`_spelled_path`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.stateful import rule

from contracts.client import CREDENTIALS
from contracts.model.divergence import Step
from contracts.model.inputs import (
    JSON_TYPES,
    NOT_JSON_TYPES,
    SEPARATORS,
    Secret,
    SecretUrl,
    SpecialUrl,
    create_data,
    filter_lists,
    odd_data,
)
from contracts.model.state import Stored
from contracts.safety import IdTracker, absent_id

if TYPE_CHECKING:
    from contracts.model.session import Session
    from contracts.model.state import ContractModel

__all__ = ["MISADDRESSED", "REFUSALS", "SPELLINGS", "VariantRules", "spelled"]

JSON = JSON_TYPES[0]
# Other spellings of an id: only `percent*` names the same credential (RFC 3986 2.3: a
# percent-encoded unreserved character is that character); the others name none.
SPELLINGS = (
    "upper",
    "swapcase",
    "space-before",
    "space-after",
    "tab-before",
    "newline-after",
    "percent",
    "percent-lower",
    "suffix",
    "name",
)
MISADDRESSED = ("name", "suffix", "upper", "swapcase", "space-after", "tab-before", "id-in-body")
REFUSALS = (
    "unknown-field",
    "data-not-object",
    "data-array",
    "name-not-string",
    "name-empty",
    "unknown-type",
    "not-json",
    "truncated",
    "not-utf8",
    "nan",
    "array-body",
    "no-key",
    "near-miss-key",
    "token-scheme",
    "readonly",
    "foreign",
    "absent-id",
    "wrong-method",
)


def spelled(found: Stored, how: str, at: int) -> str:
    """The path segment naming `found` as `how` says (percent-encoded as sent)."""
    ident = found.id
    segment = quote(ident, safe="")
    if how in ("percent", "percent-lower"):
        i = at % len(ident)
        code = quote(ident[i], safe="") if ord(ident[i]) > 127 else f"%{ord(ident[i]):02X}"
        code = code.lower() if how == "percent-lower" else code
        return quote(ident[:i], safe="") + code + quote(ident[i + 1 :], safe="")
    respelled = {
        "upper": lambda: quote(ident.upper(), safe=""),
        "swapcase": lambda: quote(ident.swapcase(), safe=""),
        "space-before": lambda: "%20" + segment,
        "space-after": lambda: segment + "%20",
        "tab-before": lambda: "%09" + segment,
        "newline-after": lambda: segment + "%0A",
        "suffix": lambda: segment + "x",
        "name": lambda: quote(found.name, safe=""),
    }
    return respelled[how]()


@contextmanager
def _spelled_path(tracker: IdTracker, segment: str) -> Iterator[None]:
    """Let the client send `segment` as a path id for one request: a spelling of the id (or
    the name) of a credential this run made, so it names nothing of anyone else's. It is not
    left alive in the tracker (cleanup finds by name anything made under it)."""
    known = tracker.owns(segment)
    if not known:
        tracker.add(segment)
    try:
        yield
    finally:
        if not known:
            tracker.deleted(segment)


class VariantRules:
    """Rules of `contracts.model.machine`'s state machine (they use its `send`, `session`
    and `model`)."""

    if TYPE_CHECKING:
        session: Session
        model: ContractModel

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
        ) -> Step: ...

        def draw_update(self, data: st.DataObject, credential_id: str) -> dict[str, Any]: ...

    # ---- helpers ----------------------------------------------------------------------------
    def _pick(self, data: st.DataObject, among: list[Stored]) -> Stored | None:
        if not among:
            return None
        return among[data.draw(st.integers(0, len(among) - 1), "which")]

    def _fill(self, value: Any) -> Any:
        """Placeholders made real: special urls here (two fresh secrets around the
        separator), the rest by the session."""
        if isinstance(value, SpecialUrl):
            ctx = self.session.ctx
            user = "credkit-user" if value.user else ""
            password = f"{ctx.new_secret()}{value.separator}{ctx.new_secret()}"
            return f"postgresql://{user}:{password}@db.credkit.invalid:5432/app"
        if isinstance(value, dict):
            return {k: self._fill(v) for k, v in value.items()}
        return self.session.materialize(value)

    def _kind(self, data: st.DataObject, among: list[str] | None = None) -> str:
        return data.draw(st.sampled_from(among or sorted(self.session.types)), "type")

    def _created(self, step: Step) -> str | None:
        """The id a create answered, when it was judged good."""
        body = step.exchange.body
        if step.problems or step.exchange.status != 200 or not isinstance(body, dict):
            return None
        found = str(body.get("id"))
        return found if found in self.model.credentials else None

    def _fine(self, step: Step, *ids: str) -> bool:
        """Whether the sequence can go on with `ids`: the step diverged in no way and the model
        still knows them (a known divergence makes it forget what the step touched)."""
        return not step.problems and all(i in self.model.credentials for i in ids)

    def _forget(self, credential_id: str) -> None:
        """The server answered a request in another spelling of this id otherwise than the
        model: what it did to the credential is not the model's; stop using it."""
        self.model.credentials.pop(credential_id, None)

    # ---- 1. odd values on every kind of key -------------------------------------------------
    @rule(data=st.data(), op=st.sampled_from(["create", "update", "update"]))
    def odd_data(self, data: st.DataObject, op: str) -> None:
        """Create or update with `0`, `false`, `""`, `null`, numeric strings, quotes,
        backslashes, nested and empty containers on password, url, other and undeclared keys;
        sometimes 30-60 keys, rarely a long text. The read back shows what was stored."""
        session = self.session
        found = self._pick(data, self.model.live()) if op == "update" else None
        if found is None:
            kind = session.types[self._kind(data)]
            drawn = odd_data(kind, session.others[kind.name], [], update=False)
            body = {
                "name": session.name("odd"),
                "credentialName": kind.name,
                "plainDataObj": self._fill(data.draw(drawn, "data")),
            }
            self.send("odd_data", "POST", CREDENTIALS, "full", body=body, content_type=JSON)
            return
        drawn = odd_data(
            found.kind, session.others[found.kind.name], sorted(found.data), update=True
        )
        body = {"plainDataObj": self._fill(data.draw(drawn, "data"))}
        self.send(
            "odd_data", "PUT", f"{CREDENTIALS}/{found.id}", "full", body=body, content_type=JSON
        )

    # ---- 2. ids in other spellings ------------------------------------------------------------
    @rule(
        data=st.data(),
        how=st.sampled_from(SPELLINGS),
        op=st.sampled_from(["read", "read", "update", "delete"]),
    )
    def spelled_id(self, data: st.DataObject, how: str, op: str) -> None:
        """Read, update or delete a credential by its id in another case, with whitespace
        around it, with a suffix, by its name (none of them names it: 404), or with a
        percent-encoded character (the same id); then read it by its id."""
        found = self._pick(data, self.model.live())
        if found is None:
            return
        segment = spelled(found, how, data.draw(st.integers(0, 63), "at"))
        path = f"{CREDENTIALS}/{segment}"
        with _spelled_path(self.session.ctx.tracker, segment):
            if op == "update":
                body = self.draw_update(data, found.id)
                step = self.send("spelled_id", "PUT", path, "full", body=body, content_type=JSON)
            else:
                step = self.send("spelled_id", "GET" if op == "read" else "DELETE", path, "full")
        if self._fine(step, found.id):
            self.send("spelled_id", "GET", f"{CREDENTIALS}/{found.id}", "full")
        elif step.problems:
            self._forget(found.id)

    # ---- 5. a DELETE addressed by something other than the id ---------------------------
    @rule(data=st.data(), how=st.sampled_from(MISADDRESSED))
    def delete_elsewhere(self, data: st.DataObject, how: str) -> None:
        """DELETE by the name, the id with a suffix, in another case or with whitespace, or
        the id only in the body: 404, and the credential is still there (read, listed)."""
        found = self._pick(data, self.model.live())
        if found is None:
            return
        at = data.draw(st.integers(0, 63), "at")
        segment = spelled(found, "name" if how == "id-in-body" else how, at)
        body = {"id": found.id} if how == "id-in-body" else None
        with _spelled_path(self.session.ctx.tracker, segment):
            step = self.send(
                "delete_elsewhere",
                "DELETE",
                f"{CREDENTIALS}/{segment}",
                "full",
                body=body,
                content_type=JSON if body else None,
            )
        if not self._fine(step, found.id):
            self._forget(found.id)
            return
        if self._fine(self.send("delete_elsewhere", "GET", f"{CREDENTIALS}/{found.id}", "full")):
            self.send("delete_elsewhere", "GET", CREDENTIALS, "full", query=(found.kind.name,))

    # ---- 3. names shared by two live credentials ----------------------------------------
    @rule(
        data=st.data(),
        how=st.sampled_from(["create", "create", "rename"]),
        then=st.sampled_from(["delete-first", "delete-second", "rename-first", "list"]),
    )
    def shared_name(self, data: st.DataObject, how: str, then: str) -> None:
        """Two live credentials with one name (a create with a taken name, or a rename to
        one): both exist apart; deleting or renaming one leaves the other as it was."""
        live = self.model.live()
        first = self._pick(data, live)
        if first is None:
            return
        others = [c for c in live if c.id != first.id]
        second_id = self._namesake(data, first, others if how == "rename" else [])
        if second_id is None or not self._fine(
            self.send("shared_name", "GET", CREDENTIALS, "full"), first.id, second_id
        ):
            return
        one, other = (second_id, first.id) if then == "delete-second" else (first.id, second_id)
        if then.startswith("delete"):
            step = self.send("shared_name", "DELETE", f"{CREDENTIALS}/{one}", "full")
        elif then == "rename-first":
            body = {"name": self.session.name("renamed")}
            step = self.send(
                "shared_name", "PUT", f"{CREDENTIALS}/{one}", "full", body=body, content_type=JSON
            )
        else:
            step = self.send("shared_name", "GET", CREDENTIALS, "full", query=(first.kind.name,))
        if not self._fine(step, other):
            return
        kinds = (self.model.credentials[other].kind.name,)
        if self._fine(self.send("shared_name", "GET", f"{CREDENTIALS}/{other}", "full")):
            self.send("shared_name", "GET", CREDENTIALS, "full", query=kinds)

    def _namesake(self, data: st.DataObject, first: Stored, others: list[Stored]) -> str | None:
        """A second credential named as `first`: one of `others` renamed, or a new one."""
        second = self._pick(data, others)
        if second is not None:
            step = self.send(
                "shared_name",
                "PUT",
                f"{CREDENTIALS}/{second.id}",
                "full",
                body={"name": first.name},
                content_type=JSON,
            )
            return second.id if self._fine(step, second.id) else None
        same = data.draw(st.booleans(), "same type")
        kind = self.session.types[first.kind.name if same else self._kind(data)]
        plain = data.draw(create_data(kind, self.session.others[kind.name]), "data")
        body = {"name": first.name, "credentialName": kind.name, "plainDataObj": self._fill(plain)}
        return self._created(
            self.send("shared_name", "POST", CREDENTIALS, "full", body=body, content_type=JSON)
        )

    # ---- 4. lists: every filter variant, and read again right after a write ---------------
    def _filters(self, data: st.DataObject) -> tuple[str, ...]:
        # the live credentials' types first: a filter in another spelling of one shows a
        # loose match
        live = {c.kind.name for c in self.model.live()}
        used = sorted(
            (live or {c.kind.name for c in self.model.credentials.values()}) | {"noSuchType"}
        )
        catalog = sorted(self.session.ctx.catalog.names())
        return tuple(data.draw(filter_lists(used, catalog), "filters"))

    @rule(data=st.data(), auth=st.sampled_from(["full", "full", "readonly"]))
    def list_variant(self, data: st.DataObject, auth: str) -> None:
        """A list filtered by the sequence's types, any type, another case or whitespace of
        them (unknown types: the match is exact), made-up and empty types, repeats."""
        self.send("list_variant", "GET", CREDENTIALS, auth, query=self._filters(data))

    @rule(
        data=st.data(), change=st.sampled_from(["rename", "data", "both"]), filtered=st.booleans()
    )
    def list_after_write(self, data: st.DataObject, change: str, filtered: bool) -> None:
        """A list (filtered or not), a PUT to a credential it shows, the same list again: the
        second shows the write (a stale answer diverges)."""
        found = self._pick(data, self.model.live())
        if found is None:
            return
        query = (found.kind.name, *self._filters(data)) if filtered else ()
        if not self._fine(self.send("list_after_write", "GET", CREDENTIALS, "full", query=query)):
            return
        body: dict[str, Any] = {}
        if change in ("rename", "both"):
            body["name"] = self.session.name("relisted")
        if change in ("data", "both"):
            body["plainDataObj"] = {"relisted": data.draw(st.integers(0, 9), "value")}
        step = self.send(
            "list_after_write",
            "PUT",
            f"{CREDENTIALS}/{found.id}",
            "full",
            body=body,
            content_type=JSON,
        )
        if self._fine(step, found.id):
            self.send("list_after_write", "GET", CREDENTIALS, "full", query=query)

    # ---- 6. url passwords holding `@`, `:`, percent-encodings -----------------------------
    @rule(
        data=st.data(),
        separator=st.sampled_from(SEPARATORS),
        user=st.booleans(),
        op=st.sampled_from(["create", "update"]),
    )
    def special_url(self, data: st.DataObject, separator: str, user: bool, op: str) -> None:
        """A url whose password is two fresh secrets around `@`, `:` or a percent-encoding:
        the read masks all of it; what was read, sent back, keeps it (and every password)."""
        types = self.session.types
        url_kinds = [name for name in sorted(types) if types[name].urls]
        live = [c for c in self.model.live() if c.kind.urls]
        if not url_kinds:
            return
        found = self._pick(data, live) if op == "update" else None
        special = SpecialUrl(separator, user)
        if found is None:
            kind = types[self._kind(data, url_kinds)]
            plain = data.draw(create_data(kind, self.session.others[kind.name]), "data")
            plain[data.draw(st.sampled_from(sorted(kind.urls)), "key")] = special
            body = {
                "name": self.session.name("url"),
                "credentialName": kind.name,
                "plainDataObj": self._fill(plain),
            }
            made = self.send(
                "special_url", "POST", CREDENTIALS, "full", body=body, content_type=JSON
            )
            credential_id = self._created(made)
        else:
            key = data.draw(st.sampled_from(sorted(found.kind.urls)), "key")
            step = self.send(
                "special_url",
                "PUT",
                f"{CREDENTIALS}/{found.id}",
                "full",
                body={"plainDataObj": {key: self._fill(special)}},
                content_type=JSON,
            )
            credential_id = found.id if self._fine(step, found.id) else None
        if credential_id is not None:
            self._echo(f"{CREDENTIALS}/{credential_id}")

    def _echo(self, path: str) -> None:
        """Read, and send back what was read (markers and masked urls): nothing is lost."""
        shown = self.send("special_url", "GET", path, "full")
        body = shown.exchange.body
        if self._fine(shown) and isinstance(body, dict):
            self.send(
                "special_url",
                "PUT",
                path,
                "full",
                body={"plainDataObj": body.get("plainDataObj")},
                content_type=JSON,
            )

    # ---- 7. refused requests carrying fresh secrets ---------------------------------------
    @rule(data=st.data(), how=st.sampled_from(REFUSALS), op=st.sampled_from(["create", "update"]))
    def refused_with_secret(self, data: st.DataObject, how: str, op: str) -> None:
        """A request that must be refused (400, 401, 403, 404, 405, 415) whose body holds fresh
        secrets in every password input, a url and elsewhere: none shows in the answer's
        body or headers."""
        found = self._pick(data, self.model.live()) if op == "update" else None
        kind = found.kind if found is not None else self.session.types[self._kind(data)]
        plain = {
            **dict.fromkeys(sorted(kind.passwords), Secret()),
            **dict.fromkeys(sorted(kind.urls), SecretUrl()),
            "note": Secret(),
        }
        body: dict[str, Any] = {"name": self.session.name("refused"), "plainDataObj": plain}
        if found is None:
            body["credentialName"] = kind.name
        body = self._fill(body)
        path = CREDENTIALS if found is None else f"{CREDENTIALS}/{found.id}"
        method, auth = "POST" if found is None else "PUT", "full"
        content_type: str | None = JSON
        raw: bytes | None = None
        secret = self.session.ctx.new_secret()
        if how in ("no-key", "near-miss-key", "token-scheme", "readonly", "foreign"):
            # another workspace may create in its own: its key is refused only on our ids
            auth = "no-key" if how == "foreign" and found is None else how
        elif how == "absent-id":
            method, path = "PUT", f"{CREDENTIALS}/{absent_id()}"
            body.pop("credentialName", None)
        elif how == "wrong-method":
            method = data.draw(st.sampled_from(["PATCH", "POST"]), "method")
            path = f"{CREDENTIALS}/{found.id if found else absent_id()}"
        elif how == "not-json":
            content_type = data.draw(st.sampled_from(NOT_JSON_TYPES), "content type")
        else:
            body, raw = _refusable(how, body, secret)
        self.send(
            "refused_with_secret",
            method,
            path,
            auth,
            body=None if raw else body,
            raw=raw,
            content_type=content_type,
        )


def _refusable(how: str, body: dict[str, Any], secret: str) -> tuple[dict[str, Any], bytes | None]:
    """`body` broken as `how` says (a 400), `secret` in the broken part: the body, or its raw
    bytes when it is no longer JSON."""
    text = json.dumps(body, ensure_ascii=False)
    if how == "unknown-field":
        return {**body, "secret": secret}, None
    if how == "data-not-object":
        return {**body, "plainDataObj": secret}, None
    if how == "data-array":
        return {**body, "plainDataObj": [secret, body["plainDataObj"]]}, None
    if how == "name-not-string":
        return {**body, "name": {"password": secret}}, None
    if how == "name-empty":
        return {**body, "name": ""}, None
    if how == "unknown-type":  # on a PUT: a field the update does not allow
        return {**body, "credentialName": "noSuchCredentialType"}, None
    raws = {
        "truncated": text[:-1].encode(),
        "not-utf8": text[:-1].encode() + f', "x": "{secret}\xff"}}'.encode("latin-1"),
        "nan": text[:-1].encode() + f', "n": [NaN, "{secret}"]}}'.encode(),
        "array-body": f"[{text}]".encode(),
    }
    return body, raws[how]
