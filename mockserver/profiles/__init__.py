"""Behaviour profiles other than `spec`: real implementations' quirks, reproduced on purpose.

- `flowise31`: the `flowise-3.1` profile, real Flowise 3.1.4 (npm) as recorded by
  `interop/flowise/record.py` and replayed by `tests/interop/test_replay.py`.
"""

__all__: list[str] = []
