"""The shape of the code, read from its import statements (every one: top-level, inside a
function, or under `TYPE_CHECKING`).

Layers, bottom up: `credkit_core` (imports neither package) ← `mockserver`, `contracts` (never
each other) ← `credkit_cli` (the command; nothing imports it but `python -m` entry points).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("credkit_core", "mockserver", "contracts", "credkit_cli")
# What each package may import from the others.
ALLOWED = {
    "credkit_core": set(),
    "mockserver": {"credkit_core"},
    "contracts": {"credkit_core"},
    "credkit_cli": {"credkit_core", "mockserver", "contracts"},
}


def _module_files() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        # credkit_core/fixtures is a symlink to the top-level fixtures/ (its code included)
        for folder, _, names in sorted(os.walk(ROOT / package, followlinks=True)):
            for name in sorted(names):
                if name.endswith(".py"):
                    path = Path(folder) / name
                    relative = path.relative_to(ROOT).with_suffix("")
                    yield ".".join(relative.parts).removesuffix(".__init__"), path


def _imports(module: str, path: Path) -> set[str]:
    """Every first-party module `path` imports, by its dotted name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".", 1)[0] in PACKAGES}


def import_graph() -> dict[str, set[str]]:
    """module → the first-party modules it imports (names that are not modules dropped)."""
    files = dict(_module_files())
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        graph[module] = {name for name in _imports(module, path) if name in files} - {module}
    return graph


def test_the_graph_sees_the_packages() -> None:
    graph = import_graph()
    assert "mockserver.app" in graph and "contracts.runner" in graph
    assert "credkit_core.errors" in graph["contracts.cli"]
    assert "credkit_core.catalog" in graph["credkit_core.fixtures.loader"]


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    crossings = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.split(".", 1)[0] == package and not module.endswith("__main__")
        for target in targets
        if target.split(".", 1)[0] not in ALLOWED[package] | {package}
    )
    assert crossings == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` as a path (first module repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                found = visit(target)
                if found:
                    return found
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


# mockserver's parts, by what each must not import: the edge (hosts, CORS, namespaces) and the
# stores know nothing of the apps or the profiles; the profiles know no store, app or edge (they
# get the request's `Space`); the apps reach a store only through `stores.base.Backend` and a
# profile only through `mockserver.profile.Profile`; only the composition root (`app`, `server`,
# `cli`, the pytest plugin) builds the whole.
ROOT_MODULES = ("mockserver.app", "mockserver.server", "mockserver.cli", "mockserver.pytest_plugin")
PROFILES = ("mockserver.profile", "mockserver.profiles")
MOCK_FORBIDDEN = {
    "mockserver.edge": ("mockserver.apps", "mockserver.stores", *PROFILES, *ROOT_MODULES),
    "mockserver.stores": ("mockserver.apps", "mockserver.edge", *PROFILES, *ROOT_MODULES),
    "mockserver.profiles": (
        "mockserver.apps",
        "mockserver.edge",
        "mockserver.stores",
        *ROOT_MODULES,
    ),
    "mockserver.apps": (
        "mockserver.profiles",
        "mockserver.stores.memory",
        "mockserver.stores.redis",
        "mockserver.edge.hosts",
        "mockserver.edge.cors",
        "mockserver.edge.namespaces",
        *ROOT_MODULES,
    ),
}


def _under(module: str, prefix: str) -> bool:
    """`module` is `prefix` or inside it."""
    return module == prefix or module.startswith(prefix + ".")


def mock_crossings(graph: dict[str, set[str]], part: str) -> list[str]:
    """Every import by a module of `part` of what `MOCK_FORBIDDEN` keeps it from."""
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if _under(module, part)
        for target in targets
        if any(_under(target, banned) for banned in MOCK_FORBIDDEN[part])
        and not _under(target, part)
    )


@pytest.mark.parametrize("part", sorted(MOCK_FORBIDDEN))
def test_each_part_of_the_mock_imports_only_what_it_may(part: str) -> None:
    graph = import_graph()
    assert any(_under(m, part) for m in graph), f"{part} has no modules"
    assert mock_crossings(graph, part) == []


def test_a_crossing_between_parts_of_the_mock_is_found() -> None:
    graph = {
        "mockserver.stores.redis.admin": {"mockserver.apps.admin", "mockserver.stores.base"},
        "mockserver.apps.api": {"mockserver.stores.base", "mockserver.profiles.spec"},
        "mockserver.profilesx": {"mockserver.app"},
    }
    assert mock_crossings(graph, "mockserver.stores") == [
        "mockserver.stores.redis.admin imports mockserver.apps.admin"
    ]
    assert mock_crossings(graph, "mockserver.apps") == [
        "mockserver.apps.api imports mockserver.profiles.spec"
    ]
    assert mock_crossings(graph, "mockserver.profiles") == []


def test_mock_modules_and_functions_stay_small() -> None:
    """No module of the mock over 500 lines, no function over 80 (the issue-22 bounds)."""
    too_big = []
    for module, path in _module_files():
        if module.split(".", 1)[0] != "mockserver":
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 500:
            too_big.append(f"{module}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    too_big.append(f"{module}.{node.name}: {length} lines")
    assert too_big == []
