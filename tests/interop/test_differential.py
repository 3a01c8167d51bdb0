"""The differential run's judgement of the one parser-message departure the house rule makes
(interop/flowise/differential.py): accepted only when the real message is exactly V8's quoting
one for the body at the position the mock names."""

from __future__ import annotations

from typing import Any

from interop.flowise.differential import Differential, Side


def _answer(message: str) -> dict[str, Any]:
    return {"response": {"status": 400, "body": {"message": message}}}


def _departure(real: str, mock: str, body: bytes) -> bool:
    diff = Differential(Side(None, {}, None), Side(None, {}, None))  # type: ignore[arg-type]
    return diff._quoting_departure(_answer(real), _answer(mock), body)


def test_v8s_quoting_message_against_the_position_is_the_departure() -> None:
    body = b'{"a": "sk-secret", "b": tru}'
    real = 'Unexpected token \'}\', ...", "b": tru}" is not valid JSON'
    assert _departure(real, "Unexpected token in JSON at position 27", body)
    assert not _departure(real, "Unexpected token in JSON at position 26", body)
    assert not _departure(
        "Unexpected end of JSON input", "Unexpected token in JSON at position 27", body
    )


def test_strict_mode_quoting_is_checked_too() -> None:
    real = "Unexpected token 'f', \"f\x07\u0101\" is not valid JSON"
    assert _departure(real, "Unexpected token in JSON at position 0", "f\x07\u0101".encode())
    assert not _departure(
        real.replace("f\x07", "g\x07"),
        "Unexpected token in JSON at position 0",
        "f\x07\u0101".encode(),
    )


def test_a_secret_shown_only_by_the_real_server_is_withheld_only_outside_its_type() -> None:
    from credkit_core.catalog import MARKER
    from interop.flowise.differential import _withheld

    real = {"credentialName": "", "plainDataObj": {"openAIApiKey": "sk-1", "note": "n"}}
    mock = {"credentialName": "", "plainDataObj": {"openAIApiKey": MARKER, "note": "n"}}
    assert _withheld(real, mock) == ["openAIApiKey"]
    assert mock["plainDataObj"]["openAIApiKey"] == "sk-1"  # taken as the real one
    typed = {"credentialName": "openAIApi", "plainDataObj": {"openAIApiKey": "sk-1"}}
    masked = {"credentialName": "openAIApi", "plainDataObj": {"openAIApiKey": MARKER}}
    assert _withheld(typed, masked) == []  # the type's own redaction: a real difference
    other = {"credentialName": "", "plainDataObj": {"note": "other"}}
    assert _withheld(real, other) == []
