"""Deliberately broken implementations: the mock with exactly one defect each.

A defect is either a patch on one app's own store / keyring / encryptor instance (never on a
shared object), or a pure-ASGI wrapper that alters requests or responses (the tools are in
`apps`). The defects are grouped by the part of the contract they break: `semantics`,
`secrets`, `access`, `errors`, `concurrency`, `schema`. `DEFECTS` maps a name to the defect and
the check that must catch it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.contracts.broken.access import (
    cross_workspace_read,
    ignores_auth,
    lowercase_bearer_refused,
    raw_key_accepted,
    readonly_can_update,
    readonly_cannot_read,
)
from tests.contracts.broken.concurrency import lost_updates
from tests.contracts.broken.errors import (
    accepts_array_body,
    accepts_text_plain,
    accepts_unknown_fields,
    accepts_wrong_types,
    delete_unknown_200,
    looks_up_id_before_body,
    missing_body_200,
    not_found_for_405,
    parses_body_before_auth,
    unknown_id_500,
    wrong_error_shape,
)
from tests.contracts.broken.schema import (
    created_201,
    delete_keeps_credential,
    extra_response_field,
    hangs_on_list_filter,
    list_filter_500,
    wrong_content_type,
)
from tests.contracts.broken.secrets import (
    leaks_base64,
    leaks_secret_header,
    leaks_secret_in_put_body,
    non_redacted_get,
    type_change_reveals_secrets,
    unsalted_ciphertext,
    url_password_in_clear,
)
from tests.contracts.broken.semantics import (
    changes_credential_name,
    creates_on_put,
    drops_null_values,
    name_only_drops_data,
    no_date_bump,
    put_replaces,
    rejected_changes_state,
    response_id_differs,
    same_ciphertext,
    stores_marker,
    url_echo_stores_empty,
    values_only_clears_name,
)

__all__ = ["DEFECTS", "Defect"]


@dataclass(frozen=True)
class Defect:
    build: Callable[[], Any]
    check: str  # the check that must report it
    schema: bool = False  # caught by a schemathesis check (needs a schemathesis run)
    timeout: float = 10.0
    secret_key: bool = False  # observable only with the server's passphrase (--secret-key)
    phases: tuple[str, ...] = ("fuzzing",)  # schemathesis phases for a `schema` defect
    max_examples: int = 3


DEFECTS: dict[str, Defect] = {
    "put-replaces-instead-of-merging": Defect(put_replaces, "update-partial-merge"),
    "ignores-auth": Defect(ignores_auth, "auth-required"),
    "raw-key-accepted": Defect(raw_key_accepted, "auth-required"),
    "lowercase-bearer-refused": Defect(lowercase_bearer_refused, "auth-scheme-case-insensitive"),
    "leaks-secret-in-header": Defect(leaks_secret_header, "no-secret-in-responses"),
    "leaks-secret-base64-in-encrypted-data": Defect(leaks_base64, "no-secret-in-responses"),
    "unknown-id-500": Defect(unknown_id_500, "unknown-id-404"),
    "delete-unknown-200": Defect(delete_unknown_200, "unknown-id-404"),
    "lost-concurrent-updates": Defect(lost_updates, "concurrent-updates-kept"),
    "changes-credential-name": Defect(changes_credential_name, "update-immutable-fields"),
    "no-updated-date-bump": Defect(no_date_bump, "update-dates-monotonic"),
    "same-encrypted-data": Defect(same_ciphertext, "update-fresh-ciphertext"),
    "stores-marker-literally": Defect(stores_marker, "update-marker-keeps-stored"),
    "creates-on-put-of-unknown-id": Defect(creates_on_put, "update-unknown-id-not-created"),
    "wrong-error-shape": Defect(wrong_error_shape, "error-shape"),
    "missing-body-200": Defect(missing_body_200, "missing-body-412"),
    "accepts-text-plain": Defect(accepts_text_plain, "non-json-415"),
    "accepts-unknown-fields": Defect(accepts_unknown_fields, "unknown-fields-400"),
    "cross-workspace-read": Defect(cross_workspace_read, "workspace-isolation"),
    "readonly-can-update": Defect(readonly_can_update, "readonly-cannot-write"),
    "readonly-cannot-read": Defect(readonly_cannot_read, "readonly-can-read"),
    "404-instead-of-405": Defect(not_found_for_405, "method-not-allowed-405"),
    "non-redacted-get": Defect(non_redacted_get, "get-redacts-secrets"),
    "rejected-request-changes-state": Defect(
        rejected_changes_state, "rejected-update-changes-nothing"
    ),
    "wrong-content-type": Defect(wrong_content_type, "content_type_conformance", schema=True),
    "500-on-list-filter": Defect(list_filter_500, "not_a_server_error", schema=True),
    "name-only-update-drops-data": Defect(name_only_drops_data, "update-name-only-keeps-data"),
    "values-only-update-clears-name": Defect(
        values_only_clears_name, "update-values-only-keeps-name"
    ),
    "drops-null-values": Defect(drops_null_values, "update-stored-data-exact", secret_key=True),
    "marker-replaces-secret": Defect(stores_marker, "update-marker-keeps-secret", secret_key=True),
    "masked-url-stored-literally": Defect(
        stores_marker, "update-masked-url-keeps-password", secret_key=True
    ),
    "masked-url-echo-stores-empty": Defect(url_echo_stores_empty, "update-masked-url-keeps-stored"),
    "response-id-differs": Defect(response_id_differs, "update-response-id"),
    "unsalted-ciphertext": Defect(unsalted_ciphertext, "encrypted-data-format"),
    "accepts-array-body": Defect(accepts_array_body, "malformed-json-400"),
    "accepts-wrong-types": Defect(accepts_wrong_types, "wrong-types-400"),
    "leaks-secret-in-put-body": Defect(leaks_secret_in_put_body, "no-secret-in-responses"),
    "url-password-in-clear-on-get": Defect(url_password_in_clear, "get-redacts-secrets"),
    "delete-keeps-credential": Defect(
        delete_keeps_credential,
        "use_after_free",
        schema=True,
        phases=("stateful",),
        max_examples=10,
    ),
    "extra-field-in-put-answer": Defect(
        extra_response_field, "response_schema_conformance", schema=True
    ),
    "create-answers-201": Defect(created_201, "status_code_conformance", schema=True),
    "parses-body-before-auth": Defect(parses_body_before_auth, "check-order"),
    "looks-up-id-before-body": Defect(looks_up_id_before_body, "check-order"),
    "type-change-reveals-secrets": Defect(type_change_reveals_secrets, "type-change-keeps-secrets"),
    "hangs-on-list-filter": Defect(
        hangs_on_list_filter, "server-responds", schema=True, timeout=0.5
    ),
}
