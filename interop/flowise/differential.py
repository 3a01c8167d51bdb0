"""Differential fuzzing: the same generated request sequences sent to real Flowise and the mock.

    python -m interop.flowise.differential --examples 30      # starts a fresh Flowise itself
    python -m interop.flowise.differential --base-url URL --key full=K --key view=K

A hypothesis state machine draws request bodies from the spec with schemathesis (positive and
negative generation: wrong types, unknown fields, malformed bodies, odd auth headers) and runs
create → update / get / reveal / list → delete sequences. Every request goes to both servers;
ids are mapped pairwise, and each pair of answers is compared as the replay test compares
(status, content type, body keys, types and values, decrypted stored data). Differences are
collected, not raised, and summarised at the end; values of stored data are never printed.
Not part of CI: it needs the real server.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, multiple, rule
from schemathesis.core import NOT_SET

from credkit_core.catalog import MARKER, default_catalog, mask_url_password
from interop.flowise import encodings, server
from interop.flowise.recording import compare, scrub
from interop.flowise.replay import MOCK_KEYS, MOCK_PASSPHRASE, InProcessClient
from interop.flowise.scenario import Exchange, Requester, Run
from mockserver.profiles.v8_json import strict_violation, syntax_error

__all__ = ["Differential", "main", "run_differential"]

C = "/api/v1/credentials"
Headers = dict[str, str] | list[tuple[str, str]]
_QUOTE_FREE = re.compile(r"Unexpected token in JSON at position (\d+)")


@dataclass
class Side:
    """One server: how to reach it, its keys and passphrase, and its ids by pair name."""

    client: Requester
    keys: dict[str, str]
    passphrase: str | None
    ids: dict[str, str] = field(default_factory=dict)

    def send(
        self,
        method: str,
        path: str,
        headers: Headers,
        body: bytes | None,
        encode: Callable[[str], str] = str,
    ) -> Exchange:
        for name, value in self.ids.items():
            path = path.replace(f"${{{name}}}", encode(value))
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
        pairs = [(k, v.replace("$KEY", self.keys["full"])) for k, v in pairs]
        if "authorization" not in {k.lower() for k, _ in pairs}:
            pairs.append(("Authorization", f"Bearer {self.keys['full']}"))
        response = self.client.request(method, path, headers=pairs, content=body)
        content_type = response.headers.get("content-type", "")
        parsed: Any = response.text
        if "json" in content_type:
            with contextlib.suppress(ValueError):
                parsed = response.json()
        return Exchange(
            "fuzz", method, path, dict(pairs), None, response.status_code, content_type, parsed
        )

    def scrub(self, exchange: Exchange) -> dict[str, Any]:
        run = Run(keys=self.keys, variables=dict(self.ids), exchanges=[exchange])
        return scrub(run, self.passphrase)[0]


@dataclass
class Differential:
    """Both servers and what the run found."""

    real: Side
    mock: Side
    requests: int = 0
    differences: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    pairs: int = 0
    unsendable: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # "<label> <real status>"
    deliberate: Counter[str] = field(default_factory=Counter)  # house-rule departures, checked

    def both(
        self, label: str, method: str, path: str, case: Any = None, *, own_auth: bool = True
    ) -> str | None:
        """Send one request to both servers and compare them; the pair name when it created a
        credential on both."""
        headers: dict[str, str] = {}
        body: bytes | None = None
        if case is not None:
            headers = {
                k: v
                for k, v in (case.headers or {}).items()
                if isinstance(v, str) and (own_auth or k.lower() != "authorization")
            }
            if case.body is not NOT_SET:
                raw = case.body
                body = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
                headers.setdefault("Content-Type", case.media_type or "application/json")
        return self.send_pair(label, method, path, headers, body)

    def send_pair(
        self,
        label: str,
        method: str,
        path: str,
        headers: Headers,
        body: bytes | None,
        encode: Callable[[str], str] = str,
    ) -> str | None:
        """Send one request to both servers and compare the answers; the pair name when it
        created a credential on both."""
        try:
            real = self.real.send(method, path, headers, body, encode)
            mock = self.mock.send(method, path, headers, body, encode)
        except httpx.LocalProtocolError:  # a generated header no HTTP client may send
            self.unsendable += 1
            return None
        self.requests += 1
        self.statuses[f"{label} {real.status}"] += 1
        created = None
        ids = [a.body.get("id") if isinstance(a.body, dict) else None for a in (real, mock)]
        if method == "POST" and all(isinstance(i, str) for i in ids):
            self.pairs += 1
            created = f"p{self.pairs}"
            for side, answer in ((self.real, real), (self.mock, mock)):
                side.ids[created] = answer.body["id"]
                side.ids.setdefault("workspace", answer.body.get("workspaceId", ""))
        self._compare(label, self.real.scrub(real), self.mock.scrub(mock), body, path)
        return created

    def _quoting_departure(self, real: Any, mock: Any, body: bytes | None) -> bool:
        """Whether the two answers differ only as the house rule makes them: the real server's
        parser message quotes the body and the mock's names the position instead. Checked by
        rendering V8's message for the body at the mock's position: it must be the real one."""
        answers = (real["response"], mock["response"])
        if body is None or any(
            a["status"] != 400 or not isinstance(a["body"], dict) for a in answers
        ):
            return False
        found = _QUOTE_FREE.fullmatch(str(answers[1]["body"].get("message")))
        if found is None:
            return False
        text = body.decode("utf-8", "replace").removeprefix("\ufeff")
        if text.lstrip(" \t\r\n")[:1] not in ("{", "["):  # body-parser's strict mode
            return strict_violation(text) == answers[0]["body"].get("message")
        error = syntax_error(text)
        if error is None or not error.quotes_text or error.position != int(found.group(1)):
            return False
        return error.message() == answers[0]["body"].get("message")

    def _compare(
        self, label: str, real: Any, mock: Any, body: bytes | None, path: str = ""
    ) -> None:
        expected, actual = copy.deepcopy(real), copy.deepcopy(mock)
        if self._quoting_departure(expected, actual, body):
            self.deliberate[f"{label}: parser message without the body's text"] += 1
            actual["response"]["body"]["message"] = expected["response"]["body"]["message"]
        for key in _withheld(expected["response"]["body"], actual["response"]["body"]):
            self.deliberate[f"{label}: a secret withheld ({key})"] += 1
        result = compare(expected, actual)
        for line in result.differences + result.withheld:
            where = line.split(":", 1)[0]
            shown = where if ".decrypted" in where else line  # never print stored values
            key = f"{label}: {shown}"
            self.differences[key] += 1
            if key not in self.examples and ".decrypted" not in where:
                shown_body = (body or b"")[:200].decode("utf-8", "replace")
                self.examples[key] = f"{path} {shown_body}"


def _withheld(real: Any, mock: Any) -> list[str]:
    """Keys of `plainDataObj` the real server answered in clear and the mock masked (the house
    rule: a type change or an empty type shows secrets on real Flowise); the mock's answer is
    then taken as the real one, so that nothing else can hide behind it."""
    if not (isinstance(real, dict) and isinstance(mock, dict)):
        return []
    theirs, ours = real.get("plainDataObj"), mock.get("plainDataObj")
    if not (isinstance(theirs, dict) and isinstance(ours, dict)):
        return []
    ctype = default_catalog().get(str(mock.get("credentialName")))
    declared = {i["name"] for i in ctype.raw.get("inputs", [])} if ctype is not None else set()
    found = []
    for key, value in theirs.items():
        masked = ours.get(key)
        if key in declared or value == masked:  # the type's own redaction is never a departure
            continue
        if masked == MARKER or (isinstance(value, str) and masked == mask_url_password(value)):
            ours[key] = value
            found.append(key)
    return found


def machine_for(diff: Differential) -> type[RuleBasedStateMachine]:
    import schemathesis
    from schemathesis.generation.modes import GenerationMode

    from credkit_core.resources import CREDENTIALS_SPEC

    schema = schemathesis.openapi.from_path(CREDENTIALS_SPEC)
    post, put = schema[C]["POST"], schema[f"{C}/{{id}}"]["PUT"]
    valid_creates = post.as_strategy(GenerationMode.POSITIVE)
    invalid_creates = post.as_strategy(GenerationMode.NEGATIVE)
    valid_updates = put.as_strategy(GenerationMode.POSITIVE, path_parameters={"id": "x"})
    invalid_updates = put.as_strategy(GenerationMode.NEGATIVE, path_parameters={"id": "x"})

    class SideBySide(RuleBasedStateMachine):
        pairs = Bundle("pairs")

        # Valid cases use the run's key (schemathesis fills in a made-up Bearer token);
        # invalid ones keep whatever Authorization header was generated.
        @rule(target=pairs, case=valid_creates)
        def create(self, case: Any) -> Any:
            created = diff.both("POST", "POST", C, case, own_auth=False)
            return created if created is not None else multiple()

        @rule(target=pairs, case=invalid_creates)
        def create_invalid(self, case: Any) -> Any:
            created = diff.both("POST", "POST", C, case)
            return created if created is not None else multiple()

        @rule(pair=pairs, case=valid_updates)
        def update(self, pair: str, case: Any) -> None:
            diff.both("PUT", "PUT", f"{C}/${{{pair}}}", case, own_auth=False)

        @rule(pair=pairs, case=invalid_updates)
        def update_invalid(self, pair: str, case: Any) -> None:
            diff.both("PUT", "PUT", f"{C}/${{{pair}}}", case)

        @rule(pair=pairs)
        def get(self, pair: str) -> None:
            diff.both("GET by id", "GET", f"{C}/${{{pair}}}")

        @rule(pair=pairs)
        def reveal(self, pair: str) -> None:
            diff.both("GET reveal", "GET", f"{C}/${{{pair}}}/reveal")

        @rule(target=pairs, variants=st.lists(encodings.creates(), min_size=1, max_size=3))
        def create_encoded(self, variants: list[encodings.Variant]) -> Any:
            made = [diff.send_pair(v.label, "POST", C, v.headers, v.body) for v in variants]
            created = [name for name in made if name is not None]
            return multiple(*created)

        @rule(pair=pairs, variants=st.lists(encodings.updates(), min_size=1, max_size=6))
        def update_encoded(self, pair: str, variants: list[encodings.Variant]) -> None:
            for v in variants:
                path = v.path.replace("{id}", f"${{{pair}}}")
                diff.send_pair(v.label, v.method, path, v.headers, v.body, v.encode)

        @rule(pair=pairs)
        def delete(self, pair: str) -> None:
            diff.both("DELETE", "DELETE", f"{C}/${{{pair}}}")
            diff.both("GET list", "GET", C)

    return SideBySide


def run_differential(real: Side, mock: Side, examples: int) -> Differential:
    """Run `examples` generated sequences against both sides; return what differed."""
    from hypothesis.stateful import run_state_machine_as_test

    diff = Differential(real, mock)
    run_state_machine_as_test(
        machine_for(diff),
        settings=settings(
            max_examples=examples,
            stateful_step_count=8,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    return diff


def _mock_side() -> Side:
    from interop.flowise.replay import FIXTURES
    from mockserver.app import create_app
    from mockserver.config import Config

    config = Config(
        profile="flowise-3.1", fixtures=FIXTURES, secret_key=MOCK_PASSPHRASE, access_log=False
    )
    return Side(InProcessClient(create_app(config)), dict(MOCK_KEYS), MOCK_PASSPHRASE)


def _report(diff: Differential) -> int:
    print(
        f"{diff.requests} request pairs, {diff.pairs} credentials created on both sides, "
        f"{diff.unsendable} generated requests unsendable"
    )
    print(
        "answers (real status):", ", ".join(f"{k} ×{n}" for k, n in sorted(diff.statuses.items()))
    )
    for key, count in sorted(diff.deliberate.items()):
        print(f"deliberate (house rule), checked: {count}× {key}")
    if not diff.differences:
        print("no differences")
        return 0
    print(f"{sum(diff.differences.values())} differences, {len(diff.differences)} kinds:")
    for key, count in diff.differences.most_common():
        print(f"  {count:4}× {key}")
        if key in diff.examples:
            print(f"         e.g. {diff.examples[key]!r}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a running, fresh Flowise (else one is started)")
    parser.add_argument("--key", action="append", default=[], metavar="ROLE=KEY")
    parser.add_argument("--passphrase", default=server.PASSPHRASE)
    parser.add_argument("--examples", type=int, default=30, help="generated sequences")
    args = parser.parse_args(argv)
    mock = _mock_side()
    if args.base_url:
        keys = dict(item.split("=", 1) for item in args.key)
        with httpx.Client(base_url=args.base_url, timeout=60) as client:
            diff = run_differential(Side(client, keys, args.passphrase), mock, args.examples)
    else:
        home = server.default_home()
        server.install(home)
        with server.start(home) as running, httpx.Client(base_url=running.url, timeout=60) as c:
            real = Side(c, running.keys, server.PASSPHRASE)
            diff = run_differential(real, mock, args.examples)
    return _report(diff)


if __name__ == "__main__":
    sys.exit(main())
