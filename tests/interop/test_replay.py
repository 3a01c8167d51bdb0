"""Differential proof of fidelity: the mock's `flowise-3.1` profile against real Flowise 3.1.4.

The recording (tests/recordings/flowise-3.1.4/scenario.json, made by `interop/flowise/record.py`
against the real npm package) is compared, exchange by exchange, with the same scenario replayed
in-process against the mock: status, content type, body keys, types and every value that is not
an id, a date or a ciphertext, and what each `encryptedData` decrypts to.

Where the real server answers a secret in clear, the mock withholds it (a house rule): such an
exchange must be one the scenario marks as a known divergence, and must not hold the secret.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from interop.flowise.recording import Comparison, compare
from interop.flowise.replay import RECORDING, compare_all, replay_mock
from interop.flowise.steps import STEPS

DIVERGENT = {step.name for step in STEPS if step.divergence}


def _recorded() -> list[dict[str, Any]]:
    exchanges: list[dict[str, Any]] = json.loads(RECORDING.read_text(encoding="utf-8"))["exchanges"]
    return exchanges


@pytest.fixture(scope="module")
def replayed() -> dict[str, dict[str, Any]]:
    return {exchange["step"]: exchange for exchange in replay_mock()}


@pytest.fixture(scope="module")
def comparisons(replayed: dict[str, dict[str, Any]]) -> dict[str, Comparison]:
    return {c.step: c for c in compare_all(_recorded(), list(replayed.values()))}


def test_recording_covers_the_scenario() -> None:
    recorded = [exchange["step"] for exchange in _recorded()]
    assert recorded == [step.name for step in STEPS]
    assert len(recorded) >= 60


def test_recording_holds_no_key_secret_or_local_path() -> None:
    text = RECORDING.read_text(encoding="utf-8")
    assert "s3cr3t-" not in text  # every scenario secret is made up as s3cr3t-<name>-<hex>
    assert "Bearer $API_KEY" in text
    assert "${secret_pg}" in text
    assert "/root/" not in text and "/home/" not in text


@pytest.mark.parametrize("step", [step.name for step in STEPS])
def test_exchange_matches_the_real_server(step: str, comparisons: dict[str, Comparison]) -> None:
    result = comparisons[step]
    assert result.differences == [], f"{step}: the mock departs from real Flowise 3.1.4"
    if result.withheld:
        assert step in DIVERGENT, f"{step}: a secret was withheld where none was expected"


def test_withheld_secrets_are_not_answered(replayed: dict[str, dict[str, Any]]) -> None:
    assert DIVERGENT
    for step in DIVERGENT:
        assert "${secret_" not in json.dumps(replayed[step]["response"]["body"]), step


def test_comparison_sees_a_changed_value_status_type_or_stored_data(
    replayed: dict[str, dict[str, Any]],
) -> None:
    original = replayed["get-after-merge"]
    assert compare(original, original).matches
    for mutate in (
        lambda ex: ex["response"]["body"]["plainDataObj"].update(organization="org-2"),
        lambda ex: ex["response"].update(status=201),
        lambda ex: ex["response"].update(content_type="application/json"),
        lambda ex: ex["response"]["body"].update(name=1),
        lambda ex: ex["response"]["body"].pop("workspaceId"),
    ):
        changed = copy.deepcopy(original)
        mutate(changed)
        assert compare(original, changed).differences
    stored = copy.deepcopy(replayed["put-merge"])
    stored["response"]["decrypted"][0]["organization"] = "org-2"
    assert compare(replayed["put-merge"], stored).differences


def test_comparison_ignores_date_values(
    replayed: dict[str, dict[str, Any]],
) -> None:
    original = replayed["put-name"]
    changed = copy.deepcopy(original)
    changed["response"]["body"]["updatedDate"] = "2000-01-01T00:00:00.000Z"
    assert compare(original, changed).matches
