"""A divergence reads as numbered curl steps: the model's answer beside the server's, keys as
variables, secrets masked, the ids the sequence created as `$CRED_<n>`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.model import delete_again_200
from tests.contracts.conftest import KEYS


def test_reproduction_is_numbered_steps(
    make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("contracts.model.check.SHRINK_SECONDS", 5)
    with serving(delete_again_200()) as url:
        result = run(
            make_config(url, include_checks=("model-conformance",), max_examples=10, max_failures=1)
        )
    (finding,) = result.outcomes[0].findings
    steps = (finding.curl or "").split("\n")
    comments = [line for line in steps if line.startswith("# ")]
    assert comments[0].startswith("# 1. ") and "| model: " in comments[0]
    assert "| model: 404" in comments[-1] and "| server: 200" in comments[-1]
    assert steps[1].startswith("CRED_1=$(curl -s -X POST ")
    assert steps[-1].startswith('curl -X DELETE "') and "/$CRED_1" in steps[-1]
    assert '"Authorization: Bearer $API_KEY"' in steps[-1]
    assert "model expects 404" in finding.requirement
    text = "\n".join([finding.curl or "", finding.observed, finding.requirement])
    assert not any(key in text for key in KEYS.values())
    assert "credkit-secret-" not in text
