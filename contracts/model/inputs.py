"""What the generated sequences send: hypothesis strategies spanning the contract's input space.

Values that must be unique secrets are drawn as placeholders (`Secret`, `SecretUrl`) and made
real by the state machine when it sends them, so every secret is fresh and registered for
scrubbing; the rest (names, data, keys, bodies) is drawn here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from contracts.model.contract import BULLETS, MARKER, TypeInputs

__all__ = [
    "AUTHS",
    "JSON_TYPES",
    "NOT_JSON_TYPES",
    "SEPARATORS",
    "MaskedUrl",
    "Secret",
    "SecretUrl",
    "SpecialUrl",
    "auths",
    "auths_for",
    "create_data",
    "filter_lists",
    "malformed",
    "name_suffixes",
    "odd_data",
    "odd_values",
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


# What a url password may hold that url syntax gives a meaning: raw (`@`: the userinfo ends
# at the last one; `:`: the first one ends the user) or percent-encoded.
SEPARATORS = ("@", ":", "@@", ":@", "%40", "%3A", "%2F", "%25", "%3a%2f")


@dataclass(frozen=True)
class SpecialUrl:
    """A url whose password is two fresh secrets joined by `separator` (made when sent): a
    mask that stops at the separator leaves one of them in clear."""

    separator: str = "@"
    user: bool = True


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
    st.sampled_from(["0", "0012", "-1", "1e3", "false", "null", '"', "\\", 'say "hi"', "C:\\x\\"]),
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


# The strategies below are built once per type (and names strategy) and reused: hypothesis
# validates every new strategy on first draw, which cost about a third of a run's time when
# they were built afresh for every step.


def create_data(kind: TypeInputs, others: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A create's `plainDataObj`: any subset of the type's inputs, plus undeclared keys."""
    return _create_data(kind, tuple(others))


@functools.lru_cache(maxsize=64)
def _create_data(kind: TypeInputs, others: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda declared, extra: {**extra, **declared},
        _declared(kind, list(others), update=False),
        st.dictionaries(_UNDECLARED, values(), max_size=2),
    )


def update_bodies(
    kind: TypeInputs, others: list[str], names: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, Any]]:
    """A PUT body: name only, data only, both, or `{}`; data with any subset of the password
    inputs sent back as the marker, masked urls, nulls, nested values, undeclared keys."""
    return _update_bodies(kind, tuple(others), names)


@functools.lru_cache(maxsize=64)
def _update_bodies(
    kind: TypeInputs, others: tuple[str, ...], names: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, Any]]:
    data = st.builds(
        lambda declared, extra: {**extra, **declared},
        _declared(kind, list(others), update=True),
        st.dictionaries(_UNDECLARED, values(), max_size=2),
    )
    return st.one_of(
        st.builds(lambda n: {"name": n}, names),
        st.builds(lambda d: {"plainDataObj": d}, data),
        st.builds(lambda n, d: {"name": n, "plainDataObj": d}, names, data),
        st.just({}),
        st.just({"plainDataObj": {}}),
    )


# Values that trip servers up: falsy ones, numbers spelled as text, quotes, backslashes, text
# that looks like JSON or markup, empty and nested containers.
_ODD: tuple[Any, ...] = (
    0, 0.0, False, "", None, [], {}, "0", "0012", "00", "-0", "1e3", "1.50", "+1", "0x1F",
    "NaN", "Infinity", "true", "false", "null", "undefined", '"', '""', "\\", "\\\\",
    '\\"', "it's", 'a "quoted" value', "C:\\dir\\file", "\\u0041", "\\n", '{"json": 1}',
    "[1]", "</script>", " ", "\t\n", "\u2028", "%41", "${x}", [[[[]]]], {"": {"": {}}},
    [0, False, "", None], {"a": [1, {"b": None}]},
)  # fmt: skip
_ODD_KEYS = st.sampled_from(
    ["", " ", "__proto__", "constructor", "toString", "a.b", "a/b", "$where", "0", "PASSWORD",
     "\u00e9\U0001f511", "k" * 200, 'q"uote', "back\\slash"]
)  # fmt: skip
# tens of KB of text (the body stays far below the 1 MiB limit, escapes and UTF-8 included)
_LONG = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["x", 'a"\\', "\u00e9\u20ac", "0"]),
    st.integers(3_000, 12_000),
)


def odd_values() -> st.SearchStrategy[Any]:
    """Data values that are not secrets, odder than `values()`: see `_ODD`, and nestings."""
    scalars = st.sampled_from(_ODD)
    return st.one_of(
        scalars,
        scalars,
        st.recursive(
            scalars,
            lambda inner: st.one_of(
                st.lists(inner, max_size=3), st.dictionaries(_ODD_KEYS, inner, max_size=3)
            ),
            max_leaves=6,
        ),
    )


def _many(count: int, start: int) -> dict[str, Any]:
    """`count` keys (30-60 in one object), each with one of the odd values."""
    return {f"key{i:02d}": _ODD[(start + i) % len(_ODD)] for i in range(count)}


def odd_data(
    kind: TypeInputs, others: list[str], stored: list[str], *, update: bool
) -> st.SearchStrategy[dict[str, Any]]:
    """`plainDataObj` with odd values on every kind of key: the type's password inputs (or a
    fresh secret; on an update perhaps the marker), its url inputs (or a url whose password
    holds `@`, `:` or a percent-encoding), its other inputs, keys already stored, undeclared
    keys; or `{}`; sometimes 30-60 keys, rarely one long text (tens of KB)."""
    return _odd_data(kind, tuple(others), tuple(stored), update)


@functools.lru_cache(maxsize=256)
def _odd_data(
    kind: TypeInputs, others: tuple[str, ...], stored: tuple[str, ...], update: bool
) -> st.SearchStrategy[dict[str, Any]]:
    passwords = sorted(kind.passwords)
    urls = sorted(kind.urls)
    plain = [k for k in [*others, *stored] if k not in kind.passwords and k not in kind.urls]
    secret = [st.just(Secret()), odd_values()] + ([st.just(MARKER)] if update else [])
    url = [
        st.builds(SpecialUrl, st.sampled_from(SEPARATORS), st.booleans()),
        st.builds(SecretUrl, st.booleans()),
        odd_values(),
    ]
    parts = {
        **{k: st.one_of(*secret) for k in passwords},
        **{k: st.one_of(*url) for k in urls},
        **{k: odd_values() for k in sorted(set(plain))},
    }
    declared = st.fixed_dictionaries({}, optional=parts)
    extra = st.dictionaries(st.one_of(_ODD_KEYS, _UNDECLARED), odd_values(), max_size=3)
    keys = [*passwords, *urls, *sorted(set(plain))] or ["note"]
    rare = st.integers(0, 9).flatmap(
        lambda n: (
            st.builds(lambda k, text: {k: text}, st.sampled_from(keys), _LONG)
            if n == 0
            else st.builds(_many, st.integers(30, 60), st.integers(0, len(_ODD)))
            if n <= 2
            else st.just({})
        )
    )
    odd = st.builds(lambda e, d, r: {**e, **d, **r}, extra, declared, rare)
    return st.one_of(st.just({}), odd, odd, odd)


def _respelled(name: str, how: str) -> str:
    if how == "upper":
        return name.upper()
    if how == "lower":
        return name.lower()
    if how == "swapcase":
        return name.swapcase()
    return f" {name}" if how == "pad-before" else f"{name} "


def filter_lists(used: list[str], catalog: list[str]) -> st.SearchStrategy[list[str]]:
    """credentialName filters of every variant: the sequence's types, any catalog type, another
    case or surrounding whitespace of them (an unknown type: the match is exact), made-up and
    empty names, and repeats."""
    ours = st.sampled_from(used)
    respelled = st.builds(
        _respelled,
        ours,
        st.sampled_from(["upper", "lower", "swapcase", "pad-before", "pad-after"]),
    )
    made_up = st.sampled_from(["noSuchType", "", "*", "%", "null", "_"])
    one = st.one_of(ours, st.sampled_from(catalog), respelled, respelled, made_up)
    return st.builds(
        lambda items, repeat: items + items[:repeat],
        st.lists(one, min_size=1, max_size=3),
        st.integers(0, 2),
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
