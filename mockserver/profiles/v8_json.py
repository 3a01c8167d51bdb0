"""Where and how Node 20's `JSON.parse` (V8 11.3) rejects a text, with V8's own message.

`syntax_error(text)` scans a text the way V8's JSON parser does and returns the first error it
would throw (`None` when the text is valid JSON), as a `JsonSyntaxError` that can render V8's
message exactly (`message()`) or without quoting the text (`message(quote=False)`). V8 counts
positions in UTF-16 code units, so does this module.

Only errors are computed here: values come from a real JSON parser (see `flowise31`).
`tests/mockserver/profiles/test_v8_json.py` compares it with `node -e JSON.parse` when Node is
installed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["JsonSyntaxError", "strict_violation", "syntax_error", "utf16"]

_WS = " \t\r\n"
_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPES = frozenset('"\\/bfnrtu')
_DIGITS = frozenset("0123456789")
_NUMBER_PART = frozenset("0123456789.eE-+")
_SPECIAL = frozenset({"[object Object]", "undefined", "Infinity", "NaN"})
CONTEXT = 10  # V8's kMaxContextCharacters
MIN_LENGTH_FOR_CONTEXT = 21

# V8's message templates (src/common/message-template.h) for JSON.parse, Node 20.
_POSITIONAL = {
    "number": "Unexpected number in JSON at position {pos}",
    "string": "Unexpected string in JSON at position {pos}",
    "prop_or_rbrace": "Expected property name or '}}' in JSON at position {pos}",
    "comma_or_rbrack": "Expected ',' or ']' after array element in JSON at position {pos}",
    "comma_or_rbrace": "Expected ',' or '}}' after property value in JSON at position {pos}",
    "colon": "Expected ':' after property name in JSON at position {pos}",
    "quoted_prop": "Expected double-quoted property name in JSON at position {pos}",
    "unterminated_string": "Unterminated string in JSON at position {pos}",
    "control_char": "Bad control character in string literal in JSON at position {pos}",
    "unicode_escape": "Bad Unicode escape in JSON at position {pos}",
    "escaped_char": "Bad escaped character in JSON at position {pos}",
    "minus": "No number after minus sign in JSON at position {pos}",
    "exponent": "Exponent part is missing a number in JSON at position {pos}",
    "fraction": "Unterminated fractional number in JSON at position {pos}",
    "after_json": "Unexpected non-whitespace character after JSON at position {pos}",
}


def utf16(text: str) -> str:
    """`text` as JavaScript sees it: one Python character per UTF-16 code unit."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(units[i : i + 2], "little")) for i in range(0, len(units), 2))


def _joined(units: str) -> str:
    """UTF-16 code units back to a Python string (pairs joined, lone surrogates kept)."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


@dataclass(frozen=True)
class JsonSyntaxError:
    """The SyntaxError JSON.parse throws: its kind, position, and what its message quotes."""

    kind: str  # a key of _POSITIONAL, "end", "token" (quotes the text) or "special"
    position: int
    source: str  # the parsed text, in UTF-16 code units

    @property
    def quotes_text(self) -> bool:
        """Whether V8's message quotes part of the text (a token and its context)."""
        return self.kind in ("token", "special")

    def message(self, *, quote: bool = True) -> str:
        """V8's message; with `quote=False`, one that names the position instead of quoting."""
        if self.kind == "end":
            return "Unexpected end of JSON input"
        if self.kind in _POSITIONAL:
            return _POSITIONAL[self.kind].format(pos=self.position)
        if not quote:
            return f"Unexpected token in JSON at position {self.position}"
        if self.kind == "special":
            return f'"{_joined(self.source)}" is not valid JSON'
        return _token_message(self.source, self.position, self.source[self.position])


def _token_message(source: str, pos: int, token: str) -> str:
    length = len(source)
    if length < MIN_LENGTH_FOR_CONTEXT:
        shown, before, after = source, "", ""
    elif pos < CONTEXT:
        shown, before, after = source[: pos + CONTEXT], "", "..."
    elif pos < length - CONTEXT:
        shown, before, after = source[pos - CONTEXT : pos + CONTEXT], "...", "..."
    else:
        shown, before, after = source[pos - CONTEXT :], "...", ""
    quoted = f'{before}"{_joined(shown)}"{after}'
    return f"Unexpected token '{_joined(token)}', {quoted} is not valid JSON"


class _Error(Exception):
    def __init__(self, kind: str, position: int) -> None:
        self.kind, self.position = kind, position


class _Scanner:
    """V8's JsonParser (src/json/json-parser.cc) reduced to finding the first error."""

    def __init__(self, source: str) -> None:
        self.s = source
        self.n = len(source)

    def ws(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n and s[i] in _WS:
            i += 1
        return i

    def unexpected(self, i: int) -> _Error:
        """ReportUnexpectedCharacter: the character at `i` decides the message."""
        if i >= self.n:
            return _Error("end", i)
        c = self.s[i]
        if c in _DIGITS or c == "-":
            return _Error("number", i)
        if c == '"':
            return _Error("string", i)
        return _Error("special" if self.s in _SPECIAL else "token", i)

    def string(self, i: int) -> int:
        """Scan a string whose opening quote is before `i`; the index after its closing quote."""
        s, n = self.s, self.n
        while True:
            while i < n and s[i] not in '"\\' and s[i] >= " ":
                i += 1
            if i >= n:
                raise _Error("unterminated_string", n)
            c = s[i]
            if c == '"':
                return i + 1
            if c != "\\":
                raise _Error("control_char", i)
            i += 1
            if i >= n:
                raise _Error("end", n)
            c = s[i]
            if c > "\xff":
                raise self.unexpected(i)
            if c not in _ESCAPES:
                raise _Error("escaped_char", i)
            if c == "u":
                for _ in range(4):
                    i += 1
                    if i >= n or s[i] not in _HEX:
                        raise _Error("unicode_escape", min(i, n))
            i += 1

    def number(self, i: int) -> int:
        s, n = self.s, self.n

        def at(k: int) -> str:
            return s[k] if k < n else ""

        negative = at(i) == "-"
        if negative:
            i += 1
        if at(i) == "0":
            i += 1
            c = at(i)
            if c and c in _NUMBER_PART:
                if c in _DIGITS:
                    raise _Error("number", i)
            elif not negative:
                return i
        else:
            start = i
            while at(i) and at(i) in _DIGITS:
                i += 1
            if i == start:
                raise _Error("minus", i)
            if not (at(i) and at(i) in _NUMBER_PART):
                return i
        if at(i) == ".":
            i += 1
            if not (at(i) and at(i) in _DIGITS):
                raise _Error("fraction", i)
            while at(i) and at(i) in _DIGITS:
                i += 1
        if at(i) in ("e", "E"):
            i += 1
            if at(i) in ("-", "+"):
                i += 1
            if not (at(i) and at(i) in _DIGITS):
                raise _Error("exponent", i)
            while at(i) and at(i) in _DIGITS:
                i += 1
        return i

    def literal(self, i: int, word: str) -> int:
        s = self.s
        remaining = self.n - i
        if remaining >= len(word) and s.startswith(word, i):
            return i + len(word)
        i += 1
        for k in range(min(len(word) - 1, remaining - 1)):
            if s[i] != word[1 + k]:
                raise self.unexpected(i)
            i += 1
        raise _Error("end", i)

    def key(self, i: int, *, first: bool) -> int:
        """A property name at `i` (after whitespace) and its colon; the index after the colon.
        V8 11.3 names what it expected only for an object's first property."""
        if i >= self.n or self.s[i] != '"':
            raise _Error("prop_or_rbrace" if first else "quoted_prop", i)
        i = self.ws(self.string(i + 1))
        if i >= self.n or self.s[i] != ":":
            raise _Error("colon", i) if first else self.unexpected(i)
        return i + 1

    def scan(self) -> None:
        s, n = self.s, self.n
        stack: list[str] = []
        i = 0
        while True:
            while True:  # produce a value
                i = self.ws(i)
                c = s[i] if i < n else ""
                if c == '"':
                    i = self.string(i + 1)
                elif c and (c in _DIGITS or c == "-"):
                    i = self.number(i)
                elif c == "{":
                    i = self.ws(i + 1)
                    if i < n and s[i] == "}":
                        i += 1
                    else:
                        stack.append("{")
                        i = self.key(i, first=True)
                        continue
                elif c == "[":
                    i = self.ws(i + 1)
                    if i < n and s[i] == "]":
                        i += 1
                    else:
                        stack.append("[")
                        continue
                elif c in ("t", "f", "n") and c:
                    i = self.literal(i, {"t": "true", "f": "false", "n": "null"}[c])
                else:
                    raise self.unexpected(i)
                break
            while True:  # consume it
                i = self.ws(i)
                c = s[i] if i < n else ""
                if not stack:
                    if c:
                        raise _Error("after_json", i)
                    return
                if c == ",":
                    i += 1
                    if stack[-1] == "{":
                        i = self.key(self.ws(i), first=False)
                    break
                closing = "}" if stack[-1] == "{" else "]"
                if c != closing:
                    raise _Error("comma_or_rbrace" if closing == "}" else "comma_or_rbrack", i)
                i += 1
                stack.pop()


def syntax_error(text: str) -> JsonSyntaxError | None:
    """The error `JSON.parse(text)` throws in Node 20, or None when `text` is valid JSON."""
    source = utf16(text)
    try:
        _Scanner(source).scan()
    except _Error as exc:
        return JsonSyntaxError(exc.kind, exc.position, source)
    return None


def strict_violation(text: str) -> str:
    """body-parser's message (strict mode) for a body that does not start with `{` or `[`.

    body-parser replaces the text from its first non-whitespace character on with `#`, lets
    JSON.parse fail on that, and puts the text back into the message in place of the `#`s.
    """
    source = utf16(text)
    index = len(source) - len(source.lstrip(_WS))
    partial = source[:index] + "#" * (len(source) - index)
    message = _token_message(partial, index, "#")
    out, k = [], 0
    while k < len(message):
        if message[k] != "#":
            out.append(message[k])
            k += 1
            continue
        run = k
        while k < len(message) and message[k] == "#":
            k += 1
        out.append(_joined(source[index : index + (k - run)]))
    return "".join(out)
