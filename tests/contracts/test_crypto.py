"""Reading encryptedData: the suite's decryptor reads what the mock (and openssl) write."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from contracts.crypto import PREFIX, decode_salted, decrypt, decrypt_json
from mockserver.crypto import encrypt


def test_decrypts_the_mocks_ciphertext() -> None:
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


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_decrypts_openssl_output() -> None:
    out = subprocess.run(
        ["openssl", "enc", "-aes-256-cbc", "-a", "-A", "-md", "md5", "-pass", "pass:pw"],
        input=b'{"a": 1}',
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert decrypt(out, "pw") == b'{"a": 1}'
