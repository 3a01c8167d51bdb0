"""The one configuration object of a contract run (`credkit verify` / `credkit fuzz`).

Built by the CLI, the pytest plugin or a test; validated when built (`VerifyConfig.create`),
never read from the environment at import time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from credkit_core.errors import ConfigError

__all__ = ["ALL_PHASES", "KEY_ROLES", "VerifyConfig", "parse_header", "parse_rate_limit"]

# The schemathesis phases a run may use, in the order they run.
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
# Which key each role uses, and the shell variable a reproduction names instead of the key.
KEY_ROLES = {
    "full": "API_KEY",
    "readonly": "READONLY_API_KEY",
    "foreign": "FOREIGN_API_KEY",
}

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smh]))?\s*$")


def parse_rate_limit(value: str | None) -> float | None:
    """Requests per second from `N/s`, `N/m`, `N/h` or a bare `N` (per second); None = no limit."""
    if value is None or value == "":
        return None
    match = _RATE.match(value)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(f"--rate-limit {value!r} is not a rate; use e.g. 10/s, 600/m or 10.")
    per = {"s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2) or "s"]
    return float(match.group(1)) / per


def parse_header(value: str) -> tuple[str, str]:
    """`'Name: value'` → `('Name', 'value')`."""
    name, sep, rest = value.partition(":")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise ConfigError(f"--header {name.strip()!r}... is not of the form 'Name: value'.")
    if name.strip().lower() == "authorization":
        raise ConfigError("--header Authorization is not allowed; give the key with --api-key.")
    return name.strip(), rest.strip()


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--base-url {url!r} is not an http(s) URL; use e.g. http://127.0.0.1:3000 "
            "or https://host/flowise."
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"--base-url {url!r} must not have a query or fragment.")
    return url.rstrip("/")


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifyConfig:
    """Everything a contract run needs. Keys and the secret key are never printed."""

    base_url: str
    api_key: str | None = None
    readonly_api_key: str | None = field(default=None, repr=False)
    foreign_api_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    max_examples: int = 10
    seed: int | None = None
    rate_limit: float | None = None
    timeout: float = 10.0
    headers: tuple[tuple[str, str], ...] = ()
    ca_cert: Path | None = None
    insecure: bool = False
    include_checks: tuple[str, ...] = ()
    exclude_checks: tuple[str, ...] = ()
    phases: tuple[str, ...] = ALL_PHASES
    duration: float | None = None
    concurrency: int = 10
    spec_path: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", _check_base_url(self.base_url))
        if self.max_examples < 1:
            raise ConfigError(f"--max-examples {self.max_examples} must be at least 1.")
        if self.timeout <= 0:
            raise ConfigError(f"--timeout {self.timeout} must be positive (seconds).")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigError(f"--rate-limit {self.rate_limit} must be positive.")
        if self.concurrency < 2:
            raise ConfigError(f"concurrency {self.concurrency} must be at least 2.")
        unknown = set(self.phases) - set(ALL_PHASES)
        if unknown:
            raise ConfigError(
                f"unknown phase(s) {sorted(unknown)}; choose from {list(ALL_PHASES)}."
            )
        if self.ca_cert is not None and not self.ca_cert.is_file():
            raise ConfigError(f"--ca-cert {self.ca_cert} is not a readable file.")
        if self.insecure and self.ca_cert is not None:
            raise ConfigError("--insecure and --ca-cert exclude each other; pick one.")
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
