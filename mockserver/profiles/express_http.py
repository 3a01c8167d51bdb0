"""How Node 20, Express 4 and body-parser 1.20 (as Flowise 3.1.4 configures them) read a request.

- Headers: Node keeps the first of duplicated `authorization`, `content-type`,
  `content-length`, ... and joins other duplicates with `", "` (`header`).
- The URL: Flowise's sanitize middleware runs `decodeURI` over the whole URL (a malformed
  percent-encoding throws: 500 `URI malformed`) and then `sanitize-html`, which decodes HTML
  entities and escapes `&`, `<`, `>` (`sanitized_url`); Express then decodes each route
  parameter again with `decodeURIComponent` (400 `Failed to decode param '...'`).
- The body (`read_body`): `express.json` (strict) then `express.urlencoded` (extended, `qs`),
  each only for its media type as `type-is` reads the header; charset and content-encoding
  checks (415), the UTF-8 BOM stripped, invalid UTF-8 replaced; V8's JSON.parse messages.

Not reproduced: sanitize-html's handling of what looks like an HTML tag in the URL (`<b>`,
`</x>`, `<!--`): such a URL is escaped as text here.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Sequence
from typing import Any

from mockserver.profiles.qs_parse import (
    PARAMETER_LIMIT,
    DepthExceeded,
    decode_uri_component,
    parameter_count,
    parse_form,
)
from mockserver.profiles.v8_json import strict_violation, syntax_error
from mockserver.responses import ApiError

__all__ = [
    "decode_param",
    "decode_uri",
    "has_tag",
    "header",
    "parse_json_text",
    "pathname",
    "read_body",
    "sanitized_url",
]

# Node's http module keeps only the first of these when a request repeats them.
_FIRST_WINS = frozenset(
    b"age authorization content-length content-type etag expires from host if-modified-since "
    b"if-unmodified-since last-modified location max-forwards proxy-authorization referer "
    b"retry-after server user-agent".split()
)
_URI_RESERVED = frozenset(";/?:@&=+$,#")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# media-typer 0.3 (type-is: whether a parser runs) and content-type 1.0 (body-parser: charset).
_TYPER_TYPE = re.compile(
    r" *([A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126})/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}) *"
)
_TYPER_PARAM = re.compile(
    r"; *([!#$%&'*+\-.0-9A-Z^_`a-z|~]+) *= *"
    r'("(?:[ !\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x20-\x7e])*"|[!#$%&\'*+\-.0-9A-Z^_`a-z|~]+) *'
)
_SUBTYPE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.-]{0,126}")
_TYPE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126}")
_CT_TYPE = re.compile(_TOKEN + "/" + _TOKEN)
_CT_PARAM = re.compile(
    r"; *("
    + _TOKEN
    + r') *= *("(?:[\x0b\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x0b\x20-\xff])*"|'
    + _TOKEN
    + ") *"
)
_CT_QESC = re.compile(r"\\([\x0b\x20-\xff])")
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_CODECS = {"utf8": "utf-8", "utf16le": "utf-16-le", "utf16be": "utf-16-be", "utf7": "utf-7"}
_BOM = "\ufeff"


def header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str | None:
    """`req.headers[name]` in Node: the first value, or duplicates joined with ", "."""
    values = [v.decode("latin-1") for k, v in headers if k.lower() == name]
    if not values:
        return None
    return values[0] if name in _FIRST_WINS else ", ".join(values)


def decode_uri(text: str) -> str:
    """JavaScript's decodeURI: escapes of reserved characters (`/`, `?`, `&`, `#`, ...) are
    kept; ValueError("URI malformed") where it throws URIError."""
    if "%" not in text:
        return text
    out: list[str] = []
    for piece in re.split(r"((?:%[0-9A-Fa-f]{2})+)", text):
        if not piece.startswith("%") or not re.fullmatch(r"(?:%[0-9A-Fa-f]{2})+", piece):
            if "%" in piece:
                raise ValueError("URI malformed")
            out.append(piece)
            continue
        k = 0
        while k < len(piece):  # one UTF-8 character at a time, to keep reserved escapes
            lead = int(piece[k + 1 : k + 3], 16)
            size = 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 else 4
            if lead >= 0x80 and (lead >> 6 == 2 or lead >= 0xF8):
                raise ValueError("URI malformed")
            chunk = piece[k : k + 3 * size]
            if len(chunk) < 3 * size:
                raise ValueError("URI malformed")
            try:
                char = decode_uri_component(chunk)
            except ValueError:
                raise ValueError("URI malformed") from None
            out.append(chunk if char in _URI_RESERVED else char)
            k += 3 * size
    return "".join(out)


def sanitized_url(url: str) -> str:
    """What sanitize-html makes of a URL with no tag in it: entities decoded, `&<>` escaped."""
    text = html.unescape(url) if "&" in url else url
    if not any(c in text for c in "&<>"):
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# parseurl reads a URL itself unless it holds one of these; then Node's legacy url.parse does,
# which trims control characters, spaces, NBSP and BOM, and turns `\` into `/` in the path.
_SLOW_PARSE = frozenset("\t\n\f\r #\xa0\ufeff")
_URL_PARSE_TRIM = "".join(map(chr, range(33))) + "\xa0\ufeff"
_AUTO_ESCAPE = {c: f"%{ord(c):02X}" for c in "\t\n\r \"'<>\\^`{|}"}


def pathname(url: str) -> str:
    """`req.path` (parseurl): the URL up to `?` or `#`, as url.parse reads it when it does."""
    if not any(c in _SLOW_PARSE for c in url):
        return url.split("?", 1)[0]
    path = re.split(r"[?#]", url.strip(_URL_PARSE_TRIM), maxsplit=1)[0].replace("\\", "/")
    return "".join(_AUTO_ESCAPE.get(c, c) for c in path)


def has_tag(url: str) -> bool:
    return _TAG_START.search(url) is not None


def decode_param(value: str) -> str:
    """Express's decode_param: decodeURIComponent, or 400 naming the parameter."""
    try:
        return decode_uri_component(value)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, f"Failed to decode param '{value}'") from None


def _media_type(content_type: str | None) -> str | None:
    """type-is's normalised type ("type/subtype[+suffix]"), None when media-typer refuses it."""
    if not content_type:
        return None
    index = content_type.find(";")
    found = _TYPER_TYPE.fullmatch((content_type if index < 0 else content_type[:index]).lower())
    if found is None:
        return None
    if index >= 0:
        pos = index
        for match in _TYPER_PARAM.finditer(content_type, index):
            if match.start() != pos:
                return None
            pos = match.end()
        if pos != len(content_type):
            return None
    kind, subtype = found.group(1), found.group(2)
    suffix = ""
    if "+" in subtype:
        subtype, suffix = subtype.rsplit("+", 1)
    if not _SUBTYPE_NAME.fullmatch(subtype) or (suffix and not _TYPE_NAME.fullmatch(suffix)):
        return None
    return f"{kind}/{subtype}" + (f"+{suffix}" if suffix else "")


def _charset(content_type: str) -> str:
    """body-parser's getCharset: the charset parameter lower-cased; '' when absent or when the
    content-type module refuses the header."""
    index = content_type.find(";")
    if not _CT_TYPE.fullmatch((content_type if index < 0 else content_type[:index]).strip()):
        return ""
    charset = ""
    if index >= 0:
        pos = index
        for match in _CT_PARAM.finditer(content_type, index):
            if match.start() != pos:
                return ""
            pos = match.end()
            if match.group(1).lower() == "charset":
                value = match.group(2)
                if value[:1] == '"':
                    value = _CT_QESC.sub(r"\1", value[1:-1])
                charset = value
        if pos != len(content_type):
            return ""
    return charset.lower()


def _inflate(body: bytes, encoding: str, limit: int | None) -> bytes:
    """The body as sent, or inflated: at most `limit` bytes once inflated (as body-parser
    counts its limit after decompression), else 413 — a small gzip body cannot grow into
    gigabytes in memory."""
    if encoding == "identity":
        return body
    if encoding not in ("gzip", "deflate"):
        raise ApiError(415, f'unsupported content encoding "{encoding}"')
    inflater = zlib.decompressobj(31 if encoding == "gzip" else 15)
    try:
        if limit is None:
            inflated = inflater.decompress(body)
        else:
            inflated = inflater.decompress(body, limit + 1)
            if len(inflated) > limit or inflater.unconsumed_tail:
                raise ApiError(413, "request entity too large")
        inflated += inflater.flush()
    except zlib.error as exc:
        text = str(exc)
        message = "incorrect header check" if "header" in text else "unexpected end of file"
        raise ApiError(400, message) from None
    if not inflater.eof:  # a truncated stream, as zlib.decompress reports it
        raise ApiError(400, "unexpected end of file")
    return inflated


def _decode(body: bytes, charset: str) -> str:
    name = re.sub(r"[^0-9a-z]", "", charset)
    codec = _CODECS.get(name)
    if name == "utf16":  # iconv-lite: a BOM decides, else little-endian
        codec = "utf-16-be" if body[:2] == b"\xfe\xff" else "utf-16-le"
    text = body.decode(codec or "utf-8", "replace")
    return text[1:] if text[:1] == _BOM else text


def parse_json_text(text: str) -> Any:
    """body-parser's strict JSON parse of a decoded body; ApiError(400) with V8's message.

    Returns `None` when the text is valid JSON: the caller parses it (with JavaScript's
    number semantics). Messages that would quote the body are rendered without the quote,
    except body-parser's strict-mode message for a bare JSON scalar (`null`, `"hello"`, `42`),
    which cannot hold a credential's data and is reproduced exactly.
    """
    stripped = text.lstrip(" \t\r\n")
    if stripped[:1] not in ("{", "["):
        if not stripped:
            raise ApiError(400, "Unexpected end of JSON input")
        if syntax_error(text) is None:  # a bare scalar: quoted exactly, as body-parser does
            raise ApiError(400, strict_violation(text))
        position = len(text) - len(stripped)
        raise ApiError(400, f"Unexpected token in JSON at position {position}")
    error = syntax_error(text)
    if error is not None:
        raise ApiError(
            400, error.message(quote=False) if error.kind == "token" else error.message()
        )
    return None


def read_body(
    headers: Sequence[tuple[bytes, bytes]], body: bytes, limit: int | None = None
) -> tuple[str, Any]:
    """Which parser takes the body ("json", "form" or "") and what it makes of it: for JSON,
    the decoded text (already checked: the caller parses it), for a form, the object.
    `limit`: the most bytes a compressed body may inflate to (413 beyond)."""
    length = header(headers, b"content-length")
    if header(headers, b"transfer-encoding") is None and not (length or "").strip().isdigit():
        return "", {}
    content_type = header(headers, b"content-type")
    media = _media_type(content_type)
    if media not in (_JSON, _FORM) or content_type is None:
        return "", {}
    charset = _charset(content_type) or "utf-8"
    if media == _JSON and not charset.startswith("utf-"):
        raise ApiError(415, f'unsupported charset "{charset.upper()}"')
    if media == _FORM and charset != "utf-8":
        raise ApiError(415, f'unsupported charset "{charset.upper()}"')
    if media == _JSON and re.sub(r"[^0-9a-z]", "", charset) not in (*_CODECS, "utf16", "utf7imap"):
        raise ApiError(415, f'unsupported charset "{charset.upper()}"')
    encoding = (header(headers, b"content-encoding") or "identity").lower()
    text = _decode(_inflate(body, encoding, limit), charset)
    if media == _FORM:
        if not text:
            return "form", {}
        if parameter_count(text) > PARAMETER_LIMIT:
            raise ApiError(413, "too many parameters")
        try:
            return "form", parse_form(text)
        except DepthExceeded:
            raise ApiError(400, "The input exceeded the depth") from None
    if not text:
        return "json", {}
    parse_json_text(text)
    return "json", text
