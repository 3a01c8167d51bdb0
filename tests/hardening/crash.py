"""kill -9 trials: write load on a `credkit serve --state-file`, SIGKILL at a random moment,
restart on the same file, and check that every write answered 200 before the kill is there.

Each write is unique and never overwritten, so what must survive is exact:
- PUT cred-789 `{"plainDataObj": {"t<trial>w<writer>n<n>": n}}` answered 200 → that key, that value;
- POST a credential answered 200 → its id exists (with its data key);
- DELETE of a credential created in an earlier trial answered 200 → the id is gone.
Writes without an answer (cut by the kill) may or may not be there; both are fine.
Used by tests/hardening/test_persistence.py (a few trials) and bench/kill9.py (many).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from credkit_core.resources import DEV_KEYS
from tests import live

AUTH = {"Authorization": f"Bearer {DEV_KEYS['full']}"}
CRED = "cred-789"


@dataclass
class Acked:
    """Writes the server answered 200, across all trials so far."""

    keys: dict[str, int] = field(default_factory=dict)  # PUT cred-789 key -> value
    created: dict[str, str] = field(default_factory=dict)  # id -> its data key
    deleted: set[str] = field(default_factory=set)
    delete_sent: set[str] = field(default_factory=set)  # answered or not: may be gone
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Trial:
    number: int
    kill_after_s: float
    writes_acked: int
    problems: list[str]
    state_bytes: int


def _writer(
    url: str, trial: int, writer: int, acked: Acked, stop: threading.Event, deletable: list[str]
) -> None:
    try:
        _write(url, trial, writer, acked, stop, deletable)
    except Exception as exc:  # a thread's failure must reach the trial's verdict
        with acked.lock:
            acked.errors.append(f"writer {writer}: {type(exc).__name__}: {exc}")


def _write(
    url: str, trial: int, writer: int, acked: Acked, stop: threading.Event, deletable: list[str]
) -> int:
    rng = random.Random(trial * 1000 + writer)
    done = 0
    with httpx.Client(base_url=url, timeout=5) as http:
        for n in range(100_000):  # bounded; the kill or `stop` ends it much sooner
            if stop.is_set():
                break
            kind = rng.choices(["put", "post", "delete"], weights=[8, 2, 1])[0]
            try:
                if kind == "put":
                    key = f"t{trial}w{writer}n{n}"
                    r = http.put(
                        f"/api/v1/credentials/{CRED}", json={"plainDataObj": {key: n}}, headers=AUTH
                    )
                    if r.status_code == 200:
                        with acked.lock:
                            acked.keys[key] = n
                elif kind == "post":
                    key = f"c{trial}w{writer}n{n}"
                    body = {"name": key, "credentialName": "openAIApi", "plainDataObj": {key: n}}
                    r = http.post("/api/v1/credentials", json=body, headers=AUTH)
                    if r.status_code == 200:
                        with acked.lock:
                            acked.created[r.json()["id"]] = key
                else:
                    with acked.lock:
                        victim = deletable.pop() if deletable else None
                        if victim is not None:
                            acked.delete_sent.add(victim)
                    if victim is None:
                        continue
                    r = http.delete(f"/api/v1/credentials/{victim}", headers=AUTH)
                    if r.status_code == 200:
                        with acked.lock:
                            acked.deleted.add(victim)
            except httpx.TransportError:
                break  # the server was killed mid-request: this write has no answer
            if r.status_code >= 500:
                raise AssertionError(f"{kind} answered {r.status_code}: {r.text[:200]}")
            done += 1
    return done


def verify(url: str, acked: Acked) -> list[str]:
    """What is missing or wrong after a restart, as messages (empty: all acked writes are there)."""
    problems: list[str] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        got = http.get(f"/api/v1/credentials/{CRED}", headers=AUTH)
        data = got.json()["plainDataObj"] if got.status_code == 200 else {}
        missing = [k for k, v in acked.keys.items() if data.get(k) != v]
        if missing:
            problems.append(f"{len(missing)} acknowledged PUT keys lost, e.g. {missing[:3]}")
        listed = http.get("/api/v1/credentials", headers=AUTH)
        ids = {c["id"] for c in listed.json()}
        lost = [i for i in acked.created if i not in acked.delete_sent and i not in ids]
        if lost:
            problems.append(f"{len(lost)} acknowledged creates lost, e.g. {lost[:3]}")
        back = sorted(acked.deleted & ids)
        if back:
            problems.append(f"{len(back)} acknowledged deletes came back, e.g. {back[:3]}")
    return problems


def run_trials(
    workdir: Path, trials: int, *, writers: int = 6, max_kill_after: float = 1.5, seed: int = 0
) -> list[Trial]:
    """`trials` kill -9 cycles on one state file; each restart must load and keep every acked
    write."""
    rng = random.Random(seed)
    state = workdir / "state.jsonl"
    log = workdir / "server.log"
    acked = Acked()
    results: list[Trial] = []
    for number in range(1, trials + 1):
        server = live.start(log, "--state-file", str(state), "--log-level", "warning")
        try:
            problems = verify(server.url, acked)
            with acked.lock:
                deletable = [i for i in acked.created if i not in acked.delete_sent]
            rng.shuffle(deletable)
            stop = threading.Event()
            before = len(acked.keys) + len(acked.created) + len(acked.deleted)
            threads = [
                threading.Thread(
                    target=_writer, args=(server.url, number, w, acked, stop, deletable)
                )
                for w in range(writers)
            ]
            for thread in threads:
                thread.start()
            kill_after = rng.uniform(0.05, max_kill_after)
            time.sleep(kill_after)
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            after = len(acked.keys) + len(acked.created) + len(acked.deleted)
            problems += acked.errors
            acked.errors.clear()
        finally:
            if server.alive():
                server.kill()
        size = state.stat().st_size if state.exists() else 0
        results.append(Trial(number, kill_after, after - before, problems, size))
    # the last kill is checked by one more restart
    server = live.start(log, "--state-file", str(state), "--log-level", "warning")
    try:
        final = verify(server.url, acked)
    finally:
        server.stop()
    results.append(Trial(trials + 1, 0.0, 0, final, state.stat().st_size))
    return results
