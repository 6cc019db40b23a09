"""A reloaded browser page keeps its peer id, or rejoins cleanly when it cannot.

Headless Chromium (Debian's ``chromium`` driven by Playwright) and a real
``avacollab join`` process in one room, as in test_web_session_chromium.py.
On ``pagehide`` the page's signaling client keeps its resume token in
sessionStorage and closes with 4000, so the server keeps its place; the
reloaded page joins with the token and is the same peer again, and the
links are made anew under that id. Without resume storage, or with a token
the server no longer honours, the reloaded page is a new peer and the old
one is seen leaving. Skipped without Chromium or Playwright, except under
CI=true, where it fails instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from avacollab.signaling.bundle import CLIENT_PATH
from avacollab.signaling.server import SignalingServer

from . import test_join_e2e, test_web_session_chromium
from .sessionkit import WAIT
from .test_join_e2e import JoinProcess, Spawn
from .test_web_session_chromium import Page, exchange, python_peer

spawn = test_join_e2e.spawn  # the fixtures: join processes driven through stdin
browser = test_web_session_chromium.browser

# Runs in the (reloaded) page: join once with a Session, resume storage on
# (the default, sessionStorage) or off; record events and e2e.msg messages.
JOIN_AGAIN = """async ([bundle, url, room, resume]) => {
  const client = await import(bundle);
  window.client = client;
  window.received = [];
  window.events = [];
  const hex = (buffer) =>
    Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  const options = { name: "page", connectTimeout: 10, onEvent: (e) => events.push(e) };
  if (!resume) options.resumeStorage = null;
  const session = new client.Session(url, room, options);
  session.bus.subscribe("e2e.msg", async (m) => {
    const digest = hex(await crypto.subtle.digest("SHA-256", m.payload));
    window.received.push({
      sender: m.sender, reliable: m.reliable, size: m.payload.length, sha256: digest,
      text: m.payload.length <= 100 ? new TextDecoder().decode(m.payload) : null,
    });
  });
  await session.start();
  window.session = session;
  const joined = events.find((e) => e.event === "joined");
  return { peer: session.peerId, resumed: joined.resumed };
}"""


class ReloadedPage(Page):
    """A :class:`Page` that can be reloaded and join again."""

    async def reload_and_join(self, room: str, *, resume: bool) -> bool:
        """Reload the page and join ``room`` again; returns whether the id was resumed."""
        await self.page.reload()
        return await self.join_again(room, resume=resume)

    async def join_again(self, room: str, *, resume: bool) -> bool:
        async with asyncio.timeout(WAIT * 2):
            joined = await self.page.evaluate(
                JOIN_AGAIN, [self.origin + CLIENT_PATH, self.url, room, resume]
            )
        self.id = joined["peer"]
        return bool(joined["resumed"])

    async def stored_token(self, room: str) -> str | None:
        token: str | None = await self.page.evaluate(
            "([url, room]) => sessionStorage.getItem(`avacollab.resume ${url} ${room}`)",
            [self.url, room],
        )
        return token


def connections(python: JoinProcess, peer: str) -> int:
    return len([e for e in python.events.named("peer-connected") if e["peer"] == peer])


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_reloaded_page_comes_back_as_the_same_peer_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str
) -> None:
    python = await python_peer(spawn)
    page = ReloadedPage(await browser.new_page(), server)
    offerer = await page.join("web", role, python.id)
    assert offerer == (role == "offerer")
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)
    await exchange(page, python, "before")
    old = page.id
    assert await page.stored_token("web") is None  # written only when the page goes

    assert await page.reload_and_join("web", resume=True)
    assert page.id == old
    assert await page.stored_token("web") is None  # taken out by the new page
    # The links are made anew under the same id, in the same roles.
    events = await page.connected_to(python.id)
    assert events[0]["offerer"] == offerer
    await python.events.wait(lambda: connections(python, old) == 2)
    await exchange(page, python, "after")
    # To the room it never left: the Python peer met no new member (only
    # the link dropped with the old page and was made again).
    assert python.events.named("peer-joined")[-1]["peer"] == old
    assert len([e for e in python.events.named("peer-joined") if e["peer"] == old]) == 1
    assert page.errors == []
    await python.command("/quit")
    assert await python.exited() == 0


async def test_with_resume_off_a_reloaded_page_is_a_new_peer_and_the_old_one_leaves(
    browser: Any, server: SignalingServer, spawn: Spawn
) -> None:
    python = await spawn("py", room="web")
    page = ReloadedPage(await browser.new_page(), server)
    await page.page.goto(page.origin + "/")
    assert not await page.join_again("web", resume=False)
    await page.connected_to(python.id)
    await exchange(page, python, "first")
    old = page.id

    assert not await page.reload_and_join("web", resume=False)
    assert page.id != old
    # The old page's socket closed with the tab, as a leave.
    await python.events.wait_for("peer-left", peer=old)
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)
    await exchange(page, python, "again")
    assert [e["peer"] for e in python.events.named("peer-joined")] == [old, page.id]
    assert page.errors == []
    await python.command("/quit")
    assert await python.exited() == 0


async def test_a_token_no_longer_honoured_gives_a_clean_fresh_join(
    browser: Any, server: SignalingServer, spawn: Spawn
) -> None:
    python = await spawn("py", room="web")
    page = ReloadedPage(await browser.new_page(), server)
    await page.join("web", None, python.id)
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)
    old = page.id

    # Away: the token is kept; it is then spoilt, as one expired or from a
    # server whose secret changed would be (the server cannot verify it).
    await page.page.goto("about:blank")
    await page.page.goto(page.origin + "/")
    token = await page.stored_token("web")
    assert token is not None
    await page.page.evaluate(
        "([url, room]) => sessionStorage.setItem(`avacollab.resume ${url} ${room}`,"
        " 'r2.spoilt' + Math.random())",
        [page.url, "web"],
    )
    assert not await page.join_again("web", resume=True)
    assert page.id != old
    await python.events.wait_for("peer-left", peer=old)
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)
    await exchange(page, python, "fresh")
    assert page.errors == []
    await python.command("/quit")
    assert await python.exited() == 0
