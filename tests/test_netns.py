"""A cut link between two peers in separate network namespaces, and its return.

Topology, all made by the test (and removed after it):

    ns A  --veth 10.77.0.0/24--  ns B        peer-to-peer path (ICE uses only this)
     |                            |
    veth 10.78.1.0/24          veth 10.78.2.0/24
     |                            |
     +---------- ns S ------------+          the signaling server

Cutting the A-B veth leaves signaling up, so only the bus liveness check can
notice; bringing it back must give a new connection. Needs root and ``ip``;
skipped otherwise, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .clikit import environment
from .sessionkit import WAIT
from .test_join_e2e import JoinProcess, got


def _unavailable() -> str | None:
    if shutil.which("ip") is None:
        return "needs the ip command (iproute2)"
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    return None


def _ip(*args: str, ns: str | None = None) -> None:
    prefix = ["ip", "netns", "exec", ns] if ns else []
    subprocess.run([*prefix, "ip", *args], check=True, capture_output=True, timeout=10)


class Net:
    """Three namespaces and their veth pairs; names carry the pid so runs never clash."""

    def __init__(self) -> None:
        tag = str(os.getpid() % 100_000)
        self.a, self.b, self.s = (f"avc{tag}{x}" for x in "abs")
        self.ab = f"v{tag}ab"
        self.made: list[str] = []

    def up(self) -> None:
        for ns in (self.a, self.b, self.s):
            _ip("netns", "add", ns)
            self.made.append(ns)
            _ip("link", "set", "lo", "up", ns=ns)
        tag = self.ab[:-2]
        pairs = [
            (self.a, self.ab, "10.77.0.1/24", self.b, f"{tag}ba", "10.77.0.2/24"),
            (self.a, f"{tag}as", "10.78.1.2/24", self.s, f"{tag}sa", "10.78.1.1/24"),
            (self.b, f"{tag}bs", "10.78.2.2/24", self.s, f"{tag}sb", "10.78.2.1/24"),
        ]
        for ns1, if1, addr1, ns2, if2, addr2 in pairs:
            _ip("link", "add", if1, "type", "veth", "peer", "name", if2)
            for ns, name, addr in ((ns1, if1, addr1), (ns2, if2, addr2)):
                _ip("link", "set", name, "netns", ns)
                _ip("addr", "add", addr, "dev", name, ns=ns)
                _ip("link", "set", name, "up", ns=ns)

    def cut(self, down: bool) -> None:
        _ip("link", "set", self.ab, "down" if down else "up", ns=self.a)

    def down(self) -> None:
        for ns in self.made:  # deleting a namespace deletes its veth ends
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


@pytest.fixture
def net() -> Iterator[Net]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the namespace test: {reason}")
        pytest.skip(reason)
    net = Net()
    try:
        net.up()
    except subprocess.CalledProcessError as exc:
        net.down()
        message = f"cannot build namespaces: {exc.stderr.decode(errors='replace').strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield net
    net.down()


async def _in_ns(ns: str, *args: str, stderr: Path) -> asyncio.subprocess.Process:
    with stderr.open("wb") as err:
        return await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", ns, sys.executable, *args,
            cwd=stderr.parent, env=environment(AVACOLLAB_PLUGINS=""),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
        )  # fmt: skip


@pytest.fixture
async def processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    procs: list[asyncio.subprocess.Process] = []
    yield procs
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
    for proc in procs:
        await proc.wait()


async def reconnected(peer: JoinProcess) -> None:
    """Wait for the second peer-connected: the replacement link is open."""
    await peer.events.wait(lambda: len(peer.events.named("peer-connected")) == 2, timeout=40)


async def test_a_cut_link_is_noticed_and_the_connection_comes_back(
    net: Net, processes: list[asyncio.subprocess.Process], tmp_path: Path
) -> None:
    server = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", net.s, sys.executable, "-c",
        "from avacollab.cli.app import main; main()",
        "serve", "--host", "0.0.0.0", "--port", "8765",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    processes.append(server)
    assert server.stdout is not None
    async with asyncio.timeout(WAIT):
        while b"signaling server on" not in await server.stdout.readline():
            pass

    peers = []
    for ns, server_ip, ice in (
        (net.a, "10.78.1.1", "10.77.0.1"),
        (net.b, "10.78.2.1", "10.77.0.2"),
    ):
        proc = await _in_ns(
            ns, "-m", "avacollab.cli.join", "cut", "--server", f"ws://{server_ip}:8765/ws",
            "--ice-address", ice, "--events", "-", "--connect-timeout", "3",
            "--plugin", "tests.e2e_plugin", stderr=tmp_path / f"{ns}.stderr",
        )  # fmt: skip
        processes.append(proc)
        peer = JoinProcess(proc, ns)
        await peer.events.wait_for("joined")
        peers.append(peer)
    a, b = peers
    async with asyncio.timeout(30):
        await asyncio.gather(a.connected_to(1), b.connected_to(1))

    net.cut(down=True)
    for peer, other in ((a, b), (b, a)):
        left = await peer.events.wait_for("peer-left", timeout=15, peer=other.id)
        assert left["reason"] in ("timeout", "failed")
    assert a.events.named("link-failed") and b.events.named("link-failed")

    net.cut(down=False)
    for peer in peers:
        await reconnected(peer)
    await a.command("/send over the mended link")
    await got(b, "over the mended link")
    for peer in peers:
        await peer.command("/quit")
    assert list(await asyncio.gather(a.exited(), b.exited())) == [0, 0]
