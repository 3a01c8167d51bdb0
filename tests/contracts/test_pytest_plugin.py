"""The pytest plugin: idle without its option, one item per check (and operation) with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.pytest_plugin import serving
from tests.contracts.broken.semantics import put_replaces
from tests.contracts.conftest import KEYS


@pytest.fixture
def keys_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDKIT_API_KEY", KEYS["api_key"])
    monkeypatch.setenv("CREDKIT_READONLY_API_KEY", KEYS["readonly_api_key"])
    monkeypatch.delenv("CREDKIT_FOREIGN_API_KEY", raising=False)


def test_import_is_cheap() -> None:
    heavy = "('schemathesis', 'httpx', 'contracts.runner')"
    code = f"import sys, contracts.pytest_plugin; print([m for m in {heavy} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_without_the_option_the_plugin_adds_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "credkit[" not in result.stdout.str()


def test_items_per_check_and_operation(
    pytester: pytest.Pytester, mock_url: str, keys_in_env: None
) -> None:
    args = [
        "-p",
        "no:cacheprovider",
        "-v",
        "--credkit-base-url",
        mock_url,
        "--credkit-max-examples",
        "2",
        "--credkit-phases",
        "examples",
    ]
    args += [
        "--credkit-check",
        "update-partial-merge",
        "--credkit-check",
        "workspace-isolation",
        "--credkit-check",
        "status_code_conformance",
    ]
    result = pytester.runpytest(*args)
    # 1 + 1 (skipped: no foreign key) + one per operation of the spec for the schemathesis check
    result.assert_outcomes(passed=9, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "credkit/update-semantics::update-partial-merge PASSED*",
            "credkit/schema::status_code_conformance?PUT /api/v1/credentials/{id}? PASSED*",
        ]
    )


def test_a_defect_fails_its_item(pytester: pytest.Pytester, keys_in_env: None) -> None:
    with serving(put_replaces()) as url:
        result = pytester.runpytest(
            "-p",
            "no:cacheprovider",
            "--credkit-base-url",
            url,
            "--credkit-check",
            "update-partial-merge",
        )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*required: plainDataObj is shallow-merged*"])


def test_without_a_key_one_usage_error_names_the_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREDKIT_API_KEY", raising=False)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--credkit-base-url", "http://127.0.0.1:9"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "--credkit-base-url needs an API key" in errors and "CREDKIT_API_KEY (not set)" in errors
    assert "CREDKIT_READONLY_API_KEY" in errors and "--api-key" not in errors
    assert "failed" not in result.stdout.str()


def test_a_refused_key_value_is_a_usage_error_that_does_not_show_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDKIT_API_KEY", "key-canary-0123456789\n")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--credkit-base-url", "http://127.0.0.1:9"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stderr.str() + result.stdout.str()
    assert "CREDKIT_API_KEY) contains a line break" in output
    assert "canary" not in output


def test_pytest_help_names_the_variables(pytester: pytest.Pytester) -> None:
    help_text = " ".join(pytester.runpytest("-p", "no:cacheprovider", "--help").stdout.lines)
    for variable in (
        "CREDKIT_API_KEY",
        "CREDKIT_READONLY_API_KEY",
        "CREDKIT_FOREIGN_API_KEY",
        "CREDKIT_VERIFY_SECRET_KEY",
    ):
        assert variable in help_text


def test_junit_classnames_name_the_group(
    pytester: pytest.Pytester, mock_url: str, keys_in_env: None
) -> None:
    from xml.etree import ElementTree as ET

    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--junitxml=junit.xml",
        "--credkit-base-url",
        mock_url,
        "--credkit-max-examples",
        "1",
        "--credkit-phases",
        "examples",
        "--credkit-check",
        "update-response-id",
        "--credkit-check",
        "status_code_conformance",
    )
    result.assert_outcomes(passed=9)
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert ("credkit.update-semantics", "update-response-id") in names
    assert ("credkit.schema", "status_code_conformance[PUT /api/v1/credentials/{id}]") in names
    assert all(classname for classname, _ in names)


def test_large_bodies_are_written_beside_the_junit_report(
    pytester: pytest.Pytester, keys_in_env: None
) -> None:
    from mockserver.app import create_app
    from mockserver.config import Config

    flowise = create_app(Config(access_log=False, log_level="warning", profile="flowise-3.1"))
    with serving(flowise) as url:  # accepts 10k-deep nesting: a finding with a 20 kB body
        result = pytester.runpytest(
            "-p",
            "no:cacheprovider",
            "--junitxml=out/junit.xml",
            "--credkit-base-url",
            url,
            "--credkit-check",
            "malformed-json-400",
        )
    result.assert_outcomes(failed=1)
    [body] = (pytester.path / "out").glob("credkit-body-*.bin")
    assert body.read_bytes() == b"[" * 10000 + b"]" * 10000
    result.stdout.fnmatch_lines([f"*--data-binary @{body.name}*"])


def test_credkit_html_writes_the_report_of_a_failing_run(
    pytester: pytest.Pytester, keys_in_env: None
) -> None:
    from mockserver.app import create_app
    from mockserver.config import Config

    flowise = create_app(Config(access_log=False, log_level="warning", profile="flowise-3.1"))
    with serving(flowise) as url:
        result = pytester.runpytest(
            "-p",
            "no:cacheprovider",
            "--credkit-html=report.html",
            "--credkit-base-url",
            url,
            "--credkit-check",
            "malformed-json-400",
        )
    result.assert_outcomes(failed=1)
    text = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert 'data-check="malformed-json-400" data-status="failed"' in text
    assert '<pre class="curl"' in text
    assert not any(key in text for key in KEYS.values())


def test_credkit_html_path_is_checked_before_the_run(
    pytester: pytest.Pytester, keys_in_env: None
) -> None:
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--credkit-html=missing/report.html",
        "--credkit-base-url",
        "http://127.0.0.1:9",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--credkit-html missing/report.html: the directory" in result.stderr.str()


def test_a_baseline_turns_known_findings_into_passes(
    pytester: pytest.Pytester, keys_in_env: None, tmp_path: Path
) -> None:
    from contracts.baseline import write_baseline
    from contracts.config import VerifyConfig
    from contracts.runner import run

    path = tmp_path / "baseline.yaml"
    args = ["-p", "no:cacheprovider", "--credkit-check", "update-partial-merge",
            "--credkit-max-examples", "2"]  # fmt: skip
    with serving(put_replaces()) as url:
        failing = pytester.runpytest(*args, "--credkit-base-url", url)
        assert failing.ret == 1
        found = run(VerifyConfig(base_url=url, api_key=KEYS["api_key"], max_examples=2,
                                 include_checks=("update-partial-merge",)))  # fmt: skip
        write_baseline([f for o in found.outcomes for f in o.findings], path, url)
        known = pytester.runpytest(
            *args, "--credkit-base-url", url, "--credkit-baseline", str(path)
        )
    assert known.ret == 0, known.stdout.str()
