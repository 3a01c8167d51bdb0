"""`use_after_free` and `ensure_resource_availability`, judged by the suite itself.

schemathesis' own versions of these two checks guess which ids were created and deleted, and
the run's id rewriting (`before_call`) fools them (about 1 run in 40 reported a created id as
missing). Here they are judged against the run's record (`IdTracker`) of what it created and
deleted, with the id the request really used: a deleted credential must not answer 2xx, a
live one must not answer 404. Statuses the order of checks puts before 404 (401, 400, ...)
are never judged.
"""

from __future__ import annotations

from typing import Any

from contracts.checks import Finding
from contracts.context import CheckContext
from contracts.schema_checks import SCHEMA_CHECKS
from contracts.schema_findings import case_curl

__all__ = ["LIFECYCLE_CHECKS", "judge_lifecycle"]

LIFECYCLE_CHECKS = ("use_after_free", "ensure_resource_availability")


def judge_lifecycle(
    ctx: CheckContext,
    case: Any,
    status: int,
    enabled: set[str],
    findings: dict[tuple[str, str, str], Finding],
) -> None:
    """Judge one answer (before the tracker learns from it) against the run's record."""
    if "{id}" not in case.operation.path:
        return
    credential_id = str((case.path_parameters or {}).get("id"))
    if not ctx.tracker.owns(credential_id):
        return  # a credkit-absent-... id: nothing to judge here
    alive = credential_id in ctx.tracker.alive()
    if not alive and 200 <= status < 300:
        name, title = "use_after_free", "A deleted credential is still there"
        observed = f"{case.method} of a credential this run deleted answered {status}, not 404"
    elif alive and status == 404:
        name, title = "ensure_resource_availability", "A live credential answers 404"
        observed = f"{case.method} of a credential this run created (not deleted) answered 404"
    else:
        return
    key = (name, case.operation.label, title)
    if name not in enabled or key in findings:
        return
    findings[key] = Finding(
        check=name,
        operation=case.operation.label,
        requirement=SCHEMA_CHECKS[name],
        observed=ctx.redactor(f"{title}: {observed}"),
        curl=case_curl(ctx, case, deleted_first=name == "use_after_free"),
        status=status,
    )
