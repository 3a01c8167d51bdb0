"""The `Host` check: a guard against DNS rebinding, the outermost layer of the mock.

A web page on an attacker's domain can make its name resolve to 127.0.0.1 ("DNS rebinding")
and then talk to the mock as if it were its own site: same-origin, so no CORS stands in the
way, and the development keys are public. What it cannot change is the `Host` header, which
still names its domain. So the mock answers only requests whose `Host` is a loopback name —
`localhost`, `127.0.0.1`, `[::1]`, any port — or the address it was told to bind (`--host`),
or a name given with `--allowed-host` (`*.example.com` for its subdomains, `*` for any, which
gives up the guard). Other requests get 403 in the error shape, naming the option. A request
without a `Host` (HTTP/1.0) is not from a browser and is let through.

Pure ASGI and cheap on the hot path: one scan of the header list for `host`, then a set
lookup of the raw value (values seen allowed are remembered, up to `CACHE_SIZE`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import time
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.accesslog import AccessLog
from mockserver.requests import route_path
from mockserver.responses import error_reply, send_reply, shown

__all__ = ["LOOPBACK_HOSTS", "WILDCARD_BINDS", "HostCheck", "HostPolicy", "normalize_host"]

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_BINDS = ("", "0.0.0.0", "::", "[::]")
CACHE_SIZE = 1024

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")


def normalize_host(value: str) -> str:
    """An `--allowed-host` value, lower-cased (an IPv6 address in brackets); ValueError saying
    what to write instead."""
    if value == "*":
        return value
    name = value.strip().lower()
    if not name.isascii() or not name.isprintable() or any(c.isspace() for c in name):
        raise ValueError(
            f"{value!r} is not a host name: use ASCII without spaces (a non-ASCII name in punycode)"
        )
    if "/" in name or "@" in name:
        raise ValueError(f"{value!r} is not a host name: give the name alone, such as 'myhost.lan'")
    if name.startswith("[") and name.endswith("]"):
        address = name[1:-1]
    elif name.count(":") > 1:
        address = name
    elif ":" in name:
        raise ValueError(f"{value!r} has a port: give the name alone (every port is allowed)")
    else:
        address = ""
    if address:
        try:
            return f"[{ipaddress.IPv6Address(address).compressed}]"
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv6 address: write one as [::1]") from None
    name = name.removesuffix(".")
    labels = name.removeprefix("*.").split(".")
    if not name or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            f"{value!r} is not a host name: use a name ('myhost.lan'), an address "
            "('192.168.1.20', '[fd00::1]'), '*.example.com' for its subdomains or '*' for any"
        )
    return name


def host_name(raw: str) -> str | None:
    """The name in a `Host` header value, lower-cased, without its port; None when malformed."""
    value = raw.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, port = value[: end + 1], value[end + 1 :]
        if port and (port[0] != ":" or not port[1:].isdigit()):
            return None
        try:
            return f"[{ipaddress.IPv6Address(name[1:-1]).compressed}]"
        except ValueError:
            return None
    name, sep, port = value.partition(":")
    if sep and port and not port.isdigit():
        return None
    return name.removesuffix(".") or None


class HostPolicy:
    """The `Host` names the mock answers: loopback, the bound address, `--allowed-host`."""

    def __init__(self, allowed: Sequence[str] = (), *, bind_host: str = "") -> None:
        self.any = "*" in allowed
        names = {*LOOPBACK_HOSTS, *(a for a in allowed if not a.startswith("*"))}
        if bind_host not in WILDCARD_BINDS:
            with contextlib.suppress(ValueError):  # else not a name a client could send
                names.add(normalize_host(bind_host))
        self.names = frozenset(names)
        self.suffixes = tuple(a[1:] for a in allowed if a.startswith("*."))

    def allows(self, raw: str) -> bool:
        """Whether a `Host` header value names this mock."""
        if self.any:
            return True
        name = host_name(raw)
        if name is None:
            return False
        if name in self.names:
            return True
        return bool(self.suffixes) and name.endswith(self.suffixes)

    def describe(self) -> str:
        """The allowed names, for the banner and messages."""
        if self.any:
            return "any (--allowed-host '*')"
        extra = sorted(self.names - set(LOOPBACK_HOSTS)) + [f"*{s}" for s in self.suffixes]
        return ", ".join([*LOOPBACK_HOSTS, *extra]) + " (any port)"


class HostCheck:
    """ASGI middleware: 403 for a request whose `Host` the policy does not allow."""

    def __init__(
        self, app: ASGIApp, policy: HostPolicy, access_log: AccessLog | None = None
    ) -> None:
        self.app = app
        self.policy = policy
        self.access_log = access_log
        self.seen: set[bytes] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.policy.any:
            for name, value in scope["headers"]:
                if name == b"host":
                    if value not in self.seen:
                        if not self.policy.allows(value.decode("latin-1")):
                            await self.refuse(scope, send, value.decode("latin-1"))
                            return
                        if len(self.seen) < CACHE_SIZE:
                            self.seen.add(value)
                    break
        await self.app(scope, receive, send)

    async def refuse(self, scope: Scope, send: Send, raw: str) -> None:
        started = time.perf_counter()
        name = host_name(raw)
        try:
            hint = normalize_host(name) if name else ""
        except ValueError:
            hint = ""
        if "*" in hint:  # never suggest opening the guard
            hint = ""
        how = (
            f"To reach it as {hint}, start it with --allowed-host {hint} "
            f"(or CREDKIT_ALLOWED_HOST={hint})."
            if hint
            else "To reach it by another name, start it with --allowed-host NAME "
            "(or CREDKIT_ALLOWED_HOST)."
        )
        message = (
            f"Host {shown(raw)!r} is not allowed (a guard against DNS rebinding): this mock "
            f"answers requests addressed to {self.policy.describe()}. {how}"
        )
        reply = error_reply(403, message)
        await send_reply(send, reply)
        if self.access_log is not None:
            elapsed = (time.perf_counter() - started) * 1000
            self.access_log.write(scope["method"], route_path(scope), 403, elapsed)
