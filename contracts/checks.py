"""The registry of named checks (what a check reports and how it ends: `contracts.outcomes`).

A check is a function of a `CheckContext` (see `contracts.context`) registered under a stable
name with the one-sentence requirement it verifies and the options it needs. Active checks send
their own requests; passive checks judge every exchange of the run that concerns them (secrets,
error shape) and are skipped, never passed, when the run recorded none; schemathesis checks
are run by `contracts.schema` and only named here.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contracts.client import Exchange
from contracts.context import CheckContext
from contracts.outcomes import Abort, Finding, SetupRefused, Skip
from credkit_core.errors import ConfigError

__all__ = [
    "Abort",
    "Check",
    "Finding",
    "SetupRefused",
    "Skip",
    "all_checks",
    "check",
    "get_check",
    "passive",
    "select_checks",
    "unknown_check_error",
]

# Modules whose import registers checks (imported lazily, so importing this module stays cheap).
_CHECK_MODULES = (
    "contracts.semantics",
    "contracts.lifecycle",
    "contracts.secrets",
    "contracts.access",
    "contracts.concurrency",
    "contracts.errors",
    "contracts.order",
    "contracts.schema_checks",
    "contracts.model.check",
)


@dataclass(frozen=True, slots=True)
class Check:
    """A named requirement of the contract and how to verify it."""

    name: str
    group: str
    requirement: str
    needs: tuple[str, ...] = ("api_key",)
    run: Callable[[CheckContext], None] | None = None
    kind: str = "active"  # active | passive | schema
    # passive checks: judge one exchange, return the problems seen (empty when fine)
    observe: Callable[[CheckContext, Exchange], list[str]] | None = None
    # passive checks: whether an exchange is one the check judges at all; a passive check that
    # judged none is skipped with `unjudged` as the reason, never passed
    judges: Callable[[CheckContext, Exchange], bool] | None = None
    unjudged: str = "no exchanges to judge: include a check that sends requests"


_REGISTRY: dict[str, Check] = {}


def register(item: Check) -> Check:
    """Register `item`; the same check registered again (its module imported a second time,
    as pytester's in-process runs do) replaces it, another check of the same name is an
    error."""
    old = _REGISTRY.get(item.name)
    if old is not None and old != item and (_origin(old) is None or _origin(old) != _origin(item)):
        raise ValueError(f"check {item.name!r} registered twice")
    _REGISTRY[item.name] = item
    return item


def _origin(item: Check) -> tuple[str, str] | None:
    func = item.run or item.observe
    return (func.__module__, func.__qualname__) if func is not None else None


def check(
    name: str, *, group: str, requirement: str, needs: tuple[str, ...] = ("api_key",)
) -> Callable[[Callable[[CheckContext], None]], Callable[[CheckContext], None]]:
    """Register the decorated function as the active check `name`."""

    def decorate(func: Callable[[CheckContext], None]) -> Callable[[CheckContext], None]:
        register(Check(name=name, group=group, requirement=requirement, needs=needs, run=func))
        return func

    return decorate


def passive(
    name: str,
    *,
    group: str,
    requirement: str,
    judges: Callable[[CheckContext, Exchange], bool],
    unjudged: str,
    needs: tuple[str, ...] = ("api_key",),
) -> Callable[
    [Callable[[CheckContext, Exchange], list[str]]], Callable[[CheckContext, Exchange], list[str]]
]:
    """Register the decorated function as the passive check `name`: it judges every exchange
    for which `judges` is true; a run with none reports it skipped, with `unjudged` as the
    reason ("no exchanges to judge: ...", saying which checks would give it some)."""

    def decorate(
        func: Callable[[CheckContext, Exchange], list[str]],
    ) -> Callable[[CheckContext, Exchange], list[str]]:
        register(
            Check(
                name=name,
                group=group,
                requirement=requirement,
                needs=needs,
                kind="passive",
                observe=func,
                judges=judges,
                unjudged=unjudged,
            )
        )
        return func

    return decorate


def all_checks() -> list[Check]:
    """Every registered check, in running order (active first, then schema, then passive)."""
    for module in _CHECK_MODULES:
        importlib.import_module(module)
    order = {"active": 0, "schema": 1, "passive": 2}
    return sorted(_REGISTRY.values(), key=lambda c: order[c.kind])


def get_check(name: str) -> Check:
    checks = {c.name: c for c in all_checks()}
    if name not in checks:
        raise unknown_check_error(name, "check")
    return checks[name]


def unknown_check_error(name: str, where: str) -> ConfigError:
    names = [c.name for c in all_checks()]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else " See `credkit verify --list-checks`."
    return ConfigError(f"{where}: unknown check {name!r}.{hint}")


def select_checks(include: Iterable[str], exclude: Iterable[str]) -> list[Check]:
    """The checks to run: all, or only `include`, minus `exclude` (unknown names are errors)."""
    checks = all_checks()
    known = {c.name for c in checks}
    include, exclude = list(include), list(exclude)
    for name in include:
        if name not in known:
            raise unknown_check_error(name, "--include-check")
    for name in exclude:
        if name not in known:
            raise unknown_check_error(name, "--exclude-check")
    return [c for c in checks if (not include or c.name in include) and c.name not in exclude]
