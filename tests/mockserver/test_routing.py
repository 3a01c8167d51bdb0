"""`mockserver.routing`: the route table compiled from an OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from credkit_core.errors import SpecError
from credkit_core.resources import CREDENTIALS_SPEC, load_spec
from mockserver.routing import compile_spec

DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "security": [{"key": []}],
    "paths": {
        "/things": {
            "post": {
                "operationId": "makeThing",
                "x-credkit-permission": "things:create",
                "requestBody": {"$ref": "#/components/requestBodies/Thing"},
                "responses": {"201": {}, "400": {}},
            },
            "get": {"operationId": "listThings", "security": [], "responses": {"200": {}}},
        },
        "/things/{id}/parts/{part}": {
            "get": {"operationId": "getPart", "security": [{}], "responses": {"200": {}}}
        },
    },
    "components": {
        "requestBodies": {
            "Thing": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
            }
        },
        "schemas": {
            "Thing": {"type": "object", "required": ["n"], "properties": {"n": {"type": "string"}}}
        },
    },
}


def test_compiles_operations_with_what_the_pipeline_needs() -> None:
    table = compile_spec(DOC)
    make = table.by_operation_id["makeThing"]
    assert (make.method, make.permission, make.needs_auth, make.body_required) == (
        "POST",
        "things:create",
        True,
        True,
    )
    assert make.media_types == ("application/json",) and make.statuses == {201, 400}
    assert make.body_validator.is_valid({"n": "x"}) and not make.body_validator.is_valid({"n": 1})
    assert not table.by_operation_id["listThings"].needs_auth
    assert not table.by_operation_id["getPart"].needs_auth


def test_each_path_is_matched_once_with_every_method() -> None:
    table = compile_spec(DOC)
    route, params = table.match("/things") or (None, None)
    assert route is not None and route.allow == "GET, POST" and params == {}
    found = table.match("/things/a b/parts/7")
    assert found is not None and found[1] == {"id": "a b", "part": "7"}
    assert table.match("/things/a/parts") is None
    assert table.match("/things/a/b/parts/7") is None


def test_one_trailing_slash_is_ignored_as_express_does() -> None:
    table = compile_spec(DOC)
    assert table.match("/things/") == table.match("/things")
    found = table.match("/things/a/parts/7/")
    assert found is not None and found[1] == {"id": "a", "part": "7"}
    assert table.match("/things//") is None
    assert table.match("/things/a/parts/") is None  # not /things/{id}/parts/{part} with part ""


def test_operation_without_id_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="operationId"):
        compile_spec({"paths": {"/x": {"get": {"responses": {}}}}})


def test_the_bundled_spec_compiles_every_operation() -> None:
    table = compile_spec(load_spec(CREDENTIALS_SPEC))
    assert set(table.by_operation_id) == {
        "createCredential",
        "listCredentials",
        "getCredential",
        "updateCredential",
        "deleteCredential",
        "listCredentialTypes",
        "getCredentialType",
        "ping",
    }
