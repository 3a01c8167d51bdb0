"""`/docs` in a real headless Chromium (Debian's `chromium` + `chromium-driver`, driven by
Selenium; the `chromium` fixture of tests/browser.py): the page renders the spec from the mock
alone, "Authorize" takes the development key, and "Try it out" on Update Credential sends a PUT
that changes the mock's state — also under a base path. On failure a screenshot is saved and its
path is in the failure message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import LiveServer, running

NEW_NAME = "Renamed from the docs page"
HEADERS = {"Authorization": "Bearer YOUR_API_KEY"}

pytestmark = pytest.mark.e2e


def wait_for(driver: Any, css: str, timeout: float = 30) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    located = expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css))
    return WebDriverWait(driver, timeout).until(located)


def replace_text(element: Any, text: str) -> None:
    """Type `text` over what a (React-controlled) field holds: select all, delete, type."""
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def try_it_out(driver: Any, server: LiveServer, base: str) -> str:
    """Authorize, then Update Credential through "Try it out"; the status the page shows."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{server.url}{base}/docs")
    wait_for(driver, "#operations-credentials-updateCredential .opblock-summary")
    wait_for(driver, ".btn.authorize").click()
    wait_for(driver, ".modal-ux input").send_keys("YOUR_API_KEY")
    wait_for(driver, ".modal-ux .btn.modal-btn.auth.authorize").click()
    wait_for(driver, ".modal-ux .btn-done").click()

    wait_for(driver, "#operations-credentials-updateCredential .opblock-summary").click()
    operation = "#operations-credentials-updateCredential"
    wait_for(driver, f"{operation} .try-out__btn").click()
    replace_text(wait_for(driver, f'{operation} tr[data-param-name="id"] input'), "cred-789")
    body = wait_for(driver, f"{operation} textarea.body-param__text")
    replace_text(body, json.dumps({"name": NEW_NAME}))
    wait_for(driver, f"{operation} .btn.execute").click()
    status_css = f"{operation} .live-responses-table .response .response-col_status"
    cell = wait_for(driver, status_css)
    WebDriverWait(driver, 30).until(lambda d: cell.text.strip())
    return str(cell.text.strip().split()[0])


@pytest.mark.parametrize("base", ["", "/flowise"])
def test_try_it_out_sends_a_put_that_changes_the_state(
    chromium: Any, tmp_path: Path, base: str
) -> None:
    """`chromium` (tests/browser.py) skips, naming what is missing, without Chromium."""
    browser = chromium
    args = ("--base-path", base) if base else ()
    with running(tmp_path / "serve.log", *args) as server:
        try:
            status = try_it_out(browser, server, base)
            resources = browser.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)"
            )
        except Exception as exc:
            shot = tmp_path / "docs-failure.png"
            browser.save_screenshot(str(shot))
            raise AssertionError(f"the /docs page failed ({exc!r}); screenshot: {shot}") from exc
        stored = httpx.get(f"{server.url}{base}/api/v1/credentials/cred-789", headers=HEADERS)
    assert status == "200"
    assert stored.json()["name"] == NEW_NAME
    # Offline: everything the page loaded came from the mock itself.
    assert resources and all(url.startswith(server.url + base + "/") for url in resources)
    # (the access log shows paths below the base path)
    assert "PUT /api/v1/credentials/cred-789 200" in server.output
