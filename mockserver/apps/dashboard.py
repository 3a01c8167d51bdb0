"""The dashboard's page, `GET /__admin/ui`: one HTML file with its CSS and JavaScript inline,
checked into the package (`mockserver/ui/dashboard.html`, shipped in the wheel as package
data). No build step, nothing fetched from elsewhere: it works offline.

The page holds no data of its own; its script calls the admin API (`/__admin/state`,
`/__admin/faults`, `/__admin/reset`) and reads `/__admin/requests/stream`, all under the admin
API's access rules. Every value it shows goes into the page as text (`textContent`), never as
markup.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["DASHBOARD_HEADERS", "dashboard_page"]

# The page may run only its own inline script and style, and talk only to its own origin.
DASHBOARD_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
}


@cache
def dashboard_page() -> str:
    """The page's HTML (read once, when first asked for)."""
    return (files("mockserver") / "ui" / "dashboard.html").read_text(encoding="utf-8")
