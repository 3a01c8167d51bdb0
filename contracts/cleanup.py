"""Deleting what a run created: every tracked id, and anything listed under the run's name;
then listing again, so what is still there is reported as left behind."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from contracts.client import CREDENTIALS
from contracts.context import CheckContext
from contracts.safety import run_name

__all__ = ["CLEANUP_CHECK", "cleanup"]

CLEANUP_CHECK = "cleanup"


def _named_by_this_run(ctx: CheckContext) -> list[str]:
    """Ids of listed credentials named for this run (a create whose answer was lost, e.g. to
    Ctrl-C or a timeout, is found here)."""
    try:
        listed = ctx.api.request("GET", CREDENTIALS)
    except Exception:
        return []
    prefix = run_name(ctx.run_id, "")
    if listed.status != 200 or not isinstance(listed.body, list):
        return []
    return [
        str(item["id"])
        for item in listed.body
        if isinstance(item, dict) and str(item.get("name", "")).startswith(prefix) and "id" in item
    ]


def cleanup(ctx: CheckContext) -> list[str]:
    """Delete every credential the run created and did not delete; the ids that remain."""
    if ctx.gone and not ctx.api.answers():  # each DELETE would wait out --timeout in vain
        return ctx.tracker.alive()
    for credential_id in _named_by_this_run(ctx):
        if credential_id not in ctx.tracker.alive():
            ctx.tracker.add(credential_id)

    def delete(credential_id: str) -> str | None:
        """DELETE one; its id when it is left behind."""
        made = ctx.tracker.made(credential_id)
        role = made.role if made is not None and ctx.config.key_for(made.role) else "full"
        try:  # with the key that made it: another workspace's (the model's probes) is its own
            exchange = ctx.api.request("DELETE", f"{CREDENTIALS}/{credential_id}", role=role)
        except Exception:
            return credential_id
        if exchange.status == 404:
            ctx.tracker.deleted(credential_id)
        elif exchange.status != 200:
            return credential_id
        return None

    # --concurrency DELETEs at once (the rate limit still bounds them all); a second Ctrl-C
    # cancels those not sent yet
    pool = ThreadPoolExecutor(max_workers=ctx.config.concurrency)
    try:
        left = list(pool.map(delete, ctx.tracker.alive()))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    leftovers = [credential_id for credential_id in left if credential_id is not None]
    # a DELETE that answers 200 and deletes nothing: whatever is still listed is left behind,
    # and a contract violation (exit 1 with a finding, not "could not complete")
    still = [i for i in _named_by_this_run(ctx) if i not in leftovers]
    ctx.check_name, ctx.findings = CLEANUP_CHECK, []
    for credential_id in still:
        ctx.fail(
            "DELETE /api/v1/credentials/{id} answering 200 deletes the credential: it is not "
            "listed afterwards",
            f"credential {credential_id} answered 200 to DELETE and is still listed",
            operation="DELETE /api/v1/credentials/{id}",
        )
    return leftovers + still
