"""V8's JSON.parse errors (mockserver/profiles/v8_json.py): against the messages real Flowise
3.1.4 answered in the recording, and against `node` itself when it is installed."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest

from interop.flowise.replay import RECORDING
from mockserver.profiles.v8_json import strict_violation, syntax_error

NODE = shutil.which("node")
PARSE_ALL = """
const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);
const out = lines.map((line) => {
  try { JSON.parse(JSON.parse(line)); return 'OK'; } catch (e) { return JSON.stringify(e.message); }
});
process.stdout.write(out.join('\\n') + '\\n');
"""
SEEDS = [
    '{"name": "x", "plainDataObj": {"openAIApiKey": "sk-abc", "n": [1, 2.5, -3e4, true, null]}}',
    '[1,2,{"a":"b\\n\\u00e9"}]',
    '{"a":{"b":{"c":[[]]}}}',
    '"hello"',
    "123",
    '{"é😀":"ü"}',
    ' {"a" : 1 } ',
]
ALPHABET = [*'{}[]",:\\ -+.eE0123456789tfnulrsaxu\t\n\r\x01', "é", "😀", "\u2028", "\ufeff"]


def _v8(text: str) -> str:
    """What JSON.parse says about `text` (body-parser's wording for a strict-mode violation)."""
    error = syntax_error(text)
    return "OK" if error is None else error.message()


def _mutations(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        chars = list(rng.choice(SEEDS))
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            if op < 0.3 and chars:
                del chars[rng.randrange(len(chars))]
            elif op < 0.6:
                chars.insert(rng.randint(0, len(chars)), rng.choice(ALPHABET))
            elif op < 0.8 and chars:
                chars[rng.randrange(len(chars))] = rng.choice(ALPHABET)
            else:
                chars = chars[: rng.randint(0, len(chars))]
        cases.append("".join(chars))
    return cases


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "x",', "Expected double-quoted property name in JSON at position 13"),
        ("{nope", "Expected property name or '}' in JSON at position 1"),
        ('{"a" 1}', "Expected ':' after property name in JSON at position 5"),
        ('{"a":1,"b" 1}', "Unexpected number in JSON at position 11"),  # no longer named
        ("[1,2", "Expected ',' or ']' after array element in JSON at position 4"),
        ('{"a":tru}', 'Unexpected token \'}\', "{"a":tru}" is not valid JSON'),
        ("x" * 30, "Unexpected token 'x', \"xxxxxxxxxx\"... is not valid JSON"),
        (
            '{"a":1,"b":2,"c":3,"d":4,"e"}',
            'Unexpected token \'}\', ...","d":4,"e"}" is not valid JSON',
        ),
        ('{"a":"\\u12"}', "Bad Unicode escape in JSON at position 10"),
        ('{"a":01}', "Unexpected number in JSON at position 6"),
        ("[object Object]", '"[object Object]" is not valid JSON'),
        ("  ", "Unexpected end of JSON input"),
        ('{"a":1}', "OK"),
    ],
)
def test_v8_messages(text: str, message: str) -> None:
    assert _v8(text) == message


def test_strict_mode_puts_the_body_back_where_the_hashes_were() -> None:
    assert strict_violation("null") == "Unexpected token 'n', \"null\" is not valid JSON"
    assert strict_violation('"hello"') == 'Unexpected token \'"\', ""hello"" is not valid JSON'
    assert strict_violation("   " + '"a-very-long-string-that-goes-on"') == (
        'Unexpected token \'"\', "   "a-very-lo"... is not valid JSON'
    )


def _recorded_json_errors() -> list[tuple[str, str, str]]:
    """(step, body, message) of every recorded 400 answered to a JSON body, with each secret
    placeholder replaced by a stand-in of the recorded secret's length (s3cr3t-<name>-<hex16>)."""
    out = []
    for exchange in json.loads(RECORDING.read_text(encoding="utf-8"))["exchanges"]:
        request, response = exchange["request"], exchange["response"]
        headers = request["headers"]
        content_type = dict(headers).get("Content-Type", "") if headers else ""
        if response["status"] != 400 or not content_type.startswith("application/json"):
            continue
        body = re.sub(
            r"\$\{secret_(\w+)\}", lambda m: f"s3cr3t-{m.group(1)}-{'0' * 16}", request["body"]
        )
        out.append((exchange["step"], body.removeprefix("\ufeff"), response["body"]["message"]))
    return out


def test_every_recorded_parser_message_is_rendered_exactly() -> None:
    recorded = _recorded_json_errors()
    assert len(recorded) >= 6
    for step, body, message in recorded:
        stripped = body.lstrip(" \t\r\n")
        mine = _v8(body) if stripped[:1] in ("{", "[") or not stripped else strict_violation(body)
        assert mine == message, step


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_agrees_with_node_on_thousands_of_broken_texts() -> None:
    cases = _mutations(4000, seed=12)
    run = subprocess.run(
        [str(NODE), "-e", PARSE_ALL],
        input="\n".join(json.dumps(c) for c in cases) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [line for line in run.stdout.split("\n") if line]
    assert len(answers) == len(cases)
    wrong = [
        (text, node)
        for text, node in zip(cases, answers, strict=True)
        if _v8(text) != (node if node == "OK" else json.loads(node))
    ]
    assert wrong == []
