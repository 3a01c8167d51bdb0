"""The request journal: the last 1,000 API requests, for `GET /__admin/requests`.

Recording is cheap (a tuple of references appended to a bounded deque); masking happens when
the journal is read: `Authorization` (and other credential-bearing headers) become `***`, query
values and every body value become `***`, so nothing secret ever leaves through the admin API.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import chain, islice
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl

import orjson

__all__ = [
    "MASK",
    "Journal",
    "JournalEntry",
    "LiveJournal",
    "MemoryTail",
    "Tail",
    "bounded",
    "entry_view",
    "live_view",
    "mask_answer",
    "mask_body",
    "mask_headers",
]

MASK = "***"
# Bodies up to this size are kept as parsed and masked when read (recording stays cheap); a
# larger one is kept as its masked shape, bounded (see `bounded_shape`).
LAZY_BODY_BYTES = 4096
BODY_KEYS = 100
BODY_KEY_CHARS = 256
# Headers, path and query are kept up to these sizes (copies: the request's own are released).
MAX_HEADERS = 100
HEADER_BYTES = 1024
MAX_PATH = 2048
# Answers up to this size are kept (a reference, no copy), for the dashboard's detail view.
ANSWER_BYTES = 4096
SENSITIVE_HEADERS = frozenset(
    {b"authorization", b"proxy-authorization", b"cookie", b"set-cookie", b"x-api-key"}
)


class JournalEntry(NamedTuple):
    """One request as recorded (raw; masked only when viewed). A tuple: cheap to make."""

    at: float
    method: str
    path: str
    query: bytes
    status: int
    ms: float
    headers: tuple[tuple[bytes, bytes], ...]
    body: Any
    body_bytes: int
    # the answer's body when small (ANSWER_BYTES), shown masked (`mask_answer`); None otherwise
    answer: bytes | None = None


def mask_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        out[name] = MASK if raw_name.lower() in SENSITIVE_HEADERS else raw_value.decode("latin-1")
    return out


def _short(key: str) -> str:
    return key if len(key) <= BODY_KEY_CHARS else key[: BODY_KEY_CHARS - 1] + "…"


def bounded_shape(body: Any) -> Any:
    """`mask_body` for a large body, bounded: at most BODY_KEYS keys per object, each cut to
    BODY_KEY_CHARS characters (new strings: nothing of the parsed body stays referenced)."""
    if not isinstance(body, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in islice(body.items(), BODY_KEYS):
        if isinstance(value, dict):
            out[_short(key)] = {_short(inner): MASK for inner in islice(value, BODY_KEYS)}
        else:
            out[_short(key)] = MASK
    return out


def mask_body(body: Any) -> Any:
    """A JSON body's shape with every value masked (`plainDataObj` keys kept, values not)."""
    if not isinstance(body, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, dict):
            out[key] = {inner: MASK for inner in value}
        else:
            out[key] = MASK
    return out


def mask_answer(status: int, answer: bytes | None) -> Any:
    """What the dashboard shows of an answer: an error's body as sent (error messages never
    quote a value), any other JSON answer's shape with every value masked (a list: its first
    20 items), None when it was not kept or is not JSON."""
    if not answer:
        return None
    try:
        # orjson first (the mock's own answers; ~5x faster: the Redis store journals every
        # answer's view as it is recorded), the standard library for what it refuses (NaN,
        # integers beyond 64 bits)
        document = orjson.loads(answer)
    except ValueError:
        try:
            document = json.loads(answer)
        except ValueError:
            return None
    if status >= 400 and isinstance(document, dict):
        return {k: v for k, v in document.items() if k in ("statusCode", "success", "message")}
    if isinstance(document, list):
        return [mask_body(item) for item in document[:20]]
    return mask_body(document)


@lru_cache(maxsize=1024)
def _second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def entry_view(e: JournalEntry) -> dict[str, Any]:
    """One entry as `GET /__admin/requests` shows it, masked."""
    query = e.query
    return {
        "at": f"{_second(int(e.at))}.{int(e.at * 1000) % 1000:03d}Z",
        "method": e.method,
        "path": e.path,
        "query": {
            name: MASK for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        }
        if query
        else {},
        "status": e.status,
        "ms": round(e.ms, 3),
        "headers": mask_headers(e.headers),
        "body": mask_body(e.body),
        "bodyBytes": e.body_bytes,
    }


def bounded(entry: JournalEntry) -> JournalEntry:
    """`entry` with its body, headers, path, query and answer cut to the journal's bounds."""
    if entry.body is not None and entry.body_bytes > LAZY_BODY_BYTES:
        # bounded memory per entry: 1,000 parsed 1 MiB bodies would hold GiBs
        entry = entry._replace(body=bounded_shape(entry.body))
    headers = entry.headers
    if len(headers) > MAX_HEADERS or (
        # one C-level join tells the usual small set of headers apart (no header can be
        # longer than all of them together); only a bigger set is scanned one by one
        len(b"".join(chain.from_iterable(headers))) > HEADER_BYTES
        and any(len(n) + len(v) > HEADER_BYTES for n, v in headers)
    ):
        # the server takes headers of any size; the journal keeps a bounded copy
        entry = entry._replace(
            headers=tuple((n[:HEADER_BYTES], v[:HEADER_BYTES]) for n, v in headers[:MAX_HEADERS])
        )
    if len(entry.path) > MAX_PATH or len(entry.query) > MAX_PATH:
        entry = entry._replace(path=entry.path[:MAX_PATH], query=entry.query[:MAX_PATH])
    if entry.answer is not None and len(entry.answer) > ANSWER_BYTES:
        entry = entry._replace(answer=None)
    return entry


class Journal:
    """The last `size` entries. `recorded` counts every entry ever recorded (an entry's
    sequence number is its count) and `cleared` every clear, so a live reader (the dashboard's
    stream) asks for what came `since` the last number it saw."""

    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self.recorded = 0
        self.cleared = 0

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(bounded(entry))
        self.recorded += 1

    def clear(self) -> None:
        self._entries.clear()
        self.cleared += 1

    def since(self, seen: int, limit: int) -> list[tuple[int, JournalEntry]]:
        """The entries recorded after number `seen` and still held, at most the newest
        `limit`, oldest first, each with its number."""
        count = min(self.recorded - seen, len(self._entries), limit)
        if count <= 0:
            return []
        newest = list(islice(reversed(self._entries), count))
        return [(self.recorded - i, e) for i, e in reversed(list(enumerate(newest)))]

    def view(self) -> list[dict[str, Any]]:
        """The entries, oldest first, masked."""
        return [entry_view(e) for e in list(self._entries)]


def live_view(entry: JournalEntry, name_of: Callable[[bytes | None], str | None]) -> dict[str, Any]:
    """An entry as the dashboard's live stream shows it: the journal's masked view, the name of
    the key it carried (never the key) and its masked answer."""
    view = entry_view(entry)
    view["key"] = name_of(dict(entry.headers).get(b"authorization"))
    view["answer"] = mask_answer(entry.status, entry.answer)
    return view


class Tail(NamedTuple):
    """What a live reader sees of a journal at one moment."""

    recorded: int  # entries ever recorded: the newest one's number
    held: int  # entries still held (the newest `held` of them)
    cleared: int  # clears so far
    batch: list[tuple[int, dict[str, Any]]]  # (number, `live_view`) after the one asked for


class LiveJournal(Protocol):
    """A namespace's journal as the dashboard's stream polls it: this process's
    (`MemoryTail`) or every process's on Redis (`mockserver.stores.redis`)."""

    async def tail(self, seen: int, limit: int) -> Tail:
        """The counts, and the entries recorded after number `seen` and still held: at most
        the newest `limit`, oldest first."""
        ...


class MemoryTail:
    """`LiveJournal` over this process's `Journal`."""

    def __init__(self, journal: Journal, name_of: Callable[[bytes | None], str | None]) -> None:
        self.journal = journal
        self.name_of = name_of

    async def tail(self, seen: int, limit: int) -> Tail:
        journal = self.journal
        batch = [(n, live_view(e, self.name_of)) for n, e in journal.since(seen, limit)]
        return Tail(journal.recorded, len(journal), journal.cleared, batch)
