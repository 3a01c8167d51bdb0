"""Each deliberately broken implementation is caught, by the check that names its defect."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken import DEFECTS
from tests.contracts.broken.apps import PASSPHRASE

# Passive checks judge the traffic of other checks: give them some.
PASSIVE = ("no-secret-in-responses", "error-shape", "encrypted-data-format")
TRAFFIC = (
    "update-partial-merge",
    "get-redacts-secrets",
    "auth-required",
    "update-fresh-ciphertext",
)


def test_there_are_at_least_twenty_defects() -> None:
    assert len(DEFECTS) >= 20


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_defect_is_caught_by_its_check(name: str, make_config: Callable[..., VerifyConfig]) -> None:
    defect = DEFECTS[name]
    checks = (defect.check, *TRAFFIC) if defect.check in PASSIVE else (defect.check,)
    phases = defect.phases if defect.schema else ("examples",)
    with serving(defect.build()) as url:
        result = run(
            make_config(
                url,
                include_checks=checks,
                phases=phases,
                timeout=defect.timeout,
                secret_key=PASSPHRASE if defect.secret_key else None,
                max_examples=defect.max_examples,
            )
        )
    assert result.exit_code == 1, [(o.check.name, o.status, o.reason) for o in result.outcomes]
    outcome = next(o for o in result.outcomes if o.check.name == defect.check)
    assert outcome.status == "failed"
    assert outcome.findings and all(f.check == defect.check for f in outcome.findings)
    # every finding can be acted on: it comes with a reproduction, and says what was received
    assert all(f.curl for f in outcome.findings), [f.observed for f in outcome.findings]
    if defect.schema:
        for f in outcome.findings:
            assert f.status is None or str(f.status) in f.observed, f.observed
    if name == "500-on-list-filter":  # not "Server error:" alone
        assert all(f.observed.startswith("Server error (received 500") for f in outcome.findings)
    if name == "stores-marker-literally":  # the PUT of the marker, then the GET that shows it
        for f in outcome.findings:
            lines = (f.curl or "").splitlines()
            assert [line.split()[2] for line in lines if line.startswith("curl -X")] == [
                "PUT",
                "GET",
            ], f.curl
    if name == "delete-keeps-credential":  # cleanup notices what a lying DELETE left behind
        assert result.leftovers and result.exit_code == 1
        # the reproduction makes a stand-in, deletes it as the run did, then reads it
        note, create, delete, read = (outcome.findings[0].curl or "").split("\n")
        assert note.startswith("# credential ") and create.startswith("CREDENTIAL_ID=$(curl -s")
        assert delete.startswith('curl -X DELETE "') and '/$CREDENTIAL_ID" ' in delete
        assert "/$CREDENTIAL_ID" in read and "CREDENTIAL_ID=" not in read
    else:
        assert not result.leftovers
