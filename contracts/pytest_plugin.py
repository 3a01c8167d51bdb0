"""pytest plugin of the contract suite (registered through the `pytest11` entry point).

`pytest --credkit-base-url URL` adds one test item per check (and, for schemathesis checks, per
operation of the spec); keys come from CREDKIT_API_KEY, CREDKIT_READONLY_API_KEY and
CREDKIT_FOREIGN_API_KEY. The suite runs once, when the first item runs; each item then reports
its own findings. Without the option the plugin does nothing, and importing it stays cheap
(nothing of schemathesis, httpx or the runner is imported until a run is asked for).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

__all__ = ["CredkitItem", "CredkitRun", "pytest_addoption", "pytest_collection_modifyitems"]

if TYPE_CHECKING:
    from contracts.runner import RunResult

_OPTION = "--credkit-base-url"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("credkit", "credkit contract suite")
    group.addoption(
        _OPTION,
        dest="credkit_base_url",
        default=None,
        help="Run the credkit contract checks against this server root.",
    )
    group.addoption(
        "--credkit-max-examples",
        dest="credkit_max_examples",
        type=int,
        default=10,
        help="Examples per operation and phase.",
    )
    group.addoption(
        "--credkit-phases",
        dest="credkit_phases",
        default="examples,coverage,fuzzing,stateful",
        help="Comma-separated schemathesis phases to run.",
    )
    group.addoption(
        "--credkit-check",
        dest="credkit_checks",
        action="append",
        default=[],
        help="Run only this check (repeatable).",
    )
    group.addoption(
        "--credkit-allow",
        dest="credkit_allow",
        default=None,
        help="Allow file of accepted deviations.",
    )


class CredkitRun:
    """Runs the suite once per session, on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.result: RunResult | None = None

    def get(self) -> RunResult:
        if self.result is None:
            from pathlib import Path

            from contracts.allow import load_allow
            from contracts.config import VerifyConfig
            from contracts.runner import run

            option = self.config.getoption
            allow_path = option("credkit_allow")
            verify = VerifyConfig(
                base_url=option("credkit_base_url"),
                api_key=os.environ.get("CREDKIT_API_KEY"),
                readonly_api_key=os.environ.get("CREDKIT_READONLY_API_KEY"),
                foreign_api_key=os.environ.get("CREDKIT_FOREIGN_API_KEY"),
                secret_key=os.environ.get("CREDKIT_VERIFY_SECRET_KEY"),
                max_examples=option("credkit_max_examples"),
                include_checks=tuple(option("credkit_checks")),
                phases=tuple(p.strip() for p in option("credkit_phases").split(",") if p.strip()),
            )
            self.result = run(verify, allow=load_allow(Path(allow_path)) if allow_path else None)
        return self.result


class CredkitItem(pytest.Item):
    """One check (and operation) of the contract suite."""

    def __init__(
        self, *, check: str, operation: str | None, runner: CredkitRun, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.check, self.operation, self.runner = check, operation, runner

    def runtest(self) -> None:
        result = self.runner.get()
        if result.abort_reason:
            pytest.fail(f"the run could not proceed: {result.abort_reason}", pytrace=False)
        outcome = next((o for o in result.outcomes if o.check.name == self.check), None)
        if outcome is None or outcome.status == "skipped":
            pytest.skip(outcome.reason if outcome and outcome.reason else "not run")
        assert outcome is not None
        if outcome.status == "error":
            pytest.fail(f"check errored: {outcome.reason}", pytrace=False)
        mine = [
            f
            for f in outcome.findings
            if not f.allowed and (self.operation is None or f.operation == self.operation)
        ]
        if mine:
            from contracts.report import _finding_text

            pytest.fail("\n\n".join(_finding_text(f) for f in mine), pytrace=False)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return ("credkit", None, self.name)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("credkit_base_url", default=None):
        return
    from contracts.access import operations
    from contracts.checks import select_checks

    runner = CredkitRun(config)
    labels = [op.label for op in operations()]
    for item in select_checks(config.getoption("credkit_checks"), ()):
        targets: list[str | None] = list(labels) if item.kind == "schema" else [None]
        for operation in targets:
            name = (
                f"credkit[{item.name}]"
                if operation is None
                else f"credkit[{item.name}][{operation}]"
            )
            items.append(
                CredkitItem.from_parent(
                    session, name=name, check=item.name, operation=operation, runner=runner
                )
            )
