"""The request journal's memory is bounded in bytes, not only in entries.

It keeps the last 1,000 requests. Holding each one's parsed body would keep up to 1,000 x 1 MiB
of Python objects alive (measured: ~920 MiB of RSS after 1,000 PUTs of 900 KiB; ~7.5 MiB per
80,000-key body, so ~7.5 GiB for a full journal). Large bodies are kept as their masked shape,
with a bounded number of keys of bounded length.
"""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from tests.hardening.conftest import JSON_AUTH
from tests.inprocess import AppClient

PATH = "/api/v1/credentials/cred-789"


def _retained_by(client: AppClient, bodies: list[bytes]) -> int:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for body in bodies:
            assert client.put(PATH, content=body, headers=JSON_AUTH).status_code == 200
        gc.collect()  # only what is still referenced counts
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_big_string_values_are_not_kept_by_the_journal(client: AppClient) -> None:
    # each PUT overwrites the same key: the store keeps one blob; only the journal could keep 40
    bodies = [f'{{"plainDataObj":{{"blob":"{n:08d}{"x" * 400_000}"}}}}'.encode() for n in range(40)]
    retained = _retained_by(client, bodies)
    assert retained < 5_000_000, f"{retained / 1e6:.1f} MB retained after 40 PUTs of 400 kB"


def test_many_keys_and_long_keys_are_not_kept_by_the_journal(make_app: Any) -> None:
    app = make_app(access_log=False, max_body=4_000_000)
    many = ('{"plainDataObj":{' + ",".join(f'"k{i:06d}":1' for i in range(50_000)) + "}}").encode()
    long_key = ('{"plainDataObj":{"' + "k" * 300_000 + '":1}}').encode()
    with AppClient(app) as client:
        retained = _retained_by(client, [many, long_key] * 5)
        assert retained < 8_000_000, f"{retained / 1e6:.1f} MB retained after 10 big-keyed PUTs"
        journal = client.get("/__admin/requests").json()
    shapes = [e["body"]["plainDataObj"] for e in journal if e["method"] == "PUT"]
    assert shapes and all(len(shape) <= 100 for shape in shapes)
    assert all(len(key) <= 256 for shape in shapes for key in shape)


def test_small_bodies_keep_their_full_masked_shape(client: AppClient) -> None:
    body = b'{"name":"n","plainDataObj":{"openAIApiKey":"sk-x","a":{"b":1}}}'
    assert client.put(PATH, content=body, headers=JSON_AUTH).status_code == 200
    entries = [e for e in client.get("/__admin/requests").json() if e["method"] == "PUT"]
    assert entries[-1]["body"] == {
        "name": "***",
        "plainDataObj": {"openAIApiKey": "***", "a": "***"},
    }


def test_huge_headers_path_and_query_are_not_kept_by_the_journal(client: AppClient) -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(10):
            big = {**JSON_AUTH, "X-Big": f"{n}" * 2_000_000, **{f"X-H{i}": "v" for i in range(300)}}
            response = client.put(PATH, params={"q": "q" * 60_000}, json={"name": "x"}, headers=big)
            assert response.status_code == 200
            assert (
                client.get("/api/v1/credentials/" + "p" * 60_000, headers=JSON_AUTH).status_code
                == 404
            )
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert retained < 5_000_000, f"{retained / 1e6:.1f} MB retained after 10 PUTs with 2 MB headers"
    journal = client.get("/__admin/requests").json()
    assert all(len(e["headers"]) <= 100 for e in journal)
    assert all(len(v) <= 1024 for e in journal for v in e["headers"].values())
    assert all(len(e["path"]) <= 2048 for e in journal)
