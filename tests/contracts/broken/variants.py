"""Defects a few steps off the main generated rules: odd data values, ids in other spellings,
shared names, stale or loosely filtered lists, DELETEs addressed by something else, url
passwords holding `@` `:` or percent-encodings, refused requests that echo a secret. Each is
the mock with exactly one of them; `model-conformance` must catch each by itself."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from credkit_core.catalog import BULLETS
from mockserver.responses import ApiError
from tests.contracts.broken.apps import (
    Request,
    Response,
    Rewrite,
    error_body,
    is_item,
    mock,
    parse_json,
    patch_update,
    rewrite_responses,
)

Data = dict[str, Any]


def _on_writes(change: Callable[[Data], Data]) -> Any:
    """The mock storing `change(data)` for a create's data and an update's patch."""
    app = mock()
    store = app.state.store
    create, update = store.create, store.update

    def created(workspace_id: str, name: str, credential_name: str, data: Data) -> Any:
        return create(workspace_id, name, credential_name, change(data))

    def updated(
        credential_id: str, workspace_id: str, *, name: Any = None, patch: Any = None
    ) -> Any:
        patch = change(patch) if isinstance(patch, dict) else patch
        return update(credential_id, workspace_id, name=name, patch=patch)

    store.create, store.update = created, updated
    return app


# ---- odd data values ------------------------------------------------------------------------
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def numeric_strings_coerced() -> Any:
    """Text that looks like a number (`"0012"`, `"1e3"`) is stored as a number (a form layer's
    coercion)."""

    def coerce(value: Any) -> Any:
        if isinstance(value, str) and _NUMBER.fullmatch(value):
            return float(value) if any(c in value for c in ".eE") else int(value)
        return value

    return _on_writes(lambda data: {k: coerce(v) for k, v in data.items()})


def long_values_truncated() -> Any:
    """A text value is stored cut at 8,192 characters (a column too narrow)."""
    return _on_writes(
        lambda data: {k: v[:8192] if isinstance(v, str) else v for k, v in data.items()}
    )


def many_keys_dropped() -> Any:
    """Only the first 32 keys of a `plainDataObj` are stored."""
    return _on_writes(lambda data: dict(list(data.items())[:32]))


def _nulled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: None if v == {} else _nulled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [None if v == {} else _nulled(v) for v in value]
    return value


def empty_objects_null() -> Any:
    """An empty object inside the data is stored as `null` (a serializer's shortcut)."""
    return _on_writes(_nulled)


def blank_deletes_key() -> Any:
    """A PUT's `""` deletes the key instead of storing `""` (a merge-patch reading)."""

    def blank(s: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        blanks = [k for k, v in (kwargs.get("patch") or {}).items() if v == ""]
        if after is None or not blanks:
            return after
        data = {k: v for k, v in after.data.items() if k not in blanks}
        return dataclasses.replace(after, data=data, encrypted=s._encrypt(data))

    return patch_update(mock(), blank)


# ---- ids in other spellings; DELETEs addressed by something else ----------------------------
def _lookups(normal: Callable[[Any, str, str], str | None], *, only_delete: bool = False) -> Any:
    """The mock finding a credential by `normal(store, given id, workspace)` (None: as given)."""
    app = mock()
    store = app.state.store
    get, update, delete = store.get, store.update, store.delete

    def fix(credential_id: str, workspace_id: str) -> str:
        return normal(store, credential_id, workspace_id) or credential_id

    store.delete = lambda i, w: delete(fix(i, w), w)
    if not only_delete:
        store.get = lambda i, w: get(fix(i, w), w)
        store.update = lambda i, w, **kw: update(fix(i, w), w, **kw)
    return app


def _same_case(store: Any, given: str, workspace_id: str) -> str | None:
    ids = [c.id for c in store.list(workspace_id) if c.id.lower() == given.lower()]
    return ids[0] if ids else None


def ids_case_insensitive() -> Any:
    """Ids compare case-insensitively (a `COLLATE NOCASE` column)."""
    return _lookups(_same_case)


def ids_trimmed() -> Any:
    """Whitespace around a path id is trimmed."""
    return _lookups(lambda store, given, workspace: given.strip())


class _RawPath:
    """Routes on the path as sent: a percent-encoded id is not decoded."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, app.state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw = scope.get("raw_path") or b""
        if scope["type"] == "http" and b"%" in raw and is_item(scope["path"]):
            scope = {**scope, "path": raw.decode("latin-1")}
        await self.app(scope, receive, send)


def ids_not_percent_decoded() -> Any:
    """A percent-encoded character in the id (`%2D` for `-`) is not decoded: 404."""
    return _RawPath(mock())


def delete_by_name() -> Any:
    """A DELETE of an unknown id deletes the credential with that name."""

    def named(store: Any, given: str, workspace_id: str) -> str | None:
        if store.get(given, workspace_id) is not None:
            return None
        return next((c.id for c in store.list(workspace_id) if c.name == given), None)

    return _lookups(named, only_delete=True)


def delete_truncates_id() -> Any:
    """A DELETE reads the first 36 characters of the id (a uuid's length)."""
    return _lookups(lambda store, given, workspace: given[:36], only_delete=True)


def delete_reads_body_id() -> Any:
    """A DELETE with a JSON body `{"id": ...}` deletes that id, whatever the path says."""

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        sent = parse_json(body)
        if method == "DELETE" and isinstance(sent, dict) and isinstance(sent.get("id"), str):
            path = f"/api/v1/credentials/{sent['id']}"
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


# ---- names shared by two credentials --------------------------------------------------------
def _namesake(store: Any, workspace_id: str, name: str, but: str = "") -> Any:
    return next((c for c in store.list(workspace_id) if c.name == name and c.id != but), None)


def duplicate_name_refused() -> Any:
    """A create with the name of a live credential is refused (400)."""
    app = mock()
    store = app.state.store
    create = store.create

    def created(workspace_id: str, name: str, credential_name: str, data: Data) -> Any:
        if _namesake(store, workspace_id, name) is not None:
            raise ApiError(400, "A credential with this name already exists.")
        return create(workspace_id, name, credential_name, data)

    store.create = created
    return app


def rename_to_taken_refused() -> Any:
    """A PUT renaming a credential to the name of another live one is refused (400)."""
    app = mock()
    store = app.state.store
    update = store.update

    def updated(credential_id: str, workspace_id: str, **kwargs: Any) -> Any:
        name = kwargs.get("name")
        if name is not None and _namesake(store, workspace_id, name, but=credential_id):
            raise ApiError(400, "A credential with this name already exists.")
        return update(credential_id, workspace_id, **kwargs)

    store.update = updated
    return app


def create_upserts_by_name() -> Any:
    """A create with the name and type of a live credential updates that one (and answers it)."""
    app = mock()
    store = app.state.store
    create = store.create

    def created(workspace_id: str, name: str, credential_name: str, data: Data) -> Any:
        found = _namesake(store, workspace_id, name)
        if found is not None and found.credential_name == credential_name:
            return store.update(found.id, workspace_id, patch=data)
        return create(workspace_id, name, credential_name, data)

    store.create = created
    return app


def delete_takes_namesakes() -> Any:
    """A DELETE also deletes the other credentials with the same name."""
    app = mock()
    store = app.state.store
    delete = store.delete

    def deleted(credential_id: str, workspace_id: str) -> bool:
        found = store.get(credential_id, workspace_id)
        if not delete(credential_id, workspace_id):
            return False
        for other in [c for c in store.list(workspace_id) if c.name == found.name]:
            delete(other.id, workspace_id)
        return True

    store.delete = deleted
    return app


# ---- lists ----------------------------------------------------------------------------------
def list_stale_after_put() -> Any:
    """Lists are cached per workspace and filter; a create or delete clears the cache, a PUT
    does not (the list shows the old name and updatedDate)."""
    app = mock()
    store = app.state.store
    listed, create, delete = store.list, store.create, store.delete
    cache: dict[Any, list[Any]] = {}

    def cached(workspace_id: str, types: Any = None) -> list[Any]:
        key = (workspace_id, tuple(types or ()))
        if key not in cache:
            cache[key] = list(listed(workspace_id, types))
        return cache[key]

    def cleared(method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            cache.clear()
            return method(*args)

        return call

    store.list, store.create, store.delete = cached, cleared(create), cleared(delete)
    return app


def _filtered(match: Callable[[str, list[str]], bool]) -> Any:
    app = mock()
    store = app.state.store
    listed = store.list

    def filtered(workspace_id: str, types: Any = None) -> list[Any]:
        every = listed(workspace_id)
        return [c for c in every if match(c.credential_name, list(types))] if types else every

    store.list = filtered
    return app


def filter_any_case() -> Any:
    """The credentialName filter matches in any case."""
    return _filtered(lambda name, types: name.lower() in {t.lower() for t in types})


def filter_trimmed() -> Any:
    """The credentialName filter is trimmed before it is matched."""
    return _filtered(lambda name, types: name in {t.strip() for t in types})


def repeated_filter_duplicates() -> Any:
    """A type named twice in the filter lists its credentials twice (one query per value)."""
    app = mock()
    store = app.state.store
    listed = store.list

    def filtered(workspace_id: str, types: Any = None) -> list[Any]:
        if not types:
            return list(listed(workspace_id))
        return [c for t in types for c in listed(workspace_id, [t])]

    store.list = filtered
    return app


# ---- url passwords holding `@`, `:`, percent-encodings --------------------------------------
def _url_masks(mask: Callable[[str], str]) -> Any:
    """The mock masking url inputs on read with `mask` (password inputs as before)."""
    app = mock()
    store = app.state.store
    detail = store.detail

    def shown(credential: Any) -> Any:
        out = detail(credential)
        ctype = store.catalog.get(credential.credential_name)
        for key in ctype.url_inputs if ctype else ():
            value = credential.data.get(key)
            if isinstance(value, str) and "://" in value:
                out["plainDataObj"][key] = mask(value)
        return out

    store.detail = shown
    return app


def url_mask_stops_at_first_at() -> Any:
    """The url mask (a regex) ends the password at its first `@`: the rest shows."""
    return _url_masks(lambda v: re.sub(r"^([^:]+://[^:/@]*):[^@/]*@", rf"\1:{BULLETS}@", v))


def url_mask_splits_last_colon() -> Any:
    """The url mask takes the last `:` of the userinfo as the end of the user."""

    def mask(value: str) -> str:
        head, _, rest = value.partition("://")
        userinfo, at, host = rest.rpartition("@")
        if not at or ":" not in userinfo:
            return value
        return f"{head}://{userinfo.rpartition(':')[0]}:{BULLETS}@{host}"

    return _url_masks(mask)


def url_mask_misses_encoded() -> Any:
    """The url mask replaces the *decoded* password in the text: a percent-encoded one is
    not found, and shows whole."""

    def mask(value: str) -> str:
        password = urlsplit(value).password
        return value.replace(unquote(password), BULLETS) if password else value

    return _url_masks(mask)


def masked_url_keeps_part() -> Any:
    """A masked url sent back keeps the stored url, but its password is read again up to the
    userinfo's first `@` and written back: a password holding `@` loses its tail."""

    def keep(s: Any, before: Any, after: Any, kwargs: dict[str, Any]) -> Any:
        patch = kwargs.get("patch") or {}
        ctype = s.catalog.get(after.credential_name) if after is not None else None
        if after is None or ctype is None:
            return after
        data = dict(after.data)
        for key in ctype.url_inputs & set(patch):
            sent, stored = patch[key], data.get(key)
            if isinstance(sent, str) and BULLETS in sent and isinstance(stored, str):
                full = urlsplit(stored).password or ""
                cut = stored.partition("://")[2].partition("@")[0].partition(":")[2]
                data[key] = stored.replace(full, cut, 1) if full else stored
        return dataclasses.replace(after, data=data, encrypted=s._encrypt(data))

    return patch_update(mock(), keep)


# ---- refused requests that echo a secret ----------------------------------------------------
def _refused(req: Request, res: Response) -> bool:
    return req[0] in ("POST", "PUT") and 400 <= res[0] < 500 and bool(req[3])


def refused_sets_draft_cookie() -> Any:
    """A refused POST or PUT sets a cookie holding the body (base64url) to refill a form."""

    def change(req: Request, res: Response) -> Response:
        if not _refused(req, res):
            return res
        draft = base64.urlsafe_b64encode(req[3][:3000]).decode()
        return res[0], [*res[1], (b"set-cookie", f"credkit_draft={draft}; Path=/".encode())], res[2]

    return rewrite_responses(change)


def refused_location_echoes_body() -> Any:
    """A 401 or 403 to a POST or PUT sends the client to a login page that carries the body
    (percent-encoded) back."""

    def change(req: Request, res: Response) -> Response:
        if not _refused(req, res) or res[0] not in (401, 403):
            return res
        where = f"/login?next={quote(req[1])}&draft={quote(req[3][:3000])}".encode()
        return res[0], [*res[1], (b"location", where)], res[2]

    return rewrite_responses(change)


def error_quotes_bad_value() -> Any:
    """A 400 for a field of the wrong type quotes the value it got."""

    def change(req: Request, res: Response) -> Response:
        sent = parse_json(req[3])
        if res[0] != 400 or not isinstance(sent, dict):
            return res
        data, name = sent.get("plainDataObj"), sent.get("name")
        if "plainDataObj" in sent and not isinstance(data, dict):
            quoted = f"plainDataObj must be an object, got {json.dumps(data)[:500]}"
        elif "name" in sent and not isinstance(name, str):
            quoted = f"name must be a string, got {json.dumps(name)[:500]}"
        else:
            return res
        return 400, res[1], error_body(400, quoted)

    return rewrite_responses(change)


VARIANT_DEFECTS: dict[str, Callable[[], Any]] = {
    "numeric-strings-coerced": numeric_strings_coerced,
    "long-values-truncated": long_values_truncated,
    "many-keys-dropped": many_keys_dropped,
    "empty-objects-null": empty_objects_null,
    "blank-deletes-key": blank_deletes_key,
    "ids-case-insensitive": ids_case_insensitive,
    "ids-trimmed": ids_trimmed,
    "ids-not-percent-decoded": ids_not_percent_decoded,
    "delete-by-name": delete_by_name,
    "delete-truncates-id": delete_truncates_id,
    "delete-reads-body-id": delete_reads_body_id,
    "duplicate-name-refused": duplicate_name_refused,
    "rename-to-taken-refused": rename_to_taken_refused,
    "create-upserts-by-name": create_upserts_by_name,
    "delete-takes-namesakes": delete_takes_namesakes,
    "list-stale-after-put": list_stale_after_put,
    "filter-any-case": filter_any_case,
    "filter-trimmed": filter_trimmed,
    "repeated-filter-duplicates": repeated_filter_duplicates,
    "url-mask-stops-at-first-at": url_mask_stops_at_first_at,
    "url-mask-splits-last-colon": url_mask_splits_last_colon,
    "url-mask-misses-encoded": url_mask_misses_encoded,
    "masked-url-keeps-part": masked_url_keeps_part,
    "refused-sets-draft-cookie": refused_sets_draft_cookie,
    "refused-location-echoes-body": refused_location_echoes_body,
    "error-quotes-bad-value": error_quotes_bad_value,
}
