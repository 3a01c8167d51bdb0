"""The schemathesis integration: why each known false positive is configured away, and that the
checks it keeps still catch what they are for. Also: reproductions are masked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from contracts import schema
from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.access import ignores_auth

SCHEMATHESIS_DEFAULT_REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "422"]


def test_negative_data_rejection_needs_412_to_pass_a_correct_server(
    mock_url: str, make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(
        mock_url, include_checks=("negative_data_rejection",), phases=("coverage",)
    )
    assert run(config).exit_code == 0  # with 412/415/413 expected: the correct mock passes
    monkeypatch.setattr(schema, "EXPECTED_REJECTIONS", SCHEMATHESIS_DEFAULT_REJECTIONS)
    result = run(
        config
    )  # schemathesis' defaults: the contract's 412 for a missing body is "accepted"
    assert result.exit_code == 1
    assert {f.status for f in result.failures()} == {412}
    assert all("Missing request body" in f.observed for f in result.failures())


def test_positive_data_acceptance_needs_404_for_ids_that_name_nothing(
    mock_url: str, make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(
        mock_url, include_checks=("positive_data_acceptance",), phases=("examples",)
    )
    assert run(config).exit_code == 0
    monkeypatch.setattr(schema, "EXPECTED_ACCEPTANCE", ["2xx", "401", "403"])
    result = run(config)  # a valid but absent id gets the contract's 404
    assert result.exit_code == 1
    assert {f.status for f in result.failures()} == {404}
    for finding in result.failures():  # the status received is named, not only "rejected"
        assert "404" in finding.observed, finding.observed


def test_ignored_auth_is_kept_because_it_catches_ignored_auth(
    make_config: Callable[..., VerifyConfig],
) -> None:
    app = ignores_auth()
    seeded = {c.id for c in app.state.store.all()}
    with serving(app) as url:
        result = run(make_config(url, include_checks=("ignored_auth",), phases=("examples",)))
    assert result.exit_code == 1
    assert {f.check for f in result.failures()} == {"ignored_auth"}
    # what its key-less probes created on this server was tracked and deleted too
    assert {c.id for c in app.state.store.all()} == seeded


def test_schemathesis_reproductions_are_masked(make_config: Callable[..., VerifyConfig]) -> None:
    with serving(ignores_auth()) as url:
        result = run(make_config(url, include_checks=("ignored_auth",), phases=("examples",)))
    for finding in result.failures():
        assert finding.curl is not None
        assert "dev-admin-key" not in finding.curl and "$API_KEY" in finding.curl
        assert "sk-example" not in finding.curl  # the spec example's plainDataObj value


def test_a_run_leaves_no_hypothesis_directory_behind(
    mock_url: str,
    make_config: Callable[..., VerifyConfig],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(make_config(mock_url, include_checks=("not_a_server_error",), phases=("fuzzing",)))
    assert result.exit_code == 0
    assert list(tmp_path.iterdir()) == []


def test_fuzzing_scans_what_schemathesis_creates_and_reads_for_secrets(
    make_config: Callable[..., VerifyConfig],
) -> None:
    from tests.contracts.broken.secrets import non_redacted_get

    checks = ("no-secret-in-responses", "not_a_server_error")
    with serving(non_redacted_get()) as url:
        result = run(make_config(url, include_checks=checks, max_examples=5), mode="fuzz")
    assert result.exit_code == 1
    assert {f.check for f in result.failures()} == {"no-secret-in-responses"}
