"""The real Flowise server (npm `flowise`): install, start, record, verify.

- `server`: install the npm package, start it on loopback from a fresh data dir, mint API keys.
- `scenario`: the scripted request sequence, runnable against any base URL and keys.
- `recording`: scrubbing secrets and keys, normalising exchanges, comparing two runs.
- `record` (script): record the scenario against real Flowise into tests/recordings/.
- `run` (script): start Flowise and run `credkit verify` against it.
"""

__all__: list[str] = []
