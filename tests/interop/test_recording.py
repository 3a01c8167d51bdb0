"""Scrubbing and comparing exchanges (interop/flowise/recording.py): nothing secret survives,
what the server stored is kept (decrypted, scrubbed), and only ids, dates and ciphertexts are
compared by kind."""

from __future__ import annotations

import json

from credkit_core.crypto import encrypt
from interop.flowise.recording import compare, decrypt, scrub
from interop.flowise.scenario import Exchange, Run

PASSPHRASE = "recording-test-passphrase"


def _run(body: object, content_type: str = "application/json; charset=utf-8") -> Run:
    run = Run(
        keys={"full": "key-full-123", "view": "key-view-456"},
        variables={"c_openai": "11111111-2222-3333-4444-555555555555", "workspace": "ws-9"},
        secrets={"secret_openai": "s3cr3t-openai-abc"},
    )
    run.exchanges.append(
        Exchange(
            step="put-name",
            method="PUT",
            path="/api/v1/credentials/11111111-2222-3333-4444-555555555555",
            request_headers={"Authorization": "Bearer key-full-123"},
            request_body='{"plainDataObj": {"openAIApiKey": "s3cr3t-openai-abc"}}',
            status=200,
            content_type=content_type,
            body=body,
        )
    )
    return run


def test_decrypt_reads_what_the_mock_encrypts() -> None:
    token = encrypt(json.dumps({"k": "v"}), PASSPHRASE)
    assert token.startswith("U2FsdGVkX1")
    assert decrypt(token, PASSPHRASE) == {"k": "v"}


def test_scrub_hides_keys_secrets_ids_and_ciphertexts() -> None:
    token = encrypt(json.dumps({"openAIApiKey": "s3cr3t-openai-abc"}), PASSPHRASE)
    body = {
        "id": "11111111-2222-3333-4444-555555555555",
        "workspaceId": "ws-9",
        "encryptedData": token,
        "icon": "/root/.cache/flowise-3.1.4/node_modules/flowise-components/x.svg",
    }
    [exchange] = scrub(_run(body), PASSPHRASE)
    text = json.dumps(exchange)
    for value in ("key-full-123", "s3cr3t-openai-abc", "11111111-2222", "ws-9", token, "/root/"):
        assert value not in text
    assert exchange["request"]["headers"] == {"Authorization": "Bearer $API_KEY"}
    assert exchange["request"]["path"] == "/api/v1/credentials/${c_openai}"
    assert exchange["response"]["body"]["encryptedData"] == "U2FsdGVkX1...(ciphertext)"
    assert (
        exchange["response"]["body"]["icon"]
        == "$FLOWISE_HOME/node_modules/flowise-components/x.svg"
    )
    assert exchange["response"]["decrypted"] == [{"openAIApiKey": "${secret_openai}"}]


def test_compare_ignores_dates_and_matches_html_by_kind() -> None:
    page = "<!DOCTYPE html>\r\n<html>" + "x" * 200
    [recorded] = scrub(_run(page, "text/html; charset=UTF-8"))
    [replayed] = scrub(_run("<!doctype html><html></html>", "text/html; charset=UTF-8"))
    assert compare(recorded, replayed).matches
    [early] = scrub(_run({"updatedDate": "2026-11-27T13:39:11.000Z"}))
    [late] = scrub(_run({"updatedDate": "2026-11-27T14:00:00.000Z"}))
    assert compare(early, late).matches
    [other] = scrub(_run({"updatedDate": 1}))
    assert compare(early, other).differences


def test_compare_tells_a_withheld_secret_from_a_difference() -> None:
    [clear] = scrub(_run({"url": "postgresql://bob:s3cr3t-openai-abc@h/db"}))
    [masked] = scrub(_run({"url": "postgresql://bob:••••••@h/db"}))
    result = compare(clear, masked)
    assert result.differences == [] and len(result.withheld) == 1
    [wrong] = scrub(_run({"url": "postgresql://alice:${secret_openai}@h/db"}))
    assert compare(clear, wrong).differences
