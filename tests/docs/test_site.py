"""The documentation site builds strictly and says what the code and the spec say."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import click
import yaml

from tests.docs.conftest import ROOT, build_site

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def text_of(page: Path) -> str:
    """A built page's text: tags dropped, entities decoded, whitespace collapsed."""
    raw = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return " ".join(html.unescape(raw).split())


def commands() -> dict[str, click.Command]:
    """Every command of `credkit`, by its path (`credkit spec print`)."""
    from credkit_cli.main import cli

    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: str) -> None:
        found[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(cli, "credkit")
    return found


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "docs", project / "docs")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    for name in ("spec", "fixtures", "ARCHITECTURE.md", "CHANGELOG.md"):
        (project / name).symlink_to(ROOT / name)
    page = project / "docs" / "getting-started.md"
    page.write_text(page.read_text("utf-8") + "\n[gone](guides/no-such-page.md)\n", "utf-8")
    result = build_site(project / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stdout + result.stderr


def test_the_cli_reference_lists_every_option_and_variable(site: Path) -> None:
    page = text_of(site / "reference" / "cli" / "index.html")
    for path, command in commands().items():
        assert path in page, path
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts + param.secondary_opts:
                    assert opt in page, f"{path} {opt}"
                if param.show_envvar and param.envvar:
                    assert f"env var: {param.envvar}" in page, f"{path} {param.envvar}"


def test_the_exit_codes_page_prints_verify_s_exit_status(site: Path) -> None:
    from contracts.options import EXIT_CODES

    page = text_of(site / "reference" / "exit-codes" / "index.html")
    for line in EXIT_CODES.splitlines():
        if line.strip() and line != "\b":
            assert " ".join(line.split()) in page, line


def test_the_configuration_reference_lists_every_field(site: Path) -> None:
    import dataclasses

    from contracts.config import VerifyConfig
    from mockserver.config import ENV_VARS, Config

    page = text_of(site / "reference" / "configuration" / "index.html")
    for cls in (Config, VerifyConfig):
        for item in dataclasses.fields(cls):
            assert f" {item.name} " in page, item.name
    for name, (variable, _) in ENV_VARS.items():
        assert f"{name} " in page and variable in page, variable


def test_the_api_references_list_every_operation(site: Path) -> None:
    for name, spec_file in (("credentials", "credentials"), ("admin", "admin")):
        spec = yaml.safe_load((ROOT / "spec" / f"{spec_file}.openapi.yaml").read_text("utf-8"))
        page = text_of(site / "reference" / f"{name}-api" / "index.html")
        for path, item in spec["paths"].items():
            for method in METHODS:
                if method in item:
                    assert f"{method.upper()} {path} " in page, f"{method} {path}"
        assert (site / "api" / f"{name}.html").is_file()
        assert (site / "api" / f"{name}.openapi.json").is_file()


def test_the_pytest_plugin_s_options_are_listed(site: Path) -> None:
    page = text_of(site / "guides" / "ci-verification" / "index.html")
    for option in ("--credkit-base-url", "--credkit-baseline", "--credkit-allow", "--credkit-html"):
        assert option in page


def test_the_report_schema_is_published_as_it_is(site: Path) -> None:
    original = (ROOT / "docs" / "report-schema.json").read_bytes()
    assert (site / "report-schema.json").read_bytes() == original
    page = text_of(site / "reference" / "report-schema" / "index.html")
    assert '"$schema"' in page or '"type"' in page


def test_no_option_table_is_written_by_hand() -> None:
    """Options and their variables are listed by the generated CLI reference only: a Markdown
    table whose first column names an option or a `CREDKIT_` variable is a hand-kept copy."""
    pages = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
    for page in pages:
        for line in page.read_text("utf-8").splitlines():
            assert not re.match(r"^\|\s*`(--|CREDKIT_)", line), f"{page}: {line}"


def test_the_readme_is_a_front_page() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 150
    for command in (
        "python -m venv .venv && .venv/bin/pip install . && .venv/bin/credkit serve",
        "python -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/python -m pytest",
        "python -m venv .venv && .venv/bin/pip install '.[docs]' && .venv/bin/mkdocs serve",
    ):
        assert f"```console\n{command}\n```" in readme, command
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert links
    for link in links:
        if "://" not in link:
            assert (ROOT / link).exists(), link


def test_no_page_loads_anything_from_elsewhere(site: Path) -> None:
    """Every page of the site (the browser test opens three): no script, style sheet, image,
    frame or font from another host, and nothing in mkdocs.yml that would fetch one at view
    time (web fonts, a repository widget's API calls)."""
    loads = re.compile(r"<(script|link|img|iframe|source)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", re.I)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 15
    for page in pages:
        for tag, url in loads.findall(page.read_text("utf-8")):
            if tag.lower() == "link" and "://" in url:
                # <link rel="canonical"> and the like are not loads; style sheets and icons are
                assert not re.search(
                    rf'<link[^>]*rel="(?:stylesheet|icon|preload|modulepreload|preconnect|dns-prefetch)"[^>]*href="{re.escape(url)}"',
                    page.read_text("utf-8"),
                ), f"{page}: {url}"
            else:
                assert "://" not in url and not url.startswith("//"), f"{page}: <{tag}> {url}"
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8").replace("!!python", "#"))
    assert config["theme"]["font"] is False
    assert "repo_url" not in config
    assert config["plugins"] == ["search"]
