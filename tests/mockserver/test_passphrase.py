"""`mockserver.passphrase`: where the mock's encryption passphrase comes from."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

from mockserver.passphrase import key_file_for, resolve_passphrase


def test_passphrase_order(tmp_path: Path) -> None:
    env = {"FLOWISE_SECRETKEY_OVERWRITE": "flowise-key"}
    assert resolve_passphrase("given", None, env) == ("given", "--secret-key")
    assert resolve_passphrase(None, None, env) == ("flowise-key", "FLOWISE_SECRETKEY_OVERWRITE")
    generated, source = resolve_passphrase(None, None, {})
    assert source == "generated" and len(base64.b64decode(generated)) == 24


def test_generated_passphrase_is_saved_beside_the_state_file_and_reused(tmp_path: Path) -> None:
    state = tmp_path / "state.jsonl"
    first, source = resolve_passphrase(None, state, {})
    key_file = key_file_for(state)
    assert "saved" in source and key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again, source = resolve_passphrase(None, state, {})
    assert again == first and source == str(key_file)
