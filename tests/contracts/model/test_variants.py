"""Defects a few steps off the main rules (odd data values, ids in other spellings, shared
names, lists, misaddressed DELETEs, url passwords with `@` `:` or percent-encodings, refused
requests echoing a secret) are caught by `model-conformance` alone, and a finding names a
generated rule whose steps show the defect."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import PASSPHRASE
from tests.contracts.broken.variants import VARIANT_DEFECTS

WRITES = ("create", "update", "echo", "race", "odd_data", "special_url", "shared_name")
READ_BACK = tuple(f"{r} (read back)" for r in WRITES)
SPELLED = ("spelled_id", "delete_elsewhere")
LISTS = ("list", "list_variant", "list_after_write", "as_role", "after_delete", "shared_name",
         "delete_elsewhere")  # fmt: skip
MASKS = ("special_url", "special_url (read back)")
REFUSED = ("refused_with_secret", "create_malformed", "update_malformed", "update_not_json",
           "as_role", "wrong_method")  # fmt: skip

# defect -> the generated rules whose steps show it, and whether it is observable only with
# the server's passphrase (--secret-key)
FOUND_BY: dict[str, tuple[tuple[str, ...], bool]] = {
    # odd values on every kind of key: the read back (or the decrypted answer) differs
    "numeric-strings-coerced": (WRITES + READ_BACK, True),
    "long-values-truncated": (("odd_data", "odd_data (read back)"), True),
    "many-keys-dropped": (("odd_data", "odd_data (read back)"), True),
    "empty-objects-null": (WRITES + READ_BACK, True),
    "blank-deletes-key": (WRITES + READ_BACK, True),
    # a path id in another case, with whitespace, percent-encoded, or a name or suffix
    "ids-case-insensitive": (SPELLED, False),
    "ids-trimmed": (SPELLED, False),
    "ids-not-percent-decoded": (("spelled_id", "spelled_id (read back)"), False),
    "delete-by-name": (SPELLED, False),
    "delete-truncates-id": (SPELLED, False),
    "delete-reads-body-id": (("delete_elsewhere",), False),
    # two live credentials with one name
    "duplicate-name-refused": (("shared_name",), False),
    "rename-to-taken-refused": (("shared_name",), False),
    "create-upserts-by-name": (("shared_name",), False),
    "delete-takes-namesakes": (("shared_name",), False),
    # lists: read again after a PUT, filters matched exactly, each credential once
    "list-stale-after-put": ((*LISTS, "update", "echo", "race"), False),
    "filter-any-case": (("list_variant", "list_after_write"), False),
    "filter-trimmed": (("list_variant", "list_after_write"), False),
    "repeated-filter-duplicates": (LISTS, False),
    # url passwords holding `@`, `:`, percent-encodings: the mask covers all of it
    "url-mask-stops-at-first-at": ((*MASKS, "odd_data (read back)"), False),
    "url-mask-splits-last-colon": ((*MASKS, "odd_data (read back)"), False),
    "url-mask-misses-encoded": ((*MASKS, "odd_data (read back)"), False),
    "masked-url-keeps-part": (MASKS, True),
    # refused requests whose bodies carry fresh secrets: none comes back
    "refused-sets-draft-cookie": (REFUSED, False),
    "refused-location-echoes-body": ((*REFUSED, "update", "create", "after_delete"), False),
    "error-quotes-bad-value": (("refused_with_secret",), False),
}

# Defects that need a rarer step (a long text, 30-60 keys, a namesake of the same type, a
# filter padded with whitespace):
# more sequences than the default.
RARE = {
    "long-values-truncated": 8,
    "many-keys-dropped": 8,
    "create-upserts-by-name": 6,
    "filter-trimmed": 8,
    "filter-any-case": 8,
    "ids-not-percent-decoded": 8,
    "blank-deletes-key": 8,  # caught by 4 of 5 seeds at 4 (bench/verify_speed.py's method)
    "delete-reads-body-id": 8,  # at 4, missed by every try on 2026-12-08 (lanes' seeds)
}


def test_every_variant_defect_has_its_rules() -> None:
    assert set(FOUND_BY) == set(VARIANT_DEFECTS)


@pytest.mark.parametrize("name", sorted(VARIANT_DEFECTS))
def test_variant_defect_is_caught_by_generated_testing(
    name: str, make_config: Callable[..., VerifyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("contracts.model.check.SHRINK_SECONDS", 1)
    rules, needs_passphrase = FOUND_BY[name]
    with serving(VARIANT_DEFECTS[name]()) as url:
        result = run(
            make_config(
                url,
                include_checks=("model-conformance",),
                max_examples=RARE.get(name, 4),
                secret_key=PASSPHRASE if needs_passphrase else None,
                max_failures=3,  # a defect shows in several divergences: a few are enough
            )
        )
    assert result.exit_code == 1, [(o.check.name, o.status, o.reason) for o in result.outcomes]
    (outcome,) = result.outcomes
    assert outcome.status == "failed"
    named = [re.search(r"\(rule '([^']+)'\)", f.observed) for f in outcome.findings]
    found = {m.group(1) for m in named if m is not None}
    assert found & set(rules), [f.observed for f in outcome.findings]
    assert all(f.curl and f.curl.startswith("# 1. ") for f in outcome.findings)
