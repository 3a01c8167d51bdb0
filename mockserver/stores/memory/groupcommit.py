"""Group commit: one durable point at a time, run in a worker thread, shared by every waiter.

`GroupCommit.join(start)` waits for the durable point that is running, if any, or starts one:
`start()` (called on the event loop) returns the blocking work to run in the thread (an fsync,
a compaction), or None when there is nothing to do. Waiters arriving while a point runs wait
for it; the caller decides (by its own sequence numbers) whether that point covered what it
needs or it must join the next. The event loop never blocks on the disk; each waiter has its
own future, so one that goes away (a cancelled request) cannot cancel the others' point, and
all of them are woken by a single callback when the point ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["GroupCommit"]

Work = Callable[[], None]


class GroupCommit:
    def __init__(self, name: str) -> None:
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._job: Future[None] | None = None  # the running (or last) point
        self._waiters: list[asyncio.Future[None]] = []  # awaiting _job, on _loop
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"GroupCommit({self.name!r}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._job is not None and not self._job.done()

    async def join(self, start: Callable[[], Work | None]) -> None:
        """Wait for the running point, or start one with `start()` and wait for it. The work
        must not raise (it records its own failure); `join` returns once it has ended."""
        loop = asyncio.get_running_loop()
        job = self._job
        if job is None or job.done():
            work = start()
            if work is None:
                return
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix=self.name)
            job = self._job = self._executor.submit(work)
            waiters: list[asyncio.Future[None]] = []
            self._waiters, self._loop = waiters, loop
            job.add_done_callback(lambda _: _wake_soon(loop, waiters))
        if self._loop is not loop:  # a point started from another event loop (tests)
            await asyncio.shield(asyncio.wrap_future(job))
            return
        waiter = loop.create_future()
        self._waiters.append(waiter)
        await waiter

    def wait(self) -> None:
        """Block until the running point (if any) has ended (startup, reset, shutdown)."""
        if self._job is not None:
            self._job.result()

    def close(self) -> None:
        self.wait()
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None


def _wake_soon(loop: asyncio.AbstractEventLoop, waiters: list[asyncio.Future[None]]) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left waiting on it
        loop.call_soon_threadsafe(_wake, waiters)


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
