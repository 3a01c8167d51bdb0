"""The mock mounted inside someone else's Starlette app: `Mount("/flowise", app=create_app())`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from tests.mockserver.conftest import FULL, Client


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("the host app")


@pytest.fixture
def mock(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def host(mock: Any, make_client: Callable[..., Client]) -> Iterator[Client]:
    app = Starlette(routes=[Route("/", homepage), Mount("/flowise", app=mock)])
    yield make_client(app)
    mock.state.close()  # a mounted app's lifespan does not run: the host closes it


def test_the_api_answers_below_the_mount_point(host: Client, mock: Any) -> None:
    answer = host.put("/flowise/api/v1/credentials/cred-789", json={"name": "n"}, headers=FULL)
    assert answer.status_code == 200 and answer.json()["name"] == "n"
    assert mock.state.store.get("cred-789", "workspace-123").name == "n"
    assert host.get("/").text == "the host app"


def test_documents_admin_and_errors_work_mounted(host: Client, mock: Any) -> None:
    assert host.get("/flowise/openapi.yaml").status_code == 200
    assert host.get("/flowise/openapi.json").json()["openapi"].startswith("3.1")
    assert host.get("/flowise/__admin/state").status_code == 200
    missing = host.get("/flowise/api/v1/nowhere", headers=FULL)
    assert missing.status_code == 404 and missing.json()["success"] is False
    # the journal and the faults see the path below the mount point
    assert mock.state.journal.view()[-1]["path"] == "/api/v1/nowhere"


def test_faults_match_paths_below_the_mount_point(host: Client) -> None:
    fault = {"method": "GET", "path": "/api/v1/ping", "status": 503, "count": 1}
    assert host.post("/flowise/__admin/faults", json=fault).status_code == 201
    assert host.get("/flowise/api/v1/ping").status_code == 503
    assert host.get("/flowise/api/v1/ping").status_code == 200
