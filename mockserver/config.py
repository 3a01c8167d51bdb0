"""The mock server's configuration: one frozen, keyword-only, validated object.

`Config(...)` checks its values when built; `Config.from_env()` reads the documented
`CREDKIT_<NAME>` environment variables (the same names `credkit serve` accepts).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from credkit_core.envvars import parse_bool, parse_list
from credkit_core.errors import ConfigError
from mockserver.edge.hosts import normalize_host
from mockserver.edge.origins import normalize_origin
from mockserver.stores import STORES, scheme_of

__all__ = [
    "DEFAULT_MAX_BODY",
    "ENV_VARS",
    "LOG_LEVELS",
    "MAX_LATENCY_MS",
    "MAX_SEED",
    "Config",
    "is_loopback_host",
]

DEFAULT_MAX_BODY = 1_048_576
MAX_LATENCY_MS = 3_600_000.0  # an hour: anything longer is a typo, and sleep() has limits
MAX_SEED = 100_000  # generated credentials are held in memory and encrypted at start
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@dataclass(frozen=True, kw_only=True, slots=True)
class Config:
    """Everything `credkit serve` can be told. Secrets (`secret_key`, `admin_token`, and
    `store`, whose URL may hold a password) are hidden from `repr`."""

    host: str = "127.0.0.1"
    port: int = 3000
    fixtures: Path | None = None
    seed: int = 0
    secret_key: str | None = field(default=None, repr=False)
    state_file: Path | None = None
    latency_ms: float = 0.0
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    admin_token: str | None = field(default=None, repr=False)
    log_level: str = "info"
    max_body: int = DEFAULT_MAX_BODY
    profile: str = "spec"
    access_log: bool = True
    validate_responses: bool = True
    compact_every: int = 1000
    base_path: str = ""  # serve everything under this prefix, e.g. "/flowise"
    reload: bool = False  # re-read `fixtures` when the file changes
    store: str = field(default="memory", repr=False)  # a URL may hold a password
    workers: int = 1
    namespace_ttl: float = 86_400.0
    max_namespaces: int = 1000

    def __post_init__(self) -> None:
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(
                f"Config 'port' has value {self.port!r}. Use 0..65535 (0: a free port)."
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(
                f"Config 'seed' has value {self.seed!r}. Use a count from 0 to {MAX_SEED}."
            )
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:  # also refuses NaN
            raise ConfigError(
                f"Config 'latency_ms' has value {self.latency_ms!r}. Use milliseconds from 0 "
                f"to {MAX_LATENCY_MS:.0f}."
            )
        if not isinstance(self.max_body, int) or self.max_body < 1:
            raise ConfigError(f"Config 'max_body' has value {self.max_body!r}. Use bytes >= 1.")
        if self.compact_every < 1:
            raise ConfigError(f"Config 'compact_every' has value {self.compact_every!r}. Use >= 1.")
        if self.log_level.lower() not in LOG_LEVELS:
            raise ConfigError(
                f"Config 'log_level' has value {self.log_level!r}. "
                f"Use one of {', '.join(LOG_LEVELS)}."
            )
        object.__setattr__(self, "log_level", self.log_level.lower())
        _check_store(self.store, self.state_file, self.workers)
        if not self.namespace_ttl > 0:
            raise ConfigError(
                f"Config 'namespace_ttl' has value {self.namespace_ttl!r}. Use seconds > 0."
            )
        if not isinstance(self.max_namespaces, int) or self.max_namespaces < 1:
            raise ConfigError(
                f"Config 'max_namespaces' has value {self.max_namespaces!r}. Use a count >= 1."
            )
        _check_host(self.host)
        _check_secret("secret_key", self.secret_key, "a passphrase")
        _check_secret("admin_token", self.admin_token, "a token")
        if self.admin_token is not None and not all("!" <= c <= "~" for c in self.admin_token):
            raise ConfigError(
                "Config 'admin_token' has a character that cannot be sent in an Authorization "
                "header (a space, a control or a non-ASCII character; the value is not shown). "
                "Use letters, digits and punctuation."
            )
        object.__setattr__(self, "cors_origins", _checked("cors_origins", self.cors_origins))
        object.__setattr__(self, "allowed_hosts", _checked("allowed_hosts", self.allowed_hosts))
        base = self.base_path.rstrip("/")
        if base and (not base.startswith("/") or "//" in base or any(c in base for c in "?#{} \t")):
            raise ConfigError(
                f"Config 'base_path' has value {self.base_path!r}. Use a path such as "
                "'/flowise' (a leading slash; no query, fragment, braces or spaces)."
            )
        object.__setattr__(self, "base_path", base)
        if self.reload and self.fixtures is None:
            raise ConfigError(
                "Config 'reload' is on but no fixtures file is given: --reload watches the "
                "--fixtures FILE (CREDKIT_FIXTURES) for changes."
            )
        if self.reload and scheme_of(self.store) != "memory":
            raise ConfigError(
                "Config 'reload' (--reload) cannot be used with a Redis store (--store): the "
                "fixtures seed the shared store once; load new ones with PUT /__admin/state."
            )
        if self.fixtures is not None and not isinstance(self.fixtures, Path):
            object.__setattr__(self, "fixtures", Path(self.fixtures))
        if self.state_file is not None and not isinstance(self.state_file, Path):
            object.__setattr__(self, "state_file", Path(self.state_file))
        if self.state_file is not None:
            _check_state_file(self.state_file)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Config:
        """A config from a mapping of field names; unknown names are errors with a hint."""
        names = [f.name for f in fields(cls)]
        for key in values:
            if key not in names:
                hint = difflib.get_close_matches(key, names, n=1)
                raise ConfigError(
                    f"Unknown config key {key!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else ".")
                )
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """A config from `CREDKIT_<NAME>` variables (e.g. CREDKIT_PORT, CREDKIT_SECRET_KEY)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (var, convert) in ENV_VARS.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = convert(raw)
            except ValueError as exc:
                raise ConfigError(f"Environment variable {var} has value {raw!r}: {exc}.") from exc
        return cls(**values)


def _check_host(host: str) -> None:
    """`--host`: an address or a name to bind, not a URL or an address with a port."""
    problem = ""
    if not host or not host.isascii() or not host.isprintable() or " " in host:
        problem = "Use an IP address or a name of this machine, such as 127.0.0.1"
    elif "://" in host or "/" in host:
        problem = "Give the address alone, without a scheme or a path (e.g. 127.0.0.1)"
    elif host.startswith("["):
        problem = "Give an IPv6 address without brackets (e.g. ::1)"
    elif host.count(":") == 1:
        problem = "Give the port with --port, not in the address"
    if problem:
        raise ConfigError(f"Config 'host' (--host, CREDKIT_HOST) has value {host!r}. {problem}.")


def _check_state_file(path: Path) -> None:
    """A regular file or none yet: the state file is replaced by its snapshots (`os.replace`),
    which would put a regular file in place of a device such as /dev/null."""
    if path.name in ("", ".", "..") or path.is_dir():
        what = "a directory"
    elif path.exists() and not path.is_file():
        what = "not a regular file (a device, a pipe or a socket)"
    else:
        return
    raise ConfigError(
        f"Config 'state_file' (--state-file, CREDKIT_STATE_FILE) has value {str(path)!r}, "
        f"{what}. Give the path of a file, such as ./credkit-state.jsonl."
    )


def _check_secret(name: str, value: str | None, what: str) -> None:
    """A passphrase or token: not empty, and text (UTF-8); never shown in the message."""
    if value is None:
        return
    if value == "":
        raise ConfigError(f"Config {name!r} is empty. Give {what} or leave it unset.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        option, variable = "--" + name.replace("_", "-"), ENV_VARS[name][0]
        raise ConfigError(
            f"Config {name!r} ({option}, {variable}) is not valid UTF-8 text (it holds bytes "
            f"such as \\xff that no text encodes; the value is not shown). Give {what} as "
            "UTF-8 text."
        ) from None


def _checked(name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """`cors_origins` or `allowed_hosts`, each value checked and normalized."""
    normalize = normalize_origin if name == "cors_origins" else normalize_host
    checked: list[str] = []
    for value in values:
        try:
            item = normalize(value)
        except ValueError as exc:
            option = "--cors-origin" if name == "cors_origins" else "--allowed-host"
            raise ConfigError(f"Config {name!r} ({option}, {ENV_VARS[name][0]}): {exc}.") from None
        if item not in checked:
            checked.append(item)
    return tuple(checked)


def is_loopback_host(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    return host.startswith("127.") or host in ("localhost", "::1")


def _check_store(store: str, state_file: Path | str | None, workers: int) -> None:
    """A store is one of `STORES` (`memory`, a Redis URL); a state file and several workers
    need the right one."""
    scheme = scheme_of(store)
    shared = scheme != "memory"
    if scheme not in STORES:
        scheme, sep, _ = store.partition("://")
        shown = store if "@" not in store else (scheme + sep if sep else "") + "…"  # no password
        raise ConfigError(
            f"Config 'store' has value {shown!r}. Use 'memory' or a Redis URL such as "
            "'redis://127.0.0.1:6379/0' (rediss:// for TLS)."
        )
    if shared and state_file is not None:
        raise ConfigError(
            "Config 'state_file' cannot be used with a Redis store: Redis keeps the state "
            "(drop --state-file, or use --store memory)."
        )
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"Config 'workers' has value {workers!r}. Use a count >= 1.")
    if workers > 1 and not shared:
        where = "a state file" if state_file is not None else "the in-memory store"
        raise ConfigError(
            f"--workers {workers} needs a shared store: with {where} each worker would hold its "
            "own state. Add --store redis://HOST:PORT/DB, or run one worker."
        )


def _secret(raw: str) -> str:
    return raw


ENV_VARS: dict[str, tuple[str, Any]] = {
    "host": ("CREDKIT_HOST", str),
    "port": ("CREDKIT_PORT", int),
    "fixtures": ("CREDKIT_FIXTURES", Path),
    "seed": ("CREDKIT_SEED", int),
    "secret_key": ("CREDKIT_SECRET_KEY", _secret),
    "state_file": ("CREDKIT_STATE_FILE", Path),
    "latency_ms": ("CREDKIT_LATENCY", float),
    "cors_origins": ("CREDKIT_CORS_ORIGIN", parse_list),
    "allowed_hosts": ("CREDKIT_ALLOWED_HOST", parse_list),
    "admin_token": ("CREDKIT_ADMIN_TOKEN", _secret),
    "log_level": ("CREDKIT_LOG_LEVEL", str),
    "max_body": ("CREDKIT_MAX_BODY", int),
    "profile": ("CREDKIT_PROFILE", str),
    "access_log": ("CREDKIT_ACCESS_LOG", parse_bool),
    "validate_responses": ("CREDKIT_VALIDATE_RESPONSES", parse_bool),
    "base_path": ("CREDKIT_BASE_PATH", str),
    "reload": ("CREDKIT_RELOAD", parse_bool),
    "store": ("CREDKIT_STORE", _secret),
    "workers": ("CREDKIT_WORKERS", int),
    "namespace_ttl": ("CREDKIT_NAMESPACE_TTL", float),
    "max_namespaces": ("CREDKIT_MAX_NAMESPACES", int),
}
