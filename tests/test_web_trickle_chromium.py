"""A page that trickles its ICE candidates joins a room with an ``avacollab join`` peer.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) loads the shipped ``/client/avacollab.js`` from the signaling
server and joins with its ``Session`` and ``trickle: true`` (the default):
its offer or answer goes out at once, without candidates, and each
candidate follows in a ``candidate`` message, then end-of-candidates. The
other member is a real ``python -m avacollab.cli.join`` process, which
takes them (avacollab/peer/candidates.py). Each role is tested: the page
joins again until its id sorts before (offerer) or after (answerer) the
Python peer's, as in tests/test_web_session_chromium.py. ``trickle: false``
(complete descriptions) is tested the same way. Skipped without Chromium
or Playwright, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from avacollab.signaling.bundle import CLIENT_PATH
from avacollab.signaling.server import SignalingServer

from . import test_join_e2e
from .chromium import launched
from .sessionkit import WAIT
from .test_join_e2e import Spawn
from .test_web_session_chromium import FLAGS, Page, exchange, python_peer

spawn = test_join_e2e.spawn  # the fixture: join processes driven through stdin

# As test_web_session_chromium's JOIN, with the trickle option, and a record
# of what the page relays through the server (window.relayed).
JOIN = """async ([bundle, url, room, role, other, trickle]) => {
  const client = await import(bundle);
  window.client = client;
  window.received = window.received ?? [];
  for (let attempt = 0; attempt < 40; attempt++) {
    const events = [];
    const relayed = [];
    const session = new client.Session(url, room, {
      name: "page", connectTimeout: 10, trickle, onEvent: (e) => events.push(e),
    });
    const relay = session.signaling.relay.bind(session.signaling);
    session.signaling.relay = (type, to, body) => {
      relayed.push({ type, to, body: JSON.parse(JSON.stringify(body)) });
      relay(type, to, body);
    };
    session.bus.subscribe("e2e.msg", async (m) => {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", m.payload));
      window.received.push({
        sender: m.sender, reliable: m.reliable, size: m.payload.length,
        sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
        text: m.payload.length <= 100 ? new TextDecoder().decode(m.payload) : null,
      });
    });
    await session.start();
    const offerer = client.session.isOfferer(session.peerId, other);
    if (role === null || (role === "offerer") === offerer) {
      window.session = session;
      window.events = events;
      window.relayed = relayed;
      return { peer: session.peerId, offerer };
    }
    await session.close();
  }
  throw new Error("no id in the wanted order after 40 joins");
}"""

# What the page relayed to `peer`, once its end-of-candidates went (with
# trickle) or its description did (without).
RELAYED = """async ([peer, trickle]) => {
  const mine = () => relayed.filter((r) => r.to === peer);
  const last = (r) => trickle ? r.type === "candidate" && r.body.candidate === null
                              : r.type === "offer" || r.type === "answer";
  const done = () => mine().some(last);
  while (!done()) await new Promise((r) => setTimeout(r, 20));
  return mine();
}"""


class TricklePage(Page):
    async def join_trickling(self, room: str, role: str, other: str, trickle: bool) -> bool:
        await self.page.goto(self.origin + "/")
        async with asyncio.timeout(WAIT * 2):
            joined = await self.page.evaluate(
                JOIN, [self.origin + CLIENT_PATH, self.url, room, role, other, trickle]
            )
        self.id = joined["peer"]
        return bool(joined["offerer"])

    async def relayed(self, peer: str, trickle: bool) -> list[dict[str, Any]]:
        async with asyncio.timeout(WAIT):
            relayed: list[dict[str, Any]] = await self.page.evaluate(RELAYED, [peer, trickle])
        return relayed


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with launched(FLAGS, "the browser trickle tests") as chromium:
        yield chromium


@pytest.mark.parametrize("trickle", [True, False], ids=["trickle", "complete"])
@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_joins_a_python_peer_with_or_without_trickle_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, tmp_path: Path, role: str, trickle: bool
) -> None:
    python = await python_peer(spawn)
    page = TricklePage(await browser.new_page(), server)
    offerer = await page.join_trickling("web", role, python.id, trickle)
    assert offerer == (role == "offerer")
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)
    assert python.events.named("peer-connected")[-1]["offerer"] == (not offerer)

    relayed = await page.relayed(python.id, trickle)
    kind = "offer" if offerer else "answer"
    descriptions = [r for r in relayed if r["type"] in ("offer", "answer")]
    assert [r["type"] for r in descriptions] == [kind]
    candidates = [r["body"]["candidate"] for r in relayed if r["type"] == "candidate"]
    if trickle:
        # The description went first, with no candidate in it; the candidates
        # followed it one by one, end-of-candidates last.
        assert relayed[0]["type"] == kind
        assert "a=candidate:" not in descriptions[0]["body"]["sdp"]
        assert candidates[-1] is None
        lines = [c for c in candidates[:-1] if c is not None]
        assert lines and all(c["candidate"].startswith("candidate:") for c in lines)
        assert all({"sdpMid", "sdpMLineIndex"} <= set(c) for c in lines)
    else:
        assert "a=candidate:" in descriptions[0]["body"]["sdp"]
        assert candidates == []

    await exchange(page, python, f"{role}-{trickle}")
    assert page.errors == []
    await page.page.evaluate("session.close()")
    await python.events.wait_for("peer-left", peer=page.id, reason="left")
    await python.command("/quit")
    assert await python.exited() == 0
    # The Python peer took every candidate the page sent (its log says why
    # it refuses one; the spawn fixture keeps the last "py" process's).
    log = (tmp_path / "py.stderr").read_text()
    assert "candidate-refused" not in log and "candidate-ignored" not in log, log[-2000:]
