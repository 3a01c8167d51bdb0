"""The HTML report: self-contained, every check and finding with its curl, the metadata at the
top, everything escaped, and no key or secret (the same failing run as test_report)."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import pytest

from contracts.checks import Finding
from contracts.html_report import render_html, write_html
from contracts.runner import RunResult
from credkit_core import __version__
from tests.contracts.conftest import KEYS
from tests.contracts.test_report import SECRET, failing_run


class _Page(HTMLParser):
    """The tags, their attributes, and the text of every element with an id or a class."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.curls: list[str] = []
        self._in_curl = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_curl = tag == "pre" and dict(attrs).get("class") == "curl"

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_curl = False

    def handle_data(self, data: str) -> None:
        if self._in_curl:
            self.curls.append(data)


@pytest.fixture(scope="module")
def result() -> RunResult:
    return failing_run(seed=7)


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def test_verdict_exit_status_and_metadata_come_first(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(result, path)
    text = path.read_text(encoding="utf-8")
    assert result.exit_code == 1
    verdict = text.index('id="verdict"')
    assert verdict < text.index('id="checks"')
    assert "Contract violations found" in text and '<strong id="exit-code">1</strong>' in text
    metadata = text[text.index('id="metadata"') : text.index("</dl>")]
    for value in (result.base_url, result.run_id, "7", __version__, "duration"):
        assert value in metadata


def test_every_check_with_its_result_and_skips_with_reasons(result: RunResult) -> None:
    page = parse(render_html(result))
    rows = {a["data-check"]: a["data-status"] for t, a in page.tags if t == "tr" and a}
    assert rows == {o.check.name: o.status for o in result.outcomes}
    assert rows["get-redacts-secrets"] == "failed"
    text = render_html(result)
    skipped = text[text.index('id="skipped"') :]
    assert "workspace-isolation" in skipped and "needs --foreign-api-key" in skipped


def test_each_finding_with_requirement_observation_and_a_copyable_curl(result: RunResult) -> None:
    text = render_html(result)
    page = parse(text)
    failures = result.failures()
    assert failures and all(f.curl for f in failures)
    assert len(page.curls) == len(failures)
    assert all("curl " in curl for curl in page.curls)
    buttons = [a["data-target"] for t, a in page.tags if t == "button"]
    ids = {a.get("id") for t, a in page.tags if t == "pre"}
    assert buttons and set(buttons) <= ids
    assert text.count("The contract requires:") == len(failures)


def test_self_contained_no_external_asset(result: RunResult) -> None:
    page = parse(render_html(result))
    assert not [t for t, _ in page.tags if t in ("link", "img", "iframe", "object")]
    assert not [a for t, a in page.tags if t == "script" and a.get("src")]
    assert [t for t, _ in page.tags].count("style") == 1


def test_no_key_or_secret(result: RunResult) -> None:
    text = render_html(result)
    assert not SECRET.search(text)
    assert not any(key in text for key in KEYS.values() if key)
    assert "$API_KEY" in text  # the curls name the variable, not the key


def test_everything_is_escaped(result: RunResult) -> None:
    hostile = Finding(
        check="<b>x</b>",
        operation="PUT /x",
        requirement="a & b",
        observed='<script>alert(1)</script>"',
        curl="curl '<img src=x>'",
    )
    outcome = dataclasses.replace(result.outcomes[0], status="failed", findings=[hostile])
    text = render_html(dataclasses.replace(result, outcomes=[outcome], setup_findings=[]))
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text and "<b>x</b>" not in text and "a &amp; b" in text
