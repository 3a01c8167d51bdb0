"""qs.parse as body-parser's extended urlencoded parser calls it (mockserver/profiles/qs_parse.py):
expected values printed by qs 6.16.2 itself, and a comparison with it when it is installed."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mockserver.profiles.qs_parse import DepthExceeded, decode_uri_component, parse_form

NODE = shutil.which("node")
QS = Path(os.environ.get("FLOWISE_HOME", Path.home() / ".cache/flowise-3.1.4")) / "node_modules/qs"
PARSE_ALL = """
const qs = require(process.argv[1]);
const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);
const out = lines.map((line) => {
  const body = JSON.parse(line);
  const opts = {allowPrototypes: true, arrayLimit: Math.max(100, body.split('&').length),
                depth: 32, strictDepth: true, parameterLimit: 1000};
  try { return JSON.stringify(qs.parse(body, opts)); } catch (e) { return '"' + e.name + '"'; }
});
process.stdout.write(out.join('\\n') + '\\n');
"""


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (
            "name=Form+brackets&plainDataObj[formKey]=form-value",
            {"name": "Form brackets", "plainDataObj": {"formKey": "form-value"}},
        ),
        ("a[]=1&a[]=2", {"a": ["1", "2"]}),
        ("a=1&a=2", {"a": ["1", "2"]}),
        ("a[1]=x", {"a": ["x"]}),
        ("a[150]=x", {"a": {"150": "x"}}),
        ("a[b]=1&a=2", {"a": [{"b": "1"}, "2"]}),
        ("a=2&a[b]=1", {"a": ["2", {"b": "1"}]}),
        ("a[b][c]=1&a[b]=2", {"a": {"b": [{"c": "1"}, "2"]}}),
        ("x=%zz&y=%C3%A9+z", {"x": "%zz", "y": "é z"}),
        ("[]=x&[0]=y", {"0": ["x", "y"]}),
        ("k", {"k": ""}),
        ("=v&k=", {"k": ""}),
        ("a%5Bb%5D=1", {"a": {"b": "1"}}),
        ("__proto__[x]=1&toString=2", {"toString": "2"}),
        ("a[0]=x&a[b]=y", {"a": {"0": "x", "b": "y"}}),
        ("a[b]=1&a[b][c]=2", {"a": {"b": ["1", {"c": "2"}]}}),
    ],
)
def test_parse_form_as_qs(body: str, parsed: dict[str, Any]) -> None:
    assert parse_form(body) == parsed


def test_depth_beyond_32_brackets_is_refused() -> None:
    assert parse_form("a" + "[b]" * 32 + "=1")
    with pytest.raises(DepthExceeded):
        parse_form("a" + "[b]" * 33 + "=1")


def test_decode_uri_component_throws_where_javascript_does() -> None:
    assert decode_uri_component("%C3%A9%2F") == "é/"
    for bad in ("%", "%zz", "%C3", "%ED%A0%80", "%C0%AF"):
        with pytest.raises(ValueError):
            decode_uri_component(bad)


def _bodies(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = ["name", "plainDataObj", "a", "b", "0", "1", "150", "x y", "__proto__", "toString", ""]
    tails = ["[]", "[0]", "[1]", "[3]", "[120]", "[", "]", ".b", "%5Bk%5D"]
    values = ["v", "", "a+b", "%20x", "%E0%A4%A", "%zz", "é", "%C3%A9", "=", "x=y", "%26"]

    def key() -> str:
        text = rng.choice(names)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            text += rng.choice([f"[{rng.choice(names)}]", *tails])
        return text

    return [
        "&".join(
            key() if rng.random() < 0.1 else f"{key()}={rng.choice(values)}"
            for _ in range(rng.randint(1, 5))
        )
        for _ in range(count)
    ]


@pytest.mark.skipif(NODE is None or not QS.exists(), reason="node and the qs package are needed")
def test_agrees_with_qs() -> None:
    bodies = _bodies(3000, seed=5)
    run = subprocess.run(
        [str(NODE), "-e", PARSE_ALL, str(QS)],
        input="\n".join(json.dumps(b) for b in bodies) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [json.loads(line) for line in run.stdout.split("\n") if line]
    wrong = []
    for body, expected in zip(bodies, answers, strict=True):
        try:
            mine: Any = parse_form(body)
        except DepthExceeded:
            mine = "RangeError"
        if mine != expected:
            wrong.append(body)
    assert wrong == []
