"""Self-fuzzing: schemathesis against the mock in-process, every phase, positive and negative.

The default run is bounded (about 1,500 cases, well under a minute). The long run
(`pytest -m slow tests/hardening/test_fuzz.py`) goes on until CREDKIT_FUZZ_CASES cases (default
10,000; CREDKIT_FUZZ_EXAMPLES examples per operation, default 200).
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from credkit_core.resources import ADMIN_SPEC, DEV_KEYS
from tests.hardening.fuzzing import PHASES, config, fuzz
from tests.inprocess import AppClient

FULL = {"Authorization": f"Bearer {DEV_KEYS['full']}"}
READ_ONLY = {"Authorization": f"Bearer {DEV_KEYS['readonly']}"}
OTHER_WORKSPACE = {"Authorization": f"Bearer {DEV_KEYS['other_workspace']}"}
WRONG = {"Authorization": "Bearer not-a-key-of-this-server"}


def test_full_key_every_phase_no_5xx_no_spec_break(app: Any) -> None:
    result = fuzz(app, config(headers=FULL, max_examples=4, seed=11))
    print(result.summary())
    assert result.cases >= 200, result.summary()
    assert result.phases == set(PHASES), result.summary()
    assert result.server_errors == 0, result.summary()
    assert not result.failures and not result.errors, result.summary()
    # positive data reached the handlers: created, read, updated and deleted
    assert result.statuses[("stateful", 200)] > 0 and result.statuses[("fuzzing", 200)] > 0


@pytest.mark.parametrize(
    "headers",
    [None, WRONG, READ_ONLY, OTHER_WORKSPACE],
    ids=["no-key", "wrong-key", "read-only", "other-ws"],
)
def test_without_valid_auth_no_5xx_no_spec_break(
    make_app: Any, headers: dict[str, str] | None
) -> None:
    app = make_app(access_log=False)
    result = fuzz(
        app,
        config(
            headers=headers,
            max_examples=2,
            seed=12,
            phases=("examples", "coverage", "fuzzing"),
            positive_statuses=[200, 401, 403, 404],
        ),
    )
    print(result.summary())
    assert result.cases >= 50, result.summary()
    assert result.server_errors == 0, result.summary()
    assert not result.failures and not result.errors, result.summary()
    if headers in (None, WRONG):  # nothing but the health check and the docs get past auth
        passed = {s for (_, s), n in result.statuses.items() if n and s < 300}
        assert passed <= {200}
        assert result.statuses[("fuzzing", 401)] + result.statuses[("coverage", 401)] > 0


def test_admin_api_fuzzed_from_loopback_no_5xx_no_spec_break(app: Any) -> None:
    # PUT /__admin/state also checks what its schema cannot say (every key and credential names
    # a declared workspace, ids are unique, types are in the catalog): a schema-valid fixture
    # document may rightly get 400, so positive data may be rejected with 400 here.
    result = fuzz(
        app,
        config(headers=None, max_examples=3, seed=13, positive_statuses=[200, 201, 204, 400, 404]),
        spec_file=ADMIN_SPEC,
    )
    print(result.summary())
    assert result.cases >= 50, result.summary()
    assert {phase for phase, _ in result.statuses} >= {"coverage", "fuzzing"}  # it has no examples
    assert result.server_errors == 0, result.summary()
    assert not result.failures and not result.errors, result.summary()


def test_the_harness_reports_a_5xx(make_app: Any) -> None:
    """The checks above can fail: an injected 500 on every PUT is seen and reported."""
    app = make_app(access_log=False)
    with AppClient(app) as admin:
        added = admin.post(
            "/__admin/faults",
            json={"method": "PUT", "path": "/api/v1/credentials/*", "status": 500},
        )
        assert added.status_code == 201, added.text
    result = fuzz(
        app, config(headers=FULL, max_examples=2, seed=14, phases=("examples", "fuzzing"))
    )
    assert result.server_errors > 0
    assert any(check == "not_a_server_error" for _, check, _ in result.failures), result.summary()


@pytest.mark.slow
def test_long_fuzz_run(make_app: Any) -> None:
    """Rounds of (full key, no key, read-only key, wrong key) with new seeds until
    CREDKIT_FUZZ_CASES cases (default 10,000) have run, or CREDKIT_FUZZ_MAX_SECONDS passed."""
    examples = int(os.environ.get("CREDKIT_FUZZ_EXAMPLES", "200"))
    target = int(os.environ.get("CREDKIT_FUZZ_CASES", "10000"))
    deadline = time.monotonic() + float(os.environ.get("CREDKIT_FUZZ_MAX_SECONDS", "3600"))
    total, server_errors, failures = 0, 0, []
    variants = [FULL, None, READ_ONLY, WRONG]
    for seed in range(1000):  # bounded; the targets below end it
        if total >= target or time.monotonic() > deadline:
            break
        headers = variants[seed % len(variants)]
        app = make_app(access_log=False)
        phases = PHASES if headers is FULL else ("examples", "coverage", "fuzzing")
        positive = [200, 201, 204, 404] if headers is FULL else [200, 401, 403, 404]
        result = fuzz(
            app,
            config(
                headers=headers,
                max_examples=examples if headers is FULL else max(2, examples // 4),
                seed=100 + seed,
                phases=phases,
                positive_statuses=positive,
            ),
        )
        print(headers and next(iter(headers.values())).split()[-1], result.summary(), flush=True)
        total += result.cases
        server_errors += result.server_errors
        failures += result.failures + [("error", e, "") for e in result.errors]
    print(f"TOTAL {total} cases, {server_errors} 5xx, {len(failures)} failures")
    assert server_errors == 0 and not failures, failures[:20]
    assert total >= target, f"only {total} cases before the time limit"
