"""`/docs` (`mockserver.docs`): the Swagger UI page, its offline assets, `/` redirecting to it, and
the spec documents it reads (`mockserver.apps.documents`), also under a base path."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from mockserver.docs import ASSETS, assets_dir
from tests.mockserver.conftest import FULL, Client


def test_root_redirects_to_the_docs(client: Client) -> None:
    answer = client.get("/")
    assert answer.status_code == 307
    assert answer.headers["location"] == "/docs"


def test_the_page_loads_only_local_assets_and_the_served_spec(client: Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r'(?:src|href|data-spec-url)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "/openapi.json" in urls
    assert "/__admin/ui" in urls  # the dashboard, linked
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "http://" not in page.text and "https://" not in page.text
    assert "YOUR_API_KEY" not in page.text and "dev-admin-key" not in page.text


def test_the_initializer_names_no_outside_host(client: Client) -> None:
    script = client.get("/docs/credkit-docs.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "validatorUrl: null" in script.text
    assert "http" not in script.text


def test_assets_come_from_an_installed_swagger_ui_5() -> None:
    """Swagger UI renders OpenAPI 3.1 from version 5 on."""
    found = re.fullmatch(r"swagger-ui-(\d+)\.\d+\.\d+", assets_dir().name)
    assert found and int(found.group(1)) >= 5, assets_dir()
    for name in ASSETS:
        assert (assets_dir() / name).is_file(), name


def test_asset_answers(client: Client) -> None:
    css = client.get("/docs/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.content == (assets_dir() / "swagger-ui.css").read_bytes()
    missing = client.get("/docs/..%2f..%2fetc%2fpasswd")
    assert missing.status_code == 404 and missing.json()["success"] is False
    assert client.get("/docs/index.html").status_code == 404
    assert client.put("/docs", json={}).status_code == 405


def test_the_admin_spec_is_served(client: Client) -> None:
    answer = client.get("/__admin/openapi.yaml")
    assert answer.status_code == 200
    document = yaml.safe_load(answer.text)
    assert "/__admin/reset" in document["paths"]


@pytest.fixture
def prefixed(make_app: Callable[..., Any], make_client: Callable[..., Client]) -> Client:
    return make_client(make_app(base_path="/flowise/"))


def test_base_path_serves_the_api_docs_and_specs_below_it(prefixed: Client) -> None:
    assert prefixed.app.runtime.config.base_path == "/flowise"
    listed = prefixed.get("/flowise/api/v1/credentials", headers=FULL)
    assert listed.status_code == 200 and listed.json()
    changed = prefixed.put("/flowise/api/v1/credentials/cred-789", json={"name": "X"}, headers=FULL)
    assert changed.status_code == 200 and changed.json()["name"] == "X"
    assert prefixed.get("/flowise/api/v1/ping").text == "pong"
    page = prefixed.get("/flowise/docs")
    assert page.status_code == 200
    assert 'href="/flowise/__admin/ui"' in page.text
    for url in re.findall(r'(?:src|href|data-spec-url)="([^"]+)"', page.text):
        assert url.startswith("/flowise/"), url
        assert prefixed.get(url).status_code == 200, url
    served = yaml.safe_load(prefixed.get("/flowise/openapi.yaml").text)
    assert served["servers"] == [{"url": "/flowise"}]
    assert prefixed.get("/flowise/openapi.json").json()["servers"] == [{"url": "/flowise"}]
    admin = yaml.safe_load(prefixed.get("/flowise/__admin/openapi.yaml").text)
    assert admin["servers"] == [{"url": "/flowise"}]
    assert prefixed.get("/flowise/__admin/state").status_code == 200


def test_base_path_outside_paths(prefixed: Client) -> None:
    for path in ("/", "/flowise", "/flowise/"):
        answer = prefixed.get(path)
        assert answer.status_code == 307, path
        assert answer.headers["location"] == "/flowise/docs"
    outside = prefixed.get("/api/v1/credentials", headers=FULL)
    assert outside.status_code == 404
    assert "base path /flowise" in outside.json()["message"]
    assert prefixed.get("/openapi.yaml").status_code == 404
    assert prefixed.get("/flowisex/api/v1/ping").status_code == 404


def test_without_a_base_path_the_served_spec_is_the_bundled_file(client: Client) -> None:
    served = client.get("/openapi.yaml")
    assert yaml.safe_load(served.text)["servers"] == [{"url": "/"}]
    assert client.get("/openapi.json").json()["servers"] == [{"url": "/"}]
