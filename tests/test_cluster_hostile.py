"""The hostile-input tests of test_server_hostile.py, against two server
processes sharing rooms through a real redis-server.

The two servers run in this test's process (two ClusterServers, two
processes as far as Redis and each other know): what a hostile client sends
on one must cost only itself there and never reach, or disturb, the
members on the other. The honest members sit on different servers, so
every relay between them crosses Redis. The memory test, which reads each
server's RSS, runs two ``avacollab serve --redis`` processes instead.

A flood toward the members of another process must not cost that process
its Redis subscription either: the flow control between processes is
tested here too, on small windows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from avacollab.signaling import cluster, clustercore
from avacollab.signaling import server as signaling_server
from avacollab.signaling.cluster import ClusterServer
from avacollab.signaling.core import Action

from .conftest import SECRET, Connect, Peer, Serve, settings_for_test
from .rawws import RawSocket
from .redisserver import RedisServer, redis_server_fixture  # noqa: F401 (fixture)
from .test_server import pair
from .test_server_hostile import (
    NEVER_READ_SERVE_ARGS,
    FuzzRoom,
    Served,
    attack_by_clients_that_never_read,
    feed_a_slow_reader,
    relay_both_ways,
)
from .test_signaling_fuzz import FRAMES, POISON_NAME, POISON_RELAY

TwoServers = Callable[..., Awaitable[list[ClusterServer]]]


@pytest.fixture
async def make_two_servers(redis_server: RedisServer) -> AsyncIterator[TwoServers]:
    """``await make_two_servers(**settings)``: two ClusterServers on one Redis."""
    started: list[ClusterServer] = []

    async def factory(**overrides: Any) -> list[ClusterServer]:
        settings = settings_for_test(redis=redis_server.url, **overrides)
        servers = [ClusterServer(settings, resume_secret=SECRET) for _ in range(2)]
        for server in servers:
            await server.start()
            started.append(server)
        return servers

    yield factory
    for server in started:
        await server.stop()


@pytest.fixture
async def two_servers(make_two_servers: TwoServers) -> list[ClusterServer]:
    return await make_two_servers()


async def members_across(
    one: ClusterServer, two: ClusterServer, connect: Connect
) -> tuple[Peer, Peer]:
    """Alice on ``one`` and Bob on ``two``, in "room": every relay between them crosses Redis."""
    a = await connect(one.url)
    await a.join("room", name="alice")
    b = await connect(two.url)
    await b.join("room", name="bob")
    assert (await a.expect("peer-joined"))["peer"] == b.id
    return a, b


async def test_a_lone_surrogate_is_refused_and_poisons_nobody_on_any_server(
    two_servers: list[ClusterServer], connect: Connect
) -> None:
    one, two = (server.url for server in two_servers)
    a = await connect(one)
    await a.join("room", name="alice")
    b = await connect(two)
    await b.join("room", name="bob")
    assert (await a.expect("peer-joined"))["peer"] == b.id
    evil = await connect(one)
    await evil.send({"type": "hello", "version": 1})
    await evil.expect("hello")
    await evil.send({"type": "join", "room": "room", "name": "cut \ud83d", "id": "j"})
    error = await evil.expect("error")
    assert (error["code"], error["id"]) == ("bad-unicode", "j")
    await evil.join("room", name="evil")
    assert (await a.expect("peer-joined"))["name"] == "evil"
    assert (await b.expect("peer-joined"))["name"] == "evil"
    for bad in ({"sdp": "v=0 \udfff"}, {"sdp": "v=0", "x": ["\ud800"]}):
        await evil.send({"type": "offer", "to": b.id, **bad})
        assert (await evil.expect("error"))["code"] == "bad-unicode"
    await relay_both_ways(a, b, "after")
    c = await connect(two)
    welcome = await c.join("room", name="carol")
    assert sorted(p["name"] for p in welcome["peers"]) == ["alice", "bob", "evil"]
    # What crossed processes is counted, and nothing was dropped.
    http = two_servers[0].url.replace("ws://", "http://").removesuffix("/ws")
    async with aiohttp.ClientSession() as session, session.get(f"{http}/metrics") as reply:
        text = await reply.text()
    assert "avacollab_cluster_redis_reachable 1" in text
    assert "avacollab_cluster_dropped_total 0" in text
    assert "avacollab_cluster_remote_peers 2" in text  # bob and carol
    forwarded = next(x for x in text.splitlines() if x.startswith("avacollab_cluster_forw"))
    assert int(forwarded.split()[1]) >= 1


async def test_a_relay_to_a_peer_of_another_room_or_server_is_refused(
    two_servers: list[ClusterServer], connect: Connect
) -> None:
    one, two = (server.url for server in two_servers)
    a, b = await pair(connect, one)
    other = await connect(two)
    await other.join("elsewhere", name="other")
    # A peer id of another room, on another server: unknown here.
    await other.send({"type": "offer", "to": a.id, "sdp": "x", "id": 5})
    error = await other.expect("error")
    assert (error["code"], error["id"]) == ("unknown-peer", 5)
    await relay_both_ways(a, b, "untouched")


async def test_a_slow_reader_fed_from_another_server_is_cut_off_at_its_byte_bound(
    make_two_servers: TwoServers, connect: Connect
) -> None:
    one, two = await make_two_servers(rate=1e6, burst=10**6)
    a, b = await members_across(one, two, connect)
    victim = await RawSocket.connect("127.0.0.1", two.port)
    await victim.join("room")
    # Once a hears of the victim, its server forwards a's relays to it.
    assert (await a.expect("peer-joined"))["peer"] == victim.peer
    await b.expect("peer-joined")
    await feed_a_slow_reader(a, b, victim, two)


async def test_clients_that_never_read_cannot_grow_any_servers_memory(
    serve: Serve, redis_server: RedisServer, connect: Connect
) -> None:
    """The attack of test_server_hostile.py across two server processes:
    the feeders on one, the clients that never read on the other, so that
    what they are fed crosses Redis, as fast as the feeders can send it.

    Two ``avacollab serve --redis`` processes on two ports, not ``--workers
    2``: with SO_REUSEPORT the kernel, not the test, picks each
    connection's process, and each process's RSS is read on its own.
    """
    servers = []
    for _ in range(2):
        proc, url = await serve("--redis", redis_server.url, *NEVER_READ_SERVE_ARGS)
        servers.append(Served(proc, url))
    feeding, starved = servers
    a = await connect(feeding.url)
    await a.join("room", name="alice")
    b = await connect(starved.url)
    await b.join("room", name="bob")
    await a.expect("peer-joined")
    await attack_by_clients_that_never_read(
        a, b, feeders_on=feeding, victims_on=starved, honest=[(feeding, 1), (starved, 1)]
    )


def flood(a: Peer, b: Peer, count: int) -> list[dict[str, Any]]:
    """``count`` offers of 2 KB from a to b, as b should hear them."""
    return [{"type": "offer", "from": a.id, "sdp": f"v=0 {n} " + "x" * 2000} for n in range(count)]


async def test_a_flood_across_processes_waits_for_the_receiving_process_to_read(
    make_two_servers: TwoServers, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flow control between processes, with a window of about 8 offers and
    a queue of about 4: every offer arrives, in order, while the sending
    process never has more than the window published and unconfirmed, and
    the sender is not read while its process's queue is full."""
    monkeypatch.setattr(cluster, "WINDOW_BYTES", 16_384)
    monkeypatch.setattr(clustercore, "MARK_EVERY", 4_096)
    monkeypatch.setattr(cluster, "OUTBOX_BYTES", 8_192)
    monkeypatch.setattr(cluster, "FLOW_TIMEOUT", 60.0)  # a lost confirmation fails the test
    one, two = await make_two_servers(rate=1e6, burst=10**6)
    a, b = await members_across(one, two, connect)
    flow, peak = one._flow, 0
    published = flow.published

    def counting(proc: str, size: int) -> int | None:
        nonlocal peak
        mark = published(proc, size)
        peak = max(peak, flow.unread(proc))
        return mark

    monkeypatch.setattr(flow, "published", counting)
    pauses = 0
    pause = signaling_server._Client.pause

    def counting_pauses(client: signaling_server._Client) -> None:
        nonlocal pauses
        pauses += 1
        pause(client)

    monkeypatch.setattr(signaling_server._Client, "pause", counting_pauses)
    sent = flood(a, b, 300)
    for message in sent:
        await a.send({"to": b.id, **message})
    async with asyncio.timeout(20):
        assert [await b.expect("offer") for _ in sent] == sent
    relay = max(len(clustercore.relay_envelope("room", b.id, m)) for m in sent)
    assert 16_384 <= peak < 16_384 + relay
    assert pauses > 0
    await relay_both_ways(a, b, "after")


async def test_a_process_that_never_confirms_reading_is_taken_as_read_after_a_while(
    make_two_servers: TwoServers,
    connect: Connect,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As a process of an older version, which ignores marks, or one whose
    confirmations are lost: what is sent to it still arrives, in order."""
    monkeypatch.setattr(cluster, "WINDOW_BYTES", 16_384)
    monkeypatch.setattr(clustercore, "MARK_EVERY", 4_096)
    monkeypatch.setattr(cluster, "FLOW_TIMEOUT", 0.2)
    one, two = await make_two_servers(rate=1e6, burst=10**6)
    a, b = await members_across(one, two, connect)
    deliver = two.core.deliver

    def deaf(data: bytes | str, now: float) -> list[Action]:
        mark = b'"k":"mark"' in (data if isinstance(data, bytes) else data.encode())
        return [] if mark else deliver(data, now)

    monkeypatch.setattr(two.core, "deliver", deaf)
    sent = flood(a, b, 40)  # 80 KB: a few windows, each taken as read after 0.2 s
    for message in sent:
        await a.send({"to": b.id, **message})
    async with asyncio.timeout(20):
        assert [await b.expect("offer") for _ in sent] == sent
    assert "flow-timeout" in [record.message for record in caplog.records]


async def test_a_connection_that_never_says_hello_is_closed_on_any_server(
    make_two_servers: TwoServers, connect: Connect
) -> None:
    one, two = await make_two_servers(hello_timeout=0.3)
    started = time.monotonic()
    silent = [await connect(server.url) for server in (one, two)]
    a, b = await members_across(one, two, connect)
    for peer in silent:
        assert await peer.closed() == 1008
    assert time.monotonic() - started < 3.0
    await relay_both_ways(a, b, "after")


async def test_connections_from_one_address_are_limited_per_process(
    two_servers: list[ClusterServer], connect: Connect
) -> None:
    """docs/protocol.md: 64 from one address (the default), and with
    ``redis`` each process counts its own (docs/scaling.md, Guarantees)."""
    one, two = two_servers
    a, b = await members_across(one, two, connect)
    raws: list[RawSocket] = []
    try:
        for server in (one, two):
            for _ in range(63):  # and a or b: 64
                raws.append(await RawSocket.connect("127.0.0.1", server.port, rcvbuf=None))
            assert server.connections_from("127.0.0.1") == 64
            with pytest.raises(ConnectionError, match=" 429 "):
                await RawSocket.connect("127.0.0.1", server.port)
        # Both at their cap, the room across them goes on.
        await relay_both_ways(a, b, "capped")
        # A place freed on one process is free there, and only there.
        raws.pop(0).abort()
        async with asyncio.timeout(5):
            await one.until(lambda: one.connections_from("127.0.0.1") < 64)
        assert two.connections_from("127.0.0.1") == 64
        with pytest.raises(ConnectionError, match=" 429 "):
            await RawSocket.connect("127.0.0.1", two.port)
        again = await connect(one.url)
        await again.send({"type": "ping", "id": 2})
        assert await again.recv() == {"type": "pong", "id": 2}
    finally:
        for raw in raws:
            raw.abort()


class ClusterFuzzRoom(FuzzRoom):
    """FuzzRoom with alice and the fuzzer on one server and bob on another."""

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self.redis_url = redis_url

    async def start(self) -> None:
        settings = settings_for_test(
            rate=1e6,
            burst=10**6,
            heartbeat=3600.0,
            max_room_size=10_000,
            redis=self.redis_url,
            # The loop stands still while hypothesis thinks: a TTL that
            # outlasts that, or the servers would reap each other.
            redis_ttl=3600.0,
        )
        self.servers = [ClusterServer(settings, resume_secret=b"fuzz") for _ in range(2)]
        for server in self.servers:
            await server.start()
        self.session = aiohttp.ClientSession()
        self.alice = await self.member("alice")
        self.bob = await self.member("bob")
        self.fuzzer = await self.member("fuzzer")

    async def member(self, name: str) -> Peer:
        server = self.servers[1 if name == "bob" else 0]
        peer = Peer(await self.session.ws_connect(server.url))
        await peer.join("room", name=name)
        return peer

    async def stop(self) -> None:
        await self.session.close()
        for server in self.servers:
            await server.stop()


@pytest.fixture
def cluster_fuzz_room(redis_server: RedisServer) -> Iterator[ClusterFuzzRoom]:
    room = ClusterFuzzRoom(redis_server.url)
    room.loop.run_until_complete(room.start())
    yield room
    room.loop.run_until_complete(room.stop())
    room.loop.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(FRAMES, min_size=1, max_size=6))
@example(frames=POISON_RELAY)
@example(frames=POISON_NAME)
def test_a_fuzzing_client_disturbs_no_member_on_any_server(
    cluster_fuzz_room: ClusterFuzzRoom, frames: list[str | bytes]
) -> None:
    cluster_fuzz_room.loop.run_until_complete(cluster_fuzz_room.round(frames))
