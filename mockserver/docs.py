"""`/docs`: an interactive reference of the served spec (Swagger UI), working offline.

The page and its initializer are ours; Swagger UI's assets come from the `swagger-ui-bundle-v2`
package (Swagger UI 5, which renders OpenAPI 3.1), installed with credkit — never from a CDN. The
page loads the spec the mock serves (`openapi.json`, whose `servers` entry is the mock itself, so
"Try it out" sends its requests to the mock), and asks nothing of the network: no validator
badge, no tracking. Keys are typed into "Authorize"; the page holds none (the startup banner
names the development key to use).

`/` redirects to `/docs`. Under a base path (`--base-path /flowise`, a Starlette `Mount`) every
URL of the page is built below it: `/flowise/docs`, `/flowise/docs/swagger-ui.css`,
`/flowise/openapi.json`.
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

from starlette.types import Receive, Scope, Send

from mockserver.apps.documents import answer_get
from mockserver.responses import Reply, error_reply, send_reply, shown
from mockserver.runtime import Runtime

__all__ = ["ASSETS", "DocsPage", "OutsideBasePath", "assets_dir", "swagger_initializer"]

# The Swagger UI files the page uses, and their content types.
ASSETS = {
    "swagger-ui.css": b"text/css; charset=utf-8",
    "swagger-ui-bundle.js": b"text/javascript; charset=utf-8",
    "favicon-32x32.png": b"image/png",
    "favicon-16x16.png": b"image/png",
}


def swagger_initializer(*, try_it_out: bool) -> str:
    """The script that starts Swagger UI on the spec its tag names (`data-spec-url`): no
    validator badge (it would call validator.swagger.io), nothing fetched beyond the page's own
    server. `try_it_out=False` for a page with no mock behind it (the docs site)."""
    option = "displayRequestDuration: true" if try_it_out else "supportedSubmitMethods: []"
    return f"""\
// credkit: start Swagger UI on the spec this page was served with (no network beyond it).
(function () {{
  var specUrl = document.currentScript.getAttribute("data-spec-url");
  window.addEventListener("load", function () {{
    window.ui = SwaggerUIBundle({{
      url: specUrl,
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      {option},
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    }});
  }});
}})();
"""


INITIALIZER = swagger_initializer(try_it_out=True).encode()

PAGE = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>credkit mock: Flowise credentials API</title>
  <link rel="stylesheet" href="{root}/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="{root}/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <nav><a id="credkit-dashboard" href="{root}/__admin/ui">credkit dashboard</a>: requests live,
    state, faults</nav>
  <div id="swagger-ui"></div>
  <script src="{root}/docs/swagger-ui-bundle.js"></script>
  <script src="{root}/docs/credkit-docs.js" data-spec-url="{root}/openapi.json"></script>
</body>
</html>
"""

HTML = b"text/html; charset=utf-8"
JS = b"text/javascript; charset=utf-8"


@cache
def assets_dir() -> Path:
    """Where the installed Swagger UI's files are."""
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


@cache
def _asset(name: str) -> bytes:
    return (assets_dir() / name).read_bytes()


class DocsPage:
    """`/` (a redirect), `/docs` (the page) and `/docs/<asset>`; GET and HEAD only."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def answer(self, path: str, root: str) -> Reply:
        if path in ("", "/"):
            return Reply(307, b"", HTML, ((b"location", f"{root}/docs".encode()),))
        if path == "/docs":
            return Reply(200, PAGE.format(root=root).encode(), HTML)
        name = path.removeprefix("/docs/")
        if name == "credkit-docs.js":
            return Reply(200, INITIALIZER, JS)
        if name in ASSETS:
            return Reply(200, _asset(name), ASSETS[name], ((b"cache-control", b"max-age=3600"),))
        return error_reply(404, f"No docs asset {shown(name)!r}; the page is at {root}/docs.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer_get(self.runtime, scope, send, self.answer)


class OutsideBasePath:
    """Under `--base-path`, every path outside it: `/` and the bare prefix redirect to the docs
    page, anything else is a 404 in the error shape naming the base path."""

    def __init__(self, runtime: Runtime, base: str) -> None:
        self.runtime = runtime
        self.base = base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        path: str = scope["path"]
        if path in ("/", self.base) and scope["method"] in ("GET", "HEAD"):
            reply = Reply(307, b"", HTML, ((b"location", f"{self.base}/docs".encode()),))
        else:
            reply = error_reply(
                404,
                f"No route {shown(path)}: this mock serves under the base path {self.base} "
                f"(e.g. {self.base}/api/v1/credentials, {self.base}/docs).",
            )
        await send_reply(send, reply)
        elapsed = (time.perf_counter() - started) * 1000
        self.runtime.access_log.write(scope["method"], path, reply.status, elapsed)
