"""`qs.parse` (qs 6.16) as body-parser's extended urlencoded parser calls it in Flowise 3.1.4.

Options: `allowPrototypes: true, arrayLimit: max(100, parameters), depth: 32, strictDepth: true,
parameterLimit: 1000`; every other option at qs's default (brackets, no dots, duplicates
combined, strictMerge). So `name=x&plainDataObj[formKey]=v` is `{"name": "x", "plainDataObj":
{"formKey": "v"}}`, `a[]=1&a[]=2` and `a=1&a=2` are arrays, `a[1]=x` is `["x"]` (arrays are
compacted), `a[150]=x` is `{"150": "x"}` (past the array limit), and a key nested deeper than 32
brackets raises `DepthExceeded`. Values are strings. JavaScript's property order (integer keys
first) is not reproduced: it changes no value.

`tests/mockserver/profiles/test_qs_parse.py` compares it with the real `qs` when Node and the
package are installed.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["DepthExceeded", "decode_uri_component", "parameter_count", "parse_form"]

PARAMETER_LIMIT = 1000
DEPTH = 32
_BRACKETS = re.compile(r"%5B|%5D", re.I)


class DepthExceeded(ValueError):
    """A key nests more than 32 brackets deep (body-parser: 400 "The input exceeded the depth")."""


class _Array(dict[int, Any]):
    """A JavaScript array, holes included: index -> value, plus its length."""

    def __init__(self, items: list[Any] | None = None) -> None:
        super().__init__(enumerate(items or []))
        self.length = len(items or [])

    def set(self, index: int, value: Any) -> None:
        self[index] = value
        self.length = max(self.length, index + 1)

    def push(self, value: Any) -> None:
        self.set(self.length, value)

    def values_in_order(self) -> list[Any]:
        return [self[i] for i in sorted(self)]


class _Overflow(dict[str, Any]):
    """An array that passed the array limit, now an object with integer keys."""

    max_index: int = 0


class _Conflict(_Array):
    """`[old, new]` made by merging a value into a different one (strictMerge)."""


class _ConflictObject(dict[str, Any]):
    """A `_Conflict` an object was merged into: new values go to the next integer key."""

    conflict_index: int = 0


def parameter_count(body: str) -> int:
    return body.count("&") + 1


def decode_uri_component(text: str) -> str:
    """JavaScript's decodeURIComponent; ValueError where it throws URIError."""
    if "%" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != "%":
            j = text.find("%", i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
            continue
        raw = bytearray()
        while i < n and text[i] == "%":
            pair = text[i + 1 : i + 3]
            if len(pair) < 2 or not all(c in "0123456789abcdefABCDEF" for c in pair):
                raise ValueError("URI malformed")
            raw.append(int(pair, 16))
            i += 3
        out.append(raw.decode("utf-8"))  # strict: overlong, surrogates, truncation all raise
    return "".join(out)


def _decode(text: str) -> str:
    text = text.replace("+", " ")
    try:
        return decode_uri_component(text)
    except ValueError:
        return text


def _js_keys(obj: dict[Any, Any]) -> list[Any]:
    """Object.keys order: integer keys ascending, then the others in insertion order."""
    if isinstance(obj, _Array):
        return sorted(obj)
    integers = sorted((k for k in obj if _array_index(str(k))), key=lambda k: int(k))
    return integers + [k for k in obj if not _array_index(str(k))]


def _array_index(key: str) -> bool:
    return key == "0" or (
        key[:1] != "0" and key.isascii() and key.isdigit() and int(key) < 4_294_967_295
    )


def _concat(*parts: Any) -> _Array:
    """`[].concat(...parts)`: arrays spread (holes kept), anything else appended."""
    out = _Array()
    for part in parts:
        if isinstance(part, _Array):
            base = out.length
            for i, value in part.items():
                out[base + i] = value
            out.length = base + part.length
        else:
            out.push(part)
    return out


def _combine(a: Any, b: Any) -> Any:
    if isinstance(a, _Overflow):
        for value in b.values_in_order() if isinstance(b, _Array) else [b]:
            a.max_index += 1
            a[str(a.max_index)] = value
        return a
    return _concat(a, b)


def _to_object(array: _Array) -> dict[str, Any]:
    return {str(i): array[i] for i in sorted(array)}


def _segments(key: str) -> list[str]:
    first = key.find("[")
    parent = key[:first] if first >= 0 else key
    segments = [parent] if parent else []
    open_, collected, n = first, 0, len(key)
    while open_ >= 0 and collected < DEPTH:
        level, i, close = 1, open_ + 1, -1
        while i < n and close < 0:
            if key[i] == "[":
                level += 1
            elif key[i] == "]":
                level -= 1
                if level == 0:
                    close = i
            i += 1
        if close < 0:
            segments.append("[" + key[open_:] + "]")
            return segments
        segments.append(key[open_ : close + 1])
        collected += 1
        open_ = key.find("[", close + 1)
    if open_ >= 0:
        raise DepthExceeded(f"a form key is nested more than {DEPTH} levels deep")
    return segments


def _object_for(chain: list[str], leaf: Any, array_limit: int) -> Any:
    for root in reversed(chain):
        if root == "[]":
            leaf = leaf if isinstance(leaf, _Overflow) else _combine(_Array(), leaf)
            continue
        clean = root[1:-1] if root[:1] == "[" and root[-1:] == "]" else root
        index = int(clean) if clean.isdigit() and clean.isascii() and len(clean) < 16 else -1
        valid_index = index >= 0 and root != clean and str(index) == clean
        obj: Any
        if valid_index and index < array_limit:
            obj = _Array()
            obj.set(index, leaf)
        elif valid_index:
            obj = _Overflow({str(index): leaf})
            obj.max_index = index
        else:
            obj = {} if clean == "__proto__" else {clean: leaf}
        leaf = obj
    return leaf


def _merge(target: Any, source: Any, array_limit: int) -> Any:
    if source is None or source == "":
        return target
    if not isinstance(source, dict):  # a string
        if isinstance(target, _Array):
            if target.length >= array_limit:
                overflow = _Overflow(_to_object(target))
                overflow[str(target.length)] = source
                overflow.max_index = target.length
                return overflow
            target.push(source)
        elif isinstance(target, _Overflow):
            target.max_index += 1
            target[str(target.max_index)] = source
        elif isinstance(target, _ConflictObject):
            target.conflict_index += 1
            target[str(target.conflict_index)] = source
        elif isinstance(target, dict):
            return _Conflict([target, source])
        else:
            return _Array([target, source])
        return target
    if not isinstance(target, dict):
        if isinstance(source, _Overflow):
            shifted = _Overflow({"0": target})
            for key, value in source.items():
                shifted[str(int(key) + 1)] = value
            shifted.max_index = source.max_index + 1
            return shifted
        return _concat(target, source)
    if isinstance(target, _Array) and isinstance(source, _Array):
        for i in sorted(source):
            item = source[i]
            if i in target:
                if isinstance(target[i], dict) and isinstance(item, dict):
                    target[i] = _merge(target[i], item, array_limit)
                else:
                    target.push(item)
            else:
                target.set(i, item)
        if target.length > array_limit:
            overflow = _Overflow(_to_object(target))
            overflow.max_index = target.length - 1
            return overflow
        return target
    merged: dict[Any, Any] = target
    if isinstance(target, _Conflict):
        merged = _ConflictObject(_to_object(target))
        merged.conflict_index = target.length - 1
    elif isinstance(target, _Array):
        merged = _to_object(target)
    for raw_key in _js_keys(source):
        key, value = str(raw_key), source[raw_key]
        merged[key] = _merge(merged[key], value, array_limit) if key in merged else value
        if isinstance(source, _Overflow) and not isinstance(merged, _Overflow):
            merged = _Overflow(merged)
            merged.max_index = max([source.max_index] + [int(k) for k in merged if _index(k)])
        if isinstance(merged, _Overflow) and _index(key) and int(key) > merged.max_index:
            merged.max_index = int(key)
        if isinstance(merged, _ConflictObject) and _index(key) and int(key) > merged.conflict_index:
            merged.conflict_index = int(key)
    return merged


def _index(key: str) -> bool:
    return key.isascii() and key.isdigit() and str(int(key)) == key and len(key) < 16


def _plain(value: Any) -> Any:
    """qs's compact(): arrays without their holes; everything as plain JSON values."""
    if isinstance(value, _Array):
        return [_plain(v) for v in value.values_in_order()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def parse_form(body: str) -> dict[str, Any]:
    """What body-parser's extended urlencoded parser makes of `body` (at most 1,000 parameters:
    the caller answers 413 beyond that)."""
    if not body:
        return {}
    array_limit = max(100, parameter_count(body))
    values: dict[str, Any] = {}
    for part in _BRACKETS.sub(lambda m: "[" if m.group(0) in ("%5B", "%5b") else "]", body).split(
        "&"
    )[:PARAMETER_LIMIT]:
        bracket_equals = part.find("]=")
        pos = part.find("=") if bracket_equals == -1 else bracket_equals + 1
        if pos == -1:
            key, value = _decode(part), ""
        else:
            key, value = _decode(part[:pos]), _decode(part[pos + 1 :])
        values[key] = _combine(values[key], value) if key in values else value
    result: dict[str, Any] = {}
    for key in _js_keys(values):
        value = values[key]
        if not key:
            continue
        result = _merge(result, _object_for(_segments(key), value, array_limit), array_limit)
    return dict(_plain(result))
