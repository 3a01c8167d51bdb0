"""MkDocs hook: the parts of the site that are generated from the code and the spec.

Directives, each an HTML comment alone on a line of a page, are replaced when the page is built:

- `<!-- credkit:config mockserver.config:Config -->`: a table of the configuration object's
  fields (type, default and, where one exists, the environment variable), from the dataclass.
- `<!-- credkit:operations credentials -->` (or `admin`): the spec's operations (method, path,
  summary, permission, documented statuses), from `spec/<name>.openapi.yaml`.
- `<!-- credkit:spec-description admin -->`: the spec's own `info.description`.
- `<!-- credkit:exit-codes -->`: `credkit verify`'s exit status, as `--help` prints it.
- `<!-- credkit:pytest-options contracts.pytest_plugin -->`: a pytest plugin's options, from its
  `pytest_addoption`.

An unknown directive fails the build. The hook also adds the interactive API pages:
`api/credentials.html` and `api/admin.html`, Swagger UI from the `swagger-ui-bundle-v2` package
the mock's own `/docs` page uses (never a CDN), on the spec rendered to JSON, with "Try it out"
off (there is no server behind a static site; the running mock's `/docs` has it).
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import json
import re
import typing
from pathlib import Path
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
SPECS = {"credentials": "credentials.openapi.yaml", "admin": "admin.openapi.yaml"}
DIRECTIVE = re.compile(r"^<!-- credkit:([a-z-]+)(?: (\S+))? -->$", re.M)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

SWAGGER_PAGE = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="swagger-ui.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js"></script>
  <script src="credkit-site.js" data-spec-url="{spec}"></script>
</body>
</html>
"""


def load_spec(name: str) -> dict[str, Any]:
    if name not in SPECS:
        raise PluginError(f"credkit docs: no spec {name!r}; use one of {sorted(SPECS)}.")
    document: dict[str, Any] = yaml.safe_load((ROOT / "spec" / SPECS[name]).read_text("utf-8"))
    return document


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "&#124;")


def operations_table(name: str) -> str:
    spec = load_spec(name)
    rows = ["| method | path | what it does | permission | statuses |", "|---|---|---|---|---|"]
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            permission = operation.get("x-credkit-permission", "")
            statuses = ", ".join(str(code) for code in operation.get("responses", {}))
            rows.append(
                f"| `{method.upper()}` | `{path}` | {_cell(operation.get('summary', ''))} | "
                f"{f'`{permission}`' if permission else ''} | {statuses} |"
            )
    return "\n".join(rows)


def _type_name(annotation: Any) -> str:
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    # "A | B" would split the table's cell, even inside a code span
    return text.replace("pathlib.", "").replace("typing.", "").replace(" | ", " or ")


def config_table(target: str) -> str:
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"credkit docs: cannot load {target!r}: {exc}") from exc
    if not dataclasses.is_dataclass(cls):
        raise PluginError(f"credkit docs: {target!r} is not a dataclass.")
    env_vars: dict[str, Any] = getattr(module, "ENV_VARS", {})
    hints = typing.get_type_hints(cls)
    rows = ["| field | type | default | environment variable |", "|---|---|---|---|"]
    for item in dataclasses.fields(cls):
        if item.default is not dataclasses.MISSING:
            default = f"`{item.default!r}`"
        elif item.default_factory is not dataclasses.MISSING:
            default = f"`{item.default_factory()!r}`"
        else:
            default = "*required*"
        variable = env_vars.get(item.name)
        var = variable[0] if isinstance(variable, tuple) else variable
        rows.append(
            f"| `{item.name}` | `{_cell(_type_name(hints[item.name]))}` | {_cell(default)} | "
            f"{f'`{var}`' if var else ''} |"
        )
    doc = (cls.__doc__ or "").strip()
    head = f"`{module_name}.{class_name}`: " + " ".join(doc.split()) if doc else ""
    return f"{head}\n\n" + "\n".join(rows)


def exit_codes() -> str:
    from contracts.options import EXIT_CODES

    return "```text\n" + EXIT_CODES.replace("\b\n", "").rstrip() + "\n```"


class _OptionRecorder:
    """Stands in for pytest's parser and option group: records `addoption` calls."""

    def __init__(self) -> None:
        self.options: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def getgroup(self, *args: Any, **kwargs: Any) -> _OptionRecorder:
        return self

    def addoption(self, *names: str, **settings: Any) -> None:
        self.options.append((names, settings))


def pytest_options(module_name: str) -> str:
    module = importlib.import_module(module_name)
    recorder = _OptionRecorder()
    module.pytest_addoption(recorder)
    rows = ["| option | default | what it does |", "|---|---|---|"]
    for names, settings in recorder.options:
        default = settings.get("default")
        shown = "" if default in (None, []) else f"`{default}`"
        rows.append(
            f"| {', '.join(f'`{n}`' for n in names)} | {_cell(shown)} | "
            f"{_cell(str(settings.get('help', '')))} |"
        )
    return "\n".join(rows)


def expand(markdown: str, where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        kind, argument = match.group(1), match.group(2) or ""
        if kind == "config":
            return config_table(argument)
        if kind == "operations":
            return operations_table(argument)
        if kind == "spec-description":
            return str(load_spec(argument)["info"].get("description", "")).strip()
        if kind == "pytest-options":
            return pytest_options(argument)
        if kind == "exit-codes":
            return exit_codes()
        raise PluginError(f"credkit docs: {where}: unknown directive {match.group(0)!r}.")

    return DIRECTIVE.sub(replace, markdown)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    return expand(markdown, page.file.src_uri)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    from mockserver.docs import ASSETS, assets_dir, swagger_initializer

    for asset in ASSETS:
        content = (assets_dir() / asset).read_bytes()
        files.append(File.generated(config, f"api/{asset}", content=content))
    script = swagger_initializer(try_it_out=False)  # no "Try it out": no mock behind the site
    files.append(File.generated(config, "api/credkit-site.js", content=script))
    for name in SPECS:
        spec = load_spec(name)
        files.append(
            File.generated(
                config, f"api/{name}.openapi.json", content=json.dumps(spec, indent=2) + "\n"
            )
        )
        title = html.escape(str(spec["info"]["title"]))
        page = SWAGGER_PAGE.format(title=title, spec=f"{name}.openapi.json")
        files.append(File.generated(config, f"api/{name}.html", content=page))
    return files
