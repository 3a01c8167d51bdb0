"""`mockserver.auth`: Bearer parsing and the key ring."""

from __future__ import annotations

import pytest

from credkit_core.fixtures.loader import ApiKey
from mockserver.auth import KeyRing, bearer_token, tokens_equal
from mockserver.responses import ApiError

KEY = ApiKey(key="k-1", workspace="w", permissions=frozenset({"credentials:view"}))


@pytest.mark.parametrize(
    ("header", "token"),
    [(b"Bearer k-1", "k-1"), (b"bearer   k-1 ", "k-1"), (b"BEARER\tk-1", "k-1")],
)
def test_bearer_tokens(header: bytes, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    "header", [None, b"", b"k-1", b"Bearer", b"Bearer ", b"Basic k-1", b"Bearerk-1"]
)
def test_bad_headers_are_401(header: bytes | None) -> None:
    with pytest.raises(ApiError) as caught:
        bearer_token(header)
    assert caught.value.status == 401 and "k-1" not in caught.value.message


def test_key_ring_authenticates_and_authorizes() -> None:
    ring = KeyRing([KEY])
    assert ring.authenticate(b"Bearer k-1") is KEY
    for wrong in (b"Bearer k-2", b"Bearer K-1", b"Bearer k-1x"):
        with pytest.raises(ApiError, match="Unknown"):
            ring.authenticate(wrong)
    KeyRing.authorize(KEY, "credentials:view")
    KeyRing.authorize(KEY, None)
    with pytest.raises(ApiError) as caught:
        KeyRing.authorize(KEY, "credentials:update")
    assert caught.value.status == 403
    assert "k-1" not in repr(ring)


def test_tokens_equal() -> None:
    assert tokens_equal("a", "a") and not tokens_equal("a", "b") and not tokens_equal("a", "ab")


def test_an_accepted_header_is_remembered_and_nothing_else_is() -> None:
    key = ApiKey(key="k-1", workspace="w", permissions=frozenset({"credentials:view"}))
    ring = KeyRing([key])
    assert ring.authenticate(b"Bearer k-1") is key
    assert ring.authenticate(b"Bearer k-1") is key  # the second time from what it remembers
    for refused in (b"Bearer k-2", b"Bearer k-1x", b"Basic k-1", b"k-1", None):
        with pytest.raises(ApiError) as caught:
            ring.authenticate(refused)
        assert caught.value.status == 401
    with pytest.raises(ApiError):  # a new ring (reset, uploaded fixtures) remembers nothing
        KeyRing([]).authenticate(b"Bearer k-1")
