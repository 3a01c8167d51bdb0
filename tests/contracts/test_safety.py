"""Safety: names, ids, masking and scrubbing — and the client's refusal to touch others' data."""

from __future__ import annotations

import httpx
import pytest

from contracts.client import Api, SafetyError
from contracts.config import VerifyConfig
from contracts.safety import (
    IdTracker,
    Made,
    Redactor,
    absent_id,
    curl,
    is_absent_id,
    mask_body,
    new_run_id,
    run_name,
)


def test_names_and_absent_ids() -> None:
    run_id = new_run_id()
    assert run_name(run_id, "x").startswith(f"credkit-verify-{run_id}-")
    assert is_absent_id(absent_id()) and absent_id() != absent_id()
    assert not is_absent_id("cred-789")


def test_tracker_knows_what_the_run_created() -> None:
    tracker = IdTracker(seed=1)
    tracker.add("a")
    assert tracker.is_safe_target("a") and tracker.is_safe_target(absent_id())
    assert not tracker.is_safe_target("cred-789")
    tracker.deleted("a")
    assert tracker.alive() == [] and tracker.owns("a")


def test_mask_body_masks_every_data_value() -> None:
    body = {
        "name": "n",
        "plainDataObj": {"k": "secret", "n": {"x": 1}},
        "items": [{"plainDataObj": "s"}],
    }
    assert mask_body(body) == {
        "name": "n",
        "plainDataObj": {"k": "***", "n": "***"},
        "items": [{"plainDataObj": "***"}],
    }


def test_curl_uses_a_key_variable_and_masks_data() -> None:
    command = curl(
        "PUT",
        "http://h/api/v1/credentials/x",
        role="readonly",
        body={"plainDataObj": {"k": "secret"}},
        content_type="application/json",
    )
    assert '"Authorization: Bearer $READONLY_API_KEY"' in command
    assert "secret" not in command and "***" in command
    assert '"Authorization: $API_KEY"' in curl("GET", "http://h/", scheme="")


def test_tracker_remembers_how_it_made_a_credential() -> None:
    tracker = IdTracker()
    tracker.add("a", "foreign", body={"name": "n"})
    tracker.add("b")
    tracker.add(absent := absent_id())
    assert tracker.made("a") == Made("a", "foreign", {"name": "n"})
    assert tracker.made("b") == Made("b", "full", None)
    assert tracker.made(absent) is None and tracker.made("cred-789") is None
    assert tracker.made(None) is None


def test_curl_naming_a_run_credential_creates_a_stand_in_first() -> None:
    made = Made(
        "c-1",
        "foreign",
        {"name": "n", "credentialName": "openAIApi", "plainDataObj": {"openAIApiKey": "sk-x1"}},
    )
    url = "http://h/$p`/api/v1/credentials/c-1"
    command = curl("GET", url, role="full", made=made)
    note, create, request = command.split("\n")
    assert note.startswith("# credential c-1 was created and deleted by this run;")
    assert create.startswith("CREDENTIAL_ID=$(curl -s -X POST 'http://h/$p`/api/v1/credentials' ")
    assert '"Authorization: Bearer $FOREIGN_API_KEY"' in create and create.endswith("| jq -r .id)")
    assert "sk-x1" not in command and '"openAIApiKey": "***"' in create
    # the id is a variable; the rest of the url is escaped for double quotes
    assert request.startswith('curl -X GET "http://h/\\$p\\`/api/v1/credentials/$CREDENTIAL_ID"')
    assert "c-1" not in request
    # a command that follows one with the setup uses the variable without creating another
    assert curl("GET", url, made=made, setup=False).count("\n") == 0
    # the create body unknown (found by name at cleanup): a note says what to do
    bare = curl("DELETE", url, made=Made("c-1")).split("\n")
    assert len(bare) == 2 and "set CREDENTIAL_ID to its id" in bare[0]
    # another id is left as it is
    assert curl("GET", "http://h/api/v1/credentials/other", made=made).count("\n") == 0


def test_redactor_scrubs_known_values() -> None:
    redact = Redactor(["dev-admin-key", "abc"])  # too short values are ignored
    assert redact("key dev-admin-key, abc") == "key ***, abc"


def _api(handler: object) -> tuple[Api, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": "new-id"})

    config = VerifyConfig(base_url="http://127.0.0.1:1/prefix", api_key="k" * 8)
    return Api(config, IdTracker(), transport=httpx.MockTransport(record)), sent


def test_client_refuses_ids_it_did_not_create() -> None:
    api, sent = _api(None)
    with pytest.raises(SafetyError):
        api.request("PUT", "/api/v1/credentials/cred-789", json_body={})
    assert sent == []
    api.request("POST", "/api/v1/credentials", json_body={"name": "x"})
    api.request("GET", "/api/v1/credentials/new-id")  # created by this run: allowed
    api.request("GET", f"/api/v1/credentials/{absent_id()}")
    assert [r.url.path for r in sent][:2] == [
        "/prefix/api/v1/credentials",
        "/prefix/api/v1/credentials/new-id",
    ]


def test_client_honours_the_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("contracts.client.time.sleep", sleeps.append)
    config = VerifyConfig(base_url="http://127.0.0.1:1", api_key="k" * 8, rate_limit="2/s")
    api = Api(config, IdTracker(), transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    for _ in range(3):
        api.request("GET", "/api/v1/credentials")
    # sleep is stubbed, so the clock stands still: the second wait is a whole interval longer
    assert len(sleeps) == 2 and 0.3 < sleeps[0] <= 0.5 and 0.8 < sleeps[1] <= 1.0


def test_redactor_scrubs_base64_forms_of_a_secret() -> None:
    import base64

    secret = "credkit-secret-0123456789abcdef0123456789abcdef"
    redact = Redactor()
    redact.add_secret(secret)
    for prefix in ("", "a", "ab", '{"key": "'):
        encoded = base64.b64encode((prefix + secret + '"}').encode()).decode()
        scrubbed = redact(encoded)
        assert "***" in scrubbed and len(scrubbed) < len(encoded) - 40


def test_mask_body_shortens_encrypted_data() -> None:
    masked = mask_body({"encryptedData": "U2FsdGVkX1" + "A" * 40})
    assert masked == {"encryptedData": "U2FsdGVkX1...(50 chars)"}


def test_client_waits_out_a_429(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("contracts.client.time.sleep", sleeps.append)
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200)])
    config = VerifyConfig(base_url="http://127.0.0.1:1", api_key="k" * 8)
    api = Api(config, IdTracker(), transport=httpx.MockTransport(lambda r: next(answers)))
    assert api.request("GET", "/api/v1/credentials").status == 200
    assert sleeps == [2.0]
