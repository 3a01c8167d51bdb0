"""Repeated default `credkit verify` runs against two correct implementations — the mock and
the second, independent one in `tests/contracts/second/` (numeric ids, `+00:00` dates, gzip,
chunked answers, 429s) — report nothing: no false alarm in 20 consecutive runs of each, every
run with its own random seed. Slow (minutes): `CREDKIT_SLOW=1 pytest -k false_alarms -s`;
`CREDKIT_FALSE_ALARM_RUNS` changes the count."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import PASSPHRASE, mock
from tests.contracts.conftest import KEYS
from tests.contracts.second.app import PASSPHRASE as SECOND_PASSPHRASE
from tests.contracts.second.app import create_app

TARGETS: dict[str, tuple[Callable[[], Any], str]] = {
    "mock": (mock, PASSPHRASE),
    "second": (create_app, SECOND_PASSPHRASE),
}


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_no_false_alarms_in_repeated_runs(target: str) -> None:
    build, passphrase = TARGETS[target]
    runs = int(os.environ.get("CREDKIT_FALSE_ALARM_RUNS", "20"))
    alarms: list[str] = []
    seconds: list[float] = []
    for number in range(runs):
        started = time.monotonic()
        with serving(build()) as url:
            result = run(VerifyConfig(base_url=url, **KEYS, secret_key=passphrase))
        seconds.append(time.monotonic() - started)
        if result.exit_code != 0:
            alarms += [
                f"run {number + 1}: {o.check.name} {o.status} {o.reason or ''} "
                + "; ".join(f.observed[:200] for f in o.findings[:1])
                for o in result.outcomes
                if o.status in ("failed", "error")
            ] or [f"run {number + 1}: exit {result.exit_code} {result.abort_reason}"]
    print(f"{target}: {runs} runs, {len(alarms)} false alarms, "
          f"{min(seconds):.1f}-{max(seconds):.1f} s per run")  # fmt: skip
    assert not alarms, alarms
