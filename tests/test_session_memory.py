"""Real Sessions over in-memory signaling and links: the session's logic with no network."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from avacollab.bus import BusConfig, Message
from avacollab.peer.memory import MemoryNetwork
from avacollab.peer.session import Session, SessionConfig
from avacollab.testing import EventLog

WAIT = 10.0


@contextlib.asynccontextmanager
async def room(
    net: MemoryNetwork, n: int, **config: object
) -> AsyncIterator[list[tuple[Session, EventLog]]]:
    """``n`` sessions joined to one in-memory room, every pair connected."""
    base = SessionConfig(server="memory:", room="r", connect_timeout=5.0)
    members: list[tuple[Session, EventLog]] = []
    try:
        for i in range(n):
            log = EventLog()
            session = Session(
                replace(base, name=f"s{i}", **config),  # type: ignore[arg-type]
                events=log,
                signaling=net.signaling,
                link_factory=net.link,
            )
            await session.start()
            members.append((session, log))
        for session, log in members:

            def meshed(session: Session = session) -> bool:
                return len(session.connected) == n - 1

            await log.wait(meshed, timeout=WAIT)
        yield members
    finally:
        for session, _ in members:
            await session.close()


async def test_three_sessions_make_a_full_mesh_with_no_network() -> None:
    net = MemoryNetwork()
    async with room(net, 3) as members:
        (a, _), (b, _), (c, _) = members
        assert a.peer_id < b.peer_id < c.peer_id
        # The smaller id offers: a to b and c, b to c.
        offerers = {
            (s.peer_id, e["peer"]): e["offerer"]
            for s, log in members
            for e in log.named("peer-connected")
        }
        assert offerers == {
            (a.peer_id, b.peer_id): True,
            (a.peer_id, c.peer_id): True,
            (b.peer_id, a.peer_id): False,
            (b.peer_id, c.peer_id): True,
            (c.peer_id, a.peer_id): False,
            (c.peer_id, b.peer_id): False,
        }
        assert len(net.links) == 6  # one link each way per pair, none replaced
        got: asyncio.Queue[Message] = asyncio.Queue()
        c.bus.subscribe("t.say", got.put_nowait)
        a.bus.publish("t.say", b"hello")
        async with asyncio.timeout(WAIT):
            message = await got.get()
        assert (message.sender, message.payload) == (a.peer_id, b"hello")
        assert [row["state"] for row in a.status()] == ["connected", "connected"]
        assert a.link(b.peer_id) is None  # not a PeerLink


async def test_renegotiation_runs_over_the_bus_from_either_side() -> None:
    net = MemoryNetwork()
    async with room(net, 2) as [(a, a_log), (b, b_log)]:
        a.renegotiate(b.peer_id)  # the offerer offers at once
        await a_log.wait_for("renegotiated", peer=b.peer_id, timeout=WAIT)
        await b_log.wait_for("renegotiated", peer=a.peer_id, timeout=WAIT)
        b.renegotiate(a.peer_id)  # the answerer asks, then answers the offer
        await b_log.wait(lambda: len(b_log.named("renegotiated")) == 2, timeout=WAIT)
        await a_log.wait(lambda: len(a_log.named("renegotiated")) == 2, timeout=WAIT)
        assert not a.negotiating(b.peer_id) and not b.negotiating(a.peer_id)
        assert len(net.links) == 2  # renegotiation never replaced a link


async def test_a_refused_send_is_reported_as_such_and_the_link_replaced() -> None:
    # Channels that take smaller messages than the bus's frames: the send fails.
    net = MemoryNetwork(max_message_size=2000)
    async with room(net, 2) as [(a, a_log), (b, b_log)]:
        a.bus.publish("t.big", b"x" * 5000, to=b.peer_id)
        failed = await a_log.wait_for("link-failed", peer=b.peer_id, timeout=WAIT)
        assert failed["reason"] == "failed"
        assert failed["error"].startswith("send failed: message of ")
        left = await a_log.wait_for("peer-left", peer=b.peer_id, timeout=WAIT)
        assert left["reason"] == "failed"
        # The offerer replaces the link; both sides connect again.
        await a_log.wait(lambda: len(a_log.named("peer-connected")) == 2, timeout=WAIT)
        await b_log.wait(lambda: len(b_log.named("peer-connected")) == 2, timeout=WAIT)


async def test_a_silent_peer_is_reported_silent() -> None:
    net = MemoryNetwork()
    bus = BusConfig(ping_interval=0.05, dead_after=0.3)
    async with room(net, 2, bus=bus) as [(a, a_log), (b, _)]:
        # b's link stops delivering to a, as a network that drops everything.
        b_link = next(link for link in net.links if link.peer_id == a.peer_id)
        b_link.reliable.pause()
        b_link.unordered.pause()
        failed = await a_log.wait_for("link-failed", peer=b.peer_id, timeout=WAIT)
        assert (failed["reason"], failed["error"]) == ("timeout", "silent for 0.3 s")
        assert (await a_log.wait_for("peer-left", peer=b.peer_id))["reason"] == "timeout"


async def test_leaving_says_goodbye_and_the_others_report_it() -> None:
    net = MemoryNetwork()
    async with room(net, 3) as members:
        (a, _), (b, b_log), (c, c_log) = members
        await a.close()
        for log in (b_log, c_log):
            left = await log.wait_for("peer-left", peer=a.peer_id, timeout=WAIT)
            assert left["reason"] == "left"
        assert a.peer_id not in b.peers and a.peer_id not in c.peers
        assert net.rooms["r"].keys() == {b.peer_id, c.peer_id}


@pytest.mark.parametrize("offerer_fails", [True, False])
async def test_a_failed_connection_is_replaced_by_the_offerer(offerer_fails: bool) -> None:
    net = MemoryNetwork()
    async with room(net, 2) as [(a, a_log), (b, b_log)]:
        side = b.peer_id if offerer_fails else a.peer_id  # the link's peer_id is the other end
        next(link for link in net.links if link.peer_id == side).fail()
        await a_log.wait_for("link-failed", peer=b.peer_id, timeout=WAIT)
        await a_log.wait(lambda: len(a_log.named("peer-connected")) == 2, timeout=WAIT)
        await b_log.wait(lambda: len(b_log.named("peer-connected")) == 2, timeout=WAIT)
        assert len(net.links) == 4
