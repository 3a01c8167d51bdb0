"""A team pinning Flowise: the `flowise-3.1` profile (real Flowise 3.1.4's behaviour) with the
committed baseline exits 0, and each regression injected into a copy of it exits 1 naming only
its new findings — every one of Flowise's known departures stays known, however deep the model
explores past it.

The baseline is recorded by `python -m tests.contracts.flowise_baseline` (several seeds, each
exploring the whole budget); the runs here use another seed than any it was recorded with.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.baseline import load_baseline
from contracts.config import VerifyConfig
from contracts.runner import RunResult, run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.regressions import PASSPHRASE, REGRESSIONS, flowise
from tests.contracts.flowise_baseline import BASELINE, CHECKS, MAX_EXAMPLES

SEED = 1001  # not one the baseline was recorded with


@pytest.fixture(autouse=True)
def _short_shrinking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("contracts.model.check.SHRINK_SECONDS", 5)


# Regressions whose divergence a known departure can mask: on a loaded machine the profile's
# timing-dependent departures (dates) fire more often, and the model forgets what they touched
# before the regression shows on it (seen once in a full parallel run). More sequences.
DEEPER = {"lost-update": 6}


def _run(
    app: object, make_config: Callable[..., VerifyConfig], examples: int = MAX_EXAMPLES
) -> RunResult:
    with serving(app) as url:
        # one lane: the same seed explores the same sequences on every run, so which of the
        # profile's rarer departures show beside a regression does not vary from run to run
        config = make_config(url, include_checks=CHECKS, max_examples=examples, seed=SEED,
                             secret_key=PASSPHRASE, concurrency=1)  # fmt: skip
        return run(config, baseline=load_baseline(BASELINE))


def test_the_baseline_is_committed() -> None:
    baseline = load_baseline(BASELINE)
    assert len(baseline.entries) >= 50
    assert {e.finding.split(" | ")[0] for e in baseline.entries} <= set(CHECKS)


def test_the_clean_profile_with_its_baseline_exits_0(
    make_config: Callable[..., VerifyConfig],
) -> None:
    result = _run(flowise(), make_config)
    assert result.exit_code == 0, [f.signature for f in result.failures()]
    assert result.exploration["distinct"] == 0  # nothing new: every divergence was expected
    assert result.exploration["expected"] == len(load_baseline(BASELINE).entries)


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_a_regression_exits_1_with_only_its_findings(
    name: str, make_config: Callable[..., VerifyConfig]
) -> None:
    factory, words = REGRESSIONS[name]
    result = _run(factory(), make_config, DEEPER.get(name, MAX_EXAMPLES))
    assert result.exit_code == 1
    new = sorted({f.signature for f in result.failures()})
    assert new
    assert all(any(word in signature for word in words) for signature in new), new
