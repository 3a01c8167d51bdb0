"""Reading `CREDKIT_...` environment variables: one parser per kind of value, shared by the
mock's `Config`, the suite's `VerifyConfig` and the command line, so a value means the same
wherever it is given (`CREDKIT_CORS_ORIGIN="http://a,http://b"` is two origins everywhere).
"""

from __future__ import annotations

__all__ = ["parse_bool", "parse_list"]

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_bool(raw: str) -> bool:
    """`1/true/yes/on` or `0/false/no/off` (any case); ValueError otherwise."""
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a valid bool (use true or false)")


def parse_list(raw: str) -> tuple[str, ...]:
    """Items separated by commas and/or whitespace, empty ones dropped: `"a, b c"` → a, b, c."""
    return tuple(part for part in raw.replace(",", " ").split() if part)
