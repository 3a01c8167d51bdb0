"""Which web origins may call the mock from a browser (`--cors-origin`), as one compiled regex.

The default, always allowed: `http(s)://localhost`, `127.0.0.1` or `[::1]` on any port, where a
frontend under development runs. `--cors-origin` adds to it:

- an exact origin, `scheme://host[:port]` as a browser sends it (`https://app.example.com`; a
  trailing slash is dropped, case does not matter);
- a pattern with `*` as whole labels of the host: `https://*.example.com` (any subdomain,
  not `example.com` itself), `http://192.168.*` (an IPv4 prefix: the `*` matches numbers only,
  so `http://192.168.1.20` but never `http://192.168.evil.example`; a `*` ending a name is
  refused for that reason). A pattern without a port matches any port; `:*` says so;
- `*`: any origin.

The admin API is stricter (`mockserver.apps.admin`): it answers pages of its own origin and of
origins listed with `--cors-origin` (exact or pattern), not the local default nor `*` — a page
on another local port is another site.

Each pattern becomes a regex from escaped literal parts, so nothing a user writes is taken as
regex syntax. A value that is not an origin (a path, a query, a user name, `*` inside a label,
`null`) is refused when the config is built, with what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["LOCAL_ORIGIN", "OriginPolicy", "normalize_origin", "suggested_origin"]

LOCAL_ORIGIN = r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?"
LOCAL_DESCRIPTION = "http(s)://localhost, 127.0.0.1 or [::1] on any port"

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")
_PORT = re.compile(r"\d{1,5}")
_LABELS_RE = r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*"  # what one `*` stands for: one or more labels
_NUMBERS_RE = r"\d{1,3}(?:\.\d{1,3})*"  # ... or, ending an IPv4 prefix, numbers only


def _refuse(value: str, why: str) -> ValueError:
    return ValueError(
        f"{value!r} is not an origin: {why}. Use 'scheme://host[:port]' "
        "('https://app.example.com'), a pattern ('http://192.168.*', 'https://*.example.com') "
        "or '*' for any origin"
    )


def normalize_origin(value: str) -> str:
    """`value` as an origin or pattern, lower-cased, without a trailing slash; ValueError
    with a message that says what is wrong and what to write instead."""
    if value == "*":
        return value
    if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
        raise _refuse(value, "use ASCII without spaces; write a non-ASCII host in punycode")
    origin = value.lower()
    if origin == "null":
        raise _refuse(
            value,
            "'null' is the origin of sandboxed pages and local files; it would allow them all",
        )
    scheme, sep, rest = origin.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        raise _refuse(value, "it has no scheme such as http://")
    if rest.endswith("/"):
        rest = rest[:-1]
    if any(c in rest for c in "/?#@"):
        raise _refuse(value, "an origin has no path, query, fragment or user name")
    host, port = _split_port(value, rest)
    if port is not None and port != "*" and not (_PORT.fullmatch(port) and 0 < int(port) < 65536):
        raise _refuse(value, f"port {port!r} is not 1..65535 or *")
    if host.startswith("["):
        if not _IPV6.fullmatch(host):
            raise _refuse(value, "an IPv6 host is written [address]")
    else:
        labels = host.split(".")
        if not host or not all(label == "*" or _LABEL.fullmatch(label) for label in labels):
            raise _refuse(
                value, "'*' stands for whole labels of the host name, as in *.example.com"
            )
        if len(labels) > 1 and labels[-1] == "*" and not all(x.isdigit() for x in labels[:-1]):
            raise _refuse(
                value,
                "a '*' at the end of a name would match any domain (such as name.evil.example); "
                "end with '*' only after numbers (http://192.168.*) or list the names",
            )
    return f"{scheme}://{rest}"


def _split_port(value: str, rest: str) -> tuple[str, str | None]:
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0 or (end + 1 < len(rest) and rest[end + 1] != ":"):
            raise _refuse(value, "an IPv6 host is written [address]")
        host, tail = rest[: end + 1], rest[end + 1 :]
        return host, tail[1:] if tail else None
    host, sep, port = rest.partition(":")
    return host, port if sep else None


def suggested_origin(origin: str) -> str:
    """What to give `--cors-origin` to allow `origin` (a request header): the origin itself
    when it is one, else the placeholder `ORIGIN` — nothing a request sent unchecked."""
    try:
        named = normalize_origin(origin)
    except ValueError:
        return "ORIGIN"
    return "ORIGIN" if "*" in named else named


def pattern_regex(origin: str) -> str:
    """The regex (without anchors) for one normalized origin or pattern: literal parts escaped,
    each `*` label one or more labels; a pattern without a port matches any port."""
    scheme, _, rest = origin.partition("://")
    host, port = _split_port(origin, rest)
    if host.startswith("["):
        host_re = re.escape(host)
    else:
        labels = host.split(".")
        numeric = len(labels) > 1 and labels[-1] == "*"  # an IPv4 prefix: 192.168.*
        host_re = r"\.".join(
            (_NUMBERS_RE if numeric else _LABELS_RE) if label == "*" else re.escape(label)
            for label in labels
        )
    if port == "*" or (port is None and "*" in host):
        port_re = r"(?::\d{1,5})?"
    else:
        port_re = "" if port is None else ":" + port
    return re.escape(scheme) + "://" + host_re + port_re


class OriginPolicy:
    """The allowed origins: the local default plus the configured ones (`*` for any)."""

    def __init__(self, configured: Sequence[str] = ()) -> None:
        self.configured = tuple(normalize_origin(o) for o in configured)
        self.any = "*" in self.configured
        self.listed = tuple(o for o in self.configured if o != "*")
        self._local = re.compile(LOCAL_ORIGIN)
        self._listed = (
            re.compile("|".join(map(pattern_regex, self.listed))) if self.listed else None
        )

    def allows(self, origin: str) -> bool:
        """Whether a browser page from `origin` may call the credentials API: `*`, the local
        default or a listed origin."""
        return self.any or self._local.fullmatch(origin) is not None or self.lists(origin)

    def lists(self, origin: str) -> bool:
        """Whether `origin` was listed with `--cors-origin` (not as `*`): the origins, besides
        the mock's own, whose pages may use the admin API."""
        return self._listed is not None and self._listed.fullmatch(origin.lower()) is not None

    def describe(self) -> str:
        """For the banner and error messages."""
        extra = ", ".join(self.configured)
        return LOCAL_DESCRIPTION + (f"; and {extra}" if extra else "")
