"""The access log cannot be forged or flooded through the URL.

ASGI paths are percent-decoded, so `%0A` in a URL is a real newline by the time it is logged:
without escaping, one request could print a fake access-log line of its choosing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from tests import live
from tests.hardening.conftest import AUTH
from tests.inprocess import AppClient

FORGED = (
    "2026-01-01 00:00:00,000 INFO credkit.access: DELETE /api/v1/credentials/cred-789 200 0.1ms"
)
EVIL = "/api/v1/credentials/x%0A" + FORGED.replace(" ", "%20") + "%0D%1B[31m"


def test_control_characters_in_the_path_are_escaped(
    make_app: object, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(access_log=True)  # type: ignore[operator]
    with caplog.at_level(logging.INFO, logger="credkit.access"), AppClient(app) as http:
        assert http.get(EVIL, headers=AUTH).status_code == 404
        assert http.get("/api/v1/credentials/" + "z" * 5000, headers=AUTH).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "credkit.access"]
    assert len(lines) == 2
    assert all("\n" not in line and "\r" not in line and "\x1b" not in line for line in lines)
    assert "\\n2026-01-01" in lines[0]  # still there, visibly escaped
    assert len(lines[1]) < 700


@pytest.mark.e2e
def test_no_forged_line_in_a_live_server_log(tmp_path: Path) -> None:
    with live.running(tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.url) as http:
            assert http.get(EVIL, headers=AUTH).status_code == 404
        output = server.wait_for_output(" 404 ")
    assert "\\n2026-01-01" in output
    assert not any(line.startswith("2026-01-01 00:00:00,000") for line in output.splitlines())
