"""Big fixture files for the store-size benchmarks, written fast (no Faker: 100k in ~1 s).

Every credential is an `openAIApi` one in `workspace-123`, the workspace of the default
`YOUR_API_KEY`, so the PUT workload can reach any of them. The API keys and workspaces sections
are left out: the mock falls back to its built-in ones.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

_ALPHABET = string.ascii_letters + string.digits


def credentials(count: int, *, seed: int = 0) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for index in range(count):
        token = "".join(rng.choices(_ALPHABET, k=40))
        out.append(
            {
                "id": f"bench-{index:07d}",
                "name": f"OpenAI key {index}",
                "credentialName": "openAIApi",
                "workspace": "workspace-123",
                "plainDataObj": {"openAIApiKey": f"sk-bench-{token}"},
                "createdDate": "2024-01-20T16:00:00.000Z",
                "updatedDate": "2024-01-20T16:00:00.000Z",
            }
        )
    return out


def write(directory: Path, count: int, *, seed: int = 0) -> tuple[Path, Path]:
    """Write `count` credentials as a fixture file and their ids one a line; return both paths."""
    items = credentials(count, seed=seed)
    fixture = directory / f"store-{count}.json"
    ids = directory / f"store-{count}.ids"
    fixture.write_text(json.dumps({"credentials": items}), encoding="utf-8")
    ids.write_text("".join(f"{item['id']}\n" for item in items), encoding="utf-8")
    return fixture, ids
