"""Time from join to bus-open for a full mesh of N peers, one process each.

``avacollab.session`` did not exist when this was written, so each peer here
is the same stack built by hand: a :class:`~avacollab.client.SignalingClient`
joins a real signaling server (started by :func:`run_mesh` on port 0 of
127.0.0.1), one :class:`~avacollab.link.PeerLink` per other member (the peer
with the smaller id offers, ICE on 127.0.0.1 only), and one
:class:`~avacollab.bus.Bus` over all links.

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

from avacollab.bus import Bus, Message
from avacollab.client import SignalingClient
from avacollab.ice import LOOPBACK
from avacollab.link import LinkConfig, PeerLink

LINK = LinkConfig(host_addresses=LOOPBACK, open_timeout=20)
HELLO = "bench.hello"
MESH_TIMEOUT = 60.0  # seconds for a whole mesh run, process starts included


async def peer(url: str, room: str, others: int) -> None:
    """One member: join, link with everyone, report when the bus is open."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    bus = Bus()
    links: dict[str, PeerLink] = {}
    heard: set[str] = set()
    everyone = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []

    def hello(message: Message) -> None:
        heard.add(message.sender)
        if len(heard) == others:
            everyone.set()

    bus.subscribe(HELLO, hello)

    def new_link(peer_id: str, offerer: bool) -> PeerLink:
        # On the bus before the channels open: a hello that arrives before
        # our own side has seen "open" must find a receiver.
        link = links[peer_id] = PeerLink(peer_id, offerer=offerer, config=LINK)
        bus.add_peer(peer_id, link.reliable, link.unordered)
        bus.publish(HELLO, b"hi", to=peer_id)  # leaves on the channel's "open"
        return link

    async def meet(peer_id: str) -> None:
        if peer_id in links or not client.peer_id < peer_id:
            return  # the other side offers
        link = new_link(peer_id, True)
        await client.relay("offer", peer_id, sdp=await link.create_offer())
        await link.wait_open()

    async def on_signal(message: dict[str, Any]) -> None:
        kind, sender = message.get("type"), message.get("from", "")
        if kind == "peer-joined":
            await meet(message["peer"])
        elif kind == "offer":
            link = new_link(sender, False)
            await client.relay("answer", sender, sdp=await link.accept_offer(message["sdp"]))
            await link.wait_open()
        elif kind == "answer":
            await links[sender].accept_answer(message["sdp"])

    def settled(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            failures.append(error)
            everyone.set()  # stop waiting: this peer cannot complete its mesh

    def spawn(message: dict[str, Any]) -> None:
        # The client awaits its handler; negotiation must not hold up the next message.
        task = asyncio.create_task(on_signal(message))
        tasks.add(task)
        task.add_done_callback(settled)

    client = SignalingClient(url, room, on_message=spawn)
    print(json.dumps({"ready": True}), flush=True)
    await reader.readline()  # go
    try:
        welcome = await client.connect()
        joined = time.time()
        for other in welcome["peers"]:
            spawn({"type": "peer-joined", "peer": other["peer"]})
        async with asyncio.timeout(30):
            await everyone.wait()
        if failures:
            raise failures[0]
        print(json.dumps({"joined": joined, "open": time.time()}), flush=True)
        await reader.readline()  # everyone is done: only now may links close
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
        for link in links.values():
            await link.close()
        await client.close()


async def run_mesh(size: int, *, uvloop: bool) -> dict[str, Any]:
    """Start a server and ``size`` peer processes; return join and open times in seconds."""
    from avacollab.server import SignalingServer
    from avacollab.settings import Settings

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
