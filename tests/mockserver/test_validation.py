"""`mockserver.validation`: media types, body parsing and schema messages."""

from __future__ import annotations

import pytest

from mockserver.responses import ApiError
from mockserver.validation import MAX_DEPTH, is_json_media_type, parse_body


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"application/json", True),
        (b"Application/JSON; charset=UTF-8", True),
        (b"application/vnd.api+json", True),
        (b"application/json-seq", False),
        (b"text/json", False),
        (b"", False),
        (None, False),
    ],
)
def test_json_media_types(value: bytes | None, expected: bool) -> None:
    assert is_json_media_type(value) is expected


def test_depth_limit_is_exact() -> None:
    ok = b'{"a":' * (MAX_DEPTH - 1) + b"1" + b"}" * (MAX_DEPTH - 1)
    assert isinstance(parse_body(ok), dict)
    too_deep = b'{"a":' * MAX_DEPTH + b"[]" + b"}" * MAX_DEPTH
    with pytest.raises(ApiError, match="nested too deeply"):
        parse_body(too_deep)


def test_many_siblings_are_not_too_deep() -> None:
    wide = b'{"a": [' + b",".join([b"[]"] * 500) + b"]}"
    assert len(parse_body(wide)["a"]) == 500


def test_messages_never_quote_the_body() -> None:
    for body in (b'{"k": "sk-hidden', b'{"k": sk-hidden}', b"\xffsk-hidden"):
        with pytest.raises(ApiError) as caught:
            parse_body(body)
        assert caught.value.status == 400 and "sk-hidden" not in caught.value.message
