"""The web editor's HTTP side: its page, files, room form and headers.

The page's behaviour in a browser is tests/test_web_editor_chromium.py;
here only what the server answers: routes, the strict headers every page
carries, and readable refusals of bad room names.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

import aiohttp

from avacollab.signaling.app import APP_CSS_PATH, APP_JS_PATH, content_security_policy
from avacollab.signaling.bundle import CLIENT_PATH

from .conftest import ServerFactory

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "avacollab" / "web"
BUDGET = 300 * 1024
"""The issue's bound: the editor and the client library, gzipped, well under this."""


def _http(url: str) -> str:
    return url.replace("ws://", "http://").removesuffix("/ws")


def _strict(headers: Mapping[str, str], port: int) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == (
        f"'self' ws://127.0.0.1:{port}/ws wss://127.0.0.1:{port}/ws"
    )
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp


async def test_the_editor_page_of_a_room(make_server: ServerFactory) -> None:
    server = await make_server()
    async with (
        aiohttp.ClientSession() as http,
        http.get(_http(server.url) + "/app/design.v2") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        _strict(response.headers, server.port)
        page = await response.text()
    assert 'data-room="design.v2"' in page and 'data-ws="/ws"' in page
    assert f'src="{APP_JS_PATH}"' in page and f'href="{APP_CSS_PATH}"' in page
    assert "{{" not in page
    # Every control a person uses has a name (label, aria-label or text).
    assert '<label for="name">' in page
    assert 'aria-label="Canvas"' in page and 'role="tree"' in page


async def test_the_index_is_a_form_that_opens_a_room(make_server: ServerFactory) -> None:
    server = await make_server()
    base = _http(server.url)
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/") as response:
            assert response.status == 200
            _strict(response.headers, server.port)
            text = await response.text()
        assert '<form action="/app" method="get">' in text and 'name="room"' in text
        assert CLIENT_PATH in text and "/healthz" in text
        async with http.get(base + "/app?room=team-1", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/app/team-1"
        async with http.get(base + "/app?room=", allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/"
        async with http.get(base + "/app/", allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/"


async def test_bad_room_names_are_refused_readably(make_server: ServerFactory) -> None:
    server = await make_server()
    base = _http(server.url)
    async with aiohttp.ClientSession() as http:
        for path in (
            "/app/-starts-with-a-dash",
            "/app/two/parts",
            "/app/" + "x" * 129,
            "/app/%3Cscript%3E",
            "/app?room=%3Cscript%3E",
            "/app?room=has+space",
        ):
            async with http.get(base + path, allow_redirects=False) as response:
                assert response.status == 400, path
                _strict(response.headers, server.port)
                text = await response.text()
                assert "is not a room name" in text, path
                assert "letters, digits" in text
                assert "<script>" not in text  # shown escaped, never as markup
                assert '<form action="/app"' in text  # and a way to try again


async def test_the_editor_files_are_served_with_validators(make_server: ServerFactory) -> None:
    server = await make_server()
    base = _http(server.url)
    async with aiohttp.ClientSession() as http:
        for path, name, kind in (
            (APP_JS_PATH, "app.js", "text/javascript"),
            (APP_CSS_PATH, "app.css", "text/css"),
        ):
            async with http.get(base + path) as response:
                body = await response.read()
                assert response.status == 200
                assert response.headers["Content-Type"] == f"{kind}; charset=utf-8"
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert response.headers["Cache-Control"] == "no-cache"
                etag = response.headers["ETag"]
            assert body == (WEB / name).read_bytes()
            assert etag == '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            async with http.get(base + path, headers={"If-None-Match": etag}) as response:
                assert response.status == 304
        # The editor loads the client from the server, not a copy of its own.
        assert re.search(rb'from\s*"/client/avacollab.js"', (WEB / "app.js").read_bytes())


async def test_unknown_paths_are_404(make_server: ServerFactory) -> None:
    server = await make_server()
    async with (
        aiohttp.ClientSession() as http,
        http.get(_http(server.url) + "/client/nothing.js") as response,
    ):
        assert response.status == 404


def test_a_host_that_cannot_be_a_csp_source_falls_back_to_self() -> None:
    assert "connect-src 'self';" in content_security_policy("bad host;x", "/ws")
    assert "ws://[::1]:8/ws" in content_security_policy("[::1]:8", "/ws")


def test_the_editor_and_the_client_stay_under_the_size_budget() -> None:
    """What a first visit downloads, gzipped: page, style, editor and client."""
    total = sum(
        len(gzip.compress((WEB / name).read_bytes(), 9))
        for name in ("app.html", "app.css", "app.js", "avacollab.js")
    )
    assert total < BUDGET // 2, f"{total} bytes gzipped: over half the 300 KB budget"
