"""`mockserver.accesslog`: one line per request, buffered under a server, via logging in-process."""

from __future__ import annotations

import asyncio
import io
import re

import pytest

from mockserver.accesslog import FLUSH_INTERVAL, AccessLog

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO credkit.access: PUT /p 200 1.5ms$")


def test_lines_are_buffered_and_flushed_by_the_loop() -> None:
    stream = io.StringIO()
    log = AccessLog(stream=stream)

    async def run() -> tuple[str, str]:
        for _ in range(3):
            log.write("PUT", "/p", 200, 1.5)
        before = stream.getvalue()
        await asyncio.sleep(FLUSH_INTERVAL * 3)
        return before, stream.getvalue()

    before, after = asyncio.run(run())
    assert before == ""
    lines = after.splitlines()
    assert len(lines) == 3 and all(LINE.match(line) for line in lines)


def test_without_a_loop_lines_are_written_at_once() -> None:
    stream = io.StringIO()
    AccessLog(stream=stream).write("PUT", "/p", 200, 1.5)
    assert LINE.match(stream.getvalue().strip())


def test_disabled_writes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    AccessLog(enabled=False, stream=stream).write("PUT", "/p", 200, 1.5)
    caplog.set_level("INFO", logger="credkit")
    AccessLog(enabled=False).write("PUT", "/p", 200, 1.5)
    assert stream.getvalue() == "" and not caplog.records


def test_without_a_stream_lines_go_through_logging(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="credkit")
    AccessLog().write("GET", "/api/v1/ping", 200, 0.25)
    assert [r.getMessage() for r in caplog.records] == ["GET /api/v1/ping 200 0.2ms"]
