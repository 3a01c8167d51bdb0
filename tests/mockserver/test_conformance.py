"""Every answer of the mock conforms to the spec: each operation × each status it documents,
checked with openapi-core's response validation (the reference validator, slow, tests only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from credkit_core.resources import CREDENTIALS_SPEC, load_spec
from tests.mockserver.conftest import FULL, Client

NOTHING = {"Authorization": "Bearer no-permission-key"}
JSON_CT = {"Content-Type": "application/json"}


@dataclass
class SpecRequest:
    """openapi-core's Request protocol over what we sent."""

    method: str
    path: str
    body: bytes | None
    content_type: str
    host_url: str = "http://127.0.0.1"
    parameters: Any = None
    query: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import ImmutableMultiDict

        self.parameters = RequestParameters(query=ImmutableMultiDict(list(self.query.items())))


@dataclass
class SpecResponse:
    """openapi-core's Response protocol over what we got."""

    status_code: int
    content_type: str
    headers: Mapping[str, str]
    data: bytes


@pytest.fixture(scope="module")
def openapi() -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(load_spec(CREDENTIALS_SPEC))


@pytest.fixture
def conformance_client(tmp_path: Path, make_app: Any, make_client: Any) -> Client:
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(
        yaml.safe_dump(
            {
                "apiKeys": [
                    {
                        "key": "YOUR_API_KEY",
                        "workspace": "workspace-123",
                        "permissions": [
                            "credentials:view",
                            "credentials:create",
                            "credentials:update",
                            "credentials:delete",
                        ],
                    },
                    {"key": "no-permission-key", "workspace": "workspace-123", "permissions": []},
                ]
            }
        )
    )
    return make_client(make_app(fixtures=fixtures, max_body=4096))


CRED = "/api/v1/credentials/cred-789"
BIG = b"x" * 5000
NEW = {"name": "n", "credentialName": "openAIApi", "plainDataObj": {"openAIApiKey": "sk-x"}}

# (operationId, status, method, path, headers, body)
CASES: list[tuple[str, int, str, str, dict[str, str], Any]] = [
    ("createCredential", 200, "POST", "/api/v1/credentials", FULL, NEW),
    ("createCredential", 400, "POST", "/api/v1/credentials", FULL, {"name": "n"}),
    ("createCredential", 401, "POST", "/api/v1/credentials", {}, NEW),
    ("createCredential", 403, "POST", "/api/v1/credentials", NOTHING, NEW),
    ("createCredential", 412, "POST", "/api/v1/credentials", FULL, b""),
    ("createCredential", 413, "POST", "/api/v1/credentials", FULL, BIG),
    (
        "createCredential",
        415,
        "POST",
        "/api/v1/credentials",
        {**FULL, "Content-Type": "text/plain"},
        b"{}",
    ),
    ("listCredentials", 200, "GET", "/api/v1/credentials", FULL, None),
    ("listCredentials", 401, "GET", "/api/v1/credentials", {}, None),
    ("listCredentials", 403, "GET", "/api/v1/credentials", NOTHING, None),
    ("listCredentials", 413, "GET", "/api/v1/credentials", FULL, BIG),
    ("getCredential", 200, "GET", CRED, FULL, None),
    ("getCredential", 401, "GET", CRED, {}, None),
    ("getCredential", 403, "GET", CRED, NOTHING, None),
    ("getCredential", 404, "GET", "/api/v1/credentials/missing", FULL, None),
    ("getCredential", 413, "GET", CRED, FULL, BIG),
    ("updateCredential", 200, "PUT", CRED, FULL, {"name": "n", "plainDataObj": {"a": None}}),
    ("updateCredential", 400, "PUT", CRED, FULL, {"name": ""}),
    ("updateCredential", 401, "PUT", CRED, {}, {}),
    ("updateCredential", 403, "PUT", CRED, NOTHING, {}),
    ("updateCredential", 404, "PUT", "/api/v1/credentials/missing", FULL, {}),
    ("updateCredential", 412, "PUT", CRED, FULL, b"  "),
    ("updateCredential", 413, "PUT", CRED, FULL, BIG),
    ("updateCredential", 415, "PUT", CRED, FULL, b"{}"),
    (
        "deleteCredential",
        200,
        "DELETE",
        "/api/v1/credentials/4a23d596-2217-4ead-9bc4-96cb8e81973e",
        FULL,
        None,
    ),
    ("deleteCredential", 401, "DELETE", CRED, {}, None),
    ("deleteCredential", 403, "DELETE", CRED, NOTHING, None),
    ("deleteCredential", 404, "DELETE", "/api/v1/credentials/missing", FULL, None),
    ("deleteCredential", 413, "DELETE", CRED, FULL, BIG),
    ("listCredentialTypes", 200, "GET", "/api/v1/components-credentials", FULL, None),
    ("listCredentialTypes", 401, "GET", "/api/v1/components-credentials", {}, None),
    ("listCredentialTypes", 413, "GET", "/api/v1/components-credentials", FULL, BIG),
    ("getCredentialType", 200, "GET", "/api/v1/components-credentials/PostgresUrl", FULL, None),
    ("getCredentialType", 401, "GET", "/api/v1/components-credentials/PostgresUrl", {}, None),
    ("getCredentialType", 404, "GET", "/api/v1/components-credentials/nope", FULL, None),
    ("getCredentialType", 413, "GET", "/api/v1/components-credentials/PostgresUrl", FULL, BIG),
    ("ping", 200, "GET", "/api/v1/ping", {}, None),
    ("ping", 413, "GET", "/api/v1/ping", {}, BIG),
]


def _send(
    client: Client, method: str, path: str, headers: dict[str, str], body: Any
) -> httpx.Response:
    if isinstance(body, bytes):
        return client.request(method, path, content=body, headers=headers)
    if body is None:
        return client.request(method, path, headers=headers)
    return client.request(method, path, json=body, headers={**headers, **JSON_CT})


def _validate(openapi: Any, method: str, path: str, response: httpx.Response) -> None:
    request = SpecRequest(method.lower(), path, None, "application/json")
    spec_response = SpecResponse(
        response.status_code,
        response.headers.get("content-type", "").lower(),
        dict(response.headers),
        response.content,
    )
    openapi.validate_response(request, spec_response)


@pytest.mark.parametrize(("operation_id", "status", "method", "path", "headers", "body"), CASES)
def test_answers_conform_to_the_spec(
    openapi: Any,
    conformance_client: Client,
    operation_id: str,
    status: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
) -> None:
    response = _send(conformance_client, method, path, headers, body)
    assert response.status_code == status, response.text
    _validate(openapi, method, path, response)


def test_injected_500_conforms_where_documented(openapi: Any, conformance_client: Client) -> None:
    app = conformance_client.app
    for operation_id, status, method, path, headers, body in CASES:
        if status != 200 or 500 not in app.runtime.routes.by_operation_id[operation_id].statuses:
            continue
        app.state.faults.add(method=method, path=path, status=500, count=1, latency_ms=0)
        response = _send(conformance_client, method, path, headers, body)
        assert response.status_code == 500
        _validate(openapi, method, path, response)


def test_every_documented_status_is_exercised() -> None:
    document = load_spec(CREDENTIALS_SPEC)
    documented = {
        (op["operationId"], int(code))
        for item in document["paths"].values()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
        for code in op["responses"]
    }
    exercised = {(case[0], case[1]) for case in CASES} | {(op, 500) for op, _ in documented}
    assert documented <= exercised, sorted(documented - exercised)


def test_the_reference_validator_does_reject_a_wrong_answer(
    openapi: Any, conformance_client: Client
) -> None:
    response = conformance_client.put(CRED, json={}, headers=FULL)
    wrong = httpx.Response(200, json={**response.json(), "plainDataObj": {}})
    with pytest.raises(Exception, match=r"(?i)invalid|additional"):
        _validate(openapi, "PUT", CRED, wrong)
