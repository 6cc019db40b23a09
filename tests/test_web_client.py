"""The browser client bundle: shipped in the package, served by the signaling server.

``avacollab/web/avacollab.js`` is built from js/ by ``make web``; the last
test rebuilds it from the sources and fails when the shipped file differs.
That one needs Node and js/node_modules (``npm ci`` in js/, which
``make test`` runs): skipped locally without them, a failure under CI=true.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest

from avacollab.signaling.bundle import CLIENT_PATH, load_bundle

from .conftest import ServerFactory

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "avacollab" / "web" / "avacollab.js"


def _http(url: str) -> str:
    return url.replace("ws://", "http://").removesuffix("/ws")


async def test_the_bundle_is_served_as_a_javascript_module(make_server: ServerFactory) -> None:
    server = await make_server()
    async with aiohttp.ClientSession() as http:
        async with http.get(_http(server.url) + CLIENT_PATH) as response:
            body = await response.read()
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
            assert response.headers["Cache-Control"] == "no-cache"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            etag = response.headers["ETag"]
        assert body == SHIPPED.read_bytes()
        assert etag == '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        # A minified ES module: its export list names the client's classes.
        exports = body[body.rindex(b"export{") :]
        for name in (b"Session", b"SignalingClient", b"Bus", b"joinRoom"):
            assert b" as " + name + b"," in exports or b" as " + name + b"}" in exports
        # Revalidation: the same ETag gets a 304 with no body.
        async with http.get(
            _http(server.url) + CLIENT_PATH, headers={"If-None-Match": etag}
        ) as response:
            assert response.status == 304
            assert await response.read() == b""
        async with http.get(
            _http(server.url) + CLIENT_PATH, headers={"If-None-Match": '"stale"'}
        ) as response:
            assert response.status == 200


async def test_cross_origin_loading_follows_the_origin_allowlist(
    make_server: ServerFactory,
) -> None:
    server = await make_server(allowed_origins=["https://editor.example"])
    url = _http(server.url) + CLIENT_PATH
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Origin": "https://editor.example"}) as response:
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == "https://editor.example"
            assert response.headers["Vary"] == "Origin"
        async with http.get(url, headers={"Origin": "https://evil.example"}) as response:
            # Served (it is public code), but the browser will not run it there.
            assert response.status == 200
            assert "Access-Control-Allow-Origin" not in response.headers
        async with http.get(url) as response:
            assert "Access-Control-Allow-Origin" not in response.headers


async def test_the_index_names_the_client(make_server: ServerFactory) -> None:
    server = await make_server()
    async with aiohttp.ClientSession() as http, http.get(_http(server.url) + "/") as response:
        assert CLIENT_PATH in await response.text()


def test_the_package_data_holds_the_bundle() -> None:
    bundle = load_bundle()
    assert bundle is not None
    assert bundle.body == SHIPPED.read_bytes()


def _node_missing() -> str | None:
    if shutil.which("node") is None:
        return "needs node"
    if not (ROOT / "js" / "node_modules" / "esbuild").is_dir():
        return "needs js/node_modules (npm ci --prefix js)"
    return None


def test_the_shipped_bundle_is_what_the_sources_build(tmp_path: Path) -> None:
    reason = _node_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must check the shipped bundle: {reason}")
        pytest.skip(reason)
    out = tmp_path / "avacollab.js"
    subprocess.run(
        ["node", "scripts/build.mjs", str(out)],
        cwd=ROOT / "js",
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "avacollab/web/avacollab.js is not what js/ builds: run `make web` and commit it"
    )
    # The web editor is built next to it (js/app: app.js, app.css, app.html).
    for name in ("app.js", "app.css", "app.html"):
        assert (tmp_path / name).read_bytes() == (SHIPPED.parent / name).read_bytes(), (
            f"avacollab/web/{name} is not what js/ builds: run `make web` and commit it"
        )
