"""The dashboard and the verify HTML report in a real headless Chromium (tests/browser.py),
against a live `credkit serve`: the live list, faults, reset and upload driven from the page
and checked through the API, and neither page ever showing a key or a secret. Skipped, with
the reason, where Chromium, chromedriver or Selenium is missing (.ci/run installs them)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.config import VerifyConfig
from contracts.html_report import write_html
from contracts.runner import run
from credkit_core.resources import DEV_KEYS
from tests import live

pytestmark = pytest.mark.e2e

CRED = "/api/v1/credentials/cred-789"
FULL = {"Authorization": f"Bearer {DEV_KEYS['full']}"}
SECRET = "sk-browser-secret-4242"
# What no page may show: every key, the secret a test writes, the fixtures' secrets.
NEVER = (*DEV_KEYS.values(), SECRET, "sk-fake-credkit")
WAIT = 15  # seconds: an upper bound for a loaded CI machine, polled (the list updates in ~0.2 s)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def wait_for(driver: Any, condition: Any, timeout: float = WAIT) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def assert_nothing_secret(driver: Any) -> None:
    """Neither the DOM (as rendered now) nor the visible text holds a key or a secret."""
    dom = driver.execute_script("return document.documentElement.outerHTML")
    text = driver.execute_script("return document.body.innerText")
    for value in NEVER:
        assert value not in dom and value not in text, f"the page shows {value[:6]}…"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[live.LiveServer]:
    with live.running(tmp_path / "serve.log") as running:
        yield running


@pytest.fixture
def dashboard(chromium: Any, server: live.LiveServer) -> Any:
    """The dashboard open and its live stream connected."""
    chromium.set_window_size(1280, 900)
    chromium.get(server.url + "/__admin/ui")
    wait_for(chromium, lambda d: css(d, "#live")[0].text == "live")
    wait_for(chromium, lambda d: css(d, "#keys tr"))  # the state is shown
    return chromium


def test_a_put_appears_in_the_live_list_without_a_reload(
    dashboard: Any, server: live.LiveServer
) -> None:
    dashboard.execute_script("window.credkitNotReloaded = true")
    with server.client() as http:
        answer = http.put(CRED, json={"plainDataObj": {"openAIApiKey": SECRET}}, headers=FULL)
    assert answer.status_code == 200
    selector = f'#requests tr[data-path="{CRED}"][data-status="200"]'
    row = wait_for(dashboard, lambda d: css(d, selector))[0]
    assert dashboard.execute_script("return window.credkitNotReloaded") is True
    cells = [cell.text for cell in css(row, "td")]
    assert cells[1:4] == ["PUT", CRED, "200"]
    assert cells[5] and cells[5] != "—"  # the key's name
    row.click()
    detail = wait_for(dashboard, lambda d: "openAIApiKey" in d.find_element("id", "detail").text)
    assert detail
    shown = json.loads(dashboard.find_element("id", "detail").text)
    assert shown["request"]["body"] == {"plainDataObj": {"openAIApiKey": "***"}}
    assert shown["answer"]["status"] == 200
    assert_nothing_secret(dashboard)


def test_filters_hide_rows_by_status_class_and_path(
    dashboard: Any, server: live.LiveServer
) -> None:
    from selenium.webdriver.support.ui import Select

    with server.client() as http:
        http.put(CRED, json={"name": "x"}, headers=FULL)
        http.get(CRED)  # 401
    wait_for(dashboard, lambda d: css(d, '#requests tr[data-status="401"]'))
    wait_for(dashboard, lambda d: css(d, '#requests tr[data-status="200"]'))
    Select(dashboard.find_element("id", "filter-status")).select_by_visible_text("4xx")
    visible = [r for r in css(dashboard, "#requests tr") if r.is_displayed()]
    assert visible and all(r.get_attribute("data-status").startswith("4") for r in visible)
    Select(dashboard.find_element("id", "filter-status")).select_by_visible_text("all")
    dashboard.find_element("id", "filter-path").send_keys("/nowhere")
    assert not [r for r in css(dashboard, "#requests tr") if r.is_displayed()]


def test_a_fault_added_in_the_page_answers_the_next_put_and_removing_it_restores_200(
    dashboard: Any, server: live.LiveServer
) -> None:
    status = dashboard.find_element("id", "fault-status")
    status.clear()
    status.send_keys("503")
    dashboard.find_element("id", "add-fault").click()
    wait_for(dashboard, lambda d: css(d, "#faults tr.fault"))
    with server.client() as http:
        assert http.put(CRED, json={"name": "a"}, headers=FULL).status_code == 503
        css(dashboard, "#faults tr.fault .remove-fault")[0].click()
        wait_for(dashboard, lambda d: not css(d, "#faults tr.fault"))
        assert http.get("/__admin/faults").json() == []
        assert http.put(CRED, json={"name": "b"}, headers=FULL).status_code == 200


def test_reset_in_the_page_restores_the_fixtures(dashboard: Any, server: live.LiveServer) -> None:
    with server.client() as http:
        original = http.get(CRED, headers=FULL).json()["name"]
        assert http.put(CRED, json={"name": "changed"}, headers=FULL).status_code == 200
        dashboard.find_element("id", "reset-state").click()
        wait_for(dashboard, lambda d: "Reset" in d.find_element("id", "state-msg").text)
        wait_for(dashboard, lambda d: not css(d, "#requests tr"))  # the journal was cleared
        assert http.get(CRED, headers=FULL).json()["name"] == original


def test_the_namespace_picker_opens_another_namespaces_state(
    chromium: Any, server: live.LiveServer
) -> None:
    body = {"name": "team-a-only", "credentialName": "openAIApi", "plainDataObj": {}}
    with server.client() as http:
        created = http.post("/ns/team-a/api/v1/credentials", json=body, headers=FULL)
        assert created.status_code == 200
    chromium.get(server.url + "/__admin/ui")
    wait_for(chromium, lambda d: css(d, "#credentials") and "cred-789" in d.page_source)
    assert "team-a-only" not in css(chromium, "#credentials")[0].text  # default's state
    option = wait_for(chromium, lambda d: css(d, '#namespace option[value="team-a"]'))[0]
    assert css(chromium, "#namespace option:checked")[0].get_attribute("value") == "default"
    option.click()
    wait_for(chromium, lambda d: d.current_url.endswith("/ns/team-a/__admin/ui"))
    wait_for(chromium, lambda d: "team-a-only" in css(d, "#credentials")[0].text)
    # The picker is filled by a request of its own, which may answer after the state's.
    checked = '#namespace option:checked[value="team-a"]'
    wait_for(chromium, lambda d: len(css(d, "#namespace option:checked")) == 1 and css(d, checked))
    assert_nothing_secret(chromium)


def test_uploading_a_fixtures_file_replaces_the_state(
    dashboard: Any, server: live.LiveServer, tmp_path: Path
) -> None:
    document = {
        "credentials": [
            {
                "id": "c-uploaded",
                "name": "uploaded",
                "credentialName": "openAIApi",
                "workspace": "workspace-123",
                "plainDataObj": {"openAIApiKey": SECRET},
            }
        ]
    }
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(document))
    dashboard.find_element("id", "upload-file").send_keys(str(path))
    dashboard.find_element("id", "upload-state").click()
    wait_for(dashboard, lambda d: "Loaded" in d.find_element("id", "state-msg").text)
    with server.client() as http:
        state = http.get("/__admin/state").json()
    assert [c["id"] for c in state["credentials"]] == ["c-uploaded"]
    wait_for(dashboard, lambda d: css(d, 'tr.credential[data-id="c-uploaded"]'))
    assert len(css(dashboard, "tr.credential")) == 1
    assert_nothing_secret(dashboard)


def test_the_verify_html_report_of_a_failing_run(chromium: Any, tmp_path: Path) -> None:
    checks = ("malformed-json-400", "update-response-id", "get-redacts-secrets")
    with live.running(tmp_path / "serve.log", "--profile", "flowise-3.1") as flowise:
        config = VerifyConfig(
            base_url=flowise.url,
            api_key=DEV_KEYS["admin"],
            readonly_api_key=DEV_KEYS["readonly"],
            include_checks=checks,
            seed=3,
        )
        result = run(config)
    assert result.exit_code == 1
    report = tmp_path / "report.html"
    write_html(result, report)
    chromium.set_window_size(1280, 900)
    chromium.get(report.as_uri())
    wait_for(chromium, lambda d: css(d, "#verdict"))
    assert "violations" in css(chromium, "#verdict")[0].text
    failed = [r.get_attribute("data-check") for r in css(chromium, 'tr[data-status="failed"]')]
    assert "malformed-json-400" in failed
    curls = [c.text for c in css(chromium, "pre.curl")]
    assert curls and all(re.search(r"\bcurl\b", c) and "$API_KEY" in c for c in curls)
    assert all(c.is_displayed() for c in css(chromium, "button.copy"))
    assert_nothing_secret(chromium)
    assert not any(key in report.read_text() for key in DEV_KEYS.values())


def test_the_page_reaches_nothing_but_its_own_server(
    dashboard: Any, server: live.LiveServer
) -> None:
    """Offline: every resource the page loaded came from the mock itself."""
    entries = dashboard.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert entries and all(e.startswith(server.url + "/__admin/") for e in entries), entries
    assert httpx.get(server.url + "/__admin/ui").status_code == 200
