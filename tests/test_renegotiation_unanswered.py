"""A peer that never answers a media renegotiation costs only its media.

Real aiortc sessions on loopback through a real signaling server; one of the
pair is made deaf to the renegotiation topics (``session.renegotiate``,
``session.offer``, ``session.answer``), as a browser page without
renegotiation or a hostile peer is. The link and the bus must stay up, the
media be reported unavailable, and the exchange be tried again after the
backoff, until the peer answers. Then the case of the issue itself: a page
in headless Chromium whose client ignores those topics, next to a real
``avacollab join`` voice peer; and the other way round, the page's own
client next to a Python peer that ignores them (skipped without Chromium or
Playwright, except under CI=true).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiortc.mediastreams import VideoStreamTrack

from avacollab.bus import Message
from avacollab.cli.terminal import describe
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.negotiation import OFFER, RENEGOTIATE
from avacollab.peer.session import Session, SessionConfig
from avacollab.peer.signaling_client import Backoff
from avacollab.shortids import PEER_SHORT, short_id
from avacollab.signaling.bundle import CLIENT_PATH
from avacollab.signaling.server import SignalingServer
from avacollab.testing import EventLog

from . import test_join_e2e, test_web_session_chromium
from .chromium import launched
from .sessionkit import WAIT
from .test_join_e2e import Spawn
from .test_session import Recorder, full_mesh, roles
from .test_web_editor_chromium import MEDIA_FLAGS, editor
from .test_web_session_chromium import (
    ADD_TRACK,
    ALPHABET,
    JOIN,
    VIDEO,
    Page,
    exchange,
    python_peer,
)

spawn = test_join_e2e.spawn  # the fixtures: join processes driven through stdin
browser = test_web_session_chromium.browser

ANSWER_TIMEOUT = 1.0
# Short, so that the tests see several tries; the real default is 15 s to 300 s.
BACKOFF = Backoff(initial=0.4, maximum=0.8)


class Deafness:
    """Makes a session ignore the renegotiation messages it gets, while ``on``;
    counts what it ignored, by topic."""

    def __init__(self, session: Session) -> None:
        self.on = False
        self.ignored: dict[str, int] = {}
        self._changed = asyncio.Event()
        mesh = session._mesh  # the handlers the session subscribes when it starts
        for name in ("on_negotiation", "on_bus_offer"):
            setattr(mesh, name, self._filter(getattr(mesh, name)))

    def _filter(self, handler: Callable[[Message], Any]) -> Callable[[Message], Any]:
        def filtered(message: Message) -> Any:
            if not self.on:
                return handler(message)
            self.ignored[message.topic] = self.ignored.get(message.topic, 0) + 1
            self._changed.set()
            return None

        return filtered

    async def wait(self, topic: str, count: int) -> None:
        """Wait until ``count`` messages on ``topic`` have been ignored."""
        async with asyncio.timeout(WAIT * 2):
            while self.ignored.get(topic, 0) < count:
                self._changed.clear()
                await self._changed.wait()


Member = tuple[Session, EventLog, Recorder, Deafness]
MakeMember = Callable[[], Awaitable[Member]]


@pytest.fixture
async def make_member(server: SignalingServer) -> AsyncIterator[MakeMember]:
    sessions: list[Session] = []

    async def factory() -> Member:
        events = EventLog()
        config = SessionConfig(
            server.url,
            "room",
            ice_addresses=LOOPBACK,
            connect_timeout=WAIT,
            renegotiation_timeout=ANSWER_TIMEOUT,
            renegotiation_backoff=BACKOFF,
        )
        session = Session(config, features=(Recorder,), events=events)
        deafness = Deafness(session)
        await session.start()
        sessions.append(session)
        return session, events, session.features.get(Recorder), deafness

    yield factory
    await asyncio.gather(*(s.close() for s in sessions))


async def pair(make_member: MakeMember) -> tuple[Member, Member]:
    """Two connected members: (offerer, answerer)."""
    x, y = await make_member(), await make_member()
    await full_mesh([x[:3], y[:3]])
    return (x, y) if roles(x[:3], y[:3])[0][0] is x[0] else (y, x)


async def bus_works_both_ways(a: Member, b: Member) -> None:
    seen_a, seen_b = len(a[2].received), len(b[2].received)
    a[0].bus.publish_json("test.note", "from a")
    b[0].bus.publish_json("test.note", "from b")
    assert (await b[2].messages(seen_b + 1))[-1] == "from a"
    assert (await a[2].messages(seen_a + 1))[-1] == "from b"


def assert_unavailable(event: dict[str, Any], reason: str, step: int) -> None:
    assert event["reason"] == reason
    ceiling = min(BACKOFF.maximum, BACKOFF.initial * 2**step)
    assert ceiling / 2 - 0.1 <= event["retry_in"] <= ceiling + 0.1  # rounded to 0.1 s


async def test_an_offer_never_answered_keeps_the_link_and_is_sent_again(
    make_member: MakeMember,
) -> None:
    offerer, answerer = await pair(make_member)
    (so, eo, ro, _), (sa, ea, ra, deaf) = offerer, answerer
    link = so.link(sa.peer_id)
    deaf.on = True
    track = VideoStreamTrack()
    ro.tracks.append(track)
    so.renegotiate(sa.peer_id)

    first = await eo.wait_for("media-unavailable", peer=sa.peer_id)
    assert_unavailable(first, f"no session.answer within {ANSWER_TIMEOUT:g} s", 0)
    assert first["name"] == sa.name
    # The data link stays: same connection, still connected, the bus carries messages.
    assert so.link(sa.peer_id) is link and sa.peer_id in so.connected
    await bus_works_both_ways(offerer, answerer)
    # After the backoff the offer goes again, and again goes unanswered, with a longer backoff.
    await deaf.wait(OFFER, 2)
    await eo.wait(lambda: len(eo.named("media-unavailable")) >= 2)
    assert_unavailable(eo.named("media-unavailable")[1], first["reason"], 1)
    assert not eo.named("link-failed") and not ea.named("link-failed")
    assert not eo.named("peer-left") and not ea.named("peer-left")

    # Once the peer answers, the next try goes through on the same link.
    deaf.on = False
    await eo.wait_for("renegotiated", peer=sa.peer_id)
    async with asyncio.timeout(WAIT):
        await ra.track_arrived.wait()
    assert [(p, t.kind) for p, t in ra.remote_tracks] == [(so.peer_id, "video")]
    assert so.link(sa.peer_id) is link
    assert not eo.named("link-failed") and not ea.named("link-failed")
    await bus_works_both_ways(offerer, answerer)
    track.stop()


async def test_a_request_never_served_keeps_the_link_and_is_asked_again(
    make_member: MakeMember,
) -> None:
    offerer, answerer = await pair(make_member)
    (so, eo, ro, deaf), (sa, ea, ra, _) = offerer, answerer
    link = sa.link(so.peer_id)
    deaf.on = True
    track = VideoStreamTrack()
    ra.tracks.append(track)
    sa.renegotiate(so.peer_id)

    first = await ea.wait_for("media-unavailable", peer=so.peer_id)
    reason = f"no session.offer serving session.renegotiate 1 within {ANSWER_TIMEOUT:g} s"
    assert_unavailable(first, reason, 0)
    assert sa.link(so.peer_id) is link and so.peer_id in sa.connected
    await bus_works_both_ways(offerer, answerer)
    # Asked again after the backoff, with a new seq.
    await deaf.wait(RENEGOTIATE, 2)
    await ea.wait(lambda: len(ea.named("media-unavailable")) >= 2)
    reason = f"no session.offer serving session.renegotiate 2 within {ANSWER_TIMEOUT:g} s"
    assert_unavailable(ea.named("media-unavailable")[1], reason, 1)
    assert not eo.named("link-failed") and not ea.named("link-failed")

    deaf.on = False
    async with asyncio.timeout(WAIT):
        await ro.track_arrived.wait()
    assert [(p, t.kind) for p, t in ro.remote_tracks] == [(sa.peer_id, "video")]
    await ea.wait_for("renegotiated", peer=so.peer_id)
    assert sa.link(so.peer_id) is link
    assert not eo.named("link-failed") and not ea.named("link-failed")
    await bus_works_both_ways(offerer, answerer)
    track.stop()


def test_join_shows_media_unavailable_as_one_readable_line() -> None:
    event = {
        "event": "media-unavailable",
        "ts": 1.0,
        "peer": "p1",
        "name": "page",
        "reason": "no session.answer within 15 s",
        "retry_in": 14.2,
    }
    assert describe(event) == (
        "! media with page (p1) unavailable: no session.answer within 15 s "
        "(the data link stays; trying again in 14.2 s)"
    )


def test_config_checks_the_renegotiation_settings() -> None:
    with pytest.raises(ValueError, match="renegotiation_timeout"):
        SessionConfig("ws://127.0.0.1:1/ws", "room", renegotiation_timeout=0)
    with pytest.raises(ValueError, match="renegotiation_backoff"):
        SessionConfig("ws://127.0.0.1:1/ws", "room", renegotiation_backoff=Backoff(5, 1))


# -- a browser page that does not renegotiate, and a real `avacollab join` --

# Runs in the page before it joins: every Bus in it ignores the renegotiation
# topics, as a page whose client has no renegotiation would.
DEAF_PAGE = """async (bundle) => {
  const client = await import(bundle);
  const subscribe = client.Bus.prototype.subscribe;
  const ignored = ["session.offer", "session.answer", "session.renegotiate"];
  client.Bus.prototype.subscribe = function (topic, handler) {
    return ignored.includes(topic) ? () => {} : subscribe.call(this, topic, handler);
  };
}"""


class DeafPage(Page):
    """A :class:`Page` whose client ignores the renegotiation topics."""

    async def join(self, room: str, role: str | None, other: str) -> bool:
        await self.page.goto(self.origin + "/")
        bundle = self.origin + CLIENT_PATH
        await self.page.evaluate(DEAF_PAGE, bundle)
        async with asyncio.timeout(WAIT * 2):
            joined = await self.page.evaluate(JOIN, [bundle, self.url, room, role, other])
        self.id = joined["peer"]
        return bool(joined["offerer"])


VOICE = ("--plugin", "avacollab_voice.plugin", "--set", "voice.source=tone:440",
         "--set", "voice.output=none")  # fmt: skip


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_without_renegotiation_keeps_its_link_to_a_python_voice_peer(
    browser: Any, server: SignalingServer, spawn: Spawn, tmp_path: Path, role: str
) -> None:
    # The voice plugin adds a track once connected: the Python peer offers
    # it on the bus (page answerer) or asks the page for an offer (page offerer).
    # The renegotiation timeout is the connect timeout: 10 s (see the spawn fixture).
    python = await python_peer(spawn, *VOICE)
    page = DeafPage(await browser.new_page(), server)
    await page.join("web", role, python.id)
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)
    event = await python.events.wait_for("media-unavailable", peer=page.id, timeout=WAIT * 2)
    if role == "answerer":
        assert event["reason"] == "no session.answer within 10 s"
    else:
        assert event["reason"] == "no session.offer serving session.renegotiate 1 within 10 s"
    assert 7.5 <= event["retry_in"] <= 15  # the default backoff's first step
    # The data link is the same one and carries the bus both ways.
    await exchange(page, python, role)
    assert not python.events.named("link-failed")
    assert len([e for e in python.events.named("peer-connected") if e["peer"] == page.id]) == 1
    assert page.errors == []
    await python.command("/quit")
    assert await python.exited() == 0
    # What a person running `avacollab join` reads.
    said = (tmp_path / "py.stderr").read_text()
    short = short_id(page.id, [python.id], PEER_SHORT)  # as join names people
    assert f"! media with page ({short}) unavailable: {event['reason']} (the data link" in said


# -- the page's own client, next to a Python peer that does not renegotiate --

# The page's session with short renegotiation timers, so that the test sees
# three reports within seconds (the defaults: 10 s here, 15 s to 300 s).
QUICK_JOIN = JOIN.replace(
    "connectTimeout: 10,",
    "connectTimeout: 10, renegotiationTimeout: 1,"
    " renegotiationBackoff: { initial: 0.4, maximum: 1.6 },",
)
assert QUICK_JOIN != JOIN

# The page's events called `name`, once there are `count` of them.
PAGE_EVENTS = """async ([name, count]) => {
  const named = () => events.filter((e) => e.event === name);
  while (named().length < count) await new Promise((r) => setTimeout(r, 20));
  return named();
}"""


class QuickPage(Page):
    """A :class:`Page` whose session reports an unanswered renegotiation after 1 s."""

    join_script = QUICK_JOIN

    async def events(self, name: str, count: int = 1) -> list[dict[str, Any]]:
        """The page's events called ``name``, once there are ``count``."""
        async with asyncio.timeout(WAIT * 2):
            found: list[dict[str, Any]] = await self.page.evaluate(PAGE_EVENTS, [name, count])
        return found


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_keeps_its_link_to_a_python_peer_that_does_not_renegotiate(
    browser: Any, make_member: MakeMember, server: SignalingServer, role: str
) -> None:
    # A Python peer whose id sorts in the middle, so that the page can get
    # either role by joining again (see test_web_session_chromium.python_peer).
    for _ in range(10):
        python, events, recorder, deaf = await make_member()
        if 0.25 <= ALPHABET.index(python.peer_id[0]) / len(ALPHABET) <= 0.75:
            break
        await python.close()
    else:
        raise AssertionError("no Python peer id in the middle of the order after 10 joins")
    page = QuickPage(await browser.new_page(), server)
    await page.join("room", role, python.peer_id)
    await page.connected_to(python.peer_id)
    await events.wait_for("peer-connected", peer=page.id)

    deaf.on = True
    await page.page.evaluate(ADD_TRACK)
    # As offerer the page's offer goes unanswered; as answerer its request unserved.
    first, _, third = await page.events("media-unavailable", 3)
    if role == "offerer":
        reason = "no session.answer within 1 s"
        await deaf.wait(OFFER, 3)  # the same offer, sent again after each backoff
    else:
        reason = "no session.offer serving session.renegotiate 1 within 1 s"
        await deaf.wait(RENEGOTIATE, 3)
    assert first["reason"] == reason and first["peer"] == python.peer_id
    # Rounded to 0.1 s; the third try's backoff (0.8 to 1.6 s) is past
    # what a backoff that did not double could give.
    assert 0.2 - 0.1 <= first["retry_in"] <= 0.4 + 0.1
    assert 0.8 - 0.1 <= third["retry_in"] <= 1.6 + 0.1
    # The data link stays: never failed, and the bus carries messages both ways.
    assert await page.events("link-failed", 0) == []
    # (Earlier ids of the page, from joining until it had the role, did leave.)
    assert not events.named("link-failed")
    assert not [e for e in events.named("peer-left") if e["peer"] == page.id]
    python.bus.publish_json("e2e.msg", "from python", to=page.id)
    assert [m["text"] for m in await page.received(python.peer_id, 1)] == ['"from python"']
    await page.page.evaluate(
        "(to) => session.bus.publishJson('test.note', 'from page', { to })", python.peer_id
    )
    assert (await recorder.messages(1))[-1] == "from page"

    # The Python peer hears again: the next try goes through on the same link.
    deaf.on = False
    async with asyncio.timeout(WAIT):
        await recorder.track_arrived.wait()
    assert [(p, t.kind) for p, t in recorder.remote_tracks] == [(page.id, "video")]
    await page.events("renegotiated", 1)
    assert await page.page.evaluate(VIDEO, python.peer_id) == [[True, "sendonly"]]
    assert await page.events("link-failed", 0) == []
    assert len(await page.events("peer-connected")) == 1
    assert not events.named("link-failed")
    assert page.errors == []
    await page.page.evaluate("session.close()")


async def test_the_editor_says_when_its_voice_cannot_reach_a_peer_and_editing_goes_on(
    make_member: MakeMember, server: SignalingServer
) -> None:
    # The web editor next to a Python peer that ignores renegotiation: the
    # page's voice cannot reach it. The page says so in its alert (after its
    # renegotiation timeout, the connect timeout: 15 s), the link stays, and
    # once the peer answers the voice flows and the alert goes; it also goes
    # when the peer leaves.
    python, events, recorder, deaf = await make_member()
    deaf.on = True
    async with launched(MEDIA_FLAGS, "the web editor tests") as chromium:
        page = await editor(chromium, server)
        await page.open("room", "vee")
        await page.joined()
        await page.connected_to(python.peer_id)
        await page.page.click("#voice")  # Chromium's fake microphone
        alert = page.page.locator("#alert")
        await page.page.wait_for_function(
            "() => document.querySelector('#alert')?.textContent.startsWith('Screen and voice')",
            timeout=WAIT * 3000,
        )
        text = await alert.text_content() or ""
        assert "cannot reach" in text and "editing goes on. Trying again in" in text, text
        assert deaf.ignored  # the renegotiation it did not answer
        # The same link carries the page's messages: no failure on either side.
        await page.run(
            "(to) => avacollabEditor.room.session.bus.publishJson('test.note', 'still here',"
            " { to })",
            python.peer_id,
        )
        assert (await recorder.messages(1))[-1] == "still here"
        # Heard again: the next try (after 7.5 to 15 s) brings the voice, and the alert goes.
        deaf.on = False
        async with asyncio.timeout(WAIT * 3):
            await recorder.track_arrived.wait()
        assert [(p, t.kind) for p, t in recorder.remote_tracks] == [(page.id, "audio")]
        await page.page.wait_for_function(
            "() => !document.querySelector('#alert')?.textContent", timeout=WAIT * 1000
        )
        assert not events.named("link-failed")
        # Deaf again, leaving voice goes unanswered: the alert is back, and
        # it goes when that peer leaves (nothing more is tried with it).
        deaf.on = True
        await page.page.click("#voice")
        await page.page.wait_for_function(
            "() => document.querySelector('#alert')?.textContent.startsWith('Screen and voice')",
            timeout=WAIT * 3000,
        )
        await python.close()
        await page.page.wait_for_function(
            "() => !document.querySelector('#alert')?.textContent", timeout=WAIT * 1000
        )
        assert page.errors == []
        await page.page.close()
