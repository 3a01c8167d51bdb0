"""The live request list of the dashboard: `GET /__admin/requests/stream`, Server-Sent Events.

Each API request is one `request` event whose data is the journal's masked view of it
(`mockserver.journal.entry_view`) plus its number (`seq`), the name of the key it carried
(never the key) and its masked answer; its `id:` is the number, so a browser's EventSource,
which reconnects by itself, resumes after the last one it saw (`Last-Event-ID`). A `cleared`
event says the journal was emptied (a reset).

Bounded per client: nothing is queued per client — every POLL seconds the stream reads what
the journal recorded since it last looked, at most BATCH entries (the newest; a `skipped`
event counts what a slow client missed). A comment line every HEARTBEAT seconds notices a
client that went away. The stream ends when the server shuts down (`AppState.stopping`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse

from mockserver.journal import entry_view, mask_answer
from mockserver.state import AppState

__all__ = ["BACKLOG", "BATCH", "request_stream"]

BACKLOG = 100  # entries sent on connect (without Last-Event-ID)
BATCH = 200  # at most this many entries per poll and client
POLL = 0.2
HEARTBEAT = 15.0


def _event(kind: str, data: object, ident: int | None = None) -> bytes:
    head = f"id: {ident}\n" if ident is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _events(state: AppState, seen: int, root: AppState) -> AsyncIterator[bytes]:
    journal = state.journal
    yield b"retry: 1000\n\n"
    cleared = journal.cleared
    last_beat = time.monotonic()
    while not root.stopping:
        if journal.cleared != cleared:
            cleared = journal.cleared
            yield _event("cleared", {})
        batch = journal.since(seen, BATCH)
        missed = journal.recorded - seen - len(batch)
        if batch and missed > 0:
            yield _event("skipped", {"count": missed})
        if batch:
            chunk = []
            for number, entry in batch:
                view = entry_view(entry)
                view["seq"] = number
                view["key"] = state.keyring.name_of(dict(entry.headers).get(b"authorization"))
                view["answer"] = mask_answer(entry.status, entry.answer)
                chunk.append(_event("request", view, number))
            seen = batch[-1][0]
            yield b"".join(chunk)
            last_beat = time.monotonic()
        elif time.monotonic() - last_beat >= HEARTBEAT:
            yield b": keep-alive\n\n"
            last_beat = time.monotonic()
        seen = max(seen, journal.recorded - len(journal))  # entries gone are not waited for
        await asyncio.sleep(POLL)


def request_stream(
    state: AppState, last_event_id: bytes | None, root: AppState | None = None
) -> StreamingResponse:
    """The stream's response of `state`'s journal (a namespace's; it ends when `root`, the
    app's state, is stopping): from after `last_event_id` when it is a number the journal
    still reaches, else the last BACKLOG entries."""
    recorded = state.journal.recorded
    try:
        seen = int(last_event_id or b"")
    except ValueError:
        seen = -1
    if not 0 <= seen <= recorded:
        seen = max(0, recorded - BACKLOG)
    return StreamingResponse(
        _events(state, seen, root or state),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
