"""The hostile-input tests of test_server_hostile.py, against two server
processes sharing rooms through a real redis-server.

The two servers run in this test's process (two ClusterServers, two
processes as far as Redis and each other know): what a hostile client sends
on one must cost only itself there and never reach, or disturb, the
members on the other. The honest members sit on different servers, so
every relay between them crosses Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from avacollab.signaling.cluster import ClusterServer

from .conftest import SECRET, Connect, Peer, settings_for_test
from .redisserver import RedisServer, redis_server_fixture  # noqa: F401 (fixture)
from .test_server import pair
from .test_server_hostile import FuzzRoom, relay_both_ways
from .test_signaling_fuzz import FRAMES, POISON_NAME, POISON_RELAY


@pytest.fixture
async def two_servers(redis_server: RedisServer) -> AsyncIterator[list[ClusterServer]]:
    servers = [
        ClusterServer(settings_for_test(redis=redis_server.url), resume_secret=SECRET)
        for _ in range(2)
    ]
    for server in servers:
        await server.start()
    yield servers
    for server in servers:
        await server.stop()


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
