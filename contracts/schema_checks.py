"""The schemathesis checks the suite runs, under their schemathesis names, with what each requires.

Registered here (no schemathesis import) so `--list-checks`, allow files and `--include-check`
know them; `contracts.schema` runs them.
"""

from __future__ import annotations

from contracts.checks import Check, register

__all__ = ["SCHEMA_CHECKS", "SERVER_RESPONDS", "SERVER_RESPONDS_REQUIREMENT"]

SERVER_RESPONDS = "server-responds"
SERVER_RESPONDS_REQUIREMENT = (
    "Every request gets an answer within --timeout: no dropped connection, no timeout."
)

SCHEMA_CHECKS: dict[str, str] = {
    "not_a_server_error": "No request gets a 5xx answer (500 is only for injected faults).",
    "status_code_conformance": "Every status code is one the spec documents for the operation.",
    "content_type_conformance": "Every answer's Content-Type is one the spec documents.",
    "response_headers_conformance": "Every answer carries the headers the spec requires.",
    "response_schema_conformance": "Every answer body matches the spec's schema for that status.",
    "negative_data_rejection": "Invalid input (breaking the spec) is rejected with a 4xx.",
    "positive_data_acceptance": "Valid input (per the spec) is accepted (2xx, or 401/403/404).",
    "missing_required_header": "A request without the required Authorization header gets 401.",
    "unsupported_method": "A method the spec does not define gets 405 with an Allow header.",
    "use_after_free": "A deleted credential is gone: using it afterwards gets 404.",
    "ensure_resource_availability": "A created credential can be used right away.",
    "ignored_auth": "Operations that declare authentication enforce it.",
}

for _name, _requirement in SCHEMA_CHECKS.items():
    register(Check(name=_name, group="schema", requirement=_requirement, kind="schema"))
register(
    Check(
        name=SERVER_RESPONDS,
        group="schema",
        requirement=SERVER_RESPONDS_REQUIREMENT,
        kind="schema",
    )
)
