"""Every code block of the site's pages is run by a test or marked as an illustration.

The line before a fenced block says which:

- `<!-- run: 200 404 -->`: a `console` block of `curl` commands, run here one by one against a
  fresh mock (its host and port put in place of `localhost:3000` / `127.0.0.1:3000`), each
  answered with the status at the same place in the list; `<!-- run: exit 0 -->`: a `credkit`
  command, run here against a fresh mock, exiting with that status;
- `<!-- tested: tests/path.py::test_name -->`: the named test reads the block from the page;
- `<!-- illustration... -->`: shown, not run (say why after a colon).

A block that only includes a file of the repository (`--8<-- "fixtures/schema.json"`) is that
file, as the build reads it: nothing to mark.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.conftest import ROOT

DOCS = ROOT / "docs"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.M | re.S)
MARKER = re.compile(r"<!-- (run|tested|illustration)(?::\s*(.*?))? -->\s*$")
INCLUDE = re.compile(r'^--8<-- "([^"]+)"$')
HOST = re.compile(r"(?:https?://)?(?:localhost|127\.0\.0\.1):3000")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    info: str
    code: str
    kind: str | None
    argument: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def blocks() -> Iterator[Block]:
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text("utf-8")
        for match in FENCE.finditer(text):
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = MARKER.match(before.strip())
            included = INCLUDE.match(match.group(2).strip())
            if included and marker is None:
                assert (ROOT / included.group(1)).is_file(), f"{path}: {included.group(1)}"
                continue
            yield Block(
                page=str(path.relative_to(ROOT)),
                line=text.count("\n", 0, match.start()) + 1,
                info=match.group(1).strip(),
                code=match.group(2),
                kind=marker.group(1) if marker else None,
                argument=(marker.group(2) or "") if marker else "",
            )


def runnable() -> list[Block]:
    return [b for b in blocks() if b.kind == "run"]


def test_every_code_block_is_run_or_marked() -> None:
    found = list(blocks())
    assert len(found) > 10
    unmarked = [str(b) for b in found if b.kind is None]
    assert not unmarked, f"code blocks neither run by a test nor marked as illustration: {unmarked}"


def test_every_tested_block_names_a_test_that_reads_its_page() -> None:
    tested = [b for b in blocks() if b.kind == "tested"]
    assert tested
    for block in tested:
        file, _, name = block.argument.partition("::")
        source = (ROOT / file).read_text("utf-8")
        assert f"def {name}(" in source, f"{block}: no {name} in {file}"
        assert Path(block.page).name in source, f"{block}: {file} does not read {block.page}"


def command_lines(code: str) -> list[str]:
    return [line for line in code.replace("\\\n", " ").splitlines() if line.strip()]


@pytest.fixture
def mock_url() -> Iterator[str]:
    """A fresh mock (the built-in fixtures) on 127.0.0.1 and a free port."""
    from mockserver.app import create_app
    from mockserver.config import Config
    from mockserver.pytest_plugin import serving

    app = create_app(Config(access_log=False, log_level="warning"))
    with serving(app, lifespan="on") as url:
        yield url


@pytest.mark.parametrize("block", runnable(), ids=str)
def test_the_block_runs_as_documented(block: Block, mock_url: str) -> None:
    commands = command_lines(block.code)
    expected = block.argument.split()
    if expected[0] == "exit":
        assert len(commands) == 1 and commands[0].startswith("credkit "), block
        argv = [HOST.sub(mock_url, word) for word in shlex.split(commands[0])[1:]]
        result = subprocess.run(
            [sys.executable, "-m", "credkit_cli", *argv],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == int(expected[1]), result.stdout + result.stderr
        return
    assert len(commands) == len(expected), f"{block}: {len(commands)} commands, {expected}"
    for command, status in zip(commands, expected, strict=True):
        words = shlex.split(command)
        assert words[0] == "curl", f"{block}: {command}"
        words = [HOST.sub(mock_url, word) for word in words]
        result = subprocess.run(
            [*words, "--silent", "--output", "/dev/null", "--write-out", "%{http_code}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{block}: {command}: {result.stderr}"
        assert result.stdout == status, f"{block}: {command} answered {result.stdout}"
