"""The state file (`mockserver.persistence`): restart, compaction, corruption, torn records."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from mockserver.crypto import key_file_for
from mockserver.errors import StateFileError
from tests.mockserver.conftest import FULL

CRED = "/api/v1/credentials/cred-789"


def start(make_app: Any, make_client: Any, path: Path, **values: Any) -> Any:
    app = make_app(state_file=path, **values)
    return app, make_client(app)


def test_changes_survive_a_restart_without_a_clean_shutdown(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(
        CRED,
        json={"name": "kept", "plainDataObj": {"openAIApiKey": "sk-persisted-secret"}},
        headers=FULL,
    )
    made = client.post(
        "/api/v1/credentials",
        json={"name": "new", "credentialName": "openAIApi", "plainDataObj": {"a": 1}},
        headers=FULL,
    ).json()
    client.delete("/api/v1/credentials/4a23d596-2217-4ead-9bc4-96cb8e81973e", headers=FULL)
    text = path.read_text()
    assert "sk-persisted-secret" not in text and "U2FsdGVkX1" in text
    assert len(text.splitlines()) == 4  # snapshot + put + put + delete

    app, client = start(make_app, make_client, path)
    assert client.get(CRED, headers=FULL).json()["name"] == "kept"
    assert app.state.store._by_id["cred-789"].data == {"openAIApiKey": "sk-persisted-secret"}
    assert client.get(f"/api/v1/credentials/{made['id']}", headers=FULL).status_code == 200
    assert (
        client.get(
            "/api/v1/credentials/4a23d596-2217-4ead-9bc4-96cb8e81973e", headers=FULL
        ).status_code
        == 404
    )


def test_state_file_wins_over_fixtures(tmp_path: Path, make_app: Any, make_client: Any) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "from state"}, headers=FULL)
    fixtures = tmp_path / "f.yaml"
    fixtures.write_text("credentials: []\n")
    _app, client = start(make_app, make_client, path, fixtures=fixtures)
    assert client.get(CRED, headers=FULL).json()["name"] == "from state"


def test_generated_passphrase_is_kept_beside_the_file(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path, secret_key=None)
    client.put(CRED, json={"name": "x"}, headers=FULL)
    assert key_file_for(path).exists()
    app, _ = start(make_app, make_client, path, secret_key=None)
    assert app.state.store._by_id["cred-789"].name == "x"
    assert "saved" not in app.state.passphrase_source


def test_wrong_passphrase_is_reported(tmp_path: Path, make_app: Any, make_client: Any) -> None:
    path = tmp_path / "state.jsonl"
    start(make_app, make_client, path)
    with pytest.raises(StateFileError, match=r"line 1.*does not decrypt"):
        make_app(state_file=path, secret_key="another-key")


def test_compaction_keeps_the_file_small(tmp_path: Path, make_app: Any, make_client: Any) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path, compact_every=1)
    for i in range(20):
        client.put(CRED, json={"name": f"n{i}"}, headers=FULL)
    lines = path.read_text().splitlines()
    assert len(lines) <= 8  # compacted once the log holds as many records as the store
    assert json.loads(lines[0])["type"] == "snapshot"
    _app, client = start(make_app, make_client, path)
    assert client.get(CRED, headers=FULL).json()["name"] == "n19"


def test_reset_and_shutdown_write_a_snapshot(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    app, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "x"}, headers=FULL)
    client.post("/__admin/reset")
    assert len(path.read_text().splitlines()) == 1
    client.put(CRED, json={"name": "y"}, headers=FULL)
    app.state.persistence.close()
    assert len(path.read_text().splitlines()) == 1


def test_a_torn_last_record_is_dropped_with_a_warning(
    tmp_path: Path, make_app: Any, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "complete"}, headers=FULL)
    with path.open("ab") as fh:
        fh.write(b'{"type": "put", "credential": {"id": "cred-789", "na')
    caplog.set_level(logging.WARNING, logger="credkit")
    _, client = start(make_app, make_client, path)
    assert any("torn" in r.getMessage() and "line 3" in r.getMessage() for r in caplog.records)
    assert client.get(CRED, headers=FULL).json()["name"] == "complete"
    client.put(CRED, json={"name": "after"}, headers=FULL)
    _app, client = start(make_app, make_client, path)
    assert client.get(CRED, headers=FULL).json()["name"] == "after"


@pytest.mark.parametrize(
    ("damage", "line"),
    [
        (lambda lines: [lines[0], "not json", lines[1]], 2),
        (lambda lines: [lines[0], '{"type": "teleport"}', lines[1]], 2),
        (lambda lines: [lines[0], '{"type": "put", "credential": {"id": "x"}}'], 2),
        (lambda lines: ['{"type": "put"}', *lines[1:]], 1),
        (lambda lines: [lines[0][: len(lines[0]) // 2], *lines[1:]], 1),
        (lambda lines: [lines[0], '{"type": "delete"}', lines[1]], 2),
    ],
)
def test_corruption_is_reported_with_file_and_line(
    tmp_path: Path, make_app: Any, make_client: Any, damage: Any, line: int
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "x"}, headers=FULL)
    damaged = "\n".join(damage(path.read_text().splitlines())) + "\n"
    path.write_text(damaged)
    with pytest.raises(StateFileError) as caught:
        make_app(state_file=path)
    assert str(path) in str(caught.value) and f"line {line}" in str(caught.value)
    assert caught.value.exit_code == 2
    assert path.read_text() == damaged  # never silently replaced


def test_empty_file_starts_from_fixtures(tmp_path: Path, make_app: Any) -> None:
    path = tmp_path / "state.jsonl"
    path.write_text("")
    app = make_app(state_file=path)
    assert len(app.state.store) == 7 and path.read_text().startswith('{"type":"snapshot"')
