"""Several ``avacollab serve --redis`` processes sharing rooms, against a real redis-server.

Each server is its own process started with ``python -m avacollab serve``;
they share the resume secret through the test's config directory, as the
processes of one machine share the default secret file.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import Connect, Peer, Serve
from .redisserver import (  # noqa: F401 (redis_server_fixture: the fixture)
    RedisServer,
    redis_server_binary,
    redis_server_fixture,
)
from .sessionkit import WAIT
from .test_join_e2e import ROOT, JoinProcess, got, quit_all

# Short, so the kill test is quick, but not so short that a process stalled
# by the loaded machine misses its heartbeat (its peers would be announced lost).
TTL = 4.0
BOUND = TTL * 4 / 3
"""docs/scaling.md: a dead process's peers are announced left within 4/3 TTL
(its key expires, then the next heartbeat of another process reaps it)."""
SLACK = 10.0  # a loaded machine: delivery and scheduling on top of the bound


class Cluster:
    """``await cluster(n, *args)``: n more server processes on one Redis; their URLs."""

    def __init__(self, serve: Serve, redis_url: str) -> None:
        self.serve = serve
        self.redis_url = redis_url
        self.procs: list[asyncio.subprocess.Process] = []

    async def __call__(self, count: int, *args: str) -> list[str]:
        urls = []
        for _ in range(count):
            proc, url = await self.serve(
                "--redis", self.redis_url, "--redis-ttl", str(TTL), "--resume-grace", "10",
                *args,
            )  # fmt: skip
            self.procs.append(proc)
            urls.append(url)
        return urls


@pytest.fixture
def cluster(serve: Serve, redis_server: RedisServer) -> Cluster:
    """The serve fixture stops every process after the test."""
    return Cluster(serve, redis_server.url)


async def logged(proc: asyncio.subprocess.Process, event: str, timeout: float = WAIT) -> None:
    """Read the server's log until it logs ``event`` (a line ``HH:MM:SS info EVENT``)."""
    assert proc.stderr is not None
    async with asyncio.timeout(timeout):
        while line := (await proc.stderr.readline()).decode():
            if f" {event}" in line:
                return
    raise AssertionError(f"the server exited before logging {event}")


async def expect_skipping(peer: Peer, kind: str, timeout: float = WAIT) -> dict[str, Any]:
    """The next message of ``kind``; others (errors of a retry) are skipped."""
    async with asyncio.timeout(timeout):
        while True:
            message = await peer.recv(timeout)
            if message["type"] == kind:
                return message


def test_missing_redis_server_skips_locally_and_fails_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        redis_server_binary(str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="redis-server is not installed"):
        redis_server_binary(str(tmp_path))


async def test_peers_on_different_processes_meet_and_relay(
    cluster: Cluster, connect: Connect
) -> None:
    one, two = await cluster(2)
    alice, bob = await connect(one), await connect(two)
    await alice.join("r", name="alice")
    welcome = await bob.join("r", name="bob")
    assert welcome["peers"] == [{"peer": alice.id, "name": "alice"}]
    assert await alice.expect("peer-joined") == {
        "type": "peer-joined", "peer": bob.id, "name": "bob"}  # fmt: skip
    await alice.send({"type": "offer", "to": bob.id, "sdp": "v=0 offer", "from": "forged"})
    assert await bob.expect("offer") == {"type": "offer", "from": alice.id, "sdp": "v=0 offer"}
    await bob.send({"type": "answer", "to": alice.id, "sdp": "v=0 answer"})
    assert (await alice.expect("answer"))["sdp"] == "v=0 answer"
    # Candidates in a row arrive in the order sent (one sender, one channel).
    for i in range(50):
        line = f"candidate:{i} 1 udp 1 127.0.0.1 {9000 + i} typ host"
        await bob.send({"type": "candidate", "to": alice.id, "candidate": {"candidate": line}})
    got_order = [(await alice.expect("candidate"))["candidate"]["candidate"] for _ in range(50)]
    assert [int(line.split()[0].split(":")[1]) for line in got_order] == list(range(50))
    await bob.send({"type": "offer", "to": "nobody", "sdp": "x"})
    assert (await bob.expect("error"))["code"] == "unknown-peer"
    await bob.send({"type": "leave"})
    await bob.expect("left")
    assert await alice.expect("peer-left") == {
        "type": "peer-left", "peer": bob.id, "reason": "left"}  # fmt: skip


async def test_room_size_holds_across_processes(cluster: Cluster, connect: Connect) -> None:
    urls = await cluster(3, "--max-room-size", "2")
    peers = [await connect(url) for url in urls]
    await peers[0].join("small")
    await peers[1].join("small")
    await peers[2].send({"type": "hello", "version": 1})
    await peers[2].expect("hello")
    await peers[2].send({"type": "join", "room": "small", "id": 7})
    error = await peers[2].expect("error")
    assert (error["code"], error["id"]) == ("room-full", 7)
    # A place freed on one process is free on every other, once Redis has
    # the leave: the others hear of it from there.
    await peers[0].send({"type": "leave"})
    await expect_skipping(peers[0], "left")
    await expect_skipping(peers[1], "peer-left")
    await peers[2].send({"type": "join", "room": "small"})
    welcome = await peers[2].expect("welcome")
    assert [p["peer"] for p in welcome["peers"]] == [peers[1].id]


async def test_room_count_holds_across_processes(cluster: Cluster, connect: Connect) -> None:
    one, two = await cluster(2, "--max-rooms", "1")
    first, second = await connect(one), await connect(two)
    await first.join("only")
    await second.send({"type": "hello", "version": 1})
    await second.expect("hello")
    await second.send({"type": "join", "room": "another"})
    assert (await second.expect("error"))["code"] == "too-many-rooms"
    await second.send({"type": "join", "room": "only"})
    await second.expect("welcome")


async def test_a_killed_process_peers_are_announced_left_and_resume_elsewhere(
    cluster: Cluster, connect: Connect
) -> None:
    one, two = await cluster(2)
    alice, bob = await connect(one), await connect(two)
    await alice.join("r", name="alice")
    await bob.join("r", name="bob")
    await alice.expect("peer-joined")
    token = alice.welcome["resume"]
    cluster.procs[0].send_signal(signal.SIGKILL)
    killed = time.monotonic()
    left = await bob.expect("peer-left", timeout=BOUND + SLACK)
    elapsed = time.monotonic() - killed
    assert left == {"type": "peer-left", "peer": alice.id, "reason": "server-lost"}
    assert elapsed <= BOUND + SLACK, elapsed
    # Alice comes back through the other process with her id.
    again = await connect(two)
    welcome = await again.join("r", resume=token)
    assert (welcome["peer"], welcome["resumed"]) == (alice.id, True)
    assert welcome["peers"] == [{"peer": bob.id, "name": "bob"}]
    assert (await bob.expect("peer-joined"))["peer"] == alice.id
    await bob.send({"type": "offer", "to": alice.id, "sdp": "again"})
    assert (await again.expect("offer"))["from"] == bob.id


async def test_a_resume_moves_a_peer_between_live_processes(
    cluster: Cluster, connect: Connect
) -> None:
    one, two = await cluster(2)
    alice, bob = await connect(one), await connect(two)
    await alice.join("r", name="alice")
    await bob.join("r", name="bob")
    await alice.expect("peer-joined")
    moved = await connect(two)
    welcome = await moved.join("r", resume=alice.welcome["resume"])
    assert (welcome["peer"], welcome["resumed"]) == (alice.id, True)
    # The old connection is replaced; the room hears nothing of the move.
    assert await alice.closed() == 4001
    await bob.send({"type": "offer", "to": alice.id, "sdp": "here"})
    assert (await moved.expect("offer"))["sdp"] == "here"
    # A peer that left for good cannot resume on any process.
    await moved.send({"type": "leave"})
    await moved.expect("left")
    assert (await bob.expect("peer-left"))["reason"] == "left"
    late = await connect(one)
    welcome = await late.join("r", resume=welcome["resume"])
    assert welcome["peer"] != alice.id and not welcome["resumed"]


async def test_joins_are_unavailable_while_redis_is_down_and_rooms_recover(
    cluster: Cluster, connect: Connect, redis_server: RedisServer
) -> None:
    one, two = await cluster(2)
    alice, bob = await connect(one), await connect(two)
    await alice.join("r", name="alice")
    await bob.join("r", name="bob")
    await alice.expect("peer-joined")
    redis_server.stop(signal.SIGKILL)
    carol = await connect(two)
    await carol.send({"type": "hello", "version": 1})
    await carol.expect("hello")
    await carol.send({"type": "join", "room": "r", "id": 1})
    error = await carol.expect("error", timeout=WAIT)
    assert (error["code"], error["id"]) == ("unavailable", 1)
    for proc in cluster.procs:
        await logged(proc, "redis-unreachable")
    redis_server.start()  # empty: everything Redis held is lost
    # Each process says when it has put its members back and reads its
    # channel again (what was published to it meanwhile is lost).
    for proc in cluster.procs:
        await logged(proc, "redis-reachable", timeout=WAIT * 3)
    carol = await connect(two)
    welcome = await carol.join("r", name="carol")
    assert sorted(p["name"] for p in welcome["peers"]) == ["alice", "bob"]
    # The room works across processes again.
    await alice.send({"type": "offer", "to": bob.id, "sdp": "after"})
    assert (await expect_skipping(bob, "offer"))["sdp"] == "after"
    await carol.send({"type": "offer", "to": alice.id, "sdp": "new"})
    assert (await expect_skipping(alice, "offer"))["sdp"] == "new"


async def test_workers_share_one_port(
    serve: Serve, redis_server: RedisServer, connect: Connect
) -> None:
    lines: list[str] = []
    proc, url = await serve("--redis", redis_server.url, "--workers", "2", lines=lines)
    # Both workers write to this stderr: wait for the second to listen too.
    if sum("signaling server on" in line for line in lines) < 2:
        await logged(proc, "signaling server on", timeout=WAIT * 2)
    peers = [await connect(url) for _ in range(6)]
    for i, peer in enumerate(peers):
        await peer.join("w", name=f"p{i}")
    last = peers[-1].welcome
    assert sorted(p["name"] for p in last["peers"]) == [f"p{i}" for i in range(5)]
    for peer in peers[:-1]:
        # A member may signal to a newcomer once it has heard of it: the
        # newcomer's process tells the other process through Redis, and a
        # relay sent before that arrives is refused as to an unknown peer.
        while (await expect_skipping(peer, "peer-joined"))["peer"] != peers[-1].id:
            pass
        await peer.send({"type": "candidate", "to": peers[-1].id, "candidate": None})
    senders = {(await peers[-1].expect("candidate"))["from"] for _ in peers[:-1]}
    assert senders == {peer.id for peer in peers[:-1]}
    proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(WAIT):
        assert await proc.wait() == 0


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
async def test_workers_stop_when_their_supervisor_is_killed(
    serve: Serve, redis_server: RedisServer
) -> None:
    lines: list[str] = []
    proc, _ = await serve("--redis", redis_server.url, "--workers", "2", lines=lines)
    if sum("signaling server on" in line for line in lines) < 2:
        await logged(proc, "signaling server on", timeout=WAIT * 2)
    workers = _children(proc.pid)
    assert len(workers) == 2
    proc.kill()  # no SIGTERM to pass on: the workers must notice by themselves
    async with asyncio.timeout(WAIT):
        # Polled: they are not this process's children, nothing says they ended.
        while any(_running(pid) for pid in workers):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def test_workers_without_redis_are_refused(tmp_path: Path) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "avacollab", "serve", "--port", "0", "--workers", "2"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "workers above 1 need redis" in result.stderr


async def test_an_unreachable_redis_is_a_clear_error_at_start(serve: Serve) -> None:
    from .redisserver import free_tcp_port

    url = f"redis://user:hunter2@127.0.0.1:{free_tcp_port()}/0"
    refused = re.escape("cannot reach Redis at redis://user:***@")
    with pytest.raises(AssertionError, match=refused) as failed:
        await serve("--redis", url)
    assert "hunter2" not in str(failed.value)


@pytest.fixture
async def join_peers(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[JoinProcess]]]:
    processes: list[JoinProcess] = []

    async def factory(name: str, url: str) -> JoinProcess:
        stderr = (tmp_path / f"{name}.stderr").open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "avacollab.cli.join", "bus",
            "--server", url, "--name", name, "--ice-address", "127.0.0.1",
            "--events", "-", "--connect-timeout", "10", "--plugin", "tests.e2e_plugin",
            cwd=ROOT, env={**os.environ, "AVACOLLAB_PLUGINS": ""},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
            limit=1 << 20,
        )  # fmt: skip
        stderr.close()
        process = JoinProcess(proc, name)
        processes.append(process)
        await process.events.wait_for("joined")
        return process

    yield factory
    for process in processes:
        process.kill()
    for process in processes:
        await process.proc.wait()
        process._reader.cancel()


async def test_two_join_processes_on_different_servers_reach_a_bus(
    cluster: Cluster, join_peers: Callable[..., Awaitable[JoinProcess]]
) -> None:
    one, two = await cluster(2)
    alice = await join_peers("alice", one)
    bob = await join_peers("bob", two)
    async with asyncio.timeout(30):
        await asyncio.gather(alice.connected_to(1), bob.connected_to(1))
    await alice.command("/send across processes")
    await got(bob, "across processes")
    await quit_all([alice, bob])
