"""The one configuration object of a contract run (`credkit verify` / `credkit fuzz`).

Built by the CLI, the pytest plugin or a test; validated when built (`VerifyConfig.__post_init__`),
never read from the environment at import time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from credkit_core.errors import ConfigError

__all__ = [
    "ALL_PHASES",
    "ENV_VARS",
    "KEY_ROLES",
    "MAX_CONCURRENCY",
    "VerifyConfig",
    "mask_userinfo",
    "parse_header",
    "parse_rate_limit",
    "rate_per_second",
]

# The schemathesis phases a run may use, in the order they run.
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
MAX_CONCURRENCY = 32
# Which key each role uses, and the shell variable a reproduction names instead of the key.
KEY_ROLES = {
    "full": "API_KEY",
    "readonly": "READONLY_API_KEY",
    "foreign": "FOREIGN_API_KEY",
}
# Where the server is and who the run is: the same variables for `credkit verify`, `credkit
# fuzz` and the pytest plugin. (`CREDKIT_SECRET_KEY` is the mock's own passphrase, hence the
# VERIFY_ in the verifier's.) Every other option is `CREDKIT_VERIFY_<NAME>` for verify and
# `CREDKIT_FUZZ_<NAME>` for fuzz (`credkit verify --help` names each).
ENV_VARS = {
    "base_url": "CREDKIT_BASE_URL",
    "api_key": "CREDKIT_API_KEY",
    "readonly_api_key": "CREDKIT_READONLY_API_KEY",
    "foreign_api_key": "CREDKIT_FOREIGN_API_KEY",
    "secret_key": "CREDKIT_VERIFY_SECRET_KEY",
}
_OPTIONS = {name: "--" + name.replace("_", "-") for name in ENV_VARS}

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smhd]))?\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate_limit(value: str | None) -> str | None:
    """`N/s`, `N/m`, `N/h`, `N/d` or a bare `N` (per second) → the rate as schemathesis takes it
    (`90/m` stays `90/m`); None = no limit. Whole numbers only: schemathesis counts whole
    requests per unit, so `2.5/s` is refused with its exact equivalent (`150/m`) as the fix."""
    if value is None or value.strip() == "":
        return None
    match = _RATE.match(value)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(
            f"--rate-limit {value!r} is not a rate; use a whole number per s, m, h or d, "
            "e.g. 10/s, 90/m or 10."
        )
    count, unit = match.group(1), match.group(2) or "s"
    if "." in count and float(count) != int(float(count)):
        raise ConfigError(
            f"--rate-limit {value!r}: use a whole number of requests per unit"
            f"{_whole_equivalent(float(count), unit)}."
        )
    return f"{int(float(count))}/{unit}"


def _whole_equivalent(count: float, unit: str) -> str:
    units = list(_SECONDS)
    for bigger in units[units.index(unit) + 1 :]:
        scaled = count * _SECONDS[bigger] / _SECONDS[unit]
        if abs(scaled - round(scaled)) < 1e-9:
            return f" (the same rate is {round(scaled)}/{bigger})"
    return ""


def rate_per_second(rate: str | None) -> float | None:
    """`90/m` → 1.5 (requests per second), None → None."""
    if rate is None:
        return None
    count, _, unit = rate.partition("/")
    return int(count) / _SECONDS[unit or "s"]


def parse_header(value: str) -> tuple[str, str]:
    """`'Name: value'` → `('Name', 'value')`."""
    name, sep, rest = value.partition(":")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise ConfigError(f"--header {name.strip()!r}... is not of the form 'Name: value'.")
    if name.strip().lower() == "authorization":
        raise ConfigError("--header Authorization is not allowed; give the key with --api-key.")
    if not name.strip().isascii() or not name.strip().isprintable():
        raise ConfigError(
            f"--header {name.strip()!r}: a header name is printable ASCII without spaces."
        )
    return name.strip(), rest.strip()


def _where(name: str) -> str:
    """`--api-key (CREDKIT_API_KEY)`: how a person names the option in an error."""
    return f"{_OPTIONS[name]} ({ENV_VARS[name]})" if name in ENV_VARS else "--" + name


def _check_sendable(what: str, value: str) -> None:
    """A value sent in a header must be one line of printable ASCII (httpx cannot send
    anything else). The message gives the position, never the value."""
    for index, char in enumerate(value):
        if char in "\r\n":
            problem = "a line break"
        elif not char.isascii():
            problem = "a non-ASCII character"
        elif not char.isprintable():
            problem = "a control character"
        else:
            continue
        hint = (
            " If it comes from a file or a secret store, strip the trailing newline."
            if problem == "a line break"
            else ""
        )
        raise ConfigError(
            f"{what} contains {problem} (character {index + 1} of {len(value)}); it must be one "
            f"line of printable ASCII. Nothing was sent.{hint}"
        )


def mask_userinfo(url: str) -> str:
    """`http://user:pass@host` → `http://***@host` (for messages)."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if sep and "@" in authority:
        return f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"
    return url


def _check_base_url(url: str) -> str:
    shown = mask_userinfo(url)
    where = _where("base_url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parses the port: 'abc' or 99999 raise here)
    except ValueError as exc:  # 'Invalid IPv6 URL', 'Port could not be cast ...'
        raise ConfigError(
            f"{where} {shown!r} is not a valid URL ({exc}); use e.g. http://127.0.0.1:3000, "
            "http://[::1]:3000 or https://host/flowise."
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{where} {shown!r} is not an http(s) URL; use e.g. http://127.0.0.1:3000 "
            "or https://host/flowise."
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"{where} {shown!r} has a user name or password in it: credkit authenticates with "
            "--api-key (Authorization: Bearer), which URL credentials would replace. Remove "
            "them; a gateway's credentials go in --header."
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{where} {shown!r} must not have a query or fragment.")
    if not url.isascii():
        raise ConfigError(
            f"{where} {shown!r} has non-ASCII characters; give the host in its ASCII (punycode) "
            "form and percent-encode the path."
        )
    return url.rstrip("/")


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifyConfig:
    """Everything a contract run needs. Keys and the secret key are never printed."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    readonly_api_key: str | None = field(default=None, repr=False)
    foreign_api_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    max_examples: int = 10
    seed: int | None = None
    rate_limit: str | None = None  # as schemathesis takes it: `90/m` (see parse_rate_limit)
    timeout: float = 10.0
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    ca_cert: Path | None = None
    insecure: bool = False
    include_checks: tuple[str, ...] = ()
    exclude_checks: tuple[str, ...] = ()
    phases: tuple[str, ...] = ALL_PHASES
    duration: float | None = None
    # generated sequences (and schemathesis workers) running at once; the rate limit is
    # shared by all of them
    concurrency: int = 8
    racers: int = 10  # concurrent updates of one credential in `concurrent-updates-kept`
    spec_path: Path | None = None
    fail_on_skip: bool = False
    # the generated exploration stops after this many distinct divergences (None: explores
    # its whole budget, reporting every one)
    max_failures: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", _check_base_url(self.base_url))
        if self.max_examples < 1:
            raise ConfigError(f"--max-examples {self.max_examples} must be at least 1.")
        if self.timeout <= 0:
            raise ConfigError(f"--timeout {self.timeout} must be positive (seconds).")
        object.__setattr__(self, "rate_limit", parse_rate_limit(self.rate_limit))
        for role, name in (
            ("full", "api_key"),
            ("readonly", "readonly_api_key"),
            ("foreign", "foreign_api_key"),
        ):
            key = self.key_for(role)
            if key:
                _check_sendable(_where(name), key)
        for header, value in self.headers:
            _check_sendable(f"--header {header}", value)
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ConfigError(
                f"--concurrency {self.concurrency} must be from 1 to {MAX_CONCURRENCY}."
            )
        if self.racers < 2:
            raise ConfigError(f"racers {self.racers} must be at least 2.")
        unknown = set(self.phases) - set(ALL_PHASES)
        if unknown:
            raise ConfigError(
                f"unknown phase(s) {sorted(unknown)}; choose from {list(ALL_PHASES)}."
            )
        if self.ca_cert is not None and not self.ca_cert.is_file():
            raise ConfigError(f"--ca-cert {self.ca_cert} is not a readable file.")
        if self.insecure and self.ca_cert is not None:
            raise ConfigError("--insecure and --ca-cert exclude each other; pick one.")
        if self.max_failures is not None and self.max_failures < 1:
            raise ConfigError(f"--max-failures {self.max_failures} must be at least 1.")
        if self.duration is not None and self.duration <= 0:
            raise ConfigError(f"--duration {self.duration} must be positive.")

    def key_for(self, role: str) -> str | None:
        """The key of `role` (`full`, `readonly`, `foreign`), or None when not given."""
        return {
            "full": self.api_key,
            "readonly": self.readonly_api_key,
            "foreign": self.foreign_api_key,
        }[role]

    def has(self, need: str) -> bool:
        """Whether the option `need` (`api_key`, `readonly_api_key`, ...) was given."""
        return bool(getattr(self, need))

    @property
    def requests_per_second(self) -> float | None:
        """The rate limit as requests per second (None = unlimited)."""
        return rate_per_second(self.rate_limit)

    @property
    def verify_tls(self) -> bool | str:
        """What to hand httpx / requests as `verify`."""
        if self.insecure:
            return False
        return str(self.ca_cert) if self.ca_cert is not None else True

    def sensitive_values(self) -> list[str]:
        """Every key, the passphrase and --header values (a gateway token, say), so output
        can be scrubbed of them."""
        values = [self.api_key, self.readonly_api_key, self.foreign_api_key, self.secret_key]
        values += [value for _, value in self.headers]
        return [v for v in values if v]
