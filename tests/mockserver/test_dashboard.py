"""The dashboard's endpoints (`mockserver.apps.dashboard`, `mockserver.apps.stream`, the new admin
operations): the page under the access rules, one fault removed, the passphrase source, and the
live stream (a real server: a stream does not end by itself)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from credkit_core.resources import DEV_KEYS
from mockserver.apps.stream import BACKLOG
from mockserver.journal import JournalEntry, mask_answer
from mockserver.pytest_plugin import serving
from tests.mockserver.conftest import FULL, Client
from tests.mockserver.test_admin import CRED, REMOTE


def test_page_is_one_self_contained_document(client: Client) -> None:
    response = client.get("/__admin/ui")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert "<script src" not in page and "<link" not in page and "<img" not in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere
    assert "/requests/stream" in page and "EventSource" in page


def test_page_follows_the_access_rules(make_app: Any, make_client: Any) -> None:
    app = make_app()
    assert make_client(app, REMOTE).get("/__admin/ui").status_code == 403
    tokened = make_app(admin_token="t0ken")
    # with a token the page (no data) is served; what it reads needs the token
    assert make_client(tokened, REMOTE).get("/__admin/ui").status_code == 200
    assert make_client(tokened, REMOTE).get("/__admin/state").status_code == 401
    assert make_client(tokened).get("/__admin/requests/stream").status_code == 401


def test_one_fault_is_removed_by_id(client: Client) -> None:
    first = client.post("/__admin/faults", json={"path": "/a", "status": 500}).json()
    second = client.post("/__admin/faults", json={"path": "/b", "status": 502}).json()
    assert client.delete(f"/__admin/faults/{first['id']}").status_code == 204
    assert [f["id"] for f in client.get("/__admin/faults").json()] == [second["id"]]
    missing = client.delete(f"/__admin/faults/{first['id']}")
    assert missing.status_code == 404 and "GET /__admin/faults" in missing.json()["message"]
    assert client.delete("/__admin/faults/x").status_code == 404
    superscript = client.delete("/__admin/faults/%C2%B2")  # "²".isdigit(), but not an int
    assert superscript.status_code == 404 and "GET /__admin/faults" in superscript.json()["message"]


def test_state_names_the_passphrase_source_never_the_passphrase(client: Client) -> None:
    response = client.get("/__admin/state")
    assert response.json()["passphraseSource"]
    assert "credkit-test-passphrase" not in response.text


def read_events(lines: Iterator[str], wanted: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) of the stream's next events (from its `iter_lines()`), up to `wanted`."""
    kind, seen = "", 0
    for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            yield kind, json.loads(line[6:])
            seen += 1
            if seen >= wanted:
                return


@pytest.fixture
def live(make_app: Any) -> Iterator[tuple[Any, str]]:
    app = make_app(access_log=False, log_level="warning")
    with serving(app) as url:
        yield app, url


def test_stream_sends_each_request_masked_with_its_key_name(live: tuple[Any, str]) -> None:
    app, url = live
    secret = {"plainDataObj": {"openAIApiKey": "sk-live-secret"}}
    with (
        httpx.Client(base_url=url, timeout=10) as http,
        http.stream("GET", "/__admin/requests/stream") as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        http.put(CRED, json=secret, headers=FULL)
        http.get(CRED)  # no key: 401
        events = list(read_events(stream.iter_lines(), 2))
    (kind, put), (_, get) = events
    assert kind == "request"
    [name] = [k.name for k in app.state.fixtures.api_keys if k.key == DEV_KEYS["full"]]
    assert name and DEV_KEYS["full"] not in name
    assert (put["method"], put["path"], put["status"], put["key"]) == ("PUT", CRED, 200, name)
    assert put["body"] == {"plainDataObj": {"openAIApiKey": "***"}}
    assert put["headers"]["authorization"] == "***"
    assert "id" in put["answer"] and set(put["answer"].values()) <= {"***"}  # a masked shape
    assert (get["status"], get["key"]) == (401, None) and "Authorization" in get["answer"][
        "message"
    ]
    assert get["seq"] == put["seq"] + 1
    text = json.dumps(events)
    assert "sk-live-secret" not in text and DEV_KEYS["full"] not in text


def test_stream_under_a_namespace_sends_that_namespace_s_requests(
    live: tuple[Any, str],
) -> None:
    _, url = live
    with (
        httpx.Client(base_url=url, timeout=10) as http,
        http.stream("GET", "/ns/team/__admin/requests/stream") as stream,
    ):
        assert stream.status_code == 200
        http.get("/api/v1/credentials/in-default", headers=FULL)
        http.get("/ns/team" + CRED, headers=FULL)
        (kind, first), *_ = read_events(stream.iter_lines(), 1)
    assert (kind, first["path"], first["status"]) == ("request", CRED, 200)


def test_stream_resumes_after_last_event_id_and_says_cleared(live: tuple[Any, str]) -> None:
    app, url = live
    for i in range(BACKLOG + 5):
        app.state.journal.record(JournalEntry(0.0, "GET", f"/{i}", b"", 200, 0.1, (), None, 0))
    with httpx.Client(base_url=url, timeout=10) as http:
        with http.stream("GET", "/__admin/requests/stream") as stream:  # the last BACKLOG
            first = next(read_events(stream.iter_lines(), 1))[1]
        assert first["path"] == "/5"
        headers = {"Last-Event-ID": str(BACKLOG + 3)}
        with http.stream("GET", "/__admin/requests/stream", headers=headers) as stream:
            lines = stream.iter_lines()
            paths = [data["path"] for _, data in read_events(lines, 2)]
            assert paths == [f"/{BACKLOG + 3}", f"/{BACKLOG + 4}"]
            assert http.post("/__admin/reset").status_code == 204
            assert next(read_events(lines, 1))[0] == "cleared"


def test_stream_takes_the_token_from_the_cookie(make_app: Any) -> None:
    app = make_app(admin_token="t0ken", access_log=False, log_level="warning")
    cookie = {"Cookie": "credkit_admin_token=t0ken"}
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.get("/__admin/state", headers=cookie).status_code == 401  # the stream only
        wrong = {"Cookie": "credkit_admin_token=nope"}
        assert http.get("/__admin/requests/stream", headers=wrong).status_code == 401
        with http.stream("GET", "/__admin/requests/stream", headers=cookie) as stream:
            assert stream.status_code == 200


def test_an_answer_is_masked_whatever_json_it_holds() -> None:
    assert mask_answer(200, b'{"id": "x", "data": {"k": "v"}}') == {
        "id": "***",
        "data": {"k": "***"},
    }
    # what orjson refuses and the standard library reads: masked all the same
    assert mask_answer(200, b'{"n": NaN, "big": 123456789012345678901234567890}') == {
        "n": "***",
        "big": "***",
    }
    assert mask_answer(404, b'{"statusCode": 404, "message": "m", "stack": []}') == {
        "statusCode": 404,
        "message": "m",
    }
    assert mask_answer(200, b"not json") is None
