"""The web editor's routes on the signaling server (the page, its files, the room form).

``/app/{room}`` is the editor's page (``avacollab/web/app.html`` with the
room filled in), ``/client/app.js`` and ``/client/app.css`` its code and
style (built from js/app by ``make web``), and ``/`` a form that opens a
room. Pages are served with a strict Content-Security-Policy: scripts,
styles and images from this origin only, connections to this origin and
its WebSocket endpoint only, no framing, no referrer.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from aiohttp import web

from .. import __version__
from .bundle import CLIENT_PATH, Bundle, load_asset
from .protocol import ROOM_RE

APP_PATH = "/app"
APP_JS_PATH = "/client/app.js"
APP_CSS_PATH = "/client/app.css"
ROOM_RULE = (
    "a room name is 1 to 128 characters: letters, digits and . _ : - "
    "(the first a letter or a digit)"
)
# What a Host header may hold to be written into a CSP source (checked by
# the server's host middleware before this; anything else falls back to 'self').
_CSP_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")
_SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def content_security_policy(host: str, ws_path: str) -> str:
    """The policy of the editor's pages: this origin only, plus its WebSocket endpoint."""
    connect = "'self'"
    if _CSP_HOST.fullmatch(host):
        connect += f" ws://{host}{ws_path} wss://{host}{ws_path}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
        f"connect-src {connect}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def asset_response(
    request: web.Request, asset: Bundle, content_type: str, headers: dict[str, str]
) -> web.Response:
    """``asset`` with its ETag, revalidated on every use (``no-cache``): a 304 when unchanged."""
    headers = {"Cache-Control": "no-cache", "ETag": asset.etag, **_SECURITY, **headers}
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=asset.body, content_type=content_type, charset="utf-8", headers=headers
    )


class EditorRoutes:
    """The handlers; ``ws_path`` is the signaling endpoint pages connect to."""

    def __init__(self, ws_path: str) -> None:
        self.ws_path = ws_path

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.index),
            web.get(APP_PATH, self.open_room),
            web.get(APP_PATH + "/{room:.*}", self.page),
            web.get(APP_JS_PATH, self.script),
            web.get(APP_CSS_PATH, self.style),
        ]

    def _html(self, request: web.Request, body: str, status: int = 200) -> web.Response:
        headers = {
            **_SECURITY,
            "Content-Security-Policy": content_security_policy(request.host, self.ws_path),
            "Cache-Control": "no-cache",
        }
        return web.Response(
            text=body, status=status, content_type="text/html", charset="utf-8", headers=headers
        )

    async def index(self, request: web.Request) -> web.Response:
        return self._html(request, _index_page(self.ws_path))

    async def open_room(self, request: web.Request) -> web.Response:
        """The index form's target: ``/app?room=NAME`` goes to ``/app/NAME``."""
        room = request.query.get("room", "").strip()
        if not room:
            raise web.HTTPSeeOther("/")
        if not ROOM_RE.match(room):
            return self._bad_room(request, room)
        raise web.HTTPSeeOther(f"{APP_PATH}/{quote(room, safe='')}")

    async def page(self, request: web.Request) -> web.Response:
        room = request.match_info["room"]
        if not room:
            raise web.HTTPSeeOther("/")
        if not ROOM_RE.match(room):
            return self._bad_room(request, room)
        template = load_asset("app.html")
        if template is None:
            return self._missing(request)
        text = template.body.decode("utf-8")
        text = text.replace("{{room}}", html.escape(room)).replace(
            "{{ws}}", html.escape(self.ws_path)
        )
        return self._html(request, text)

    async def script(self, request: web.Request) -> web.Response:
        asset = load_asset("app.js")
        if asset is None:
            raise web.HTTPNotFound(text="this installation ships no web editor (make web)\n")
        return asset_response(request, asset, "text/javascript", {})

    async def style(self, request: web.Request) -> web.Response:
        asset = load_asset("app.css")
        if asset is None:
            raise web.HTTPNotFound(text="this installation ships no web editor (make web)\n")
        return asset_response(request, asset, "text/css", {})

    def _bad_room(self, request: web.Request, room: str) -> web.Response:
        shown = html.escape(room[:200])
        body = _page(
            "Not a room name",
            f"<h1>Not a room name</h1><p>“{shown}” is not a room name: {ROOM_RULE}.</p>" + _FORM,
        )
        return self._html(request, body, status=400)

    def _missing(self, request: web.Request) -> web.Response:
        body = _page(
            "No editor",
            "<h1>No web editor</h1><p>This installation ships no web editor "
            "(build it with <code>make web</code>).</p>",
        )
        return self._html(request, body, status=404)


_FORM = (
    f'<form action="{APP_PATH}" method="get">'
    '<label for="room">Room</label> '
    '<input id="room" name="room" required maxlength="128" '
    'pattern="[A-Za-z0-9][A-Za-z0-9._:\\-]{0,127}" '
    f'title="{html.escape(ROOM_RULE)}" autocomplete="off"> '
    '<button type="submit">Open the editor</button></form>'
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · avacollab</title>"
        f'<link rel="stylesheet" href="{APP_CSS_PATH}"></head>'
        f'<body class="plain"><main class="join">{body}</main></body></html>\n'
    )


def _index_page(ws_path: str) -> str:
    return _page(
        "avacollab",
        f"<h1>avacollab {html.escape(__version__)}</h1>"
        "<p>Open a room in the web editor: everyone who opens the same room edits "
        "one component tree together.</p>"
        + _FORM
        + '<p class="hint">Signaling server. WebSocket endpoint: '
        f"<code>{html.escape(ws_path)}</code> (docs/protocol.md). Health: "
        "<code>/healthz</code>, metrics: <code>/metrics</code>. Browser client: "
        f"<code>{CLIENT_PATH}</code> (an ES module).</p>",
    )
