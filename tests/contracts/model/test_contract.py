"""The contract's pure rules: redaction, merge, url passwords, bodies, dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.model.contract import (
    BULLETS,
    MARKER,
    BodyProblem,
    TypeInputs,
    is_json_media_type,
    masked,
    merged,
    parse_body,
    parse_date,
    redacted,
    url_password,
)

KIND = TypeInputs("t", frozenset({"pw", "pw2"}), frozenset({"url"}))


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgresql://u:s3cret@h:5432/db", "s3cret"),
        ("postgresql://:s3cret@h/db", "s3cret"),
        ("postgresql://u@h/db", None),
        ("redis://h:6379", None),
        ("not a url", None),
        (42, None),
    ],
)
def test_url_password(url: object, password: str | None) -> None:
    assert url_password(url) == password


def test_masked_keeps_user_host_and_path() -> None:
    assert masked("postgresql://u:s3cret@h:5432/db") == f"postgresql://u:{BULLETS}@h:5432/db"
    assert masked("postgresql://:s3cret@h/db") == f"postgresql://:{BULLETS}@h/db"
    assert masked("redis://h:6379") == "redis://h:6379"


def test_redacted_hides_passwords_and_url_passwords_only() -> None:
    data = {"pw": "s", "pw2": None, "url": "p://u:s@h/x", "note": "kept", "password": "undeclared"}
    assert redacted(KIND, data) == {
        "pw": MARKER,
        "pw2": MARKER,
        "url": f"p://u:{BULLETS}@h/x",
        "note": "kept",
        "password": "undeclared",
    }


def test_merged_keeps_what_markers_and_masked_urls_stand_for() -> None:
    stored = {"pw": "a", "pw2": "b", "url": "p://u:s@h/x", "note": 1}
    patch = {
        "pw": MARKER,
        "pw2": MARKER,
        "url": f"p://other:{BULLETS}@elsewhere/y",
        "note": None,
        "new": {"nested": [1]},
        "never": MARKER,
    }
    assert merged(KIND, stored, patch) == {
        "pw": "a",
        "pw2": "b",
        "url": "p://u:s@h/x",
        "note": None,
        "new": {"nested": [1]},
    }


def test_merged_stores_bullets_outside_url_inputs_literally() -> None:
    value = f"p://u:{BULLETS}@h/x"
    assert merged(KIND, {}, {"note": value}) == {"note": value}


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/x+json",
    ],
)
def test_json_media_types(value: str) -> None:
    assert is_json_media_type(value)


@pytest.mark.parametrize("value", [None, "", "text/plain", "application/jsonx", "json"])
def test_other_media_types(value: str | None) -> None:
    assert not is_json_media_type(value)


def test_parse_body_duplicate_keys_last_wins() -> None:
    assert parse_body(b'{"name": "a", "name": "b"}') == {"name": "b"}


@pytest.mark.parametrize(
    "raw", [b"null", b"[]", b'"x"', b"{", b'{"n": 1e999}', b'{"n": NaN}', b'{"a": "\xff"}']
)
def test_parse_body_refuses(raw: bytes) -> None:
    with pytest.raises(BodyProblem):
        parse_body(raw)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01T14:00:00Z",
        "2026-12-01T14:00:00.000Z",
        "2026-12-01T14:00:00.000000+00:00",
        "2026-12-01T15:00:00+01:00",
    ],
)
def test_parse_date_accepts_rfc3339_variants(text: str) -> None:
    assert parse_date(text) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-12-01", "2026-12-01T14:00:00", "yesterday", 5])
def test_parse_date_refuses(text: object) -> None:
    assert parse_date(text) is None
