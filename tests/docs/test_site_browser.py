"""The built site in a real headless Chromium, served from 127.0.0.1: it renders, the CLI
reference shows options as the code defines them, the credentials API renders from the spec,
and no request leaves the machine."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from tests.docs.conftest import ROOT

# Served from inside the page or the browser itself (chrome://: its own new-tab page).
LOCAL_SCHEMES = ("data", "blob", "about", "chrome", "chrome-error", "chrome-untrusted")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving_directory(directory: Path) -> Iterator[str]:
    """The files of `directory`, served on 127.0.0.1 and a free port."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site_url(site: Path) -> Iterator[str]:
    """The built site, served on 127.0.0.1 and a free port."""
    with serving_directory(site) as url:
        yield url


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (its performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def resource_urls(driver: Any) -> list[str]:
    """What the page's own Resource Timing lists (it sees fetches the log may miss)."""
    found: list[str] = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    return found


def assert_all_local(urls: list[str]) -> None:
    assert urls
    outside = [
        url
        for url in urls
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert not outside, f"requests that left the machine: {outside}"


def wait_for(driver: Any, script: str, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def option(command: click.Command, flag: str) -> click.Option:
    found = next(p for p in command.params if flag in getattr(p, "opts", ()))
    assert isinstance(found, click.Option)
    return found


def test_the_site_opens_offline(logged_chromium: Any, site_url: str) -> None:
    from contracts.cli import verify
    from mockserver.cli import serve

    driver = logged_chromium
    seen: list[str] = []

    driver.get(site_url + "/")
    wait_for(driver, "return document.readyState === 'complete'")
    assert driver.title.startswith("credkit")
    assert "stateful mock server" in driver.find_element("tag name", "article").text
    seen += resource_urls(driver)

    driver.get(site_url + "/reference/cli/")
    wait_for(driver, "return document.readyState === 'complete'")
    text = driver.find_element("tag name", "article").text
    for command, flag in ((serve, "--store"), (verify, "--baseline"), (verify, "--baseline-write")):
        defined = option(command, flag)
        assert defined.opts[0] in text
        assert f"env var: {defined.envvar}" in " ".join(text.split())
    seen += resource_urls(driver)

    driver.get(site_url + "/reference/credentials-api/")
    wait_for(driver, "return document.readyState === 'complete'")
    spec = yaml.safe_load((ROOT / "spec" / "credentials.openapi.yaml").read_text("utf-8"))
    operations = sum(
        1
        for item in spec["paths"].values()
        for method in item
        if method in ("get", "put", "post", "delete")
    )
    frame = driver.find_element("id", "credentials-api-swagger")
    driver.switch_to.frame(frame)
    rendered = wait_for(
        driver,
        f"var n = document.querySelectorAll('.opblock').length; return n >= {operations} && n",
    )
    assert rendered == operations
    paths = driver.execute_script(
        "return [...document.querySelectorAll('.opblock-summary-path')].map(e => e.innerText)"
    )
    assert "/api/v1/credentials/{id}" in [p.replace("\u200b", "") for p in paths]
    seen += resource_urls(driver)
    driver.switch_to.default_content()

    logged = requested_urls(driver)
    assert any(url.endswith("/api/swagger-ui-bundle.js") for url in logged)
    assert any(url.endswith("/api/credentials.openapi.json") for url in logged)
    assert_all_local(logged + seen)


def test_a_request_to_elsewhere_would_be_seen(logged_chromium: Any, tmp_path: Path) -> None:
    """What the test above relies on: a page that loads a web font from elsewhere is caught."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        "<p>hello</p>",
        encoding="utf-8",
    )
    with serving_directory(tmp_path) as url:
        logged_chromium.get(url + "/")
        wait_for(logged_chromium, "return document.readyState === 'complete'")
        logged = requested_urls(logged_chromium)
    assert any(u.startswith("https://fonts.googleapis.com/") for u in logged), logged
    with pytest.raises(AssertionError, match=r"fonts\.googleapis\.com"):
        assert_all_local(logged)
