"""The contract suite's dependencies come with the `verify` extra, and their absence is one
clear line, not a traceback mid-run."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

import contracts.dependencies
from contracts.cli import verify
from contracts.dependencies import SUITE_MODULES, missing_suite_modules, require_suite
from credkit_core.errors import ConfigError

HEAVY = ("schemathesis", "hypothesis", "faker", "uvicorn", "contracts.runner")


@pytest.fixture
def suite_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if schemathesis were not installed (hypothesis is)."""
    real = contracts.dependencies.find_spec

    def find_spec(name: str) -> object:
        return None if name == "schemathesis" else real(name)

    monkeypatch.setattr(contracts.dependencies, "find_spec", find_spec)


def test_the_suite_is_an_extra_not_a_base_dependency() -> None:
    declared = [Requirement(text) for text in requires("flowise-credkit") or []]
    base = {r.name for r in declared if r.marker is None}
    verify_extra = {r.name for r in declared if r.marker and r.marker.evaluate({"extra": "verify"})}
    assert set(SUITE_MODULES) <= verify_extra
    assert not base & set(SUITE_MODULES), base
    assert {"starlette", "httpx", "pytest"} <= base


def test_importing_both_pytest_plugins_imports_nothing_heavy() -> None:
    """What every pytest run of a project with credkit installed pays: the two plugin modules."""
    code = (
        "import sys, contracts.pytest_plugin, mockserver.pytest_plugin; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_import_check_sees_a_heavy_import() -> None:
    """Guards the test above: the same probe does report a module that is imported."""
    code = f"import sys, contracts.runner; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "contracts.runner" in out


def test_require_suite_passes_when_installed() -> None:
    assert missing_suite_modules() == []
    require_suite("credkit verify")


@pytest.mark.usefixtures("suite_missing")
def test_require_suite_names_the_missing_module_and_the_extra() -> None:
    with pytest.raises(ConfigError) as caught:
        require_suite("credkit verify")
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "credkit verify needs" in message and "schemathesis not installed" in message
    assert "pip install 'flowise-credkit[verify]'" in message


@pytest.mark.usefixtures("suite_missing")
def test_verify_without_the_extra_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(
        verify,
        ["--base-url", "http://127.0.0.1:9"],
        env={"CREDKIT_API_KEY": "dev-admin-key"},
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "flowise-credkit[verify]" in result.output
    assert "Traceback" not in result.output and "bug in credkit" not in result.output


@pytest.mark.usefixtures("suite_missing")
def test_the_pytest_option_without_the_extra_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--credkit-base-url", "http://127.0.0.1:9"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "flowise-credkit[verify]" in result.stderr.str()
