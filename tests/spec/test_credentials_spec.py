"""The bundled credentials spec: valid, self-consistent, and encoding every row of contract.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from credkit_core.catalog import default_catalog
from credkit_core.resources import CREDENTIALS_SPEC, load_spec

SPEC_URI = "urn:credkit:credentials-spec"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec(CREDENTIALS_SPEC)


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def validator_for(spec: dict[str, Any], pointer: str) -> Draft202012Validator:
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def test_document_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # type: ignore[arg-type]


def examples(spec: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, schema pointer, example value) for every example in the document."""
    for path, method, op in operations(spec):
        base = f"/paths/{escape(path)}/{method}"
        body = op.get("requestBody", {}).get("content", {})
        for media, content in body.items():
            pointer = f"{base}/requestBody/content/{escape(media)}/schema"
            for name, example in content.get("examples", {}).items():
                yield f"{method.upper()} {path} request {name}", pointer, example["value"]
        for status, response in op["responses"].items():
            for media, content in response.get("content", {}).items():
                pointer = f"{base}/responses/{status}/content/{escape(media)}/schema"
                for name, example in content.get("examples", {}).items():
                    yield f"{method.upper()} {path} {status} {name}", pointer, example["value"]
    for name, schema in spec["components"]["schemas"].items():
        if "example" in schema:
            yield f"schema {name}", f"/components/schemas/{name}", schema["example"]
    for name, parameter in spec["components"]["parameters"].items():
        if "example" in parameter:
            yield f"parameter {name}", f"/components/parameters/{name}/schema", parameter["example"]


def test_every_example_validates_against_its_schema(spec: dict[str, Any]) -> None:
    found = list(examples(spec))
    # The documented page's two request examples and its example response are all there.
    names = {where for where, _, _ in found}
    assert "PUT /api/v1/credentials/{id} request UpdateName" in names
    assert "PUT /api/v1/credentials/{id} request UpdateValues" in names
    assert "PUT /api/v1/credentials/{id} 200 Updated" in names
    for where, pointer, value in found:
        errors = [e.message for e in validator_for(spec, pointer).iter_errors(value)]
        assert not errors, f"{where}: {errors}"


def test_schema_validation_really_rejects_a_bad_example(spec: dict[str, Any]) -> None:
    """Guards the test above: the resolver follows refs, so a wrong example does fail."""
    pointer = "/paths/~1api~1v1~1credentials~1{id}/put/requestBody/content/application~1json/schema"
    validator = validator_for(spec, pointer)
    assert not validator.is_valid({"name": "x", "credentialName": "openAIApi"})
    assert not validator.is_valid({"name": ""})
    assert validator.is_valid({})


def expected_statuses(path: str, op: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """The statuses contract.md places on an operation, from its order of checks."""
    statuses = {"200", "413", "500"}  # every route: body limit, injected faults
    secured = op.get("security", spec["security"]) != []
    if secured:
        statuses.add("401")
    if "x-credkit-permission" in op:
        statuses.add("403")
    if "requestBody" in op:
        statuses |= {"400", "412", "415"}
    if "{" in path:
        statuses.add("404")
    return statuses


def test_every_status_the_contract_places_is_documented(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        documented = set(op["responses"])
        missing = expected_statuses(path, op, spec) - documented
        assert not missing, f"{method.upper()} {path} lacks {sorted(missing)}"


def test_update_credential_documents_the_pages_statuses(spec: dict[str, Any]) -> None:
    put = spec["paths"]["/api/v1/credentials/{id}"]["put"]
    assert set(put["responses"]) == {"200", "400", "401", "403", "404", "412", "413", "415", "500"}


def test_every_error_response_uses_the_shared_error_schema(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_permissions_and_security(spec: dict[str, Any]) -> None:
    perms = {
        (path, method): op.get("x-credkit-permission") for path, method, op in operations(spec)
    }
    assert perms[("/api/v1/credentials/{id}", "put")] == "credentials:update"
    assert perms[("/api/v1/credentials", "post")] == "credentials:create"
    assert perms[("/api/v1/credentials", "get")] == "credentials:view"
    assert perms[("/api/v1/credentials/{id}", "get")] == "credentials:view"
    assert perms[("/api/v1/credentials/{id}", "delete")] == "credentials:delete"
    assert perms[("/api/v1/components-credentials", "get")] is None
    assert spec["paths"]["/api/v1/ping"]["get"]["security"] == []
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_update_request_allows_only_name_and_plain_data(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["UpdateCredentialRequest"]
    assert set(schema["properties"]) == {"name", "plainDataObj"}
    assert schema["additionalProperties"] is False
    assert "required" not in schema


def test_credential_has_the_seven_fields_and_no_pattern_on_encrypted_data(
    spec: dict[str, Any],
) -> None:
    schema = spec["components"]["schemas"]["Credential"]
    fields = {"id", "name", "credentialName", "encryptedData", "createdDate", "updatedDate"}
    assert set(schema["required"]) == fields | {"workspaceId"}
    assert schema["additionalProperties"] is False
    assert "pattern" not in schema["properties"]["encryptedData"]


def test_create_credential_name_enum_is_the_catalog(spec: dict[str, Any]) -> None:
    enum = spec["components"]["schemas"]["CreateCredentialRequest"]["properties"]["credentialName"][
        "enum"
    ]
    assert enum == default_catalog().names()
    assert len(enum) == 113


def test_links_chain_create_to_get_update_delete(spec: dict[str, Any]) -> None:
    ids = {op["operationId"] for _, _, op in operations(spec)}
    links = spec["paths"]["/api/v1/credentials"]["post"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "getCredential",
        "updateCredential",
        "deleteCredential",
    }
    for _, _, op in operations(spec):
        for response in op["responses"].values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in ids
                assert link["parameters"] == {"id": "$response.body#/id"}


def test_list_filter_is_repeatable(spec: dict[str, Any]) -> None:
    params = spec["paths"]["/api/v1/credentials"]["get"]["parameters"]
    (param,) = [p for p in params if "$ref" not in p]
    assert param["name"] == "credentialName"
    assert param["schema"]["type"] == "array"
    assert param.get("explode", True) is True


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_refs_point_only_to_whole_components(spec: dict[str, Any]) -> None:
    """Generators (openapi-python-client) drop models whose `$ref`s point inside a schema."""
    whole = re.compile(r"#/components/(schemas|responses|parameters)/[A-Za-z0-9_]+")
    found = list(refs(spec))
    assert found
    assert [ref for ref in found if not whole.fullmatch(ref)] == []
    assert not whole.fullmatch("#/components/schemas/Credential/properties/id")


def test_plain_data_obj_is_an_object_with_arbitrary_values(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["CredentialData"]["type"] == "object"
    assert schemas["CredentialData"]["additionalProperties"] is True
    for name in ("CredentialDetail", "UpdateCredentialRequest", "CreateCredentialRequest"):
        data = schemas[name]["properties"]["plainDataObj"]
        assert data["$ref"] == "#/components/schemas/CredentialData", name


def test_every_operation_documents_the_prefer_header(spec: dict[str, Any]) -> None:
    prefer = {"$ref": "#/components/parameters/Prefer"}
    found = list(operations(spec))
    assert len(found) == 8
    for path, method, op in found:
        assert prefer in op.get("parameters", []), f"{method.upper()} {path}"
    parameter = spec["components"]["parameters"]["Prefer"]
    where = (parameter["name"], parameter["in"], parameter["required"])
    assert where == ("Prefer", "header", False)
    # No example: schemathesis would send it to real servers in its examples phase.
    assert "example" not in parameter and "examples" not in parameter


def test_every_success_answer_has_a_named_example(spec: dict[str, Any]) -> None:
    """What `Prefer: code=200` answers (and what the docs page shows)."""
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            if status.startswith("2"):
                (content,) = response["content"].values()
                assert content.get("examples"), f"{method.upper()} {path} {status}"
