"""Concurrent updates are serialised: no update is lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from contracts.checks import check
from contracts.client import Exchange
from contracts.context import CheckContext, pick_type

__all__ = ["concurrent_updates"]

REQ_CONCURRENT = (
    "N concurrent partial updates of distinct keys to one credential all succeed and all survive."
)


@check("concurrent-updates-kept", group="concurrency", requirement=REQ_CONCURRENT)
def concurrent_updates(ctx: CheckContext) -> None:
    n = ctx.config.racers
    created = ctx.create(pick_type(ctx.catalog, "password"), {"base": "kept"})
    barrier = threading.Barrier(n)

    def one(i: int) -> Exchange:
        barrier.wait(timeout=ctx.config.timeout)
        return ctx.update(created["id"], {"plainDataObj": {f"concurrent{i}": f"value{i}"}})

    with ThreadPoolExecutor(max_workers=n) as pool:
        answers = list(pool.map(one, range(n)))
    failed = [a for a in answers if a.status != 200]
    if failed:
        ctx.fail(
            REQ_CONCURRENT,
            f"{len(failed)} of {n} concurrent PUTs failed; first: {ctx.describe(failed[0])}",
            failed[0],
        )
    shown = ctx.read(created["id"]).get("plainDataObj") or {}
    lost = [
        i
        for i, a in enumerate(answers)
        if a.status == 200 and shown.get(f"concurrent{i}") != f"value{i}"
    ]
    if lost or shown.get("base") != "kept":
        ctx.fail(
            REQ_CONCURRENT,
            f"{len(lost)} of {n} concurrent updates were lost "
            f"(keys {[f'concurrent{i}' for i in lost[:5]]}...)"
            + ("; the original key 'base' was lost too" if shown.get("base") != "kept" else "")
            + f"; send {n} of these at once, then GET the credential",
            answers[lost[0]] if lost else answers[0],
        )
