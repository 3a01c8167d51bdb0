"""pytest plugin of the contract suite (registered through the `pytest11` entry point).

`pytest --credkit-base-url URL` adds one test item per check (and, for schemathesis checks, per
operation of the spec), with node ids `credkit/<group>::<check>[<operation>]` (so JUnit XML
classnames are `credkit.<group>`); keys come from the environment, the same variables as
`credkit verify` (`contracts.config.ENV_VARS`; `pytest --help` names them). Without
CREDKIT_API_KEY, or with a value `credkit verify` would refuse, pytest stops with one usage
error before collecting. The suite runs once, when the first item runs; each item then reports
its own findings. Without the option the plugin does nothing, and importing it stays cheap
(nothing of schemathesis, httpx or the runner is imported until a run is asked for).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

__all__ = ["CredkitItem", "CredkitRun", "pytest_addoption", "pytest_collection_modifyitems"]

if TYPE_CHECKING:
    from contracts.config import VerifyConfig
    from contracts.runner import RunResult

_OPTION = "--credkit-base-url"
# The same variables as `credkit verify` (contracts.config.ENV_VARS; a test keeps them equal).
# Spelled out here so that importing the plugin imports nothing of the suite.
_KEY_VARS = {
    "api_key": "CREDKIT_API_KEY",
    "readonly_api_key": "CREDKIT_READONLY_API_KEY",
    "foreign_api_key": "CREDKIT_FOREIGN_API_KEY",
    "secret_key": "CREDKIT_VERIFY_SECRET_KEY",
}
_KEYS_HELP = (
    "Keys come from the environment: CREDKIT_API_KEY (full credential permissions; required), "
    "CREDKIT_READONLY_API_KEY (credentials:view only), CREDKIT_FOREIGN_API_KEY (another "
    "workspace), CREDKIT_VERIFY_SECRET_KEY (the server's encryption passphrase)."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("credkit", "credkit contract suite. " + _KEYS_HELP)
    group.addoption(
        _OPTION,
        dest="credkit_base_url",
        default=None,
        help="Run the credkit contract checks against this server root. " + _KEYS_HELP,
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
    group.addoption(
        "--credkit-baseline",
        dest="credkit_baseline",
        default=None,
        help="Baseline file (credkit verify --baseline-write): fail only on findings not in it.",
    )
    group.addoption(
        "--credkit-html",
        dest="credkit_html",
        default=None,
        help="Write the run's self-contained HTML report here (as credkit verify --html).",
    )


def verify_config(config: pytest.Config) -> VerifyConfig:
    """The run's configuration from the options and the environment; a `pytest.UsageError`
    (one message, naming the variables) when the key is missing or a value is refused."""
    from contracts.config import VerifyConfig
    from credkit_core.errors import ConfigError

    option = config.getoption
    keys = {name: os.environ.get(var) or None for name, var in _KEY_VARS.items()}
    if not keys["api_key"]:
        raise pytest.UsageError(
            f"{_OPTION} needs an API key with full credential permissions in the environment "
            f"variable CREDKIT_API_KEY (not set). {_KEYS_HELP}"
        )
    try:
        return VerifyConfig(
            base_url=option("credkit_base_url"),
            api_key=keys["api_key"],
            readonly_api_key=keys["readonly_api_key"],
            foreign_api_key=keys["foreign_api_key"],
            secret_key=keys["secret_key"],
            max_examples=option("credkit_max_examples"),
            include_checks=tuple(option("credkit_checks")),
            phases=tuple(p.strip() for p in option("credkit_phases").split(",") if p.strip()),
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"credkit: {exc}") from None


class CredkitRun:
    """Runs the suite once per session, on first use."""

    def __init__(self, config: pytest.Config, verify: VerifyConfig) -> None:
        self.config = config
        self.verify = verify
        self.result: RunResult | None = None

    def get(self) -> RunResult:
        if self.result is None:
            from pathlib import Path

            from contracts.allow import load_allow
            from contracts.baseline import load_baseline
            from contracts.runner import run

            allow_path = self.config.getoption("credkit_allow")
            allow = load_allow(Path(allow_path)) if allow_path else None
            baseline_path = self.config.getoption("credkit_baseline")
            baseline = load_baseline(Path(baseline_path)) if baseline_path else None
            self.result = run(self.verify, allow=allow, baseline=baseline)
            xmlpath = getattr(self.config.option, "xmlpath", None)
            if self.result.bodies and xmlpath:  # beside the JUnit report, as verify does
                from contracts.report import write_bodies

                directory = Path(xmlpath).expanduser().resolve().parent
                directory.mkdir(parents=True, exist_ok=True)
                write_bodies(self.result, directory)
            html_path = self.config.getoption("credkit_html")
            if html_path:
                from contracts.html_report import write_html

                write_html(self.result, Path(html_path).expanduser())
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
    from contracts.dependencies import require_suite
    from credkit_core.errors import ConfigError

    try:
        require_suite("pytest --credkit-base-url")
    except ConfigError as exc:
        raise pytest.UsageError(f"credkit: {exc}") from None

    runner = CredkitRun(config, verify_config(config))
    html_path = config.getoption("credkit_html")
    if html_path:  # checked before the run, as verify checks --html
        from pathlib import Path

        from contracts.report import check_output_path

        try:
            check_output_path(Path(html_path), "--credkit-html")
        except ConfigError as exc:
            raise pytest.UsageError(f"credkit: {exc}") from None
    labels = [op.label for op in operations()]
    try:
        selected = select_checks(config.getoption("credkit_checks"), ())
    except ConfigError as exc:
        raise pytest.UsageError(f"credkit: {exc}") from None
    for item in selected:
        targets: list[str | None] = list(labels) if item.kind == "schema" else [None]
        for operation in targets:
            name = item.name if operation is None else f"{item.name}[{operation}]"
            items.append(
                CredkitItem.from_parent(
                    session,
                    name=name,
                    nodeid=f"credkit/{item.group}::{name}",
                    check=item.name,
                    operation=operation,
                    runner=runner,
                )
            )
