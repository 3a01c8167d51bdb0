"""Allow files: the documented format, strict validation, and allowed deviations exit 0."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from contracts.allow import load_allow, parse_allow
from contracts.config import VerifyConfig
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
                {"check": "error-shape", "reason": "any operation"},
            ]
        }
    )
    assert (
        allow.reason_for("unknown-id-404", "PUT /api/v1/credentials/{id}") == "Flowise answers 500"
    )
    assert allow.reason_for("unknown-id-404", "GET /api/v1/credentials/{id}") is None
    assert allow.reason_for("error-shape", "DELETE /api/v1/credentials/{id}") == "any operation"


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
    ],
)
def test_invalid_allow_files_are_errors(document: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as info:
        parse_allow(document, "allow.yaml")
    assert info.value.exit_code == 2


def test_load_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        'allow:\n  - check: error-shape\n    operation: "GET /api/v1/ping"\n    reason: "x"\n'
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
