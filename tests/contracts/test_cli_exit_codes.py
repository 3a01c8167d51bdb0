"""`credkit verify` as a CI pipeline runs it: the real command in a subprocess, against servers on
127.0.0.1 — exit code first, then one line of output, no traceback, no key, nothing written.

Each row of the table is a way a CI job can be set up wrong (or right). The cases that cannot
run stop before any check: they take a fraction of a second each.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from credkit_core.resources import DEV_KEYS
from mockserver.app import create_app
from mockserver.config import Config
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import Request, Response, Rewrite, mock
from tests.contracts.broken.semantics import response_id_differs

CREDKIT = str(Path(sys.executable).with_name("credkit"))
KEY = DEV_KEYS["admin"]
CANARY = "credkit-canary-0123456789"  # a value that must never be printed or written


@dataclass
class Servers:
    mock: str
    flowise: str
    static: str
    broken: str
    seen: list[str] = field(default_factory=list)  # paths the spec mock was asked for


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    seen: list[str] = []

    def note(req: Request, res: Response) -> Response:
        seen.append(req[1])
        return res

    flowise = create_app(
        Config(access_log=False, log_level="warning", profile="flowise-3.1", secret_key="pp")
    )
    root = tmp_path_factory.mktemp("www")
    (root / "index.html").write_text("<html><title>files</title></html>")
    handler = functools.partial(
        _QuietHandler, directory=str(root)
    )  # what `python -m http.server` serves
    static = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=static.serve_forever, daemon=True)
    thread.start()
    try:
        with (
            serving(Rewrite(mock(), on_response=note)) as mock_url,
            serving(flowise) as flowise_url,
            serving(response_id_differs()) as broken_url,
        ):
            yield Servers(
                mock_url, flowise_url, f"http://127.0.0.1:{static.server_port}", broken_url, seen
            )
    finally:
        static.shutdown()
        static.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Case:
    """One row: the arguments (`{mock}`, `{flowise}`, `{static}`, `{broken}`, `{tmp}` filled
    in), environment, the exit code and what the output must say."""

    id: str
    args: tuple[str, ...]
    code: int
    says: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = (("CREDKIT_API_KEY", KEY),)
    one_line: bool = True
    never: tuple[str, ...] = (CANARY,)
    sends: bool = True  # whether the run may send any request at all


ONE = ("--include-check", "update-response-id")
CASES = [
    Case("conforms", ("--base-url", "{mock}", *ONE), 0, ("all checks passed",), one_line=False),
    Case("violates", ("--base-url", "{broken}", *ONE), 1, ("violations",), one_line=False),
    Case(
        "report-dir-missing",
        ("--base-url", "{mock}", *ONE, "--report", "{tmp}/missing/report.json"),
        2,
        ("--report", "does not exist", "mkdir -p"),
        sends=False,
    ),
    Case(
        "junit-dir-is-a-file",
        ("--base-url", "{mock}", *ONE, "--junit-xml", "{tmp}/file.txt/junit.xml"),
        2,
        ("--junit-xml", "does not exist"),
        sends=False,
    ),
    Case(
        "junit-dir-unwritable",
        ("--base-url", "{mock}", *ONE, "--junit-xml", "/proc/credkit-junit.xml"),
        2,
        ("--junit-xml", "cannot write there"),
        sends=False,
    ),
    Case(
        "html-dir-missing",
        ("--base-url", "{mock}", *ONE, "--html", "{tmp}/missing/report.html"),
        2,
        ("--html", "does not exist", "mkdir -p"),
        sends=False,
    ),
    Case(
        "report-is-a-directory",
        ("--base-url", "{mock}", *ONE, "--report", "{tmp}"),
        2,
        ("--report", "is a directory"),
        sends=False,
    ),
    Case(
        "path-prefix-the-mock-lacks",
        ("--base-url", "{mock}/api/v1", *ONE),
        2,
        ("not the Flowise credentials API", "/api/v1/api/v1/credentials answered 404"),
    ),
    Case(
        "path-prefix-flowise-lacks",
        ("--base-url", "{flowise}/api/v1", *ONE),
        2,
        ("not the Flowise credentials API", "answered 200 text/html", "Drop the trailing"),
    ),
    Case(
        "python-http-server",
        ("--base-url", "{static}", *ONE),
        2,
        ("not the Flowise credentials API", "404 text/html", "expected pong"),
    ),
    Case("ipv6-unclosed", ("--base-url", "http://[::1"), 2, ("not a valid URL", "IPv6")),
    Case("port-not-a-number", ("--base-url", "http://127.0.0.1:abc"), 2, ("not a valid URL",)),
    Case(
        "key-not-ascii",
        ("--base-url", "{mock}"),
        2,
        ("CREDKIT_API_KEY", "non-ASCII character"),
        env=(("CREDKIT_API_KEY", CANARY + "é"),),
        sends=False,
    ),
    Case(
        "key-with-newline",
        ("--base-url", "{mock}", "--report", "{tmp}/r.json", "--junit-xml", "{tmp}/j.xml"),
        2,
        ("--api-key (CREDKIT_API_KEY) contains a line break", "Nothing was sent"),
        env=(("CREDKIT_API_KEY", CANARY + "\n"),),
        sends=False,
    ),
    Case(
        "readonly-key-with-newline",
        ("--base-url", "{mock}", "--readonly-api-key", "ab\ncd" + CANARY),
        2,
        ("--readonly-api-key (CREDKIT_READONLY_API_KEY) contains a line break",),
        sends=False,
    ),
    Case(
        "password-in-base-url",
        ("--base-url", "http://ci-user:" + CANARY + "@127.0.0.1:9", *ONE),
        2,
        ("http://***@127.0.0.1:9", "user name or password", "--header"),
        sends=False,
    ),
    Case(
        "rate-with-decimals",
        ("--base-url", "{mock}", "--rate-limit", "2.5/s"),
        2,
        ("whole number", "150/m"),
        sends=False,
    ),
    Case(
        "key-refused",
        ("--base-url", "{flowise}", *ONE),
        2,
        ("--api-key (CREDKIT_API_KEY) was refused", "401", "Unauthorized Access"),
        env=(("CREDKIT_API_KEY", CANARY),),
    ),
    Case(
        "skipped-is-0",
        ("--base-url", "{mock}", "--include-check", "readonly-cannot-write", *ONE),
        0,
        ("1 check(s) skipped", "--readonly-api-key (CREDKIT_READONLY_API_KEY)"),
        one_line=False,
    ),
    Case(
        "fail-on-skip",
        ("--base-url", "{mock}", "--include-check", "readonly-cannot-write", "--fail-on-skip"),
        2,
        ("1 check(s) skipped", "could not complete"),
        one_line=False,
    ),
    Case(
        "fail-on-skip-from-env",
        ("--base-url", "{mock}", "--include-check", "readonly-cannot-write"),
        2,
        ("1 check(s) skipped",),
        env=(("CREDKIT_API_KEY", KEY), ("CREDKIT_VERIFY_FAIL_ON_SKIP", "1")),
        one_line=False,
    ),
    Case(
        "base-url-from-env",
        ONE,
        0,
        ("all checks passed",),
        env=(("CREDKIT_API_KEY", KEY), ("CREDKIT_BASE_URL", "{mock}")),
        one_line=False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_exit_codes(case: Case, servers: Servers, tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("not a directory")
    fill = {
        "mock": servers.mock,
        "flowise": servers.flowise,
        "static": servers.static,
        "broken": servers.broken,
        "tmp": str(tmp_path),
    }
    args = [a.format(**fill) for a in case.args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDKIT_")}
    env.update({k: v.format(**fill) for k, v in case.env})
    env["COLUMNS"] = "400"  # one logical line stays one physical line
    before = len(servers.seen)
    process = subprocess.run(
        [CREDKIT, "verify", *args], env=env, capture_output=True, text=True, timeout=120
    )
    output = process.stdout + process.stderr
    assert process.returncode == case.code, output[-3000:]
    for text in case.says:
        assert text in output, output[-3000:]
    assert "Traceback" not in output
    for text in case.never:
        assert text not in output
    if case.one_line:
        assert len(output.strip().splitlines()) == 1, output
    if not case.sends:
        assert len(servers.seen) == before, servers.seen[before:]
    for written in tmp_path.rglob("*"):
        if written.is_file():
            assert CANARY.encode() not in written.read_bytes(), written
    # nothing left behind: no probe file, no report of a run that never ran
    if case.code == 2 and not case.sends:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
