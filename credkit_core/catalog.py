"""The credential-type catalog and the redaction rules it drives.

A *secret* is the value of a `password` input or the password inside a `url` input. On read,
password inputs become `MARKER`, url passwords become `BULLETS`; everything else is returned as
stored. On write, `MARKER` (or a url whose password is `BULLETS`) keeps the stored value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from credkit_core.resources import load_catalog_data

__all__ = [
    "BULLETS",
    "MARKER",
    "Catalog",
    "CredentialType",
    "default_catalog",
    "mask_url_password",
    "url_password",
]

MARKER = "_FLOWISE_BLANK_07167752-1a71-43b1-bf8f-4f32252165db"
BULLETS = "\u2022" * 6


def url_password(value: object) -> str | None:
    """The password inside a url string, or None when there is none."""
    if not isinstance(value, str) or "://" not in value:
        return None
    try:
        password = urlsplit(value).password
    except ValueError:
        return None
    return password or None


def mask_url_password(value: str) -> str:
    """`value` with the password of its userinfo replaced by `BULLETS` (as the real server)."""
    parts = urlsplit(value)
    if not parts.password:
        return value
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{BULLETS}@{host}"))


@dataclass(frozen=True, slots=True)
class CredentialType:
    """One catalog entry: a type name and the names of its secret-bearing inputs."""

    name: str
    password_inputs: frozenset[str]
    url_inputs: frozenset[str]
    raw: Mapping[str, Any]

    def redact(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """`data` as GET by id shows it: password inputs → marker, url passwords → bullets."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in self.password_inputs:
                out[key] = MARKER
            elif key in self.url_inputs and isinstance(value, str):
                out[key] = mask_url_password(value)
            else:
                out[key] = value
        return out

    def secrets(self, data: Mapping[str, Any]) -> list[str]:
        """Every secret value in `data` (password inputs and url passwords), as strings."""
        found: list[str] = []
        for key, value in data.items():
            if key in self.password_inputs and value not in (None, "", MARKER):
                found.append(value if isinstance(value, str) else str(value))
            elif key in self.url_inputs:
                password = url_password(value)
                if password and password != BULLETS:
                    found.append(password)
        return found

    def keeps_stored(self, key: str, value: Any) -> bool:
        """True when `value` sent for `key` in a PUT means "keep what is stored"."""
        if value == MARKER:
            return True
        return key in self.url_inputs and url_password(value) == BULLETS


class Catalog:
    """The known credential types, by exact (case-sensitive) name."""

    def __init__(self, entries: Iterable[Mapping[str, Any]]) -> None:
        self.entries: list[Mapping[str, Any]] = list(entries)
        self.types: dict[str, CredentialType] = {}
        for entry in self.entries:
            inputs = entry.get("inputs", [])
            self.types[entry["name"]] = CredentialType(
                name=entry["name"],
                password_inputs=frozenset(i["name"] for i in inputs if i["type"] == "password"),
                url_inputs=frozenset(i["name"] for i in inputs if i["type"] == "url"),
                raw=entry,
            )

    def __contains__(self, name: object) -> bool:
        return name in self.types

    def __getitem__(self, name: str) -> CredentialType:
        return self.types[name]

    def names(self) -> list[str]:
        return [entry["name"] for entry in self.entries]

    def get(self, name: str) -> CredentialType | None:
        return self.types.get(name)


@cache
def default_catalog() -> Catalog:
    """The bundled catalog of the real server's credential types."""
    return Catalog(load_catalog_data())
