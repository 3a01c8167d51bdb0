"""Reports: the JSON report matches docs/report-schema.json, JUnit XML parses, and no report
carries a key or a secret the suite wrote."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema_rs
import pytest
from rich.console import Console

from contracts.allow import parse_allow
from contracts.config import VerifyConfig
from contracts.report import print_console, to_json, write_json, write_junit
from contracts.runner import RunResult, run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.secrets import leaks_base64, leaks_secret_header, non_redacted_get
from tests.contracts.conftest import KEYS

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"
SECRET = re.compile(r"credkit-secret-[0-9a-f]{32}|Pw[0-9a-f]{32}")


def failing_run(seed: int) -> RunResult:
    """A run with failed, passed, allowed and skipped checks (the HTML report's tests use it
    too): a server that answers secrets in clear on GET, no foreign key."""
    checks = (
        "get-redacts-secrets",
        "no-secret-in-responses",
        "update-response-id",
        "update-marker-keeps-secret",
        "workspace-isolation",
    )
    allow = parse_allow(
        {"allow": [{"check": "update-response-id", "reason": "not broken, never matches"}]}
    )
    with serving(non_redacted_get()) as url:
        config = VerifyConfig(
            base_url=url, **{**KEYS, "foreign_api_key": None}, include_checks=checks, seed=seed
        )
        return run(config, allow=allow)


@pytest.fixture(scope="module")
def result() -> RunResult:
    return failing_run(seed=1)


def test_run_has_failed_and_skipped_checks(result: RunResult) -> None:
    status = {o.check.name: o.status for o in result.outcomes}
    assert status["get-redacts-secrets"] == "failed"
    assert status["no-secret-in-responses"] == "failed"
    assert status["update-marker-keeps-secret"] == "skipped"
    assert status["workspace-isolation"] == "skipped"
    assert result.exit_code == 1


def test_json_report_matches_its_documented_schema(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(result, path)
    document = json.loads(path.read_text())
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    assert [e.message for e in validator.iter_errors(document)] == []
    assert document["exitCode"] == 1 and document["summary"]["failed"] == 2
    assert document["cleanup"] == {"created": result.created, "leftovers": []}


def test_schema_rejects_a_report_missing_a_field(result: RunResult) -> None:
    document = to_json(result)
    del document["checks"][0]["findings"]
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    assert not validator.is_valid(document)


def test_junit_xml_has_one_testcase_per_check(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(result, path)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {o.check.name for o in result.outcomes}
    assert cases["get-redacts-secrets"].find("failure") is not None
    assert cases["workspace-isolation"].find("skipped") is not None
    assert suite.get("failures") == "2"


def test_no_report_carries_a_key_or_a_secret(result: RunResult, tmp_path: Path) -> None:
    buffer = io.StringIO()
    print_console(result, Console(file=buffer, width=300))
    write_junit(result, tmp_path / "j.xml")
    texts = [buffer.getvalue(), json.dumps(to_json(result)), (tmp_path / "j.xml").read_text()]
    for text in texts:
        assert not SECRET.search(text)
        assert not any(key in text for key in KEYS.values())
    assert "$API_KEY" in texts[0] and "The contract requires" in texts[0]


def test_secret_in_a_header_is_found_but_never_shown(
    make_config: Callable[..., VerifyConfig],
) -> None:
    with serving(leaks_secret_header()) as url:
        leaked = run(
            make_config(url, include_checks=("no-secret-in-responses", "update-partial-merge"))
        )
    finding = leaked.failures()[0]
    assert "header" in finding.observed
    assert not SECRET.search(json.dumps(to_json(leaked)))


def test_a_base64_leak_is_found_and_not_repeated_in_the_report(
    make_config: Callable[..., VerifyConfig],
) -> None:
    from contracts.secrets import _decoded_runs

    with serving(leaks_base64()) as url:
        leaked = run(
            make_config(url, include_checks=("no-secret-in-responses", "update-partial-merge"))
        )
    assert leaked.failures()[0].check == "no-secret-in-responses"
    report = json.dumps(to_json(leaked)).encode()
    assert not any(b"credkit-secret-" in blob for blob in _decoded_runs(report))


def test_schemathesis_checks_report_no_time_of_their_own(
    mock_url: str, make_config: Callable[..., VerifyConfig], tmp_path: Path
) -> None:
    checks = ("update-response-id", "status_code_conformance", "not_a_server_error")
    result = run(make_config(mock_url, include_checks=checks, phases=("examples",)))
    assert result.exit_code == 0
    write_junit(result, tmp_path / "junit.xml")
    cases = {c.get("name"): c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")}
    # the phase's time is not each check's: no time rather than the phase's, twice
    assert cases["status_code_conformance"].get("time") is None
    assert cases["not_a_server_error"].get("time") is None
    own = float(cases["update-response-id"].get("time") or "nan")
    assert 0 < own <= result.seconds
    checks_json = {c["name"]: c for c in to_json(result)["checks"]}
    assert checks_json["status_code_conformance"]["durationSeconds"] is None
    assert checks_json["update-response-id"]["durationSeconds"] == round(own, 3)


def test_skipped_checks_are_listed_at_the_end_with_what_enables_them(result: RunResult) -> None:
    console = Console(file=io.StringIO(), width=300)
    print_console(result, console)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    start = next(i for i, line in enumerate(lines) if "check(s) skipped" in line)
    assert lines[start].startswith("2 check(s) skipped — not verified")
    listed = lines[start + 1 : start + 3]
    assert any(
        "needs --secret-key (CREDKIT_VERIFY_SECRET_KEY): update-marker-keeps-secret" in line
        for line in listed
    ), listed
    assert any(
        "needs --foreign-api-key (CREDKIT_FOREIGN_API_KEY): workspace-isolation" in line
        for line in listed
    ), listed
    # after every finding, just before the verdict: the last thing a CI log shows
    assert start > max(i for i, line in enumerate(lines) if "Reproduce:" in line)
    assert lines[start + 3].startswith("contract violations found (2 skipped)")
