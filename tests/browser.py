"""A real headless browser for the tests that need one: Debian's Chromium driven by Selenium.

Registered as a pytest plugin (`tests/conftest.py`), so any test can ask for:

- `chromium`: a fresh headless Chromium (`selenium.webdriver.Chrome`) with its own profile
  directory, quit after the test. It is skipped, with the reason, where Selenium, `chromium` or
  `chromedriver` is missing (`.ci/run` installs them: `apt-get install chromium
  chromium-driver`, and `selenium` is in the `test` extra).
- on failure, a screenshot of what the `chromium` of a failed test showed, saved under
  `$CREDKIT_SCREENSHOTS` (default: the temporary directory's `credkit-screenshots/`) and named
  in the test's report.
- `page_server`: a second loopback HTTP server on its own port — another origin than the
  mock's — that serves the HTML a test gives it (`page_server.serve("/attack.html", html)`).

The browser is told not to talk to anything but the pages it is sent to (no background
networking, component updates, sync or QUIC), and Selenium is given both binaries so it never
looks for (or downloads) a driver of its own.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

__all__ = ["BROWSER_FLAGS", "PageServer", "chromium", "missing_browser", "page_server"]

BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    return found if found else (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)


def missing_browser() -> str | None:
    """Why no browser test can run here, or None when one can."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install '.[test]')"
    for name, package in (("chromium", "chromium"), ("chromedriver", "chromium-driver")):
        if _binary(name) is None:
            return f"{name} is not installed (apt-get install {package})"
    return None


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium under Selenium, with a profile of its own."""
    reason = missing_browser()
    if reason is not None:
        pytest.skip(f"no headless browser: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(_binary("chromium"))
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(executable_path=str(_binary("chromedriver")))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A screenshot of a failed test's browser (before the fixture quits it)."""
    report = yield
    driver = getattr(item, "funcargs", {}).get("chromium")
    if driver is not None and report.when == "call" and report.failed:
        directory = Path(
            os.environ.get("CREDKIT_SCREENSHOTS")
            or Path(tempfile.gettempdir()) / "credkit-screenshots"
        )
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / (re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid) + ".png")
        try:
            driver.save_screenshot(str(path))
            report.sections.append(("browser screenshot", str(path)))
        except Exception as exc:  # the browser may be what failed
            report.sections.append(("browser screenshot", f"not taken: {exc}"))
    return report


class PageServer:
    """Static pages on 127.0.0.1 at a port of their own: `url` is its origin."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        pages, requests = self.pages, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                body, content_type = pages.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if self.path in pages else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, html: str) -> str:
        """Serve `html` at `path`; its URL."""
        self.pages[path] = (html.encode("utf-8"), "text/html; charset=utf-8")
        return self.url + path

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """A second loopback server (another origin) serving the pages a test gives it."""
    server = PageServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
