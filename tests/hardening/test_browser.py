"""A real browser attacks the admin API from another origin: a page on a second loopback
server (another port, so another site) sends the requests a page can send without a CORS
preflight to a live `credkit serve`, and the state survives.

The control: the same page, once its origin is listed with `--cors-origin`, does reset the
state — so the browser really sent what the test says, and a mock that let it in would fail.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import live
from tests.browser import PageServer
from tests.hardening.conftest import AUTH, CRED

pytestmark = pytest.mark.e2e

# fetch() calls a page may make to another site without a preflight: a POST with a
# CORS-safelisted Content-Type (text/plain, a form) or none, in "no-cors" or "cors" mode.
ATTACK = """<!doctype html>
<title>loading</title>
<script>
const target = "{mock}/__admin/reset";
const tries = [
  {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}}, body: "x"}},
  {{method: "POST", mode: "no-cors", body: "a=b",
    headers: {{"Content-Type": "application/x-www-form-urlencoded"}}}},
  {{method: "POST", headers: {{"Content-Type": "text/plain"}}, body: "x"}},
  {{method: "POST", mode: "no-cors"}},
];
(async () => {{
  const results = [];
  for (const init of tries) {{
    try {{
      const answer = await fetch(target, init);
      results.push(answer.type + ":" + answer.status);  // "opaque:0" in no-cors mode
    }} catch (error) {{
      results.push(error.name);
    }}
  }}
  document.title = "done " + results.join(",");
}})();
</script>
"""


def attack(chromium: Any, page_server: PageServer, mock_url: str) -> str:
    """Open the attacker's page; the results of its requests once it has sent them all."""
    from selenium.webdriver.support.ui import WebDriverWait

    url = page_server.serve("/attack.html", ATTACK.format(mock=mock_url))
    chromium.get(url)
    WebDriverWait(chromium, 60).until(lambda d: d.title.startswith("done "))
    title: str = chromium.title
    return title


def resets_in_log(server: live.LiveServer, count: int) -> list[str]:
    """The access-log lines of POST /__admin/reset, once there are `count` (flushed in 50 ms)."""
    deadline = time.monotonic() + 30
    while True:
        lines = re.findall(r"POST /__admin/reset (\d{3})", server.output)
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def rename(http: httpx.Client) -> None:
    response = http.put(f"/api/v1/credentials/{CRED}", json={"name": "survivor"}, headers=AUTH)
    assert response.status_code == 200, response.text


def name(http: httpx.Client) -> str:
    value: str = http.get(f"/api/v1/credentials/{CRED}", headers=AUTH).json()["name"]
    return value


def test_a_page_of_another_site_cannot_reset_the_mock(
    chromium: Any, page_server: PageServer, tmp_path: Path
) -> None:
    with live.running(tmp_path / "serve.log") as server, server.client() as http:
        rename(http)
        results = attack(chromium, page_server, server.url)
        # the CORS default lets a local page read the answer of its cors-mode request: 403
        assert results == "done opaque:0,opaque:0,cors:403,opaque:0", results
        assert resets_in_log(server, 4) == ["403"] * 4  # every request arrived, refused
        assert name(http) == "survivor"
        assert http.get("/__admin/state").status_code == 200


def test_control_the_same_page_from_a_listed_origin_does_reset(
    chromium: Any, page_server: PageServer, tmp_path: Path
) -> None:
    with (
        live.running(tmp_path / "serve.log", "--cors-origin", page_server.url) as server,
        server.client() as http,
    ):
        rename(http)
        attack(chromium, page_server, server.url)
        # text/plain and form bodies are still refused; the bodiless POST is let in
        assert resets_in_log(server, 4) == ["403", "403", "403", "204"]
        assert name(http) != "survivor"
