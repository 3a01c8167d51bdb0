"""No secret and no API key ever leaves the mock: a full session against a real process, scanned.

The server runs with a fixture file whose API keys are random (no built-in dev-* key, so the
banner has no key to list), a random passphrase and a random admin token. The session creates,
updates (markers, bullet-masked urls), reads and lists credentials, sends every kind of bad
request with secrets inside (wrong keys, raw keys, malformed JSON, schema errors, oversized
bodies, query strings), and reads the admin state and the request journal. Everything the
server emitted — response bodies and headers, stdout and stderr (banner, access log, debug
log), the journal, the admin state — is then searched for every secret written and every key
used, whole and by fragments.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from credkit_core.catalog import MARKER
from tests import live


def _secret(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(16)}"


class Session:
    """Records every response of the session."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.seen: list[str] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, url, **kwargs)
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        self.seen.append(f"{method} {url} -> {response.status_code}\n{headers}\n{response.text}")
        return response


def _fragments(value: str) -> list[str]:
    """The value, and its first and last 12 characters (a truncated leak is still a leak)."""
    return [value, value[:12], value[-12:]] if len(value) > 24 else [value]


@pytest.fixture
def leaky_session(tmp_path: Path) -> Iterator[dict[str, Any]]:
    full_key, ro_key = _secret("ck-full-"), _secret("ck-ro-")
    wrong_key, admin_token, passphrase = _secret("ck-wrong-"), _secret("adm-"), _secret("pass-")
    seeded_secret, seeded_url_pw = _secret("sk-seed-"), _secret("pw")
    fixture = {
        "workspaces": [{"id": "ws-secret", "name": "secrets"}],
        "apiKeys": [
            {
                "key": full_key,
                "name": "full",
                "workspace": "ws-secret",
                "permissions": [
                    "credentials:view",
                    "credentials:create",
                    "credentials:update",
                    "credentials:delete",
                ],
            },
            {
                "key": ro_key,
                "name": "ro",
                "workspace": "ws-secret",
                "permissions": ["credentials:view"],
            },
        ],
        "credentials": [
            {
                "id": "seeded-1",
                "name": "seeded",
                "credentialName": "openAIApi",
                "workspace": "ws-secret",
                "plainDataObj": {"openAIApiKey": seeded_secret},
            },
            {
                "id": "seeded-2",
                "name": "seeded pg",
                "credentialName": "PostgresUrl",
                "workspace": "ws-secret",
                "plainDataObj": {
                    "postgresUrl": f"postgresql://bob:{seeded_url_pw}@db.example.com:5432/app"
                },
            },
        ],
    }
    fixture_path = tmp_path / "fixture.yaml"
    fixture_path.write_text(yaml.safe_dump(fixture), encoding="utf-8")
    env = {"CREDKIT_SECRET_KEY": passphrase, "CREDKIT_ADMIN_TOKEN": admin_token}
    log_path = tmp_path / "server.log"
    server = live.start(log_path, "--fixtures", str(fixture_path), "--log-level", "debug", env=env)
    written = [seeded_secret, seeded_url_pw]
    try:
        with server.client() as http:
            call = Session(http)
            auth = {"Authorization": f"Bearer {full_key}"}
            written += _run_session(call, auth, ro_key, wrong_key, full_key, admin_token)
            journal = http.get(
                "/__admin/requests", headers={"Authorization": f"Bearer {admin_token}"}
            )
            state = http.get("/__admin/state", headers={"Authorization": f"Bearer {admin_token}"})
            assert journal.status_code == 200 and state.status_code == 200
            assert len(journal.json()) > 20
        server.stop()  # graceful: anything logged at shutdown is in the log too
        yield {
            "written": written,
            "keys": [full_key, ro_key, wrong_key, admin_token, passphrase],
            "responses": call.seen,
            "log": server.output,
            "journal": journal.text,
            "state": state.text,
        }
    finally:
        server.kill() if server.alive() else None


def _run_session(
    call: Session,
    auth: dict[str, str],
    ro_key: str,
    wrong_key: str,
    full_key: str,
    admin_token: str,
) -> list[str]:
    written: list[str] = []
    pw1, pw2, aws, basic, url_pw = (
        _secret(p) for p in ("sk-one-", "sk-two-", "aws-", "basic-", "pw")
    )
    written += [pw1, pw2, aws, basic, url_pw]
    made = call(
        "POST",
        "/api/v1/credentials",
        json={"name": "a", "credentialName": "openAIApi", "plainDataObj": {"openAIApiKey": pw1}},
        headers=auth,
    )
    assert made.status_code == 200, made.text
    cid = made.json()["id"]
    pg = call(
        "POST",
        "/api/v1/credentials",
        json={
            "name": "pg",
            "credentialName": "PostgresUrl",
            "plainDataObj": {"postgresUrl": f"postgres://u:{url_pw}@h:5432/d"},
        },
        headers=auth,
    ).json()["id"]
    call("POST", "/api/v1/credentials", json={"name": "aws", "credentialName": "awsApi",
         "plainDataObj": {"awsKey": "AKIA", "awsSecret": aws}}, headers=auth)  # fmt: skip
    data = {"basicAuthUsername": "u", "basicAuthPassword": basic}
    call("POST", "/api/v1/credentials", json={"name": "b", "credentialName": "httpBasicAuth",
         "plainDataObj": data}, headers=auth)  # fmt: skip
    assert (
        call(
            "PUT",
            f"/api/v1/credentials/{cid}",
            json={"plainDataObj": {"openAIApiKey": pw2}},
            headers=auth,
        ).status_code
        == 200
    )
    got = call("GET", f"/api/v1/credentials/{cid}", headers=auth).json()
    assert got["plainDataObj"]["openAIApiKey"] == MARKER
    echoed = call(
        "PUT",
        f"/api/v1/credentials/{cid}",
        json={"plainDataObj": got["plainDataObj"]},
        headers=auth,
    )
    assert echoed.status_code == 200
    pg_read = call("GET", f"/api/v1/credentials/{pg}", headers=auth).json()
    assert "••••••" in pg_read["plainDataObj"]["postgresUrl"]
    call(
        "PUT",
        f"/api/v1/credentials/{pg}",
        json={"plainDataObj": pg_read["plainDataObj"]},
        headers=auth,
    )
    for cred in ("seeded-1", "seeded-2"):
        call("GET", f"/api/v1/credentials/{cred}", headers=auth)
    call("GET", "/api/v1/credentials", headers=auth)
    call("GET", "/api/v1/credentials", params={"credentialName": pw1}, headers=auth)
    call("GET", "/api/v1/components-credentials/openAIApi", headers=auth)
    # --- bad requests carrying secrets and keys ---
    put = f"/api/v1/credentials/{cid}"
    json_h = {**auth, "Content-Type": "application/json"}
    call("PUT", put, json={"name": "x"}, headers={"Authorization": f"Bearer {wrong_key}"})
    call("PUT", put, json={"name": "x"}, headers={"Authorization": full_key})  # raw key: 401
    call("PUT", put, json={"name": "x"}, headers={"Authorization": f"Token {full_key}"})
    call("PUT", put, json={"name": "x"}, headers={"Authorization": f"Bearer {ro_key}"})  # 403
    call("PUT", put, json={"name": "x"}, headers={"Authorization": f"Bearer {admin_token}"})
    call("PUT", put, content=f'{{"plainDataObj":{{"openAIApiKey":"{pw2}"'.encode(), headers=json_h)
    call("PUT", put, json={"plainDataObj": pw2}, headers=auth)
    call("PUT", put, json={"name": pw2, "credentialName": pw1}, headers=auth)
    call("PUT", put, json={"plainDataObj": {"openAIApiKey": pw2}, "bogus": pw1}, headers=auth)
    call("PUT", put, json={"name": 5, "plainDataObj": {"openAIApiKey": pw1}}, headers=auth)
    call(
        "PUT",
        put,
        content=json.dumps({"plainDataObj": {"k": pw1}}),
        headers={**auth, "Content-Type": "text/plain"},
    )
    call(
        "PUT",
        put,
        content=b'{"plainDataObj":{"k":"' + pw1.encode() + b'","n":NaN}}',
        headers=json_h,
    )
    call("PUT", put, content=b'{"x":"' + pw1.encode() + b"x" * 1_100_000 + b'"}', headers=json_h)
    call(
        "POST",
        "/api/v1/credentials",
        json={"name": "n", "credentialName": pw1, "plainDataObj": {"a": pw2}},
        headers=auth,
    )
    call("PATCH", put, json={"plainDataObj": {"openAIApiKey": pw1}}, headers=auth)
    call("GET", "/__admin/state", headers={"Authorization": f"Bearer {wrong_key}"})
    call("GET", "/__admin/state", headers={"Authorization": f"Bearer {full_key}"})
    call("DELETE", f"/api/v1/credentials/{cid}", headers=auth)
    return written


@pytest.mark.e2e
def test_no_secret_or_key_in_anything_the_mock_emits(leaky_session: dict[str, Any]) -> None:
    s = leaky_session
    places = {
        "responses": "\n".join(s["responses"]),
        "server output": s["log"],
        "journal": s["journal"],
        "admin state": s["state"],
    }
    # what a base64 field would hide: decode every long base64-looking token of the responses
    decoded = []
    for token in places["responses"].replace('"', " ").split():
        if len(token) >= 24 and token.startswith("U2FsdGVkX1"):
            decoded.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode("latin-1"))
    places["decoded encryptedData"] = "\n".join(decoded)
    assert (
        len(s["responses"]) >= 30 and "401" in places["responses"] and "413" in places["responses"]
    )
    assert " 200 " in s["log"] or "200" in s["log"], "the access log was captured"
    leaks = [
        (where, value[:6] + "…")
        for value in s["written"] + s["keys"]
        for fragment in _fragments(value)
        for where, text in places.items()
        if fragment in text
    ]
    if leaks:  # show where (with the value itself cut out)
        for value in s["written"] + s["keys"]:
            for where, text in places.items():
                for line in text.splitlines():
                    if any(f in line for f in _fragments(value)):
                        at = max(0, line.find(value[:12]) - 250)
                        print(where, "|", line[at : at + 400].replace(value, "<SECRET>"))
    assert not leaks, f"secrets or keys leaked: {sorted(set(leaks))}"


@pytest.mark.e2e
def test_the_scan_would_see_a_leak(leaky_session: dict[str, Any]) -> None:
    """The scan above can fail: the secrets were really sent (they are in the requests we made),
    and a response that echoed one would be caught."""
    s = leaky_session
    assert s["written"] and all(len(v) > 24 for v in s["written"])
    echo = f"oops {s['written'][0]}"
    assert any(f in echo for f in _fragments(s["written"][0]))
    assert any(f in echo[:-5] for f in _fragments(s["written"][0])), "a truncated leak is caught"
