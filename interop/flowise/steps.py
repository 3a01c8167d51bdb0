"""The steps of the interop scenario: every endpoint, status and quirk of real Flowise 3.1.

Read top to bottom, it is the behaviour file (`flowise-3.1-behaviour.md`) as requests. Steps run
in order and depend on earlier ones (ids saved by `save`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from credkit_core.catalog import BULLETS, MARKER

__all__ = ["STEPS", "Step"]

_NO_JSON: Any = object()
C = "/api/v1/credentials"
CC = "/api/v1/components-credentials"
PG_URL = "postgresql://bob:${secret_pg}@db.example.com:5432/app"
PG_MASKED = f"postgresql://bob:{BULLETS}@db.example.com:5432/app"
PARSER = ("message",)  # V8 quotes the body here; the mock does not (house rule): by kind only
ICON = ("icon",)  # a path on the real server's disk: compared by kind only
SECRET_IN_CLEAR = "the real server answers a secret in clear; the mock never does (house rule)"


@dataclass(frozen=True)
class Step:
    """One request of the scenario and what it demonstrates."""

    name: str
    method: str
    path: str
    note: str = ""
    auth: str | None = "full"  # a key role, "bad", or None for no Authorization header
    scheme: str = "Bearer"  # "" sends the raw key
    json: Any = _NO_JSON
    content: str | None = None  # a raw body (sent as is), instead of `json`
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, after Authorization; may repeat
    save: Mapping[str, str] = field(default_factory=dict)  # variable -> top-level response field
    loose: tuple[str, ...] = ()  # response fields compared by kind only (e.g. a parser message)
    divergence: str = ""  # why the mock knowingly answers otherwise (house rules), if it may

    @property
    def has_json(self) -> bool:
        return self.json is not _NO_JSON


def _create(name: str, cred_type: str, data: dict[str, Any], var: str, **kw: Any) -> Step:
    body = {"name": name, "credentialName": cred_type, "plainDataObj": data}
    save = kw.pop("save", {var: "id"})
    return Step(f"create-{var}", "POST", C, json=body, save=save, **kw)


STEPS: list[Step] = [
    # --- health, authentication, routing --------------------------------------------------
    Step("ping", "GET", "/api/v1/ping", "no key needed", auth=None),
    Step("list-empty", "GET", C, "fresh workspace"),
    Step("list-no-key", "GET", C, "missing key: 401 Unauthorized Access", auth=None),
    Step("list-bad-key", "GET", C, "unknown key: 401", auth="bad"),
    Step("list-lowercase-bearer", "GET", C, "lower-case scheme rejected", scheme="bearer"),
    Step("list-raw-key", "GET", C, "raw key without scheme accepted", scheme=""),
    Step("list-basic-scheme", "GET", C, "another scheme", scheme="Basic"),
    Step("list-double-space", "GET", C, "' key' is looked up as is", scheme="Bearer "),
    Step("list-prefixed-bearer", "GET", C, "split on 'Bearer ', last part", scheme="xBearer"),
    Step("list-nocred", "GET", C, "key without credentials:*: 403 Forbidden", auth="nocred"),
    Step("list-create-only", "GET", C, "create-only key cannot list", auth="create"),
    # --- create ---------------------------------------------------------------------------
    _create(
        "OpenAI",
        "openAIApi",
        {"openAIApiKey": "${secret_openai}"},
        "c_openai",
        save={"c_openai": "id", "workspace": "workspaceId"},
    ),
    _create("Postgres", "PostgresUrl", {"postgresUrl": PG_URL}, "c_pg"),
    _create(
        "Postgres plain",
        "PostgresUrl",
        {"postgresUrl": "postgresql://db.example.com:5432/app"},
        "c_pgplain",
    ),
    _create(
        "Redis",
        "redisCacheApi",
        {
            "redisCacheHost": "cache.example.com",
            "redisCachePort": 6380,
            "redisCacheUser": "default",
            "redisCachePwd": "${secret_redis}",
            "redisCacheSslEnabled": True,
            "note": "undeclared key",
            "nested": {"a": 1, "b": [1, 2]},
        },
        "c_redis",
    ),
    _create(
        "AWS",
        "awsApi",
        {
            "awsKey": "${secret_aws_key}",
            "awsSecret": "${secret_aws}",
            "roleArn": "arn:aws:iam::123456789012:role/x",
        },
        "c_aws",
    ),
    _create(
        "Unknown type",
        "notARealType",
        {"foo": "bar"},
        "c_unknown",
        note="unknown credentialName accepted",
    ),
    _create(
        "Basic",
        "httpBasicAuth",
        {"basicAuthUsername": "alice", "basicAuthPassword": "${secret_basic}"},
        "c_basic",
    ),
    _create("Victim", "openAIApi", {"openAIApiKey": "${secret_victim}"}, "c_victim"),
    _create(
        "Created by create-only",
        "openAIApi",
        {"openAIApiKey": "${secret_co}"},
        "c_co",
        auth="create",
    ),
    Step(
        "create-view-key",
        "POST",
        C,
        "403",
        auth="view",
        json={"name": "x", "credentialName": "openAIApi", "plainDataObj": {}},
    ),
    Step(
        "create-nocred",
        "POST",
        C,
        "403",
        auth="nocred",
        json={"name": "x", "credentialName": "openAIApi", "plainDataObj": {}},
    ),
    Step(
        "create-no-key",
        "POST",
        C,
        "401",
        auth=None,
        json={"name": "x", "credentialName": "openAIApi", "plainDataObj": {}},
    ),
    Step(
        "create-missing-name",
        "POST",
        C,
        "NOT NULL: 500",
        json={"credentialName": "openAIApi", "plainDataObj": {}},
    ),
    Step("create-missing-type", "POST", C, "NOT NULL: 500", json={"name": "x", "plainDataObj": {}}),
    Step(
        "create-missing-data",
        "POST",
        C,
        "missing plainDataObj",
        json={"name": "No data", "credentialName": "openAIApi"},
        save={"c_nodata": "id"},
    ),
    Step(
        "create-client-id",
        "POST",
        C,
        "client-supplied id is used",
        json={
            "id": "${client_id}",
            "name": "Client id",
            "credentialName": "openAIApi",
            "plainDataObj": {"openAIApiKey": "${secret_client}"},
        },
    ),
    Step(
        "create-overwrite",
        "POST",
        C,
        "existing id: overwritten (name, type, data)",
        json={
            "id": "${c_victim}",
            "name": "Overwritten",
            "credentialName": "PostgresUrl",
            "plainDataObj": {"postgresUrl": "postgresql://db.example.com/other"},
        },
    ),
    Step(
        "create-malformed",
        "POST",
        C,
        "malformed JSON: 400",
        content='{"name": ',
        content_type="application/json",
    ),
    Step(
        "create-name-number",
        "POST",
        C,
        "a number name is echoed as sent",
        json={"name": 7, "credentialName": "openAIApi", "plainDataObj": {"k": "v"}},
        save={"c_num": "id"},
    ),
    Step("get-name-number-created", "GET", f"{C}/${{c_num}}", "read back as text"),
    # --- read -----------------------------------------------------------------------------
    Step("get-overwritten", "GET", f"{C}/${{c_victim}}", "type and data replaced"),
    Step("get-client-id", "GET", f"{C}/${{client_id}}"),
    Step("list-all", "GET", C, "no encryptedData"),
    Step("list-view-key", "GET", C, auth="view"),
    Step("list-filter", "GET", f"{C}?credentialName=openAIApi"),
    Step("list-filter-two", "GET", f"{C}?credentialName=PostgresUrl&credentialName=awsApi"),
    Step("list-filter-unknown", "GET", f"{C}?credentialName=nope", "unknown type: []"),
    Step("list-filter-empty", "GET", f"{C}?credentialName=", "empty filter: everything"),
    Step("list-uppercase-path", "GET", "/api/v1/CREDENTIALS", "routes are case-insensitive"),
    Step("list-trailing-slash", "GET", f"{C}/"),
    Step("list-uppercase-prefix", "GET", "/API/V1/credentials", "prefix case-sensitive: 401"),
    Step("get-openai", "GET", f"{C}/${{c_openai}}", "password input -> marker"),
    Step("get-pg", "GET", f"{C}/${{c_pg}}", "url password -> bullets"),
    Step("get-redis", "GET", f"{C}/${{c_redis}}", "other inputs and undeclared keys in clear"),
    Step("get-aws", "GET", f"{C}/${{c_aws}}"),
    Step("get-unknown-type", "GET", f"{C}/${{c_unknown}}", "unknown type: plainDataObj {}"),
    Step("get-nodata", "GET", f"{C}/${{c_nodata}}"),
    Step(
        "get-view-key",
        "GET",
        f"{C}/${{c_openai}}",
        "view key: 403 (needs create/update)",
        auth="view",
    ),
    Step("get-create-only", "GET", f"{C}/${{c_openai}}", "create key may read", auth="create"),
    Step("get-nocred", "GET", f"{C}/${{c_openai}}", auth="nocred"),
    Step("get-no-key", "GET", f"{C}/${{c_openai}}", auth=None),
    Step("get-missing", "GET", f"{C}/${{missing_id}}", "500 ...createCredential (sic)"),
    Step("reveal-openai", "GET", f"{C}/${{c_openai}}/reveal", "password -> marker"),
    Step("reveal-pgplain", "GET", f"{C}/${{c_pgplain}}/reveal", "url in clear"),
    Step(
        "reveal-pg",
        "GET",
        f"{C}/${{c_pg}}/reveal",
        "url password in clear",
        divergence=SECRET_IN_CLEAR,
    ),
    Step("reveal-view-key", "GET", f"{C}/${{c_pg}}/reveal", auth="view"),
    Step("reveal-missing", "GET", f"{C}/${{missing_id}}/reveal"),
    # --- update ---------------------------------------------------------------------------
    Step("put-name", "PUT", f"{C}/${{c_openai}}", "7 fields", json={"name": "OpenAI renamed"}),
    Step(
        "put-merge",
        "PUT",
        f"{C}/${{c_openai}}",
        "shallow merge",
        json={"plainDataObj": {"organization": "org-1"}},
    ),
    Step("get-after-merge", "GET", f"{C}/${{c_openai}}"),
    Step("put-empty-object", "PUT", f"{C}/${{c_openai}}", json={}),
    Step("put-no-body", "PUT", f"{C}/${{c_openai}}", "no body: 200 on the npm build"),
    Step(
        "put-text-plain",
        "PUT",
        f"{C}/${{c_openai}}",
        "text ignored",
        content="name=ignored",
        content_type="text/plain",
    ),
    Step(
        "put-form",
        "PUT",
        f"{C}/${{c_openai}}",
        "form parsed",
        content="name=Form+name",
        content_type="application/x-www-form-urlencoded",
    ),
    Step("put-name-number", "PUT", f"{C}/${{c_openai}}", "number stored", json={"name": 42}),
    Step("get-name-number", "GET", f"{C}/${{c_openai}}"),
    Step("put-name-empty", "PUT", f"{C}/${{c_openai}}", json={"name": ""}),
    Step("put-name-null", "PUT", f"{C}/${{c_openai}}", "NOT NULL: 500", json={"name": None}),
    Step(
        "put-unknown-fields",
        "PUT",
        f"{C}/${{c_openai}}",
        "ignored",
        json={
            "id": "other",
            "workspaceId": "other",
            "createdDate": "2000-01-01T00:00:00Z",
            "foo": 1,
            "name": "Back",
        },
    ),
    Step(
        "put-duplicate-keys",
        "PUT",
        f"{C}/${{c_openai}}",
        "last wins",
        content='{"name": "first", "name": "Last wins"}',
        content_type="application/json",
    ),
    Step(
        "put-data-string",
        "PUT",
        f"{C}/${{c_redis}}",
        "string spread into keys",
        json={"plainDataObj": "ab"},
    ),
    Step("put-data-null", "PUT", f"{C}/${{c_redis}}", json={"plainDataObj": None}),
    Step("put-array-body", "PUT", f"{C}/${{c_redis}}", "array ignored", json=[1, 2]),
    Step(
        "put-nested-and-null",
        "PUT",
        f"{C}/${{c_redis}}",
        "nested replaced whole; null kept",
        json={"plainDataObj": {"nested": {"c": 3}, "note": None}},
    ),
    Step("get-redis-after", "GET", f"{C}/${{c_redis}}"),
    Step(
        "put-top-null",
        "PUT",
        f"{C}/${{c_redis}}",
        "400",
        content="null",
        content_type="application/json",
    ),
    Step(
        "put-top-string",
        "PUT",
        f"{C}/${{c_redis}}",
        "400",
        content='"x"',
        content_type="application/json",
    ),
    Step(
        "put-malformed",
        "PUT",
        f"{C}/${{c_redis}}",
        "400",
        content='{"name": "x",}',
        content_type="application/json",
    ),
    Step(
        "put-whitespace-body",
        "PUT",
        f"{C}/${{c_redis}}",
        "whitespace is not an empty body",
        content="  \n",
        content_type="application/json",
    ),
    Step(
        "put-no-content-type",
        "PUT",
        f"{C}/${{c_redis}}",
        "JSON without Content-Type: ignored",
        content='{"name": "ignored"}',
    ),
    Step(
        "put-data-array",
        "PUT",
        f"{C}/${{c_unknown}}",
        "array spread into index keys",
        json={"plainDataObj": ["x"]},
    ),
    Step(
        "put-malformed-no-key",
        "PUT",
        f"{C}/${{c_redis}}",
        "parsed before auth: 400",
        auth=None,
        content="{nope",
        content_type="application/json",
    ),
    # --- encodings and headers real Flowise reacts to --------------------------------------
    Step(
        "put-json-hello",
        "PUT",
        f"{C}/${{c_redis}}",
        "body-parser strict mode: a bare string, quoted in the message",
        content='"hello"',
        content_type="application/json",
    ),
    Step(
        "put-json-truncated",
        "PUT",
        f"{C}/${{c_redis}}",
        "V8's message names the position",
        content='{"name": "x",',
        content_type="application/json",
    ),
    Step(
        "put-json-truncated-no-key",
        "PUT",
        f"{C}/${{c_redis}}",
        "parsed before auth: 400",
        auth=None,
        content='{"plainDataObj": {"redisCachePwd": "${secret_redis}"',
        content_type="application/json",
    ),
    Step(
        "put-json-bad-literal",
        "PUT",
        f"{C}/${{c_redis}}",
        "V8 quotes the body around the error; the mock names the position (house rule)",
        content='{"plainDataObj": {"redisCachePwd": "${secret_redis}"}, "name": tru}',
        content_type="application/json",
        loose=PARSER,
    ),
    Step(
        "put-json-bom",
        "PUT",
        f"{C}/${{c_redis}}",
        "a UTF-8 BOM is stripped",
        content='\ufeff{"name": "Redis BOM"}',
        content_type="application/json",
    ),
    Step(
        "put-json-charset-latin1",
        "PUT",
        f"{C}/${{c_redis}}",
        "JSON charset must be utf-*: 415",
        content='{"name": "latin1"}',
        content_type="application/json; charset=latin1",
    ),
    Step(
        "put-json-bad-content-type-param",
        "PUT",
        f"{C}/${{c_redis}}",
        "type-is refuses the header: body ignored",
        content='{"name": "ignored"}',
        content_type="application/json; charset",
    ),
    Step(
        "put-json-quoted-charset",
        "PUT",
        f"{C}/${{c_redis}}",
        "parameters with quotes: parsed",
        content='{"name": "Redis quoted charset"}',
        content_type='application/json; charset="UTF-8"',
    ),
    Step(
        "put-json-brotli",
        "PUT",
        f"{C}/${{c_redis}}",
        "unsupported content encoding: 415",
        content='{"name": "br"}',
        content_type="application/json",
        headers=(("Content-Encoding", "br"),),
    ),
    Step(
        "put-form-brackets",
        "PUT",
        f"{C}/${{c_redis}}",
        "qs: bracket keys make objects",
        content="name=Form+brackets&plainDataObj[formKey]=form-value",
        content_type="application/x-www-form-urlencoded",
    ),
    Step(
        "put-form-nested",
        "PUT",
        f"{C}/${{c_redis}}",
        "qs: arrays, nesting, duplicates, escapes",
        content=(
            "plainDataObj[list][]=a&plainDataObj[list][]=b&plainDataObj[deep][x][y]=z"
            "&plainDataObj%5Benc%5D=%C3%A9+%zz&plainDataObj[dup]=1&plainDataObj[dup]=2"
            "&plainDataObj[idx][2]=two"
        ),
        content_type="application/x-www-form-urlencoded",
    ),
    Step("get-redis-after-forms", "GET", f"{C}/${{c_redis}}"),
    Step(
        "put-form-name-object",
        "PUT",
        f"{C}/${{c_redis}}",
        "an object name is stored as '[object Object]'",
        content="name[first]=x",
        content_type="application/x-www-form-urlencoded",
    ),
    Step("get-name-object", "GET", f"{C}/${{c_redis}}"),
    Step(
        "put-form-too-deep",
        "PUT",
        f"{C}/${{c_redis}}",
        "more than 32 brackets: 400",
        content="plainDataObj" + "[a]" * 33 + "=x",
        content_type="application/x-www-form-urlencoded",
    ),
    Step(
        "put-form-charset-utf8",
        "PUT",
        f"{C}/${{c_redis}}",
        "form charset must be exactly utf-8: 415",
        content="name=x",
        content_type="application/x-www-form-urlencoded; charset=utf8",
    ),
    Step(
        "create-form",
        "POST",
        C,
        "a form creates a credential",
        content=(
            "name=Form+made&credentialName=openAIApi&plainDataObj[openAIApiKey]=${secret_form}"
        ),
        content_type="application/x-www-form-urlencoded",
        save={"c_form": "id"},
    ),
    Step("get-form-created", "GET", f"{C}/${{c_form}}"),
    Step(
        "put-internal-header",
        "PUT",
        f"{C}/${{c_openai}}",
        "x-request-from: internal → session cookie check: 401, nothing changes",
        json={"name": "Internal"},
        headers=(("x-request-from", "internal"),),
    ),
    Step("get-after-internal-header", "GET", f"{C}/${{c_openai}}"),
    Step(
        "list-internal-header-no-key",
        "GET",
        C,
        auth=None,
        headers=(("x-request-from", "internal"),),
    ),
    Step(
        "ping-internal-header",
        "GET",
        "/api/v1/ping",
        "whitelisted first",
        auth=None,
        headers=(("x-request-from", "internal"),),
    ),
    Step(
        "put-internal-header-capitalised",
        "PUT",
        f"{C}/${{c_openai}}",
        "only exactly 'internal'",
        json={"name": "OpenAI capitalised"},
        headers=(("x-request-from", "Internal"),),
    ),
    Step(
        "put-internal-header-twice",
        "PUT",
        f"{C}/${{c_openai}}",
        "repeated: 'internal, internal'",
        json={"name": "OpenAI twice"},
        headers=(("x-request-from", "internal"), ("x-request-from", "internal")),
    ),
    Step(
        "put-auth-twice-good-first",
        "PUT",
        f"{C}/${{c_openai}}",
        "Node keeps the first Authorization",
        json={"name": "OpenAI first key"},
        headers=(("Authorization", "Bearer credkit-interop-unknown-key"),),
    ),
    Step(
        "put-auth-twice-bad-first",
        "PUT",
        f"{C}/${{c_openai}}",
        auth="bad",
        json={"name": "x"},
        headers=(("Authorization", "Bearer $API_KEY_FULL"),),
    ),
    Step(
        "get-malformed-escape-no-key",
        "GET",
        f"{C}/%E0%A4%A",
        "decodeURI throws before the key is looked at: 500",
        auth=None,
    ),
    Step("get-malformed-escape", "GET", f"{C}/%E0%A4%A"),
    Step("put-malformed-escape", "PUT", f"{C}/${{c_openai}}%", json={"name": "x"}),
    Step("list-malformed-query", "GET", f"{C}?credentialName=%zz"),
    Step("get-bad-param", "GET", f"{C}/%25zz", "decodes once more per parameter: 400"),
    Step("get-bad-param-no-key", "GET", f"{C}/%25zz", auth=None),
    Step("get-encoded-route", "GET", "/api/v1/%63redentials/${c_openai}", "decoded: 200"),
    Step("get-encoded-slash", "GET", f"{C}/a%2Fb", "%2F stays in the id"),
    Step("get-entity-id", "GET", f"{C}/x&copy;y", "sanitize-html decodes entities"),
    Step("get-ampersand-id", "GET", f"{C}/x&y", "and escapes &"),
    Step("types-encoded-ampersand", "GET", f"{CC}/openAIApi%26PostgresUrl", "%26: one name"),
    Step("types-amp-entity", "GET", f"{CC}/openAIApi&amp;PostgresUrl", loose=ICON),
    Step("delete-nocred", "DELETE", f"{C}/${{c_openai}}", auth="nocred"),
    Step("reveal-nocred", "GET", f"{C}/${{c_openai}}/reveal", auth="nocred"),
    Step(
        "put-marker",
        "PUT",
        f"{C}/${{c_basic}}",
        "marker stored literally",
        json={"plainDataObj": {"basicAuthPassword": MARKER}},
    ),
    Step(
        "put-bullets",
        "PUT",
        f"{C}/${{c_pg}}",
        "bullet url stored literally",
        json={"plainDataObj": {"postgresUrl": PG_MASKED}},
    ),
    Step("reveal-pg-after-bullets", "GET", f"{C}/${{c_pg}}/reveal", "the bullets are stored"),
    Step(
        "put-type-change",
        "PUT",
        f"{C}/${{c_aws}}",
        "credentialName changes the type",
        json={"credentialName": "openAIApi"},
    ),
    Step(
        "get-type-changed",
        "GET",
        f"{C}/${{c_aws}}",
        "aws keys now undeclared: in clear",
        divergence=SECRET_IN_CLEAR,
    ),
    Step("put-type-empty", "PUT", f"{C}/${{c_basic}}", json={"credentialName": ""}),
    Step("get-type-empty", "GET", f"{C}/${{c_basic}}", "no type: data in clear (the marker)"),
    Step("put-type-unknown", "PUT", f"{C}/${{c_pgplain}}", json={"credentialName": "nope"}),
    Step("get-type-unknown", "GET", f"{C}/${{c_pgplain}}"),
    Step("put-view-key", "PUT", f"{C}/${{c_openai}}", auth="view", json={"name": "x"}),
    Step("put-nocred", "PUT", f"{C}/${{c_openai}}", auth="nocred", json={"name": "x"}),
    Step("put-no-key", "PUT", f"{C}/${{c_openai}}", auth=None, json={"name": "x"}),
    Step("put-bad-key", "PUT", f"{C}/${{c_openai}}", auth="bad", json={"name": "x"}),
    Step("put-lowercase-bearer", "PUT", f"{C}/${{c_openai}}", scheme="bearer", json={"name": "x"}),
    Step("put-raw-key", "PUT", f"{C}/${{c_openai}}", scheme="", json={"name": "Raw key"}),
    Step(
        "put-create-only",
        "PUT",
        f"{C}/${{c_co}}",
        "create OR update",
        auth="create",
        json={"name": "By create key"},
    ),
    Step(
        "put-missing", "PUT", f"{C}/${{missing_id}}", "500 ...updateCredential", json={"name": "x"}
    ),
    Step("put-missing-no-body", "PUT", f"{C}/${{missing_id}}"),
    Step("put-no-id", "PUT", C, "412 id not provided", json={"name": "x"}),
    Step("patch", "PATCH", f"{C}/${{c_openai}}", "no PATCH route: the UI page", json={"name": "x"}),
    Step("unmatched-route", "GET", "/api/v1/no-such-route", "the UI page"),
    Step("unmatched-route-no-key", "GET", "/api/v1/no-such-route", auth=None),
    Step("patch-no-key", "PATCH", f"{C}/${{c_openai}}", auth=None, json={"name": "x"}),
    Step("ping-bad-key", "GET", "/api/v1/ping", auth="bad"),
    Step("outside-api", "GET", "/no-such-page", "not under /api/v1", auth=None),
    Step("post-on-id", "POST", f"{C}/${{c_openai}}", json={"name": "x"}),
    # --- delete ---------------------------------------------------------------------------
    Step("delete-view-key", "DELETE", f"{C}/${{c_aws}}", auth="view"),
    Step("delete-create-only", "DELETE", f"{C}/${{c_aws}}", auth="create"),
    Step("delete-no-key", "DELETE", f"{C}/${{c_aws}}", auth=None),
    Step("delete-no-id", "DELETE", C, "412 id not provided"),
    Step("delete", "DELETE", f"{C}/${{c_aws}}", "affected 1"),
    Step("delete-again", "DELETE", f"{C}/${{c_aws}}", "unknown: 200 affected 0"),
    Step("get-deleted", "GET", f"{C}/${{c_aws}}"),
    Step("put-deleted", "PUT", f"{C}/${{c_aws}}", json={"name": "x"}),
    Step("list-final", "GET", C),
    # --- the credential-type catalog --------------------------------------------------------
    Step("types-all", "GET", CC, loose=ICON),
    Step("types-one", "GET", f"{CC}/openAIApi", loose=ICON),
    Step("types-ampersand", "GET", f"{CC}/openAIApi&PostgresUrl", "a&b: an array", loose=ICON),
    Step("types-unknown", "GET", f"{CC}/nope", "500"),
    Step("types-view-key", "GET", f"{CC}/PostgresUrl", auth="view", loose=ICON),
    Step("types-nocred", "GET", f"{CC}/PostgresUrl", "any valid key", auth="nocred", loose=ICON),
    Step("types-no-key", "GET", f"{CC}/PostgresUrl", auth=None),
]
