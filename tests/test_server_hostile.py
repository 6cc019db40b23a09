"""Hostile clients against a real server: what they send must cost only
themselves. The honest members of a room keep relaying throughout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avacollab.signaling.server import SignalingServer

from .conftest import Connect, Peer, settings_for_test
from .test_server import pair
from .test_signaling_fuzz import FRAMES, PEER


async def relay_both_ways(a: Peer, b: Peer, tag: str, timeout: float = 5.0) -> None:
    """a offers to b and b answers, each skipping whatever else arrives."""
    await a.send({"type": "offer", "to": b.id, "sdp": f"offer {tag}"})
    await receive_until(b, {"type": "offer", "from": a.id, "sdp": f"offer {tag}"}, timeout)
    await b.send({"type": "answer", "to": a.id, "sdp": f"answer {tag}"})
    await receive_until(a, {"type": "answer", "from": b.id, "sdp": f"answer {tag}"}, timeout)


async def receive_until(peer: Peer, wanted: dict[str, Any], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while await peer.recv(timeout) != wanted:
            pass


# -- item 1: text that is not valid Unicode ------------------------------------------


async def test_a_lone_surrogate_is_refused_and_poisons_nobody(
    server: SignalingServer, connect: Connect
) -> None:
    a, b = await pair(connect, server)
    evil = await connect(server.url)
    await evil.send({"type": "hello", "version": 1})
    await evil.expect("hello")
    # json.dumps writes "\ud800" as an escape, as JSON.stringify does with a
    # string cut in the middle of an emoji's surrogate pair.
    await evil.send({"type": "join", "room": "room", "name": "cut \ud83d", "id": "j"})
    error = await evil.expect("error")
    assert (error["code"], error["id"]) == ("bad-unicode", "j")
    await evil.join("room", name="evil")
    assert (await a.expect("peer-joined"))["name"] == "evil"
    assert (await b.expect("peer-joined"))["name"] == "evil"
    for bad in ({"sdp": "v=0 \udfff"}, {"sdp": "v=0", "x": ["\ud800"]}):
        await evil.send({"type": "offer", "to": b.id, **bad})
        assert (await evil.expect("error"))["code"] == "bad-unicode"
    # b heard nothing of it and still gets what a sends; a newcomer gets its welcome.
    await relay_both_ways(a, b, "after")
    c = await connect(server.url)
    welcome = await c.join("room", name="carol")
    assert sorted(p["name"] for p in welcome["peers"]) == ["alice", "bob", "evil"]


# -- the parser fuzzed through a real server -----------------------------------------


class FuzzRoom:
    """A server, two honest members and a fuzzing client, kept across examples
    on an event loop of their own (hypothesis runs examples synchronously)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.examples = 0

    async def start(self) -> None:
        settings = settings_for_test(
            rate=1e6,
            burst=10**6,
            # The loop stands still between examples, while hypothesis
            # thinks: no pings to miss meanwhile.
            heartbeat=3600.0,
            # Every fuzzer the server closes keeps its place for the resume
            # grace, and the next one joins the same room.
            max_room_size=10_000,
        )
        self.server = SignalingServer(settings, resume_secret=b"fuzz")
        await self.server.start()
        self.session = aiohttp.ClientSession()
        self.alice = await self.member("alice")
        self.bob = await self.member("bob")
        self.fuzzer = await self.member("fuzzer")

    async def member(self, name: str) -> Peer:
        peer = Peer(await self.session.ws_connect(self.server.url))
        await peer.join("room", name=name)
        return peer

    async def stop(self) -> None:
        await self.session.close()
        await self.server.stop()

    async def round(self, frames: list[str | bytes]) -> None:
        self.examples += 1
        if self.fuzzer.ws.closed:
            self.fuzzer = await self.member("fuzzer")
        ws = self.fuzzer.ws
        with contextlib.suppress(ConnectionError):
            for frame in frames:
                if isinstance(frame, bytes):
                    await ws.send_bytes(frame)
                else:
                    # Raw surrogates cannot be UTF-8: they go out as the
                    # invalid bytes a broken client would send.
                    data = frame.replace(PEER, self.bob.id).encode("utf-8", "surrogatepass")
                    await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
            await self.fuzzer.send({"type": "ping", "id": f"sync {self.examples}"})
        # The fuzzer is answered, or closed (1007 bad UTF-8, 1008 too many
        # refusals, 1009 too large): either way, it alone.
        async with asyncio.timeout(10):
            while not ws.closed:
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    reply = json.loads(msg.data)
                    if reply == {"type": "pong", "id": f"sync {self.examples}"}:
                        break
        if ws.closed:
            assert ws.close_code in (1007, 1008, 1009), ws.close_code
        await relay_both_ways(self.alice, self.bob, f"example {self.examples}")
        assert not self.alice.ws.closed and not self.bob.ws.closed


@pytest.fixture
def fuzz_room() -> Iterator[FuzzRoom]:
    room = FuzzRoom()
    room.loop.run_until_complete(room.start())
    yield room
    room.loop.run_until_complete(room.stop())
    room.loop.close()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(FRAMES, min_size=1, max_size=6))
def test_a_fuzzing_client_disturbs_no_other_member(
    fuzz_room: FuzzRoom, frames: list[str | bytes]
) -> None:
    fuzz_room.loop.run_until_complete(fuzz_room.round(frames))
