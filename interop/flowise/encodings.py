"""Requests that vary what the spec-driven fuzzing never varies: encodings and odd headers.

Hypothesis strategies for `differential.py`: percent-encoded and malformed paths (an id encoded
character by character, a route segment encoded, a dangling or invalid escape, a double-encoded
one, an entity), `application/x-www-form-urlencoded` bodies with `qs` bracket keys, `text/plain`
and untyped bodies, `Content-Type` with parameters (charsets, quoting, a bad parameter),
`x-request-from`, duplicated `Authorization` (`$KEY` stands for the side's own full key), and
JSON bodies broken at any place (truncated, a character dropped, inserted or replaced, a bare
scalar). Plain data: each variant is one request, sent to both servers alike.

Left out on purpose: a `<` followed by a letter in the path (`%3Cx`), which real Flowise runs
through sanitize-html's HTML parser (`<x/reveal` disappears); the profile does not reproduce it
(see `mockserver/profiles/express_http.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

__all__ = ["Variant", "creates", "updates"]

C = "/api/v1/credentials"
KEY = ("Authorization", "Bearer $KEY")
BAD_KEY = ("Authorization", "Bearer credkit-differential-unknown-key")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Variant:
    """One request: `{id}` in `path` is the pair's credential id, passed through `encode`."""

    label: str
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    encode: Callable[[str], str] = field(default=str)


def _percent_all(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


def _percent_lower(text: str) -> str:
    return "".join(f"%{b:02x}" for b in text.encode())


def _ids() -> st.SearchStrategy[tuple[str, Callable[[str], str]]]:
    """A way of writing the pair's id in the path (the real id on each side)."""
    suffixes = ["%E0%A4%A", "%", "%zz", "%2", "%C3", "%C0%AF", "%ED%A0%80", "%25zz", "%2541"]
    suffixes += ["%2F", "%2Fx", "&", "&amp;", "&#65;", "%26", "%3C%20", "%3C3", "%3E", "%20"]
    suffixes += ["%22", "%27"]
    suffixes += ["%09", "%5C", "%C2%A0", "&nbsp;"]
    return st.one_of(
        st.just(("id as is", str)),
        st.just(("id percent-encoded", _percent_all)),
        st.just(("id percent-encoded (lower case)", _percent_lower)),
        st.sampled_from(suffixes).map(lambda s: (f"id + {s!r}", lambda i, s=s: i + s)),
        # an incomplete escape in front would swallow the id's first characters
        st.sampled_from([s for s in suffixes if len(s) % 3 == 0 and s != "%E0%A4%A"]).map(
            lambda s: (f"{s!r} + id", lambda i, s=s: s + i)
        ),
        st.sampled_from(suffixes).map(lambda s: (f"only {s!r}", lambda i, s=s: s)),
    )


def _route() -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            C + "/{id}",
            "/api/v1/%63redentials/{id}",
            "/%61pi/v1/credentials/{id}",
            "/api%2Fv1/credentials/{id}",
            "/api/v1/CREDENTIALS/{id}",
            C + "/{id}/",
            C + "/{id}?x=%E0%A4%A",
            C + "/{id}?credentialName=%zz",
            C + "/{id}/reveal",
            C + "/{id}/%72eveal",
        ]
    )


def _text() -> st.SearchStrategy[str]:
    alphabet = st.sampled_from([*list("abcXYZ019 -_.~+=&%[]é\xa0😀\"'"), "%2", "%41", "%E0"])
    return st.lists(alphabet, max_size=8).map("".join)


def _form_key() -> st.SearchStrategy[str]:
    names = st.sampled_from(["formKey", "openAIApiKey", "a", "0", "1", "x y", "é", ""])
    tails = st.lists(
        st.one_of(names.map(lambda n: f"[{n}]"), st.sampled_from(["[]", "[0]", "[2]", "%5Bk%5D"])),
        max_size=3,
    )
    heads = st.sampled_from(["plainDataObj", "plainDataObj", "name", "credentialName", "other"])
    return st.tuples(heads, tails).map(lambda ht: ht[0] + "".join(ht[1]))


def _form() -> st.SearchStrategy[bytes]:
    pair = st.one_of(
        st.tuples(_form_key(), _text()).map(lambda kv: f"{kv[0]}={kv[1]}"),
        _form_key(),
    )
    return st.lists(pair, min_size=1, max_size=5).map(lambda ps: "&".join(ps).encode())


def _valid_json() -> st.SearchStrategy[str]:
    value = st.one_of(_text(), st.integers(-5, 10**6), st.booleans(), st.none())
    data = st.dictionaries(st.sampled_from(["openAIApiKey", "note", "n", "é"]), value, max_size=3)
    body = st.fixed_dictionaries({}, optional={"name": _text(), "plainDataObj": data})
    return body.map(lambda b: json.dumps(b, ensure_ascii=False))


def _broken_json() -> st.SearchStrategy[bytes]:
    def broken(text: str, how: str, at: float, char: str) -> bytes:
        i = int(at * len(text))
        if how == "truncate":
            text = text[:i]
        elif how == "drop":
            text = text[:i] + text[i + 1 :]
        elif how == "insert":
            text = text[:i] + char + text[i:]
        else:
            text = text[:i] + char + text[i + 1 :]
        return text.encode()

    chars = st.sampled_from([*list('{}[]",: -+.eE0tfnx\\\t\x01'), "é", "😀", "\ufeff"])
    mutated = st.builds(
        broken,
        _valid_json(),
        st.sampled_from(["truncate", "drop", "insert", "replace"]),
        st.floats(0, 1),
        chars,
    )
    scalars = st.sampled_from(
        [
            b"null",
            b'"hello"',
            b"42",
            b"true",
            b" null",
            b'\n"x"',
            b"-",
            b"hello",
            b"nope",
            b'"' + b"a" * 30 + b'"',
            b"  " + b"9" * 25,
            b"[object Object]",
            b"\xef\xbb\xbfnull",
        ]
    )
    return st.one_of(mutated, mutated, scalars)


def _content_type(media: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            media,
            media + "; charset=utf-8",
            media + "; charset=UTF-8",
            media + ';charset="utf-8"',
            media + "; charset=latin1",
            media + "; charset=utf8",
            media + "; foo=bar",
            media + ";",
            media + "; charset",
            media.upper(),
            " " + media,
        ]
    )


def _headers() -> st.SearchStrategy[list[tuple[str, str]]]:
    """Authorization and x-request-from, as odd as a client may send them."""
    return st.sampled_from(
        [
            [KEY],
            [KEY, ("x-request-from", "internal")],
            [KEY, ("x-request-from", "Internal")],
            [KEY, ("x-request-from", "internal"), ("x-request-from", "internal")],
            [("x-request-from", "internal")],
            [KEY, BAD_KEY],
            [BAD_KEY, KEY],
            [("Authorization", "$KEY")],
            [("Authorization", "bearer $KEY")],
            [("Authorization", "")],
        ]
    )


def _body() -> st.SearchStrategy[tuple[str, list[tuple[str, str]], bytes | None]]:
    """(what it is, content headers, body)."""
    json_ok = st.tuples(st.just("JSON"), _content_type(JSON), _valid_json().map(str.encode))
    broken = st.tuples(st.just("broken JSON"), _content_type(JSON), _broken_json())
    form = st.tuples(st.just("form"), _content_type(FORM), _form())
    text = st.tuples(
        st.just("text/plain"), st.sampled_from(["text/plain", "text/plain; charset=utf-8"]), _form()
    )
    return st.one_of(
        json_ok.map(lambda t: (t[0], [("Content-Type", t[1])], t[2])),
        broken.map(lambda t: (t[0], [("Content-Type", t[1])], t[2])),
        form.map(lambda t: (t[0], [("Content-Type", t[1])], t[2])),
        text.map(lambda t: (t[0], [("Content-Type", t[1])], t[2])),
        _valid_json().map(lambda b: ("untyped JSON", [], b.encode())),
        st.just(("no body", [], None)),
    )


def updates() -> st.SearchStrategy[Variant]:
    """A PUT, GET or DELETE-free request on the pair's credential, encoded oddly."""

    def build(
        method: str,
        route: str,
        ident: tuple[str, Callable[[str], str]],
        auth: list[tuple[str, str]],
        body: tuple[str, list[tuple[str, str]], bytes | None],
    ) -> Variant:
        kind, content, payload = body
        if method == "GET":
            kind, content, payload = "no body", [], None
        label = f"{method} encoded ({kind})"
        return Variant(label, method, route, auth + content, payload, ident[1])

    return st.builds(
        build, st.sampled_from(["PUT", "PUT", "GET"]), _route(), _ids(), _headers(), _body()
    )


def creates() -> st.SearchStrategy[Variant]:
    """A POST whose body is a form, broken JSON or untyped, with odd headers."""

    def build(
        auth: list[tuple[str, str]], body: tuple[str, list[tuple[str, str]], bytes | None]
    ) -> Variant:
        kind, content, payload = body
        return Variant(f"POST, {kind}", "POST", C, auth + content, payload)

    form_create = _form().map(
        lambda extra: (
            "form create",
            [("Content-Type", FORM)],
            b"name=Form+made&credentialName=openAIApi&plainDataObj[openAIApiKey]=sk-form&" + extra,
        )
    )
    return st.builds(build, _headers(), st.one_of(_body(), form_create))
