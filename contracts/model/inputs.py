"""What the generated sequences send: hypothesis strategies spanning the contract's input space.

Values that must be unique secrets are drawn as placeholders (`Secret`, `SecretUrl`) and made
real by the state machine when it sends them, so every secret is fresh and registered for
scrubbing; the rest (names, data, keys, bodies) is drawn here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from contracts.model.contract import BULLETS, MARKER, TypeInputs

__all__ = [
    "AUTHS",
    "JSON_TYPES",
    "NOT_JSON_TYPES",
    "MaskedUrl",
    "Secret",
    "SecretUrl",
    "auths",
    "auths_for",
    "create_data",
    "malformed",
    "name_suffixes",
    "update_bodies",
    "values",
]


@dataclass(frozen=True)
class Secret:
    """A fresh secret value (made when sent)."""


@dataclass(frozen=True)
class SecretUrl:
    """A url with a fresh secret password; `user` False gives `scheme://:pw@host`."""

    user: bool = True


@dataclass(frozen=True)
class MaskedUrl:
    """A url whose password is the six bullets, as a read shows it; possibly another host or
    path than the stored one (the stored value is kept all the same)."""

    user: bool = True
    host: str = "db.credkit.invalid"
    path: str = "/app"

    def text(self) -> str:
        user = "credkit-user" if self.user else ""
        return f"postgresql://{user}:{BULLETS}@{self.host}:5432{self.path}"


# Authorization variants: name -> (role whose key is used or None, scheme, key transform).
# `full`, `readonly`, `foreign` authenticate; the others must be 401.
AUTHS: dict[str, tuple[str | None, str, str]] = {
    "full": ("full", "Bearer", ""),
    "full-lowercase-scheme": ("full", "bearer", ""),
    "full-uppercase-scheme": ("full", "BEARER", ""),
    "full-mixedcase-scheme": ("full", "BeArEr", ""),
    "readonly": ("readonly", "Bearer", ""),
    "foreign": ("foreign", "Bearer", ""),
    "no-key": (None, "", ""),
    "token-scheme": ("full", "Token", ""),
    "basic-scheme": ("full", "Basic", ""),
    "raw-key": ("full", "", ""),
    "near-miss-key": ("full", "Bearer", "near"),
    "empty-bearer": (None, "Bearer", "empty"),
}

JSON_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/vnd.credkit+json",
)
NOT_JSON_TYPES = (None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx")


def auths_for(available: set[str]) -> list[str]:
    """The Authorization variants the run has keys for."""
    return [n for n, (role, _, _) in AUTHS.items() if role is None or role in available]


def auths(available: set[str]) -> st.SearchStrategy[str]:
    """Mostly the full key (so sequences get somewhere), sometimes every other variant."""
    usable = auths_for(available)
    keyed = [a for a in ("readonly", "foreign") if a in usable]
    return st.sampled_from(["full"] * 3 * len(usable) + usable + keyed * 3)


_PLAIN = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**31), 2**31),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 3)),
    st.text(max_size=8),
    st.sampled_from(["", " ", "  padded  ", "\u00e9\u20ac\U0001f600", "sk-not-a-secret"]),
)


def values() -> st.SearchStrategy[Any]:
    """Data values that are not secrets: scalars, `""`, null, nested objects and arrays."""
    return st.recursive(
        _PLAIN,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=5,
    )


_UNDECLARED = st.one_of(
    st.sampled_from(["password", "apiKey", "token", "secret", "note", "client_secret"]),
    st.text(min_size=1, max_size=6),
)


def name_suffixes() -> st.SearchStrategy[str]:
    """What follows the run's name prefix: unicode, whitespace at either end, long, empty."""
    return st.one_of(
        st.just(""),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
        st.sampled_from(
            [
                "  trailing  ",
                "\tTab",
                "caf\u00e9 \u20ac",
                "\u65e5\u672c\u8a9e",
                "\U0001f511 key",
                "\u00ff\u0100",
                "x" * 300,
                " ",
            ]
        ),
    )


def _declared(kind: TypeInputs, others: list[str], *, update: bool) -> st.SearchStrategy[Any]:
    """A create holds every password input (mostly a fresh secret); an update sends back any
    subset of them as the marker, and perhaps new values for the rest."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    parts: dict[str, st.SearchStrategy[Any]] = {}
    secret_or_not = st.one_of(
        st.just(Secret()), st.just(Secret()), st.just(""), st.none(), values()
    )
    for key in sorted(kind.passwords):
        (parts if update else required)[key] = secret_or_not
    for key in sorted(kind.urls):
        options = [
            st.builds(SecretUrl, st.booleans()),
            st.just("redis://db.credkit.invalid:6379/0"),
            values(),
        ]
        if update:
            masked = st.builds(
                MaskedUrl,
                st.booleans(),
                st.sampled_from(["db.credkit.invalid", "other.credkit.invalid"]),
                st.sampled_from(["/app", "/other", ""]),
            )
            options = [masked, masked, *options]
        parts[key] = st.one_of(*options)
    for key in others:
        parts[key] = values()
    if not required and not update and parts:  # a created credential holds something to lose
        first = next(iter(parts))
        required[first] = parts.pop(first)
    drawn = st.fixed_dictionaries(required, optional=parts)
    if not update or not kind.passwords:
        return drawn
    markers = st.sets(st.sampled_from(sorted(kind.passwords)))
    return st.builds(lambda d, m: {**d, **dict.fromkeys(m, MARKER)}, drawn, markers)


def create_data(kind: TypeInputs, others: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A create's `plainDataObj`: any subset of the type's inputs, plus undeclared keys."""
    return st.builds(
        lambda declared, extra: {**extra, **declared},
        _declared(kind, others, update=False),
        st.dictionaries(_UNDECLARED, values(), max_size=2),
    )


def update_bodies(
    kind: TypeInputs, others: list[str], names: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, Any]]:
    """A PUT body: name only, data only, both, or `{}`; data with any subset of the password
    inputs sent back as the marker, masked urls, nulls, nested values, undeclared keys."""
    data = st.builds(
        lambda declared, extra: {**extra, **declared},
        _declared(kind, others, update=True),
        st.dictionaries(_UNDECLARED, values(), max_size=2),
    )
    return st.one_of(
        st.builds(lambda n: {"name": n}, names),
        st.builds(lambda d: {"plainDataObj": d}, data),
        st.builds(lambda n, d: {"name": n, "plainDataObj": d}, names, data),
        st.just({}),
        st.just({"plainDataObj": {}}),
    )


# Ways to break a body that is otherwise valid: name -> what it does to the JSON text.
_BREAKS = (
    "no-body",
    "whitespace-body",
    "null-body",
    "array-body",
    "string-body",
    "truncated",
    "not-utf8",
    "overflowing-number",
    "nan-literal",
    "unknown-field",
    "empty-name",
    "null-name",
    "number-name",
    "null-data",
    "array-data",
    "oversized",
)


def malformed() -> st.SearchStrategy[str]:
    return st.sampled_from(_BREAKS)
