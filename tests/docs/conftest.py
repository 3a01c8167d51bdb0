"""The documentation site, built once per session (`mkdocs build --strict`) into a temporary
directory, and a headless Chromium that logs every request it makes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BROWSER_FLAGS, missing_browser

ROOT = Path(__file__).resolve().parents[2]


def build_site(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of `config` into `site`, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site's directory."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install '.[docs]')")
    directory = tmp_path_factory.mktemp("site")
    result = build_site(ROOT / "mkdocs.yml", directory)
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


def _binary(name: str) -> str:
    return shutil.which(name) or f"/usr/bin/{name}"


@pytest.fixture
def logged_chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (as `tests.browser.chromium`) whose performance log records every
    request, and that cannot resolve any name: whatever a page tries to fetch from elsewhere
    fails, and is still logged."""
    reason = missing_browser()
    if reason is not None:
        pytest.skip(f"no headless browser: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium")
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(
        service=Service(executable_path=_binary("chromedriver")), options=options
    )
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
