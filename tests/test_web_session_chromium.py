"""Browser pages and ``avacollab join`` peers in one room: the JavaScript session.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) opens the signaling server's own page, imports the shipped
``/client/avacollab.js`` and joins with its ``Session``; the other members
are real ``python -m avacollab.cli.join`` processes with the test plugin
(``tests.e2e_plugin``), gathering candidates on 127.0.0.1 only. Chromium
gathers none on loopback, but its host candidate is an address of this
machine, so the packets between it and 127.0.0.1 stay on the loopback
device. Each role is tested on each side: the page joins again until its id
sorts before (offerer) or after (answerer) the Python peer's. Skipped
without Chromium or Playwright, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import string
from collections.abc import AsyncIterator
from typing import Any

import pytest

from avacollab.signaling.bundle import CLIENT_PATH
from avacollab.signaling.server import SignalingServer

from . import test_join_e2e
from .chromium import launched
from .e2e_plugin import payload
from .sessionkit import WAIT
from .test_join_e2e import JoinProcess, Spawn

spawn = test_join_e2e.spawn  # the fixture: join processes driven through stdin

FLAGS = [
    "--no-sandbox",  # root in a container: the sandbox cannot start
    "--disable-features=WebRtcHideLocalIpsWithMdns",  # plain host candidates, no mDNS names
]
MB = 1_000_000

# Runs in the page: join with a Session, record events and e2e.msg messages.
# `role` is "offerer", "answerer" or null (either): the page leaves and joins
# again (a new id) until the offerer rule gives it that role toward `other`.
JOIN = """async ([bundle, url, room, role, other]) => {
  const client = await import(bundle);
  window.client = client;
  window.received = window.received ?? [];
  const hex = (buffer) =>
    Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  for (let attempt = 0; attempt < 40; attempt++) {
    const events = [];
    const session = new client.Session(url, room, {
      name: "page", connectTimeout: 10, onEvent: (e) => events.push(e),
    });
    session.bus.subscribe("e2e.msg", async (m) => {
      const digest = hex(await crypto.subtle.digest("SHA-256", m.payload));
      window.received.push({
        sender: m.sender, reliable: m.reliable, size: m.payload.length, sha256: digest,
        text: m.payload.length <= 100 ? new TextDecoder().decode(m.payload) : null,
      });
    });
    await session.start();
    const offerer = client.session.isOfferer(session.peerId, other);
    if (role === null || (role === "offerer") === offerer) {
      window.session = session;
      window.events = events;
      return { peer: session.peerId, offerer };
    }
    await session.close();
  }
  throw new Error("no id in the wanted order after 40 joins");
}"""

WAIT_CONNECTED = """async (peer) => {
  const mine = () => events.filter((e) => e.event === "peer-connected" && e.peer === peer);
  while (!mine().length || !session.connected.includes(peer))
    await new Promise((r) => setTimeout(r, 20));
  return mine();
}"""

WAIT_RECEIVED = """async ([sender, count]) => {
  const mine = () => received.filter((m) => m.sender === sender);
  while (mine().length < count) await new Promise((r) => setTimeout(r, 20));
  return mine();
}"""

SEND_BIG = """async ([size, seed]) => {
  // Deterministic bytes of the page's own, checked by digest on the other side.
  const data = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x >>> 24; }
  await session.bus.send("e2e.msg", data);
  const digest = await crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}"""


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with launched(FLAGS, "the browser session tests") as chromium:
        yield chromium


class Page:
    """A page of the server's own origin joined to a room with the JS Session."""

    join_script = JOIN
    """What the page runs to join (a subclass may join with other options)."""

    def __init__(self, page: Any, server: SignalingServer) -> None:
        self.page = page
        self.origin = f"http://127.0.0.1:{server.port}"
        self.url = server.url
        self.id = ""
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def join(self, room: str, role: str | None, other: str) -> bool:
        await self.page.goto(self.origin + "/")
        async with asyncio.timeout(WAIT * 2):
            joined = await self.page.evaluate(
                self.join_script, [self.origin + CLIENT_PATH, self.url, room, role, other]
            )
        self.id = joined["peer"]
        return bool(joined["offerer"])

    async def connected_to(self, peer: str) -> list[dict[str, Any]]:
        async with asyncio.timeout(WAIT):
            events: list[dict[str, Any]] = await self.page.evaluate(WAIT_CONNECTED, peer)
        return events

    async def received(self, sender: str, count: int) -> list[dict[str, Any]]:
        async with asyncio.timeout(WAIT):
            messages: list[dict[str, Any]] = await self.page.evaluate(
                WAIT_RECEIVED, [sender, count]
            )
        return messages

    async def renegotiated(self, count: int) -> None:
        """Wait for the page's own count of finished renegotiations."""
        async with asyncio.timeout(WAIT):
            await self.page.evaluate(
                "async (count) => { while (events.filter((e) => e.event === 'renegotiated')"
                ".length < count) await new Promise((r) => setTimeout(r, 20)); }",
                count,
            )

    async def publish(self, text: str, *, reliable: bool = True, to: str | None = None) -> None:
        await self.page.evaluate(
            "([text, reliable, to]) => session.bus.publish('e2e.msg',"
            " new TextEncoder().encode(text), { reliable, to: to ?? undefined })",
            [text, reliable, to],
        )

    async def send_big(self, size: int, seed: int) -> str:
        async with asyncio.timeout(WAIT):
            digest: str = await self.page.evaluate(SEND_BIG, [size, seed])
        return digest


# Peer ids are token_urlsafe: their first character decides most orders.
ALPHABET = "".join(sorted("-_" + string.ascii_letters + string.digits))


async def python_peer(spawn: Spawn, *extra: str) -> JoinProcess:
    """A Python peer whose id a random page id sorts before or after about as often.

    An id starting with "-" or "z" would leave a page almost no chance of the
    other role, however often it joins again."""
    for _ in range(10):
        peer = await spawn("py", *extra, room="web")
        if 0.25 <= ALPHABET.index(peer.id[0]) / len(ALPHABET) <= 0.75:
            return peer
        await peer.command("/quit")
        assert await peer.exited() == 0
    raise AssertionError("no Python peer id in the middle of the order after 10 joins")


def texts(peer: JoinProcess, sender: str) -> list[tuple[str | None, bool]]:
    return [
        (e["text"], e["reliable"])
        for e in peer.events.named("e2e.received")
        if e["sender"] == sender
    ]


async def exchange(page: Page, python: JoinProcess, tag: str) -> None:
    """Bus messages both ways on both channels, and 1 MB each way through chunking.

    Only what arrives during this call counts: a page that resumed its id may
    have sent to ``python`` before under the same id."""
    before = len(await page.received(python.id, 0))
    heard = len(python.events.named("e2e.received"))
    await python.command(f"/send {tag} reliable from python")
    await python.command(f"/send --unordered {tag} unordered from python")
    await python.command(f"/big {MB}")
    got = await page.received(python.id, before + 3)
    new = got[before:]
    assert {(m["text"], m["reliable"]) for m in new if m["text"] is not None} == {
        (f"{tag} reliable from python", True),
        (f"{tag} unordered from python", False),
    }
    big = [m for m in new if m["size"] == MB]
    assert big and big[0]["sha256"] == hashlib.sha256(payload(MB)).hexdigest()
    assert big[0]["reliable"]

    await page.publish(f"{tag} reliable from page")
    await page.publish(f"{tag} unordered from page", reliable=False)
    digest = await page.send_big(MB, seed=len(tag))
    try:
        await python.events.wait(
            lambda: any(e["size"] == MB and e["sender"] == page.id
                        for e in python.events.named("e2e.received")[heard:]))  # fmt: skip
    except TimeoutError:
        # What the Python peer saw of the link meanwhile, for the failure report.
        links = ("link-failed", "peer-left", "peer-connected")
        seen = [e for e in python.events.items if e["event"] in links]
        page_seen = await page.page.evaluate("events.filter((e) => e.event !== 'track')")
        raise AssertionError(
            f"no 1 MB from the page; python saw {seen}; page saw {page_seen}"
        ) from None
    received = texts(python, page.id)
    assert (f"{tag} reliable from page", True) in received
    assert (f"{tag} unordered from page", False) in received
    arrived = python.events.named("e2e.received")[heard:]
    sizes = [e for e in arrived if e["sender"] == page.id]
    assert [e["sha256"] for e in sizes if e["size"] == MB] == [digest]


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_and_a_python_peer_share_the_bus_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str
) -> None:
    python = await python_peer(spawn)
    page = Page(await browser.new_page(), server)
    offerer = await page.join("web", role, python.id)
    assert offerer == (role == "offerer")
    events = await page.connected_to(python.id)
    assert events[0]["offerer"] == offerer
    # Chromium's socket is on the machine's own address and aiortc answers
    # from 127.0.0.1, so Chromium may learn its side as peer-reflexive.
    assert events[0]["route"] in ("host", "prflx")
    await python.events.wait_for("peer-connected", peer=page.id)
    assert python.events.named("peer-connected")[-1]["offerer"] == (not offerer)
    await exchange(page, python, role)
    assert page.errors == []

    # Leaving: the page's goodbye reaches the Python peer over the bus.
    await page.page.evaluate("session.close()")
    await python.events.wait_for("peer-left", peer=page.id, reason="left")
    await python.command("/quit")
    assert await python.exited() == 0


async def test_two_pages_and_a_python_peer_make_a_full_mesh(
    browser: Any, server: SignalingServer, spawn: Spawn
) -> None:
    python = await spawn("py", room="web")
    first = Page(await browser.new_page(), server)
    second = Page(await browser.new_page(), server)
    await first.join("web", None, python.id)
    await second.join("web", None, python.id)
    for page, others in ((first, [python.id, second.id]), (second, [python.id, first.id])):
        for other in others:
            await page.connected_to(other)
    await python.connected_to(2)
    await exchange(first, python, "one")
    await exchange(second, python, "two")
    # Page to page, over the browsers' own link: what the first page
    # published to everyone reached the second one too.
    # (Only the reliable ones are waited for: between two Chromium pages the
    # unordered message races the 1 MB one and may be given up on.)
    async with asyncio.timeout(WAIT):
        before = await second.page.evaluate(
            "async (sender) => {"
            " const mine = () => received.filter((m) => m.sender === sender && m.reliable);"
            " while (mine().length < 2) await new Promise((r) => setTimeout(r, 20));"
            " return mine(); }",
            first.id,
        )
    assert [m["text"] for m in before] == ["one reliable from page", None]
    assert before[1]["size"] == MB
    await first.publish("hello second", to=second.id)
    async with asyncio.timeout(WAIT):
        await second.page.evaluate(
            "async (sender) => { while (!received.some((m) => m.sender === sender"
            " && m.text === 'hello second')) await new Promise((r) => setTimeout(r, 20)); }",
            first.id,
        )
    assert first.errors == second.errors == []
    await python.command("/quit")
    assert await python.exited() == 0


# Runs in the page: a video track from a canvas (no camera needed), sent to
# every peer with session.addTrack.
ADD_TRACK = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const context = canvas.getContext("2d");
  let frame = 0;
  window.painter = setInterval(() => {
    context.fillStyle = `hsl(${(frame++ * 10) % 360} 80% 50%)`;
    context.fillRect(0, 0, 64, 64);
  }, 50);
  window.track = canvas.captureStream(20).getVideoTracks()[0];
  session.addTrack(track);
}"""

# The directions of the video transceivers, once negotiated.
VIDEO = """(peer) => session.link(peer).pc.getTransceivers()
  .filter((t) => t.receiver.track.kind === "video")
  .map((t) => [t.mid !== null, t.currentDirection])"""


# How many video m-lines the page's side of the link negotiated.
VIDEO_LINES = """(peer) => session.link(peer).pc.localDescription.sdp.match(/^m=video/gm).length"""


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_adding_and_removing_a_track_renegotiates_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str
) -> None:
    python = await python_peer(spawn)
    page = Page(await browser.new_page(), server)
    await page.join("web", role, python.id)
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)

    await page.page.evaluate(ADD_TRACK)
    # As offerer the page offers on the bus; as answerer it asks with
    # session.renegotiate and answers the Python peer's offer.
    await python.events.wait_for("renegotiated", peer=page.id)
    await page.renegotiated(1)
    assert await page.page.evaluate(VIDEO, python.id) == [[True, "sendonly"]]
    renegotiated = len(python.events.named("renegotiated"))

    await page.page.evaluate("session.removeTrack(track)")
    await python.events.wait(lambda: len(python.events.named("renegotiated")) > renegotiated)
    await page.renegotiated(2)
    directions = await page.page.evaluate(VIDEO, python.id)
    assert [d for _, d in directions] in (["inactive"], ["stopped"])

    # Turned on and off nine more times, the track goes on the same
    # transceiver: one video m-line still (Chromium's addTrack alone would
    # add one a turn, and the ninth offer would be refused).
    async def turn(script: str) -> None:
        before = len(python.events.named("renegotiated"))
        await page.page.evaluate(script)
        await python.events.wait(lambda: len(python.events.named("renegotiated")) > before)

    for _ in range(9):
        await turn("session.addTrack(track)")
        await turn("session.removeTrack(track)")
    assert await page.page.evaluate(VIDEO_LINES, python.id) == 1
    assert len(await page.page.evaluate(VIDEO, python.id)) == 1
    # The link was renegotiated, not replaced: the bus still works on it.
    await exchange(page, python, role)
    assert not python.events.named("link-failed")
    assert page.errors == []
    await python.command("/quit")
    assert await python.exited() == 0


# The page's received tracks: kind and the transceiver's negotiated direction.
RECEIVED = """async (count) => {
  while (events.filter((e) => e.event === "track").length < count)
    await new Promise((r) => setTimeout(r, 20));
  return events.filter((e) => e.event === "track").map((e) => e.kind);
}"""


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_python_peer_adding_a_voice_track_renegotiates_with_a_page_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str
) -> None:
    # The voice plugin sends a synthetic tone to every peer once connected:
    # the Python side adds a track. As answerer it asks the page (the
    # offerer) with session.renegotiate; as offerer it offers on the bus.
    voice = ("--plugin", "avacollab_voice.plugin", "--set", "voice.source=tone:440",
             "--set", "voice.output=none")  # fmt: skip
    python = await python_peer(spawn, *voice)
    page = Page(await browser.new_page(), server)
    await page.join("web", role, python.id)
    await page.connected_to(python.id)
    async with asyncio.timeout(WAIT):
        kinds = await page.page.evaluate(RECEIVED, 1)
    assert kinds == ["audio"]
    await python.events.wait_for("renegotiated", peer=page.id)
    await page.renegotiated(1)
    directions = await page.page.evaluate(
        "(peer) => session.link(peer).pc.getTransceivers().map((t) => t.currentDirection)",
        python.id,
    )
    assert directions == ["recvonly"]
    await exchange(page, python, role)
    assert not python.events.named("link-failed")
    assert page.errors == []
    await python.command("/quit")
    assert await python.exited() == 0
