"""The live request list of the dashboard: `GET /__admin/requests/stream`, Server-Sent Events.

Each API request is one `request` event whose data is the journal's masked view of it
(`mockserver.journal.entry_view`) plus its number (`seq`), the name of the key it carried
(never the key) and its masked answer; its `id:` is the number, so a browser's EventSource,
which reconnects by itself, resumes after the last one it saw (`Last-Event-ID`). A `cleared`
event says the journal was emptied (a reset).

The journal is the namespace's (`mockserver.journal.LiveJournal`): this process's in memory,
every process's with the shared store on Redis (several workers or machines: one list).
Bounded per client: nothing is queued per client — every POLL seconds the stream reads what
the journal recorded since it last looked, at most BATCH entries (the newest; a `skipped`
event counts what a slow client missed). A comment line every HEARTBEAT seconds notices a
client that went away; while Redis cannot be read, the stream waits (and beats). The stream
ends when the server shuts down (`Runtime.stopping`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse

from mockserver.journal import LiveJournal, Tail
from mockserver.responses import ApiError
from mockserver.runtime import Runtime

__all__ = ["BACKLOG", "BATCH", "request_stream"]

BACKLOG = 100  # entries sent on connect (without Last-Event-ID)
BATCH = 200  # at most this many entries per poll and client
POLL = 0.2
HEARTBEAT = 15.0


def _event(kind: str, data: object, ident: int | None = None) -> bytes:
    head = f"id: {ident}\n" if ident is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _events(
    journal: LiveJournal, last_event_id: bytes | None, runtime: Runtime
) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    first = await _tail(journal, 0, 0)
    recorded = first.recorded if first is not None else 0
    try:
        seen = int(last_event_id or b"")
    except ValueError:
        seen = -1
    if not 0 <= seen <= recorded:
        seen = max(0, recorded - BACKLOG)
    cleared = first.cleared if first is not None else 0
    last_beat = time.monotonic()
    while not runtime.stopping:
        tail = await _tail(journal, seen, BATCH)
        if tail is not None:
            if tail.cleared != cleared:
                cleared = tail.cleared
                yield _event("cleared", {})
            batch = tail.batch
            missed = tail.recorded - seen - len(batch)
            if batch and missed > 0:
                yield _event("skipped", {"count": missed})
            if batch:
                chunk = []
                for number, view in batch:
                    view["seq"] = number
                    chunk.append(_event("request", view, number))
                seen = batch[-1][0]
                yield b"".join(chunk)
                last_beat = time.monotonic()
            # entries gone are not waited for
            seen = max(seen, tail.recorded - tail.held)
        if time.monotonic() - last_beat >= HEARTBEAT:
            yield b": keep-alive\n\n"
            last_beat = time.monotonic()
        await asyncio.sleep(POLL)


async def _tail(journal: LiveJournal, seen: int, limit: int) -> Tail | None:
    """The journal's tail; None while the shared store cannot be read (the stream waits)."""
    try:
        return await journal.tail(seen, limit)
    except ApiError:
        return None


def request_stream(
    journal: LiveJournal, last_event_id: bytes | None, runtime: Runtime
) -> StreamingResponse:
    """The stream of `journal` (a namespace's; it ends when the process's `runtime` is
    stopping): from after `last_event_id` when it is a number the journal still reaches, else
    the last BACKLOG entries."""
    return StreamingResponse(
        _events(journal, last_event_id, runtime),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
