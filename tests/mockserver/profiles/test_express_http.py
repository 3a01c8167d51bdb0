"""How Node, Express and body-parser read a request (mockserver/profiles/express_http.py); the
expected values were observed on real Flowise 3.1.4 or printed by Node 20."""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess

import pytest

from mockserver.profiles.express_http import (
    decode_param,
    decode_uri,
    header,
    pathname,
    read_body,
    sanitized_url,
)
from mockserver.responses import ApiError

NODE = shutil.which("node")


def test_node_keeps_the_first_authorization_and_joins_other_repeats() -> None:
    headers = [
        (b"authorization", b"Bearer first"),
        (b"x-request-from", b"internal"),
        (b"Authorization", b"Bearer second"),
        (b"x-request-from", b"internal"),
    ]
    assert header(headers, b"authorization") == "Bearer first"
    assert header(headers, b"x-request-from") == "internal, internal"
    assert header(headers, b"content-type") is None


@pytest.mark.parametrize(
    ("url", "decoded"),
    [
        ("/api/v1/%63redentials", "/api/v1/credentials"),
        ("/a%2Fb%2fc", "/a%2Fb%2fc"),  # reserved characters stay encoded
        ("/a%25zz", "/a%zz"),
        ("/a%C3%A9?x=%26", "/aé?x=%26"),
        ("/a%20b%3Cc", "/a b<c"),
    ],
)
def test_decode_uri(url: str, decoded: str) -> None:
    assert decode_uri(url) == decoded


@pytest.mark.parametrize("url", ["/%E0%A4%A", "/%", "/%zz", "/%C3", "/%ED%A0%80", "/x?q=%E0"])
def test_decode_uri_refuses_what_javascript_refuses(url: str) -> None:
    with pytest.raises(ValueError, match="URI malformed"):
        decode_uri(url)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_decode_uri_agrees_with_node() -> None:
    rng = random.Random(3)
    pieces = [
        "a",
        "/",
        "%2F",
        "%25",
        "%41",
        "%C3%A9",
        "%E0%A4%A",
        "%",
        "%zz",
        "%F0%9F%98%80",
        "%3F",
    ]
    urls = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(2000)]
    script = (
        "const l=require('fs').readFileSync(0,'utf8').split('\\n').filter(Boolean);"
        "process.stdout.write(l.map(x=>{try{return JSON.stringify(decodeURI(JSON.parse(x)))}"
        "catch(e){return '\"!\"'}}).join('\\n')+'\\n')"
    )
    run = subprocess.run(
        [str(NODE), "-e", script],
        input="\n".join(json.dumps(u) for u in urls) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    for url, line in zip(urls, run.stdout.split("\n"), strict=False):
        try:
            mine = decode_uri(url)
        except ValueError:
            mine = "!"
        assert mine == json.loads(line), url


@pytest.mark.parametrize(
    ("url", "sanitized"),
    [
        ("/a&b", "/a&amp;b"),
        ("/a&amp;b", "/a&amp;b"),
        ("/a&#65;b", "/aAb"),
        ("/a&copyx", "/a©x"),
        ("/a< b", "/a&lt; b"),
        ("/a>b", "/a&gt;b"),
        ("/a\"b'c", "/a\"b'c"),
        ("/a&AMP;b", "/a&amp;b"),
    ],
)
def test_sanitize_html_on_a_url_without_tags(url: str, sanitized: str) -> None:
    assert sanitized_url(url) == sanitized


def test_a_parameter_that_does_not_decode_is_400_naming_it() -> None:
    assert decode_param("a%2Fb") == "a/b"
    with pytest.raises(ApiError) as caught:
        decode_param("%zz")
    assert (caught.value.status, caught.value.message) == (400, "Failed to decode param '%zz'")


def _read(content_type: str | None, body: bytes, *extra: tuple[bytes, bytes]) -> object:
    headers = [(b"content-length", str(len(body)).encode()), *extra]
    if content_type is not None:
        headers.append((b"content-type", content_type.encode()))
    try:
        return read_body(headers, body)
    except ApiError as exc:
        return (exc.status, exc.message)


@pytest.mark.parametrize(
    ("content_type", "outcome"),
    [
        ("application/json", ("json", '{"name":"x"}')),
        ("Application/JSON", ("json", '{"name":"x"}')),
        ('application/json; charset="UTF-8"', ("json", '{"name":"x"}')),
        ("application/json; charset", ("", {})),  # type-is refuses the header: not parsed
        ("application/json;", ("", {})),
        ("application/vnd.api+json", ("", {})),
        ("text/plain", ("", {})),
        (None, ("", {})),
        ("application/json; charset=latin1", (415, 'unsupported charset "LATIN1"')),
        ("application/json; charset=utf-9", (415, 'unsupported charset "UTF-9"')),
    ],
)
def test_which_parser_takes_a_json_body(content_type: str | None, outcome: object) -> None:
    assert _read(content_type, b'{"name":"x"}') == outcome


def test_forms_charsets_bom_and_content_encodings() -> None:
    form = "application/x-www-form-urlencoded"
    assert _read(form, b"name=x&plainDataObj[k]=v") == (
        "form",
        {"name": "x", "plainDataObj": {"k": "v"}},
    )
    assert _read(form + "; charset=utf8", b"name=x") == (415, 'unsupported charset "UTF8"')
    assert _read(form, b"&".join([b"a=1"] * 1001)) == (413, "too many parameters")
    assert _read(form, b"a" + b"[b]" * 33 + b"=1") == (400, "The input exceeded the depth")
    assert _read("application/json", b'\xef\xbb\xbf{"a":1}') == ("json", '{"a":1}')
    assert _read("application/json", b'{"a":"\xff"}') == ("json", '{"a":"\ufffd"}')
    zipped = gzip.compress(b'{"a":1}')
    assert _read("application/json", zipped, (b"content-encoding", b"gzip")) == ("json", '{"a":1}')
    assert _read("application/json", b"{}", (b"content-encoding", b"br")) == (
        415,
        'unsupported content encoding "br"',
    )
    assert _read("text/plain", b"x", (b"content-encoding", b"br")) == ("", {})


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/a/b?c=d", "/a/b"),
        ("/a/ ", "/a/"),  # printed by parseurl in Node 20
        (" /a/b ", "/a/b"),
        ("/a/\u2028 ", "/a/\u2028"),
        ("/a\xa0", "/a"),
        ("/a\\b c?x\\y", "/a/b%20c"),
        ('/a b"<>', "/a%20b%22%3C%3E"),
        ("/a\\b", "/a\\b"),  # no space: parseurl reads it itself
        ("/a#b?c", "/a"),
    ],
)
def test_pathname_as_parseurl_reads_it(url: str, path: str) -> None:
    assert pathname(url) == path
