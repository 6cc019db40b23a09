"""What a real browser does to the signaling server: DNS rebinding, closing.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) talks to a server on 127.0.0.1. ``--host-resolver-rules`` makes
``rebind.example`` resolve to 127.0.0.1 inside the browser, which is the
state a DNS-rebinding attack reaches. Needs ``chromium`` and Playwright;
skipped otherwise, except under CI=true, where it fails instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from avacollab.signaling.server import SignalingServer

from .chromium import launched
from .conftest import Connect, ServerFactory

FLAGS = [
    "--no-sandbox",  # root in a container: the sandbox cannot start
    "--host-resolver-rules=MAP rebind.example 127.0.0.1",
]

OPEN = """(url) => new Promise((done) => {
  const ws = new WebSocket(url);
  ws.onopen = () => { ws.close(); done("open"); };
  ws.onclose = (event) => done(`closed ${event.code}`);
})"""

JOIN = """async (url) => {
  const ws = new WebSocket(url);
  window.ws = ws;
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onclose = () => fail(new Error("refused"));
  });
  const next = () => new Promise((ok) =>
    ws.addEventListener("message", (event) => ok(JSON.parse(event.data)), { once: true }));
  ws.send(JSON.stringify({ type: "hello", version: 1 }));
  await next();
  ws.send(JSON.stringify({ type: "join", room: "room", name: "browser" }));
  return (await next()).peer;
}"""


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with launched(FLAGS, "the browser signaling tests") as chromium:
        yield chromium


def http_url(server: SignalingServer, host: str) -> str:
    return f"http://{host}:{server.port}/"


async def test_a_rebound_name_gets_nothing_from_a_default_server(
    server: SignalingServer, browser: Any
) -> None:
    page = await browser.new_page()
    # The attacker's page, now served from 127.0.0.1 under its own name.
    response = await page.goto(http_url(server, "rebind.example"))
    assert response.status == 403
    ws_url = f"ws://rebind.example:{server.port}/ws"
    assert await page.evaluate(OPEN, ws_url) == "closed 1006"
    assert server.core.connections == set()
    # The same page by address is the server's own origin, and welcome.
    page = await browser.new_page()
    response = await page.goto(http_url(server, "127.0.0.1"))
    assert response.status == 200
    assert await page.evaluate(OPEN, f"ws://127.0.0.1:{server.port}/ws") == "open"


async def test_a_browser_that_closes_is_gone_at_once(
    make_server: ServerFactory, connect: Connect, browser: Any
) -> None:
    # A grace far beyond the waits below: a close taken for a network drop
    # would be announced only after it.
    server = await make_server(resume_grace=60.0)
    watcher = await connect(server.url)
    await watcher.join("room")
    ws_url = f"ws://127.0.0.1:{server.port}/ws"
    page = await browser.new_page()
    await page.goto(http_url(server, "127.0.0.1"))
    # ws.close() with no code: what a web app calls when the user leaves.
    peer = await page.evaluate(JOIN, ws_url)
    assert (await watcher.expect("peer-joined"))["peer"] == peer
    await page.evaluate("window.ws.close()")
    assert await watcher.recv(timeout=3) == {"type": "peer-left", "peer": peer, "reason": "left"}
    # Closing the tab with the socket open.
    peer = await page.evaluate(JOIN, ws_url)
    assert (await watcher.expect("peer-joined"))["peer"] == peer
    await page.close()
    assert await watcher.recv(timeout=3) == {"type": "peer-left", "peer": peer, "reason": "left"}
