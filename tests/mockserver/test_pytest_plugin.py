"""The `credkit_mock` fixture (`mockserver.pytest_plugin`): a real server, reset per test."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import yaml

from credkit_core.resources import DEFAULT_FIXTURES, DEV_KEYS
from mockserver.pytest_plugin import MockServer

CRED = "/api/v1/credentials/cred-789"


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_from_the_fixtures(credkit_mock: MockServer, round_: int) -> None:
    assert credkit_mock.base_url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=credkit_mock.base_url) as http:
        assert http.get(CRED, headers=credkit_mock.headers()).json()["name"] == "OpenAI Key"
        response = http.put(
            CRED, json={"name": f"changed {round_}"}, headers=credkit_mock.headers("full")
        )
        assert response.status_code == 200
    assert credkit_mock.state.store.get("cred-789", "workspace-123").name == f"changed {round_}"


def test_keys_by_role(credkit_mock: MockServer) -> None:
    with httpx.Client(base_url=credkit_mock.base_url) as http:
        assert http.put(CRED, json={}, headers=credkit_mock.headers("readonly")).status_code == 403
        assert http.get(CRED, headers=credkit_mock.headers("other_workspace")).status_code == 404
        assert http.get(CRED, headers=credkit_mock.headers("nocred")).status_code == 403
    assert set(credkit_mock.keys) == {"full", "admin", "readonly", "nocred", "other_workspace"}


pytest_plugins = ["pytester"]


def test_config_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        conftest="""
import pytest
from mockserver.config import Config

@pytest.fixture(scope="session")
def credkit_mock_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("f") / "fixtures.yaml"
    path.write_text(
        "apiKeys:\\n"
        "  - {key: team-key, workspace: workspace-123, permissions: [credentials:view]}\\n"
    )
    return Config(fixtures=path, access_log=False, secret_key="k")
""",
        test_it="""
import httpx

def test_custom_key(credkit_mock):
    assert credkit_mock.keys == {}
    url = credkit_mock.base_url + "/api/v1/credentials"
    assert httpx.get(url, headers=credkit_mock.headers("team-key")).status_code == 200
    assert httpx.get(url, headers=credkit_mock.headers("full")).status_code == 401
""",
    )
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "python-client.md"


def test_the_guide_examples_run(pytester: pytest.Pytester) -> None:
    """The guide's test and its `credkit_mock_config` override, as a user would paste them."""
    section = GUIDE.read_text(encoding="utf-8")
    test_code, conftest_code = re.findall(r"```python\n(.*?)```", section, re.S)
    fixtures = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    fixtures["credentials"][0]["name"] = "Seeded by the override"
    pytester.mkdir("tests")
    (pytester.path / "tests" / "flowise-fixtures.yaml").write_text(yaml.safe_dump(fixtures))
    pytester.makepyfile(test_readme=test_code)
    check = (
        "\n\ndef test_override_applies(credkit_mock):\n"
        "    stored = credkit_mock.state.store.get('cred-789', 'workspace-123')\n"
        "    assert stored.name == 'Seeded by the override'\n"
    )
    pytester.makeconftest(conftest_code)
    pytester.makepyfile(test_override=check)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_guide_lists_the_seeded_credentials_and_keys() -> None:
    section = GUIDE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \| `([^`]+)` \| ([^|]+) \|$", section, re.M)
    fixtures = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    seeded = [
        (c["id"], c["name"], c["credentialName"], c["workspace"]) for c in fixtures["credentials"]
    ]
    assert [(i, n.strip(), t, w.strip()) for i, n, t, w in rows] == seeded
    for role, key in DEV_KEYS.items():
        assert f"`{role}` (`{key}`" in section
    for helper in ("base_url", "keys", "headers(", "state", "reset()", "credkit_mock_config"):
        assert f"`{helper}" in section
