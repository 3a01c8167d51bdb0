"""The Redis layout of the shared state, its Lua scripts, and `RedisView`: a request's view of
the credentials it reads, which records the changes it makes.

Keys, per namespace NS (the `{NS}` hash tag keeps a namespace's keys in one cluster slot):

    credkit:{NS}:creds       hash  id -> credential JSON (`encryptedData`, never the plain data)
    credkit:{NS}:meta        hash  gen (new at each reset/load), fgen (new at each change of
                                   the faults), fixtures (the keys and workspaces in force, JSON),
                                   jcount (journal entries ever recorded), jcleared (clears)
    credkit:{NS}:faults      hash  id -> fault JSON;  :fault-left / :fault-hits  id -> count
    credkit:{NS}:journal     list  masked journal entries as the live stream shows them
                                   (`live_view`), the newest last, at most 1,000; the last one
                                   is number jcount
    credkit:verifier               the passphrase check: a fixed text encrypted with it
    credkit:passphrase             the generated passphrase, when no process was given one

A write is optimistic: the view remembers the JSON of every credential it read, and `COMMIT`
applies the request's changes only if each of those is still what was read (else nothing is
written and the request runs again on fresh data). No lost update, across any number of
processes, without a lock held across a round trip.

`gen` and `fgen` are random tokens (`token()`), never counters: a namespace that expired and was
made again never repeats a generation a process remembers from its first life.

A process that knows a namespace's generations and the credential a request names (its last
seen raw value) answers with one round trip: `SPECULATE` checks, atomically, that `gen`, `fgen`
and every credential read are still what the process assumed, then applies the changes; when
anything differs it changes nothing and returns the current values instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson

from credkit_core.crypto import Encryptor
from mockserver.store import Store, StoredCredential

__all__ = [
    "ANY",
    "CLAIM",
    "COMMIT",
    "RESET",
    "SPECULATE",
    "TAIL",
    "TAKE_FAULT",
    "NeedFetch",
    "RedisView",
    "commit_args",
    "decode",
    "encode",
    "keys_for",
    "speculate_args",
    "token",
]

ANY = "\x00any"  # a change whose target was never read: written whatever is there
VERIFIER_TEXT = "credkit passphrase verifier"


def token() -> str:
    """A new generation (`gen`, `fgen`): random, so never one seen before."""
    return os.urandom(8).hex()


@lru_cache(maxsize=4096)
def keys_for(namespace: str) -> dict[str, str]:
    """The namespace's keys by name (one dict per namespace, shared: never change it)."""
    base = f"credkit:{{{namespace}}}:"
    return {
        name: base + name for name in ("creds", "meta", "faults", "fault-left", "fault-hits")
    } | {"journal": base + "journal"}


def encode(credential: StoredCredential) -> bytes:
    """A credential as stored in Redis: ciphertext only, never the plain data."""
    return orjson.dumps(
        {
            "id": credential.id,
            "name": credential.name,
            "credentialName": credential.credential_name,
            "workspaceId": credential.workspace_id,
            "encryptedData": credential.encrypted,
            "createdMs": credential.created_ms,
            "updatedMs": credential.updated_ms,
        }
    )


_decoded: dict[bytes, StoredCredential] = {}  # raw -> decoded: a raw value never changes


def decode(raw: bytes, encryptor: Encryptor, keep: bool = True) -> StoredCredential:
    """A stored credential from its Redis JSON (decrypted once per process per value; with
    `keep` False, the caller keeps it)."""
    found = _decoded.get(raw)
    if found is not None:
        return found
    item: dict[str, Any] = orjson.loads(raw)
    found = StoredCredential(
        id=item["id"],
        name=item["name"],
        credential_name=item["credentialName"],
        workspace_id=item["workspaceId"],
        # the standard library: integers beyond 64 bits stay integers (orjson makes floats)
        data=json.loads(encryptor.decrypt(item["encryptedData"])),
        encrypted=item["encryptedData"],
        created_ms=item["createdMs"],
        updated_ms=item["updatedMs"],
    )
    if keep:
        remember(raw, found)
    return found


def remember(raw: bytes, credential: StoredCredential) -> None:
    """`decode(raw)` is `credential` from now on."""
    if len(_decoded) >= 20_000:
        _decoded.clear()
    _decoded[raw] = credential


class NeedFetch(Exception):
    """The request read a credential that was not fetched: fetch it (or all) and run again."""

    def __init__(self, credential_id: str | None) -> None:
        super().__init__(credential_id)
        self.credential_id = credential_id  # None: every credential


class RedisView(Store):
    """The in-memory `Store`'s logic (merge, markers, fresh ciphertext: the same code) over
    the credentials one request fetched; its changes are collected for `COMMIT`."""

    def __init__(
        self,
        template: Store,
        fetched: dict[str, bytes | None],
        complete: bool = False,
        decoded: dict[str, tuple[bytes, StoredCredential]] | None = None,
    ) -> None:
        """`decoded`: id -> (raw, its credential) already at hand (what this process wrote)."""
        super().__init__(template.encryptor, template.catalog)
        self.read = fetched  # id -> the raw value read (None: absent)
        self.complete = complete
        self.changes: dict[str, bytes | None] = {}  # id -> new raw value (None: delete)
        self.written: dict[str, StoredCredential] = {}  # id -> the credential put
        # id -> (raw, credential) decoded here, for the caller to keep (a view of a few
        # credentials) instead of the process-wide cache by raw value (a complete view)
        self.decoded: dict[str, tuple[bytes, StoredCredential]] = {}
        self.sink = self
        by_id = self._by_id
        for cid, raw in fetched.items():
            if raw is not None:
                hint = decoded.get(cid) if decoded else None
                if hint is not None and hint[0] is raw:
                    by_id[cid] = hint[1]
                else:
                    by_id[cid] = decode(raw, self.encryptor, keep=complete)
                    if not complete:
                        self.decoded[cid] = (raw, by_id[cid])

    def get(self, credential_id: str, workspace_id: str) -> StoredCredential | None:
        if not self.complete and credential_id not in self.read:
            raise NeedFetch(credential_id)
        return super().get(credential_id, workspace_id)

    def find(self, credential_id: str) -> StoredCredential | None:
        if not self.complete and credential_id not in self.read:
            raise NeedFetch(credential_id)
        return super().find(credential_id)

    def ids(self) -> set[str]:
        if not self.complete:
            raise NeedFetch(None)
        return super().ids()

    def all(self) -> list[StoredCredential]:
        if not self.complete:
            raise NeedFetch(None)
        return super().all()

    def list(self, workspace_id: str, types: Iterable[str] | None = None) -> list[StoredCredential]:
        if not self.complete:
            raise NeedFetch(None)
        return super().list(workspace_id, types)

    def __len__(self) -> int:
        if not self.complete:
            raise NeedFetch(None)
        return super().__len__()

    # -- the ChangeSink the base class reports every change to -------------------------------

    def record_put(self, credential: StoredCredential) -> None:
        self.changes[credential.id] = encode(credential)
        self.written[credential.id] = credential

    def record_delete(self, credential_id: str) -> None:
        self.changes[credential_id] = None

    def record_snapshot(self, credentials: Iterable[StoredCredential]) -> None:
        raise NotImplementedError("a request view never replaces the whole store")


def commit_args(view: RedisView) -> list[bytes | str]:
    """ARGV for `COMMIT`: (id, expected raw or "" for absent or ANY, new raw or "")."""
    args: list[bytes | str] = []
    for cid, new in view.changes.items():
        expected: bytes | str = ANY
        if cid in view.read:
            expected = view.read[cid] or ""
        args += [cid, expected, new or ""]
    return args


def speculate_args(gen: bytes, fgen: bytes, view: RedisView) -> list[bytes | str]:
    """ARGV for `SPECULATE`: gen, fgen, the number of reads, (id, raw read or "" for absent)
    for each read, then (id, new raw or "" to delete) for each change."""
    args: list[bytes | str] = [gen, fgen, str(len(view.read))]
    for cid, raw in view.read.items():
        args += [cid, raw or ""]
    for cid, new in view.changes.items():
        args += [cid, new or ""]
    return args


# KEYS: creds, meta. ARGV: see `speculate_args`. 1 when everything assumed holds (the changes
# are then applied); else nothing changes and the reply is {0, gen, fgen, raw of each read}
# ("" for absent, and for gen/fgen when the namespace does not exist).
SPECULATE = """
local meta = redis.call('HMGET', KEYS[2], 'gen', 'fgen')
local stale = meta[1] ~= ARGV[1] or meta[2] ~= ARGV[2]
local n = tonumber(ARGV[3])
local fresh = {}
for i = 0, n - 1 do
  local have = redis.call('HGET', KEYS[1], ARGV[4 + 2 * i]) or ''
  fresh[i + 1] = have
  if have ~= ARGV[5 + 2 * i] then stale = true end
end
if stale then return {0, meta[1] or '', meta[2] or '', unpack(fresh)} end
for j = 4 + 2 * n, #ARGV, 2 do
  if ARGV[j + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[j])
  else redis.call('HSET', KEYS[1], ARGV[j], ARGV[j + 1]) end
end
return 1
"""

# KEYS[1] creds. ARGV: triples (id, expected, new). All expectations hold, or nothing changes.
COMMIT = """
for i = 1, #ARGV, 3 do
  local want = ARGV[i + 1]
  if want ~= '\\0any' then
    local have = redis.call('HGET', KEYS[1], ARGV[i]) or ''
    if have ~= want then return 0 end
  end
end
for i = 1, #ARGV, 3 do
  if ARGV[i + 2] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
end
return 1
"""

# KEYS: creds, meta, faults, fault-left, fault-hits, journal. ARGV[1]: `seed` (only when the
# namespace does not exist yet), `reset` (the journal and faults cleared too) or `load` (they
# are kept); ARGV[2]: fixtures JSON; ARGV[3]: the new gen and fgen (`token()`); then pairs
# (id, raw). Returns 1 when it wrote.
RESET = """
if ARGV[1] == 'seed' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[1] == 'load' then redis.call('DEL', KEYS[1])
else
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
  if ARGV[1] == 'reset' then redis.call('HINCRBY', KEYS[2], 'jcleared', 1) end
end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[2], 'gen', ARGV[3], 'fgen', ARGV[3], 'fixtures', ARGV[2])
return 1
"""

# KEYS: faults, fault-left, fault-hits, meta. ARGV[1]: fault id, ARGV[2]: the fgen to set when
# the fault is used up (`token()`). 1 when this request takes the
# fault (a counted one at most `count` times across every process), 0 when it is used up.
TAKE_FAULT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local left = redis.call('HGET', KEYS[2], ARGV[1])
if left then
  left = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
  if left < 0 then return 0 end
  if left == 0 then
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('HDEL', KEYS[2], ARGV[1])
    redis.call('HSET', KEYS[4], 'fgen', ARGV[2])
  end
end
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
return 1
"""

# KEYS: meta, journal. ARGV: seen, limit. Returns {jcount, held, jcleared, entries after number
# `seen` (at most the newest `limit`, oldest first)}: one consistent look for the live stream.
TAIL = """
local counts = redis.call('HMGET', KEYS[1], 'jcount', 'jcleared')
local recorded = tonumber(counts[1]) or 0
local held = redis.call('LLEN', KEYS[2])
local count = math.min(recorded - tonumber(ARGV[1]), held, tonumber(ARGV[2]))
local entries = {}
if count > 0 then entries = redis.call('LRANGE', KEYS[2], -count, -1) end
return {recorded, held, tonumber(counts[2]) or 0, entries}
"""

# KEYS[1]: the sorted set of named namespaces (name -> last use). ARGV: name, now, cutoff (the
# last use before which a namespace has expired), cap. 1 when `name` is listed now (it was, or
# fewer than `cap` others are), 0 when the cap refuses it. The count and the listing are one
# step, so processes creating namespaces at once never list more than `cap`. (Touches update a
# listed name's last use, never list one: ZADD XX.)
CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local listed = redis.call('ZSCORE', KEYS[1], ARGV[1]) and 1 or 0
if redis.call('ZCARD', KEYS[1]) - listed >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
"""
