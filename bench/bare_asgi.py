"""The ceiling: a bare ASGI app that reads the request body and answers a fixed 200 JSON.

    python -m uvicorn bare_asgi:app --app-dir bench --loop uvloop --http httptools

No routing, no validation, no store, no log: what uvicorn itself costs per request on this
machine. `bench/run.py` loads it with the same wrk workload as credkit, in alternating rounds,
and quotes credkit's req/s as a share of it.
"""

from __future__ import annotations

from typing import Any

BODY = b'{"id":"cred-789","name":"OpenAI Production Key","credentialName":"openAIApi"}'
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"content-length", str(len(BODY)).encode("ascii")),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: accept start-up and shut-down
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
