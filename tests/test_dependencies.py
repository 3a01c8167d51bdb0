"""The runtime dependencies are exactly what the installed packages import (read from every
import statement, deferred ones included), as `importlib.metadata` maps modules to
distributions; the test tools stay in the `test` extra."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires

from tests.test_imports import PACKAGES, _module_files

DISTRIBUTION = "flowise-credkit"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_distributions() -> dict[str, set[str]]:
    """distribution → the modules of ours that import it."""
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for module, path in _module_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".", 1)[0]
                if top in PACKAGES or top in sys.stdlib_module_names or top == "__future__":
                    continue
                for dist in owners.get(top, [f"(no distribution provides {top!r})"]):
                    found.setdefault(_normal(dist), set()).add(module)
    return found


def declared(extra: str | None = None) -> set[str]:
    out = set()
    for requirement in requires(DISTRIBUTION) or []:
        name, _, marker = requirement.partition(";")
        marker = marker.replace("'", '"')
        wanted = f'extra == "{extra}"' in marker if extra else "extra ==" not in marker
        if wanted:
            out.add(_normal(re.split(r"[\s\[<>=!~;(]", name.strip(), maxsplit=1)[0]))
    return out


def test_runtime_dependencies_are_what_the_packages_import() -> None:
    imported = imported_distributions()
    runtime = declared() | declared("verify")
    assert sorted(set(imported) - runtime) == [], "imported but not declared"
    assert sorted(runtime - set(imported)) == [], "declared but never imported"


def test_the_verify_extra_is_imported_only_by_the_contract_suite() -> None:
    """schemathesis and hypothesis are the `verify` extra: the mock, the CLI and the shared
    core never import them (their pytest plugins would load into every user's test run)."""
    imported = imported_distributions()
    assert declared("verify") == {"schemathesis", "hypothesis"}
    assert not declared("verify") & declared()
    for dist in declared("verify"):
        outside = sorted(m for m in imported[dist] if not m.startswith("contracts."))
        assert outside == [], f"{dist} imported outside contracts/"


def test_the_independent_validator_is_a_test_tool() -> None:
    assert "openapi-core" in declared("test")
    assert "openapi-core" not in declared()
    assert "openapi-core" not in imported_distributions()
