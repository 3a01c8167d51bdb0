"""A second, independent, correct implementation (numeric ids, `+00:00` timestamps with
microseconds, gzip, chunked answers, a rate limiter answering 429 with and without
`Retry-After`) passes every check, the generated ones included."""

from __future__ import annotations

from collections.abc import Callable

from contracts.config import VerifyConfig
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.second.app import PASSPHRASE, create_app


def test_second_implementation_passes(make_config: Callable[..., VerifyConfig]) -> None:
    with serving(create_app()) as url:
        result = run(make_config(url, secret_key=PASSPHRASE))
    failed = [(o.check.name, o.status, o.reason, o.findings[:1]) for o in result.outcomes
              if o.status not in ("passed", "skipped")]  # fmt: skip
    assert result.exit_code == 0, failed
    model = next(o for o in result.outcomes if o.check.name == "model-conformance")
    assert model.status == "passed"
