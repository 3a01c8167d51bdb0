"""API keys: `Authorization: Bearer <key>` (scheme case-insensitive; a raw key is refused).

Keys are looked up by their SHA-256 digest in a dict, then confirmed with
`hmac.compare_digest`. The dict lookup's timing depends only on the digest of what the client
sent, which an attacker cannot steer towards a stored key's digest without a preimage, so the
lookup leaks nothing useful about the stored keys, and it stays O(1) however many keys a fixture
declares (comparing against each key in turn would be O(keys) per request).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from credkit_core.fixtures.loader import ApiKey
from mockserver.responses import ApiError

__all__ = ["KeyRing", "bearer_token", "tokens_equal"]

KNOWN_HEADERS = 1024


def bearer_token(header: bytes | None) -> str:
    """The token of a `Bearer` Authorization header, or ApiError(401) saying what is wrong."""
    if header is None:
        raise ApiError(401, "Missing Authorization header; send 'Authorization: Bearer <API key>'.")
    try:
        text = header.decode("latin-1").strip()
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        raise ApiError(401, "Unreadable Authorization header.") from None
    parts = text.split(None, 1)
    scheme, token = (parts[0], parts[1]) if len(parts) == 2 else (text, "")
    if not token.strip():
        if scheme.lower() == "bearer":
            raise ApiError(401, "Authorization header has no API key after 'Bearer'.")
        raise ApiError(
            401, "Authorization header has no scheme; send 'Authorization: Bearer <API key>'."
        )
    if scheme.lower() != "bearer":
        raise ApiError(
            401, "Authorization scheme must be Bearer; send 'Authorization: Bearer <API key>'."
        )
    return token.strip()


def tokens_equal(given: str, expected: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class KeyRing:
    """The known API keys, each bound to one workspace and a set of permissions."""

    __slots__ = ("_by_digest", "_known")

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._by_digest = {_digest(k.key): k for k in keys}
        # Authorization headers already accepted, as sent: a client repeats its header on every
        # request, and this skips the parse and the SHA-256 (~3% of a PUT). Only accepted
        # headers enter it (up to KNOWN_HEADERS), so an unknown key is always checked in full.
        self._known: dict[bytes, ApiKey] = {}

    def __len__(self) -> int:
        return len(self._by_digest)

    def __repr__(self) -> str:
        return f"KeyRing({len(self)} keys)"

    def authenticate(self, header: bytes | None) -> ApiKey:
        """The key named by an Authorization header, or ApiError(401)."""
        if header is not None:
            known = self._known.get(header)
            if known is not None:
                return known
        token = bearer_token(header)
        found = self._by_digest.get(_digest(token))
        if found is None or not tokens_equal(token, found.key):
            raise ApiError(401, "Unknown API key.")
        if header is not None and len(self._known) < KNOWN_HEADERS:
            self._known[header] = found
        return found

    def name_of(self, header: bytes | None) -> str | None:
        """The name of the key an Authorization header carries (never its value); None when it
        carries no known key."""
        try:
            return self.authenticate(header).name
        except ApiError:
            return None

    @staticmethod
    def authorize(key: ApiKey, permission: str | None) -> None:
        """ApiError(403) when `key` lacks `permission` (None: any valid key will do)."""
        if permission is not None and permission not in key.permissions:
            raise ApiError(403, f"This API key lacks the permission {permission!r}.")
