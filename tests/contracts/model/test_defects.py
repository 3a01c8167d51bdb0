"""Defects one step away from any hand-written probe are caught by `model-conformance` alone:
the generated rule named for each one found it (a finding says which rule's step diverged)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from contracts.config import VerifyConfig
from contracts.model.probes import SecurityRules
from contracts.model.variants import VariantRules
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import PASSPHRASE
from tests.contracts.broken.model import MODEL_DEFECTS

# defect -> the generated rules whose steps show it (the first listed is the usual one), and
# whether it is observable only with the server's passphrase (--secret-key)
FOUND_BY: dict[str, tuple[tuple[str, ...], bool]] = {
    # a DELETE of a live credential, then a PUT to it: 200 where the model says 404
    "put-revives-deleted": (("after_delete", "update", "bola", "spelled_id"), False),
    # a PUT with name and data (echo with a rename, update): the answer keeps the old name
    "both-fields-keeps-name": (("echo", "update", "update (read back)"), False),
    # update with {"plainDataObj": {}}: the read back (or the decrypted answer) lost the data
    "empty-data-wipes": (
        ("update", "update (read back)", "echo", "echo (read back)", "odd_data"),
        True,
    ),
    # every password input sent back as the marker (echo, or an update's marker subset)
    "markers-keep-only-first": (("echo", "update", "race"), True),
    # another role on every operation: the view-only key's read carries encryptedData
    "readonly-sees-ciphertext": (("as_role", "read"), False),
    # the other workspace's key lists ours when filtered by credentialName
    "filter-crosses-workspaces": (("as_role", "list"), False),
    # the `Token <key>` variant, drawn for the Authorization of any rule, is accepted
    "token-scheme-accepted": (
        (
            "delete",
            "read",
            "update",
            "list",
            "create",
            "as_role",
            "after_delete",
            "update_malformed",
            "update_not_json",
            "create_malformed",
            "wrong_method",
            "refused_with_secret",
        ),
        False,
    ),
    # a malformed body with a fresh secret in it: the 400 quotes it
    "error-quotes-body": (("create_malformed", "update_malformed", "refused_with_secret"), False),
    # a name ending in whitespace (create, rename): the answer has it trimmed
    "names-trimmed": (("create", "update", "echo", "race", "create (read back)"), False),
    # a non-ASCII name: the answer has it mangled
    "names-latin1": (("create", "update", "echo", "race", "create (read back)"), False),
    # a write in the second of the create: updatedDate earlier than createdDate
    "whole-second-dates": (
        ("update", "echo", "race", "update (read back)", "odd_data", "shared_name", "special_url"),
        False,
    ),
    # delete twice: the second DELETE answers 200
    "delete-again-200": (("after_delete", "delete"), False),
}


# Defects that need a rarer step (an update with `{"plainDataObj": {}}` on a credential that
# holds data; the other workspace's filtered list): more sequences than `verify`'s default.
RARE = {
    "empty-data-wipes": 20,
    "filter-crosses-workspaces": 20,
    "readonly-sees-ciphertext": 20,
    "names-latin1": 20,
    "markers-keep-only-first": 20,
}


MIXIN_RULES = {
    name
    for cls in (VariantRules, SecurityRules)
    for name, member in vars(cls).items()
    if hasattr(member, "hypothesis_stateful_rule")
}


def test_every_model_defect_has_its_rules() -> None:
    assert set(FOUND_BY) == set(MODEL_DEFECTS)


@pytest.mark.parametrize("name", sorted(MODEL_DEFECTS))
def test_defect_is_caught_by_generated_testing(
    name: str, make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("contracts.model.check.SHRINK_SECONDS", 5)
    rules, needs_passphrase = FOUND_BY[name]
    examples = RARE.get(name, 10)
    with serving(MODEL_DEFECTS[name]()) as url:
        result = run(
            make_config(
                url,
                include_checks=("model-conformance",),
                max_examples=examples,
                max_failures=1,
                secret_key=PASSPHRASE if needs_passphrase else None,
            )
        )
    assert result.exit_code == 1, [(o.check.name, o.status, o.reason) for o in result.outcomes]
    (outcome,) = result.outcomes
    assert outcome.status == "failed"
    # every distinct divergence is reported once (one defect may show in a few ways); one of
    # them was found by a rule that shows this defect
    named = [re.search(r"\(rule '([^']+)'\)", f.observed) for f in outcome.findings]
    # a rule's read back counts as the rule ("odd_data (read back)" for odd_data); the rules
    # of the mixins (odd values, spellings, security probes) reach most defects too
    found_by = set(rules) | MIXIN_RULES
    assert any(m is not None and m.group(1).split(" (")[0] in found_by for m in named), [
        f.observed for f in outcome.findings
    ]
    assert len({f.fingerprint for f in outcome.findings}) == len(outcome.findings)
    assert all(f.curl and f.curl.startswith("# 1. ") for f in outcome.findings)
