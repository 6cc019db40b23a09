"""Hostile clients against a real server: what they send or fail to read
must cost only themselves. The honest members of a room keep relaying
throughout, and the server's memory (RSS, read from /proc) stays bounded
and comes back once the culprits are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from avacollab.signaling.server import SignalingServer
from avacollab.signaling.tokens import issue_join_token

from .conftest import Connect, Peer, Serve, ServerFactory, settings_for_test
from .rawws import RawSocket
from .test_server import pair, token_join
from .test_signaling_fuzz import FRAMES, PEER, POISON_NAME, POISON_RELAY

BIG_SDP = "v=0 " + "x" * 59_000  # the size of frame the issue's attack used


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


async def test_a_lone_surrogate_in_a_signed_identity_reaches_everyone_escaped(
    make_server: ServerFactory, connect: Connect
) -> None:
    # The parser cannot stop this one: the application server signed it.
    secret = "a-join-token-secret-of-32-bytes!"
    server = await make_server(token_secret=secret)
    now = time.time()
    m = await connect(server.url)
    welcome = await token_join(m, "room", issue_join_token(secret, "room", "m\ud800", 60, now))
    assert welcome["type"] == "welcome"
    m.id = str(welcome["peer"])
    c = await connect(server.url)
    welcome = await token_join(c, "room", issue_join_token(secret, "room", "carol", 60, now))
    assert welcome["type"] == "welcome"
    assert welcome["peers"] == [  # the surrogate went out as a \u escape
        {"peer": m.id, "name": "m\ud800", "identity": "m\ud800", "permissions": []}
    ]
    c.id = str(welcome["peer"])
    assert (await m.expect("peer-joined"))["identity"] == "carol"
    await relay_both_ways(m, c, "escaped")


# -- item 2: memory bounded per server ------------------------------------------------


async def test_a_slow_reader_is_cut_off_at_its_byte_bound(
    make_server: ServerFactory, connect: Connect
) -> None:
    server = await make_server(rate=1e6, burst=10**6)
    a, b = await pair(connect, server)
    victim = await RawSocket.connect("127.0.0.1", server.port)
    await victim.join("room")
    await a.expect("peer-joined")
    await b.expect("peer-joined")
    await feed_a_slow_reader(a, b, victim, server)


async def feed_a_slow_reader(
    a: Peer, b: Peer, victim: RawSocket, victim_server: SignalingServer
) -> None:
    """``a`` feeds ``victim``, which stops reading, big frames until the
    victim's server cuts it off at its byte bound; ``a`` and ``b`` relay to
    each other meanwhile and after. All three are in "room", the victim on
    ``victim_server``; ``a`` and ``b`` may be on other servers of a cluster.
    """
    victim.stop_reading()
    room = victim_server.core.rooms["room"]

    def cut_off() -> bool:
        peer = room.peers.get(victim.peer)
        return peer is None or peer.conn is None

    # 400 frames of 59 KB (24 MB) is past the kernel's socket buffers (4 MiB
    # here) plus the 1 MiB bound, and below the 512 frames that once were it.
    for n in range(400):
        if cut_off():
            break
        await a.send({"type": "offer", "to": victim.peer, "sdp": BIG_SDP})
        if n % 10 == 0:
            # The room goes on meanwhile; and once b has a's offer, the
            # victim's server has handled every frame a sent before it.
            await relay_both_ways(a, b, f"during {n}")
    if not cut_off():
        await relay_both_ways(a, b, "fed")  # every frame sent is handled by now
    assert cut_off(), "the slow reader was never cut off"
    # Reading again, the victim finds the backlog and then the close, 4008.
    victim.resume_reading()
    with pytest.raises(ConnectionError, match="closed by the server with 4008"):
        async with asyncio.timeout(5):
            while True:
                await victim.recv()
    await relay_both_ways(a, b, "after")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def rss_once_below(pid: int, limit: float, seconds: float) -> float:
    """The RSS of ``pid`` once it is at most ``limit``, or after ``seconds``.

    Polled: another process's memory gives no event to wait on.
    """
    deadline = time.monotonic() + seconds
    while True:
        rss = rss_mib(pid)
        if rss <= limit or time.monotonic() > deadline:
            return rss
        await asyncio.sleep(0.1)


RSS_DURING_MIB = 128  # 30 x (1 MiB queued + 1 MiB kept for resuming) plus slack
RSS_AFTER_MIB = 16


async def test_clients_that_never_read_cannot_grow_the_servers_memory(
    serve: Serve, connect: Connect
) -> None:
    """The issue's attack: 30 clients that never read, each fed 59 KB frames."""
    proc, url = await serve(*NEVER_READ_SERVE_ARGS)
    server = Served(proc, url)
    a, b = await pair(connect, url)
    await attack_by_clients_that_never_read(
        a, b, feeders_on=server, victims_on=server, honest=[(server, 2)]
    )


NEVER_READ_SERVE_ARGS = (
    "--rate", "1000000", "--burst", "1000000", "--resume-grace", "1",
    "--max-connections-per-address", "100", "--log-level", "warning",
)  # fmt: skip
"""``avacollab serve`` arguments for attack_by_clients_that_never_read: no
rate limit (the byte bounds are what is tested), 60 attackers from one
address, and the victims' places let go soon after they are dropped."""


@dataclass(frozen=True)
class Served:
    """A server process a test started (the serve fixture) and its WebSocket URL."""

    proc: asyncio.subprocess.Process
    url: str

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port

    async def health(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        http = self.url.replace("ws://", "http://").removesuffix("/ws")
        async with session.get(f"{http}/healthz") as response:
            health: dict[str, Any] = await response.json()
            return health


async def attack_by_clients_that_never_read(
    a: Peer,
    b: Peer,
    *,
    feeders_on: Served,
    victims_on: Served,
    honest: Sequence[tuple[Served, int]],
) -> None:
    """30 clients that never read, each fed 59 KB frames by a feeder of its own.

    150 frames each is 265 MB in all, well under the old 512-frame bound per
    client, so a server that bounds frames and not bytes queues all of it.
    Feeders connect to ``feeders_on``, victims to ``victims_on`` (the same
    server, or two of a cluster). ``a`` and ``b`` are an honest pair in a room
    of their own that must keep relaying; if they are on different servers,
    ``a`` must be on the feeders' and ``b`` on the victims'. ``honest`` names
    every server to watch and how many honest peers it holds: each one's RSS
    must stay within RSS_DURING_MIB of its baseline during the attack and
    come back within RSS_AFTER_MIB once the attackers have gone.
    """
    for n in range(3):  # warm up on big frames first: buffers that stay count as baseline
        await a.send({"type": "offer", "to": b.id, "sdp": BIG_SDP + str(n)})
        await b.expect("offer")
        await b.send({"type": "answer", "to": a.id, "sdp": BIG_SDP + str(n)})
        await a.expect("answer")
    await relay_both_ways(a, b, "warm")
    pids = [server.proc.pid for server, _ in honest]
    baseline = [rss_mib(pid) for pid in pids]
    peak = list(baseline)

    async def sample() -> None:
        while True:
            for i, pid in enumerate(pids):
                peak[i] = max(peak[i], rss_mib(pid))
            await asyncio.sleep(0.01)

    trips = 0
    trip_done = asyncio.Event()
    feeders: list[RawSocket] = []
    victims: list[RawSocket] = []

    async def attack() -> None:
        for i in range(30):
            feeder = await RawSocket.connect("127.0.0.1", feeders_on.port, rcvbuf=None)
            feeders.append(feeder)
            await feeder.join(f"attack-{i}")
            victim = await RawSocket.connect("127.0.0.1", victims_on.port)
            victims.append(victim)
            await victim.join(f"attack-{i}")
            victim.stop_reading()
            # The feeder's server knows the victim once the feeder heard it join.
            await feeder.expect("peer-joined")
        frames = [
            json.dumps({"type": "offer", "to": v.peer, "sdp": BIG_SDP}).encode() for v in victims
        ]
        alive = list(zip(feeders, frames, strict=True))
        for n in range(150):
            if n % 50 == 49:
                # Mid-attack, with every queue as full as it gets: the
                # honest pair must get a relay through before this goes on.
                trip_done.clear()
                await trip_done.wait()
            for feeder, frame in alive:
                feeder.send_text(frame)
            for feeder, frame in list(alive):
                try:
                    await feeder.writer.drain()
                except ConnectionError:  # closed for too many refused relays: its choice
                    alive.remove((feeder, frame))
        # Once a feeder's pong is back, its server has handled all it sent.
        for feeder, _ in alive:
            feeder.send({"type": "ping", "id": "done"})
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while await feeder.recv() != {"type": "pong", "id": "done"}:
                    pass

    sampler = asyncio.create_task(sample())
    attacking = asyncio.create_task(attack())
    try:
        async with asyncio.timeout(60):
            while not attacking.done():
                await relay_both_ways(a, b, f"trip {trips}")  # each within 5 s
                trips += 1
                trip_done.set()
            await attacking
            # Across servers, the victims' server has handled every relay
            # from the feeders' once b has this from a (sent after them, in order).
            await relay_both_ways(a, b, "drained")
        for pid, before, most in zip(pids, baseline, peak, strict=True):
            print(f"\nRSS of {pid}: baseline {before:.1f} MiB, peak {most:.1f} MiB")
        print(f"{trips} trips during the attack")
        assert trips >= 3
        for before, most in zip(baseline, peak, strict=True):
            assert most - before <= RSS_DURING_MIB, f"peak {most:.1f} MiB from {before:.1f} MiB"
    finally:
        attacking.cancel()
        # The culprits leave.
        for raw in feeders + victims:
            raw.abort()
        sampler.cancel()

    # Once each server has seen them go, its memory comes back.
    async with aiohttp.ClientSession() as session, asyncio.timeout(20):
        for server, count in honest:
            while True:
                health = await server.health(session)
                if health["connections"] == count and health["peers"] == count:
                    break
                await asyncio.sleep(0.05)
    for pid, before in zip(pids, baseline, strict=True):
        after = await rss_once_below(pid, before + RSS_AFTER_MIB, 10.0)
        print(f"RSS of {pid} after the culprits left {after:.1f} MiB")
        assert after - before <= RSS_AFTER_MIB, f"{after:.1f} MiB, from {before:.1f} MiB"
    await relay_both_ways(a, b, "after")


async def test_a_connection_that_never_says_hello_is_closed(
    make_server: ServerFactory, connect: Connect
) -> None:
    server = await make_server(hello_timeout=0.3)
    started = time.monotonic()
    silent = await connect(server.url)
    greeted = await connect(server.url)
    await greeted.send({"type": "hello", "version": 1})
    await greeted.expect("hello")
    assert await silent.closed() == 1008
    assert time.monotonic() - started < 3.0
    await greeted.send({"type": "ping", "id": 1})
    assert await greeted.recv() == {"type": "pong", "id": 1}


async def test_connections_from_one_address_are_limited(
    server: SignalingServer, connect: Connect
) -> None:
    # The default: 64 from 127.0.0.1, loopback included.
    peers = [await connect(server.url) for _ in range(64)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(server.url)
    assert refused.value.status == 429
    await peers[0].ws.close()
    async with asyncio.timeout(5):
        await server.until(lambda: server.connections_from("127.0.0.1") < 64)
    again = await connect(server.url)
    await again.send({"type": "ping", "id": 2})
    assert await again.recv() == {"type": "pong", "id": 2}


# -- the parser fuzzed through a real server -----------------------------------------


class FuzzRoom:
    """A server, two honest members and a fuzzing client, kept across examples
    on an event loop of their own (hypothesis runs examples synchronously)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.examples = self.frames = 0

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
        for frame in frames:
            await self.fuzz(frame)
        self.examples += 1
        await relay_both_ways(self.alice, self.bob, f"example {self.examples}")
        assert not self.alice.ws.closed and not self.bob.ws.closed

    async def fuzz(self, frame: str | bytes) -> None:
        """Send one frame from the fuzzer and wait until the server is done
        with it: it answered a ping sent next, or it closed the fuzzer (1007
        bad UTF-8, 1008 too many refusals, 1009 too large), which is then
        replaced, so that every frame of an example is heard."""
        if self.fuzzer.ws.closed:
            self.fuzzer = await self.member("fuzzer")
        ws = self.fuzzer.ws
        self.frames += 1
        sync = {"type": "pong", "id": f"sync {self.frames}"}
        with contextlib.suppress(ConnectionError):
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                # Raw surrogates cannot be UTF-8: they go out as the invalid
                # bytes a broken client would send.
                data = frame.replace(PEER, self.bob.id).encode("utf-8", "surrogatepass")
                await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
            await self.fuzzer.send({"type": "ping", "id": sync["id"]})
        async with asyncio.timeout(10):
            while not ws.closed:
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT and json.loads(msg.data) == sync:
                    return
        assert ws.close_code in (1007, 1008, 1009), ws.close_code


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
@example(frames=POISON_RELAY)
@example(frames=POISON_NAME)
def test_a_fuzzing_client_disturbs_no_other_member(
    fuzz_room: FuzzRoom, frames: list[str | bytes]
) -> None:
    fuzz_room.loop.run_until_complete(fuzz_room.round(frames))
