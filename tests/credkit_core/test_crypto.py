"""`credkit_core.crypto`: OpenSSL "Salted__" AES-256-CBC, interoperable with openssl and
crypto-js, read and written by the one implementation the mock and the suite share."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from credkit_core.crypto import (
    PREFIX,
    CryptoError,
    Encryptor,
    decode_salted,
    decrypt,
    decrypt_json,
    encrypt,
)

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
needs_openssl = pytest.mark.skipif(not Path(OPENSSL).exists(), reason="openssl not installed")
KEY = "pass phrase with spaces & symbols!"
TEXT = '{"openAIApiKey":"sk-ünïcode-✓","n":1}'


@needs_openssl
def test_mock_output_decrypts_with_openssl() -> None:
    value = encrypt(TEXT, KEY)
    assert value.startswith("U2FsdGVkX1")
    out = subprocess.run(
        [OPENSSL, "enc", "-aes-256-cbc", "-d", "-a", "-A", "-md", "md5", "-pass", f"pass:{KEY}"],
        input=value.encode(),
        capture_output=True,
        check=True,
    )
    assert out.stdout.decode("utf-8") == TEXT


@needs_openssl
def test_openssl_output_decrypts_in_the_mock() -> None:
    out = subprocess.run(
        [OPENSSL, "enc", "-aes-256-cbc", "-a", "-A", "-md", "md5", "-pass", f"pass:{KEY}"],
        input=TEXT.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    assert decrypt(out.stdout.decode().strip(), KEY) == TEXT


def test_known_vector_is_stable() -> None:
    # Fixed salt: the same bytes crypto-js and openssl produce for this passphrase and salt.
    value = encrypt("{}", "k", salt=b"\x00" * 8)
    raw = base64.b64decode(value)
    assert raw[:16] == b"Salted__" + b"\x00" * 8 and len(raw) == 32
    assert decrypt(value, "k") == "{}"


def test_fresh_salt_every_time_and_no_plaintext() -> None:
    values = {encrypt(TEXT, KEY) for _ in range(5)}
    assert len(values) == 5
    for value in values:
        assert b"sk-" not in base64.b64decode(value)


def test_wrong_passphrase_or_garbage_is_a_crypto_error() -> None:
    value = encrypt(TEXT, KEY, salt=b"12345678")
    with pytest.raises(CryptoError):
        decrypt(value, "other key")
    for bad in ("encrypted_string_here", "", base64.b64encode(b"Salted__1234567").decode()):
        with pytest.raises(CryptoError):
            decrypt(bad, KEY)


def test_encryptor_hides_its_passphrase() -> None:
    enc = Encryptor(KEY)
    assert KEY not in repr(enc)
    assert enc.decrypt(enc.encrypt("x")) == "x"


def _node_with_crypto_js() -> dict[str, str] | None:
    """Environment in which `node` can `require('crypto-js')`, or None (the test then skips).
    Set NODE_PATH to a node_modules holding crypto-js (e.g. a Flowise install) to run it."""
    node = shutil.which("node")
    if node is None:
        return None
    env = {**os.environ}
    probe = subprocess.run([node, "-e", "require('crypto-js')"], env=env, capture_output=True)
    return env if probe.returncode == 0 else None


NODE_ENV = _node_with_crypto_js()


@pytest.mark.skipif(NODE_ENV is None, reason="node with crypto-js not available (set NODE_PATH)")
def test_crypto_js_both_ways() -> None:
    script = (
        "const C=require('crypto-js');const [k,v]=process.argv.slice(1);"
        "console.log(C.AES.decrypt(v,k).toString(C.enc.Utf8));"
        "console.log(C.AES.encrypt(process.env.TEXT,k).toString());"
    )
    out = subprocess.run(
        ["node", "-e", script, KEY, encrypt(TEXT, KEY)],
        env={**(NODE_ENV or {}), "TEXT": TEXT},
        capture_output=True,
        text=True,
        check=True,
    )
    decrypted_by_node, encrypted_by_node = out.stdout.splitlines()
    assert decrypted_by_node == TEXT
    assert decrypt(encrypted_by_node, KEY) == TEXT


def test_decrypt_json_reads_what_encrypt_writes() -> None:
    value = encrypt('{"k": "v"}', "pass")
    assert value.startswith(PREFIX)
    assert decrypt_json(value, "pass") == {"k": "v"}


def test_wrong_passphrase_and_bad_format_are_value_errors() -> None:
    value = encrypt('{"k": "v"}', "pass")
    with pytest.raises(ValueError):
        decrypt_json(value, "other")
    for bad in ("encrypted_string_here", "eyJrIjoidiJ9", PREFIX + "AAAA"):
        with pytest.raises(ValueError):
            decode_salted(bad)


@needs_openssl
def test_decrypts_openssl_output_as_the_suite_reads_it() -> None:
    out = subprocess.run(
        [OPENSSL, "enc", "-aes-256-cbc", "-a", "-A", "-md", "md5", "-pass", "pass:pw"],
        input=b'{"a": 1}',
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert decrypt(out, "pw") == '{"a": 1}'
