"""The `flowise-3.1` profile beyond the recorded scenario (tests/interop/test_replay.py): the
departures it keeps on purpose (house rules), Express details, and that `spec` is untouched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from credkit_core.catalog import BULLETS, MARKER
from credkit_core.errors import ConfigError
from mockserver.app import create_app
from mockserver.config import Config
from mockserver.profiles.flowise31 import MAX_DEPTH, Flowise31Profile, parse_express_body
from mockserver.responses import ApiError
from tests.mockserver.conftest import ADMIN, OTHER, Client

FOREIGN_ID = "e00902c7-7ebf-4206-8673-47214cdd2055"  # workspace-456 in the default fixtures
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def flowise(make_app: Callable[..., Any], make_client: Callable[..., Client]) -> Client:
    return make_client(make_app(profile="flowise-3.1"))


def _create(client: Client, cred_type: str, data: dict[str, Any]) -> str:
    answer = client.post(
        "/api/v1/credentials",
        headers=ADMIN,
        json={"name": "t", "credentialName": cred_type, "plainDataObj": data},
    )
    assert answer.status_code == 200
    credential_id: str = answer.json()["id"]
    return credential_id


def test_profile_is_selectable_and_checked() -> None:
    assert Config(profile="flowise-3.1").profile == "flowise-3.1"
    assert isinstance(create_app(Config(profile="flowise-3.1")).profile, Flowise31Profile)
    with pytest.raises(ConfigError, match=r"flowise-3\.1"):
        create_app(Config(profile="flowise-3.2"))


def test_spec_profile_still_answers_the_contract(client: Client) -> None:
    answer = client.put("/api/v1/credentials/no-such-id", headers=ADMIN, json={"name": "x"})
    assert answer.status_code == 404
    assert answer.json()["success"] is False


def test_unknown_id_is_the_real_500(flowise: Client) -> None:
    answer = flowise.put("/api/v1/credentials/no-such-id", headers=ADMIN, json={"name": "x"})
    assert answer.status_code == 500
    assert answer.json()["message"] == (
        "Error: credentialsService.updateCredential - Credential no-such-id not found"
    )


def test_post_with_another_workspaces_id_neither_reads_nor_moves_it(flowise: Client) -> None:
    before = flowise.get(f"/api/v1/credentials/{FOREIGN_ID}", headers=OTHER).json()
    answer = flowise.post(
        "/api/v1/credentials",
        headers=ADMIN,
        json={
            "id": FOREIGN_ID,
            "name": "stolen",
            "credentialName": "openAIApi",
            "plainDataObj": {"openAIApiKey": "x"},
        },
    )
    assert answer.status_code == 500
    assert "UNIQUE constraint failed" in answer.json()["message"]
    assert flowise.get(f"/api/v1/credentials/{FOREIGN_ID}", headers=OTHER).json() == before


def test_post_with_own_id_overwrites_like_the_real_server(flowise: Client) -> None:
    credential_id = _create(flowise, "openAIApi", {"openAIApiKey": "sk-old"})
    answer = flowise.post(
        "/api/v1/credentials",
        headers=ADMIN,
        json={
            "id": credential_id,
            "name": "new",
            "credentialName": "PostgresUrl",
            "plainDataObj": {"postgresUrl": "postgresql://h/db"},
        },
    )
    assert answer.status_code == 200
    assert "createdDate" not in answer.json()  # TypeORM's save() of a known id is an UPDATE
    got = flowise.get(f"/api/v1/credentials/{credential_id}", headers=ADMIN).json()
    assert (got["name"], got["credentialName"]) == ("new", "PostgresUrl")
    assert got["plainDataObj"] == {"postgresUrl": "postgresql://h/db"}


def test_empty_type_still_redacts_secrets(flowise: Client) -> None:
    """Real Flowise answers everything in clear once credentialName is ""; the mock does not."""
    credential_id = _create(
        flowise, "PostgresApi", {"user": "bob", "password": "pw-secret", "extra": "x"}
    )
    put = flowise.put(
        f"/api/v1/credentials/{credential_id}", headers=ADMIN, json={"credentialName": ""}
    )
    assert put.status_code == 200 and put.json()["credentialName"] == ""
    got = flowise.get(f"/api/v1/credentials/{credential_id}", headers=ADMIN)
    assert "pw-secret" not in got.text
    assert got.json()["plainDataObj"] == {"user": "bob", "password": MARKER, "extra": "x"}


def test_reveal_masks_the_url_password(flowise: Client) -> None:
    credential_id = _create(flowise, "PostgresUrl", {"postgresUrl": "postgresql://bob:pw9@h/db"})
    answer = flowise.get(f"/api/v1/credentials/{credential_id}/reveal", headers=ADMIN)
    assert answer.status_code == 200
    assert answer.json() == {"plainDataObj": {"postgresUrl": f"postgresql://bob:{BULLETS}@h/db"}}


def test_streaming_true_is_answered(flowise: Client) -> None:
    """Real Flowise never answers a failing request whose body has "streaming": true."""
    answer = flowise.put("/api/v1/credentials/no-such-id", headers=ADMIN, json={"streaming": True})
    assert answer.status_code == 500


def test_deep_nesting_is_parsed_like_v8_up_to_the_bound(flowise: Client) -> None:
    credential_id = _create(flowise, "openAIApi", {"openAIApiKey": "k"})
    deep = b"[" * 10_000 + b"]" * 10_000
    answer = flowise.put(
        f"/api/v1/credentials/{credential_id}", headers={**ADMIN, **JSON}, content=deep
    )
    assert answer.status_code == 200
    too_deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    answer = flowise.put(
        f"/api/v1/credentials/{credential_id}", headers={**ADMIN, **JSON}, content=too_deep
    )
    assert answer.status_code == 400
    assert "nested too deeply" in answer.json()["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # V8's positional messages, as the real server answers them
        (b'{"name": "secret-value', "Unterminated string in JSON at position 22"),
        (b'{"name": "x",', "Expected double-quoted property name in JSON at position 13"),
        (b"  \n", "Unexpected end of JSON input"),
        # body-parser's strict mode quotes a bare scalar: it cannot hold a credential's data
        (b"null", "Unexpected token 'n', \"null\" is not valid JSON"),
        (b'"hello"', 'Unexpected token \'"\', ""hello"" is not valid JSON'),
        # V8 would quote the body around the error here: the profile names the position only
        (b'{"name": secret-value}', "Unexpected token in JSON at position 9"),
        (
            b'{"a": {"openAIApiKey": "sk-1"}, x}',
            "Expected double-quoted property name in JSON at position 32",
        ),
        (b'{"a": "sk-secret", "b": tru}', "Unexpected token in JSON at position 27"),
        (b"secret-value", "Unexpected token in JSON at position 0"),
        (b' x{"a": "sk-1"}', "Unexpected token in JSON at position 1"),
    ],
)
def test_parser_messages_are_v8s_but_quote_only_a_bare_scalar(body: bytes, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_express_body(b"application/json", body)
    assert (caught.value.status, caught.value.message) == (400, message)


def test_express_body_parsing() -> None:
    assert parse_express_body(b"application/json", b"") == {}
    assert parse_express_body(b"text/plain", b'{"name": "x"}') == {}
    assert parse_express_body(None, b'{"name": "x"}') == {}
    form = parse_express_body(b"application/x-www-form-urlencoded", b"a=1&a=2&b=x+y")
    assert form == {"a": ["1", "2"], "b": "x y"}


def test_auth_whitelist_and_key_blacklist(flowise: Client) -> None:
    assert flowise.get("/api/v1/version").status_code == 200  # whitelisted: no key needed
    blocked = flowise.get("/api/v1/files", headers=ADMIN)  # never with an API key
    assert (blocked.status_code, blocked.json()) == (401, {"error": "Unauthorized Access"})
    page = flowise.get("/api/v1/nothing-here", headers=ADMIN)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_numbers_are_javascript_doubles() -> None:
    """What `JSON.stringify(JSON.parse(...))` gives on Node 20 for the same input."""
    parsed = parse_express_body(
        b"application/json",
        b'{"a": [1.0, 3.0727806032045376e+16, 1e21, 1.5, -0.0, 12345678901234567890, true]}',
    )
    assert parsed == {"a": [1, 30727806032045376, 1e21, 1.5, 0, 12345678901234567000, True]}
    assert [type(v) for v in parsed["a"]] == [int, int, float, float, int, int, bool]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("Bearer dev-admin-key", 200),
        ("dev-admin-key", 200),  # the raw key
        ("xBearer dev-admin-key", 200),  # split on "Bearer ", last part
        ("bearer dev-admin-key", 401),
        ("Bearer  dev-admin-key", 401),  # " dev-admin-key" is looked up as is
        ("Basic dev-admin-key", 401),
        ("Bearer ", 401),
    ],
)
def test_key_is_the_header_split_on_bearer(flowise: Client, header: str, status: int) -> None:
    answer = flowise.get("/api/v1/credentials", headers={"Authorization": header})
    assert answer.status_code == status


def _stored(client: Client, credential_id: str) -> Any:
    return client.get(f"/api/v1/credentials/{credential_id}", headers=ADMIN).json()


def test_malformed_percent_encoding_is_500_before_the_key(flowise: Client) -> None:
    for path in ("/api/v1/credentials/%E0%A4%A", "/api/v1/credentials?credentialName=%zz"):
        for headers in ({}, ADMIN):
            answer = flowise.get(path, headers=headers)
            assert answer.status_code == 500, (path, headers)
            assert answer.json()["message"] == "URI malformed"
    answer = flowise.get("/api/v1/credentials/%25zz", headers=ADMIN)  # decoded twice
    assert (answer.status_code, answer.json()["message"]) == (400, "Failed to decode param '%zz'")
    credential_id = _create(flowise, "openAIApi", {"openAIApiKey": "k"})
    encoded = "".join(f"%{b:02X}" for b in credential_id.encode())
    assert flowise.get(f"/api/v1/%63redentials/{encoded}", headers=ADMIN).status_code == 200


def test_x_request_from_internal_is_the_cookie_check_and_changes_nothing(flowise: Client) -> None:
    credential_id = _create(flowise, "openAIApi", {"openAIApiKey": "k"})
    path = f"/api/v1/credentials/{credential_id}"
    answer = flowise.put(
        path, headers={**ADMIN, "x-request-from": "internal"}, json={"name": "changed"}
    )
    assert (answer.status_code, answer.json()) == (401, {"message": "Invalid or Missing token"})
    assert _stored(flowise, credential_id)["name"] == "t"
    other = flowise.put(path, headers={**ADMIN, "x-request-from": "Internal"}, json={"name": "ok"})
    assert other.status_code == 200
    assert flowise.get("/api/v1/ping", headers={"x-request-from": "internal"}).status_code == 200


def test_the_first_of_two_authorization_headers_counts(flowise: Client) -> None:
    good, bad = ("Authorization", "Bearer dev-admin-key"), ("Authorization", "Bearer nope")
    assert flowise.get("/api/v1/credentials", headers=[good, bad]).status_code == 200
    assert flowise.get("/api/v1/credentials", headers=[bad, good]).status_code == 401


def test_form_bracket_keys_are_parsed_the_qs_way(flowise: Client) -> None:
    credential_id = _create(flowise, "redisCacheApi", {"redisCacheHost": "h"})
    answer = flowise.put(
        f"/api/v1/credentials/{credential_id}",
        headers={**ADMIN, "Content-Type": "application/x-www-form-urlencoded"},
        content=b"name=Form+name&plainDataObj[formKey]=form-value&plainDataObj[list][]=a",
    )
    assert answer.status_code == 200
    stored = flowise.app.state.store.get(credential_id, "workspace-123")
    assert stored is not None
    assert stored.data == {"redisCacheHost": "h", "formKey": "form-value", "list": ["a"]}
    assert _stored(flowise, credential_id)["name"] == "Form name"


def test_a_key_without_credentials_permissions(flowise: Client, client: Client) -> None:
    nocred = {"Authorization": "Bearer dev-nocred-key"}
    for app in (flowise, client):
        assert app.get("/api/v1/credentials", headers=nocred).status_code == 403
        answer = app.put("/api/v1/credentials/cred-789", headers={**nocred, **JSON}, json={})
        assert answer.status_code == 403
        assert (
            app.get("/api/v1/components-credentials/openAIApi", headers=nocred).status_code == 200
        )
    assert flowise.get("/api/v1/credentials", headers=nocred).json() == {"message": "Forbidden"}


def test_an_unknown_type_shows_no_data_even_an_array(flowise: Client) -> None:
    for ctype, shown_data in (("notARealType", {}), ("", [[""]]), ("openAIApi", [[""]])):
        answer = flowise.post(
            "/api/v1/credentials",
            headers=ADMIN,
            json={"name": "a", "credentialName": ctype, "plainDataObj": [[""]]},
        )
        assert answer.status_code == 200
        assert _stored(flowise, answer.json()["id"])["plainDataObj"] == shown_data, ctype


def test_a_gzip_body_is_limited_once_inflated(
    make_app: Callable[..., Any], make_client: Callable[..., Client]
) -> None:
    """body-parser counts its limit after decompression: a 5 KiB gzip body that inflates past
    --max-body is 413 and changes nothing (it was inflated whole, into memory, before)."""
    import gzip

    flowise = make_client(make_app(profile="flowise-3.1", max_body=64 * 1024))
    path = "/api/v1/credentials/cred-789"
    before = flowise.get(path, headers=ADMIN).json()
    big = b'{"name": "' + b"a" * (1024 * 1024) + b'"}'
    headers = {**ADMIN, **JSON, "Content-Encoding": "gzip"}
    answer = flowise.put(path, headers=headers, content=gzip.compress(big))
    assert answer.status_code == 413
    assert "too large" in answer.text
    assert flowise.get(path, headers=ADMIN).json() == before
    small = gzip.compress(b'{"name": "inflated"}')
    assert flowise.put(path, headers=headers, content=small).json()["name"] == "inflated"
