"""The API-security classes a deployment gets probed for are generated steps of the model:
each defect (a trusted header, another spelling of a path, a server-owned field taken from a
body, another workspace's credential served) is caught by `model-conformance` alone, and a
finding names the generated security rule that showed it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.security import SECURITY_DEFECTS

HEADER = ("auth_bypass_header", "auth_bypass_header (read back)")
PATH = ("auth_bypass_path", "auth_bypass_path (read back)")
MASS = ("mass_assignment", "mass_assignment (read back)")
BOLA = ("bola", "bola (read back)")

# defect -> the generated rules whose steps show it
FOUND_BY: dict[str, tuple[str, ...]] = {
    # no key, `x-request-from: internal`: 200 where the contract says 401
    "internal-header-trusted": HEADER,
    # no key, `X-Forwarded-For: 127.0.0.1` or `X-Real-IP: 127.0.0.1`: 200
    "forwarded-loopback-trusted": HEADER,
    # no key, `X-Original-URL: /api/v1/ping`: 200
    "original-url-trusted": HEADER,
    # a view-only key's GET re-verbed to DELETE (or PUT): not the credential, then 404 on read
    "method-override-after-auth": HEADER,
    # no key, `/API/V1/credentials...`: 200
    "uppercase-path-skips-auth": PATH,
    # no key, `/api/v1/ping/%2e%2e/credentials...`: 200
    "dot-segment-skips-auth": PATH,
    # a create with `workspaceId`: 200 where the contract says 400
    "post-takes-workspace": MASS,
    # an update with `id` / `createdDate` / `updatedDate`: 200 where the contract says 400
    "put-applies-server-fields": MASS,
    # our key on a credential of the other workspace (or theirs on ours): 200, not 404
    "get-ignores-workspace": BOLA,
}


# Defects that need a rarer step (a create with `workspaceId` as its only server-owned
# field): more sequences than `verify`'s default.
RARE = {"post-takes-workspace": 20}


def test_every_security_defect_has_its_rules() -> None:
    assert set(FOUND_BY) == set(SECURITY_DEFECTS)


@pytest.mark.parametrize("name", sorted(SECURITY_DEFECTS))
def test_security_defect_is_caught_by_generated_testing(
    name: str, make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("contracts.model.check.SHRINK_SECONDS", 5)
    with serving(SECURITY_DEFECTS[name]()) as url:
        examples = RARE.get(name, 10)
        result = run(make_config(url, include_checks=("model-conformance",), max_examples=examples))
    assert result.exit_code == 1, [(o.check.name, o.status, o.reason) for o in result.outcomes]
    (outcome,) = result.outcomes
    assert outcome.status == "failed"
    named = [re.search(r"\(rule '([^']+)'\)", f.observed) for f in outcome.findings]
    rules = [m.group(1) for m in named if m is not None]
    assert set(rules) & set(FOUND_BY[name]), [f.observed for f in outcome.findings]
    assert all(f.curl and f.curl.startswith("# 1. ") for f in outcome.findings)
