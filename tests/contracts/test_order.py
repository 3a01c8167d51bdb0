"""contracts/order.py: which probes run where, and that a rejected probe must change nothing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from contracts.access import operations
from contracts.config import VerifyConfig
from contracts.order import _applies, probes
from contracts.runner import run
from credkit_core.resources import CREDENTIALS_SPEC, load_spec
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import Request, Response, Rewrite, mock


def _ctx(readonly: str | None) -> Any:
    return SimpleNamespace(config=SimpleNamespace(readonly_api_key=readonly))


@pytest.mark.parametrize(("readonly", "put", "post"), [("ro", 13, 7), (None, 10, 5)])
def test_probes_per_operation(readonly: str | None, put: int, post: int) -> None:
    counts = {}
    for op in operations():
        if op.secured and op.has_body:
            counts[op.method] = sum(_applies(_ctx(readonly), op, p) for p in probes())
    assert counts == {"PUT": put, "POST": post}


def test_every_expected_status_is_documented_for_put() -> None:
    documented = load_spec(CREDENTIALS_SPEC)["paths"]["/api/v1/credentials/{id}"]["put"]
    assert {str(p.expected) for p in probes()} <= set(documented["responses"])


def _applies_rejected_names() -> Any:
    """Answers the right status, but applies the name of a rejected PUT's JSON body anyway."""
    app = mock()
    store = app.state.store

    def change(req: Request, res: Response) -> Response:
        try:
            parsed = json.loads(req[3])
        except ValueError:
            return res
        found = store.find(req[1].rsplit("/", 1)[-1])
        rejected = req[0] == "PUT" and res[0] >= 400 and found is not None
        if rejected and isinstance(parsed, dict) and isinstance(parsed.get("name"), str):
            store.put(dataclasses.replace(found, name=parsed["name"]))
        return res

    return Rewrite(app, on_response=change)


def test_a_rejected_probe_that_changes_the_credential_is_reported(
    make_config: Callable[..., VerifyConfig],
) -> None:
    with serving(_applies_rejected_names()) as url:
        result = run(make_config(url, include_checks=("check-order",)))
    outcome = next(o for o in result.outcomes if o.check.name == "check-order")
    assert outcome.status == "failed" and result.exit_code == 1
    assert any("answered 401 and changed ['name']" in f.observed for f in outcome.findings)
    assert not result.leftovers
