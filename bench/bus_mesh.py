"""Time from join to bus-open for a full mesh of N peers, one process each.

Each peer is a real :class:`~avacollab.peer.session.Session`, as ``avacollab
join`` runs it (on uvloop, ICE on 127.0.0.1 only), joining a real signaling
server that :func:`run_mesh` starts on port 0 of 127.0.0.1. A small plugin
registered through the same hooks as any other says hello to each peer the
moment its link opens (``avacollab_peer_connected``).

Every peer process is started and has imported everything before the clock
starts; then all are told to join at the same instant. A peer's bus is open
when it has heard a bus message from every other peer (which proves both
directions of every link work). Times are wall-clock (``time.time()``,
one clock for every process of the machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import replace
from typing import Any

from avacollab.bus import Message
from avacollab.feature import Feature
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.session import Session as RealSession
from avacollab.peer.session import SessionConfig

HELLO = "bench.hello"
MESH_TIMEOUT = 60.0  # seconds for a whole mesh run, process starts included


class Probe(Feature):
    """A feature: hello to every peer whose link opens; notes whom it heard."""

    name = "bench"
    others = 0
    """How many peers to hear from (set on a subclass, one per process)."""

    def __init__(self, session: Any, config: Any) -> None:
        super().__init__(session, config)
        self.heard: set[str] = set()
        self.everyone = asyncio.Event()

    def topics(self) -> dict[str, Any]:
        return {HELLO: self.hello}

    def peer_connected(self, peer_id: str) -> None:
        self.session.bus.publish(HELLO, b"hi", to=peer_id)

    def hello(self, message: Message) -> None:
        self.heard.add(message.sender)
        if len(self.heard) == self.others:
            self.everyone.set()


async def peer(url: str, room: str, others: int) -> None:
    """One member: join, link with everyone, report when the bus is open."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    counting = type("Probe", (Probe,), {"others": others})
    config = SessionConfig(server=url, room=room, ice_addresses=LOOPBACK, connect_timeout=20)
    session = RealSession(config, features=[counting])
    print(json.dumps({"ready": True}), flush=True)
    await reader.readline()  # go
    try:
        await session.start()
        joined = time.time()
        probe = session.features.get(Probe)
        async with asyncio.timeout(30):
            await probe.everyone.wait()
        print(json.dumps({"joined": joined, "open": time.time()}), flush=True)
        await reader.readline()  # everyone is done: only now may links close
    finally:
        await session.close()


async def run_mesh(size: int, *, uvloop: bool) -> dict[str, Any]:
    """Start a server and ``size`` peer processes; return join and open times in seconds."""
    from avacollab.settings import Settings
    from avacollab.signaling.server import SignalingServer

    settings = replace(Settings(), host="127.0.0.1", port=0, rate=1e6, burst=1_000_000)
    server = SignalingServer(settings, resume_secret=os.urandom(32))
    await server.start()
    command = [sys.executable, __file__, server.url, "mesh", str(size - 1)]
    procs: list[asyncio.subprocess.Process] = []
    try:
        async with asyncio.timeout(MESH_TIMEOUT):
            for _ in range(size):
                procs.append(
                    await asyncio.create_subprocess_exec(
                        *command + ([] if uvloop else ["--no-uvloop"]),
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                    )
                )
            for proc in procs:
                assert proc.stdout is not None
                await proc.stdout.readline()  # ready: imports done
            start = time.time()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"go\n")
            reports = []
            for proc in procs:
                assert proc.stdout is not None
                line = await proc.stdout.readline()
                if not line:
                    raise RuntimeError("a mesh peer exited before its bus was open")
                reports.append(json.loads(line))
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"done\n")
            await asyncio.gather(*(proc.wait() for proc in procs))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await server.stop()
    return {
        "peers": size,
        "join_max_s": max(r["joined"] for r in reports) - start,
        "open_max_s": max(r["open"] for r in reports) - start,
        "open_median_s": sorted(r["open"] for r in reports)[size // 2] - start,
    }


if __name__ == "__main__":
    url, room, others = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if "--no-uvloop" in sys.argv:
        asyncio.run(peer(url, room, others))
    else:
        import uvloop

        uvloop.run(peer(url, room, others))
