"""Allow files: the documented format, strict validation, and allowed deviations exit 0."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from contracts.allow import load_allow, parse_allow
from contracts.config import VerifyConfig
from contracts.outcomes import Finding
from contracts.runner import run
from credkit_core.errors import ConfigError
from mockserver.pytest_plugin import serving
from tests.contracts.broken.errors import unknown_id_500


def test_entries_match_check_and_operation() -> None:
    allow = parse_allow(
        {
            "allow": [
                {
                    "check": "unknown-id-404",
                    "operation": "put /api/v1/credentials/{id}",
                    "reason": "Flowise answers 500",
                },
                {"check": "check-order", "reason": "any operation"},
                {"fingerprint": _found("x", "GET /a").fingerprint, "reason": "that one"},
            ]
        }
    )
    put, get = "PUT /api/v1/credentials/{id}", "GET /api/v1/credentials/{id}"
    assert allow.reason_for(_found("unknown-id-404", put)) == "Flowise answers 500"
    assert allow.reason_for(_found("unknown-id-404", get)) is None
    assert allow.reason_for(_found("check-order", "DELETE /api/v1/x")) == "any operation"
    assert allow.reason_for(_found("x", "GET /a")) == "that one"
    assert allow.reason_for(_found("x", "GET /a", status=500)) is None  # another finding
    assert allow.fingerprints() == {_found("x", "GET /a").fingerprint}


def _found(check: str, operation: str, *, status: int = 404) -> Finding:
    return Finding(check, operation, "required", f"answered {status}: id 12", status=status)


def test_fingerprints_ignore_ids_times_and_values() -> None:
    one = Finding(
        "c",
        "PUT /api/v1/credentials/1f2e3d4c-aaaa",
        "r",
        "name is 'a-17', expected 'b-19' (status 200, body {...})",
        status=200,
    )
    two = Finding(
        "c",
        "PUT /api/v1/credentials/9b8c7d6e-bbbb",
        "r",
        "name is 'x-2', expected 'y-3' (status 200, body {other})",
        status=200,
    )
    other = Finding("c", "PUT /api/v1/credentials/9b8c7d6e-bbbb", "r",
                    "createdDate changed on update (status 200)", status=200)  # fmt: skip
    assert one.fingerprint == two.fingerprint != other.fingerprint
    assert one.signature == "c | PUT /api/v1/credentials/{id} | got 200: name is …, expected …"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"allow": [{"check": "unknown-id-40", "reason": "r"}]}, "Did you mean 'unknown-id-404'"),
        ({"allow": [{"check": "unknown-id-404"}]}, "`reason` is required"),
        ({"allow": [{"check": "unknown-id-404", "reason": "r", "why": 1}]}, "unknown key"),
        (
            {"allow": [{"check": "unknown-id-404", "reason": "r", "operation": "PUT"}]},
            "must look like",
        ),
        ({"allowed": []}, "one key, `allow`"),
        ({"allow": [{"check": "model-conformance", "reason": "r"}]}, "cannot be allowed as a"),
        ({"allow": [{"fingerprint": "abc", "reason": "r"}]}, "is not one"),
        ({"allow": [{"reason": "r"}]}, "give `fingerprint`"),
        (
            {"allow": [{"fingerprint": "0123456789ab", "operation": "GET /x", "reason": "r"}]},
            "drop `operation`",
        ),
    ],
)
def test_invalid_allow_files_are_errors(document: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as info:
        parse_allow(document, "allow.yaml")
    assert info.value.exit_code == 2


def test_load_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        'allow:\n  - check: check-order\n    operation: "GET /api/v1/ping"\n    reason: "x"\n'
    )
    assert load_allow(path).entries[0].operation == "GET /api/v1/ping"
    with pytest.raises(ConfigError, match="cannot read"):
        load_allow(tmp_path / "missing.yaml")


def test_allowed_deviation_is_reported_as_allowed_and_exits_0(
    make_config: Callable[..., VerifyConfig],
) -> None:
    allow = parse_allow(
        {
            "allow": [
                {
                    "check": "unknown-id-404",
                    "operation": "PUT /api/v1/credentials/{id}",
                    "reason": "real Flowise 3.1 answers 500",
                }
            ]
        }
    )
    with serving(unknown_id_500()) as url:
        result = run(make_config(url, include_checks=("unknown-id-404",)), allow=allow)
    outcome = result.outcomes[0]
    assert (result.exit_code, outcome.status) == (0, "allowed")
    assert outcome.findings[0].allowed_reason == "real Flowise 3.1 answers 500"
