"""One peer process of the presence benchmark (driven by ``bench/presence.py``).

Three kinds of peer, all joining the same loopback signaling server:

* ``presence``: a real :class:`~avacollab.peer.session.Session` with the presence
  plugin, moving its cursor through ``Presence.set_cursor`` (so through the
  throttle, the bus and its batching);
* ``bus``: the same session without the plugin, publishing one JSON payload
  of ``--frame-size`` bytes per move on the bus's unordered channel and
  parsing each one received, as the floor does: the session and the bus alone;
* ``raw``: the floor. A plain aiortc peer connection to every other peer
  (avacollab's :class:`~avacollab.peer.link.PeerLink` only sets it up) and one
  data-channel frame per move per peer straight on the unordered channel: no
  bus, no presence, no liveness pings. Its SCTP is aiortc's own unless
  ``--delayed-acks`` gives it avacollab's (:mod:`avacollab.peer.sctp`), which the
  sessions of the other two kinds always use.

Protocol with the runner, one JSON line each way: the peer prints
``{"ready": ...}`` once connected to everyone, reads ``go T`` (a wall-clock
start time shared by all peers), moves its cursor ``rate`` times a second
from T for ``duration`` seconds, prints ``{"result": ...}`` and, after the
runner's ``done`` line, closes. The cursor's x coordinate is the wall-clock
time of the move in ms after T, so a receiver knows each position's age: all
peers share the machine's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

TOPIC = "bench.cursor"
READY_TOPIC = "bench.ready"
SETTLE = 0.3
"""Seconds after the last move still inside the measured window: the last
updates (and presence's resting repeat, 50 ms later) are part of the cost."""
CONNECT_TIMEOUT = 60.0


class Window:
    """CPU, latencies and counters over the measured window of one peer."""

    def __init__(self) -> None:
        self.start = 0.0
        self.open = False
        self.latencies: list[float] = []
        self.last_x: dict[str, float] = {}
        self._cpu = (0.0, 0.0)

    def begin(self, start: float) -> None:
        self.start = start
        times = os.times()
        self._cpu = (times.user, times.system)
        self.open = True

    def end(self) -> dict[str, float]:
        self.open = False
        times = os.times()
        return {"user": times.user - self._cpu[0], "system": times.system - self._cpu[1]}

    def seen(self, sender: str, x: float) -> None:
        """A position stamped ``x`` ms after the start reached us from ``sender``."""
        # Only new positions count: presence repeats a resting cursor reliably.
        if not self.open or x <= self.last_x.get(sender, -1.0):
            return
        self.last_x[sender] = x
        self.latencies.append((time.time() - self.start) * 1000 - x)


async def stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def wait_until(condition: Callable[[], bool], changed: asyncio.Event) -> None:
    async with asyncio.timeout(CONNECT_TIMEOUT):
        while not condition():
            changed.clear()
            await changed.wait()


async def move(start: float, rate: float, duration: float, step: Callable[[float], None]) -> int:
    """Call ``step(stamp_ms)`` ``rate`` times a second on a fixed schedule; return the count."""
    moves = round(rate * duration)
    for k in range(moves):
        delay = start + k / rate - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        step((time.time() - start) * 1000)
    await asyncio.sleep(max(0.0, start + duration + SETTLE - time.time()))
    return moves


def session_config(args: argparse.Namespace) -> Any:
    from avacollab.bus import BusConfig
    from avacollab.peer.ice import LOOPBACK
    from avacollab.peer.session import SessionConfig

    return SessionConfig(
        args.server,
        args.room,
        name=f"peer{args.index}",
        ice_addresses=LOOPBACK,
        connect_timeout=CONNECT_TIMEOUT,
        bus=BusConfig(
            ping_interval=args.ping_interval, dead_after=max(5.0, 5 * args.ping_interval)
        ),
    )


async def measured_moves(
    session: Any,
    reader: asyncio.StreamReader,
    window: Window,
    args: argparse.Namespace,
    step: Callable[[float], None],
) -> None:
    """Say ready, move from the runner's start time, report the window's figures."""
    say(ready=True)
    start = float((await reader.readline()).split()[1])
    await asyncio.sleep(max(0.0, start - time.time()))
    before = session.bus.counters.as_dict()
    window.begin(start)
    moves = await move(start, args.rate, args.duration, step)
    cpu = window.end()
    after = session.bus.counters.as_dict()
    counters = {key: after[key] - before[key] for key in after}
    say(result={"cpu": cpu, "moves": moves, "latencies_ms": window.latencies, **counters})
    await reader.readline()  # done: every peer has finished measuring


async def presence_peer(args: argparse.Namespace) -> None:
    from avacollab_presence.plugin import PresenceSession

    from avacollab.peer.session import Session
    from avacollab.plugins import features, load

    reader = await stdin_reader()
    changed = asyncio.Event()
    # No event sink: `join` writes presence events only with --events, and a
    # sink here would add its own cost to every update.
    session = Session(session_config(args), features=features(load(""), [PresenceSession]))
    window = Window()
    try:
        await session.start()
        presence = session.features.get(PresenceSession).presence
        # A new connection makes presence publish again, so its changes also
        # mark the moments when `session.connected` may have grown.
        unsubscribe = presence.subscribe(lambda _change: changed.set())
        await wait_until(
            lambda: (
                len(session.connected) == args.peers - 1 and len(presence.states()) == args.peers
            ),
            changed,
        )
        unsubscribe()

        def observe(change: Any) -> None:
            if change.origin != "remote" or not window.open:
                return
            for peer in change.updated:
                state = presence.state_of(peer)
                if state is not None and state.cursor is not None:
                    window.seen(peer, state.cursor.x)

        presence.subscribe(observe)
        await measured_moves(
            session, reader, window, args, lambda x: presence.set_cursor(x, args.index)
        )
    finally:
        await session.close()


async def bus_peer(args: argparse.Namespace) -> None:
    from avacollab.peer.session import Session
    from avacollab.plugins import features, load

    reader = await stdin_reader()
    session = Session(session_config(args), features=features(load("")))
    window = Window()
    padding = "." * max(0, args.frame_size - 40)
    try:
        await session.start()
        session.bus.subscribe(
            TOPIC, lambda message: window.seen(message.sender, json.loads(message.payload)["x"])
        )
        # Every bus open both ways before the moves start: each peer says
        # hello until it has heard from every other one, and answers each
        # hello it gets, so a peer that finished first still answers.
        heard: set[str] = set()
        changed = asyncio.Event()

        def hello(message: Any) -> None:
            heard.add(message.sender)
            changed.set()
            if message.payload == b"hello":
                session.bus.publish(READY_TOPIC, b"ack", to=message.sender)

        session.bus.subscribe(READY_TOPIC, hello)
        while len(heard) < args.peers - 1:
            changed.clear()
            session.bus.publish(READY_TOPIC, b"hello")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), 0.2)

        def step(x: float) -> None:
            payload = json.dumps({"x": x, "y": args.index, "pad": padding}).encode()
            session.bus.publish(TOPIC, payload, reliable=False)

        await measured_moves(session, reader, window, args, step)
    finally:
        await session.close()


async def raw_peer(args: argparse.Namespace) -> None:
    from avacollab.peer.ice import LOOPBACK
    from avacollab.peer.link import LinkConfig, PeerLink
    from avacollab.peer.signaling_client import SignalingClient

    reader = await stdin_reader()
    link_config = LinkConfig(
        host_addresses=LOOPBACK,
        open_timeout=CONNECT_TIMEOUT,
        delayed_acks=args.delayed_acks,
    )
    links: dict[str, PeerLink] = {}
    opened: set[str] = set()
    changed = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()
    window = Window()
    counts = {"frames_sent": 0, "frames_received": 0}
    padding = "." * max(0, args.frame_size - 40)

    def new_link(peer_id: str, offerer: bool) -> PeerLink:
        link = links[peer_id] = PeerLink(peer_id, offerer=offerer, config=link_config)

        def received(data: bytes | str) -> None:
            counts["frames_received"] += 1
            window.seen(peer_id, json.loads(data)["x"])

        link.unordered.on("message", received)
        return link

    async def opened_link(peer_id: str, link: PeerLink) -> None:
        await link.wait_open()
        opened.add(peer_id)
        changed.set()

    async def on_signal(message: dict[str, Any]) -> None:
        kind, sender = message.get("type"), message.get("from", "")
        if kind == "peer-joined":
            peer_id = message["peer"]
            if peer_id in links or not client.peer_id < peer_id:
                return  # the peer with the smaller id offers
            link = new_link(peer_id, True)
            await client.relay("offer", peer_id, sdp=await link.create_offer())
            await opened_link(peer_id, link)
        elif kind == "offer":
            link = new_link(sender, False)
            await client.relay("answer", sender, sdp=await link.accept_offer(message["sdp"]))
            await opened_link(sender, link)
        elif kind == "answer":
            await links[sender].accept_answer(message["sdp"])

    def spawn(message: dict[str, Any]) -> None:
        # The client awaits its handler; negotiation must not hold up the next message.
        task = asyncio.create_task(on_signal(message))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def step(x: float) -> None:
        frame = json.dumps({"x": x, "y": args.index, "pad": padding}).encode()
        for link in links.values():
            link.unordered.send(frame)
            counts["frames_sent"] += 1

    client = SignalingClient(args.server, args.room, on_message=spawn)
    try:
        welcome = await client.connect()
        for other in welcome["peers"]:
            spawn({"type": "peer-joined", "peer": other["peer"]})
        await wait_until(lambda: len(opened) == args.peers - 1, changed)
        say(ready=True)
        start = float((await reader.readline()).split()[1])
        await asyncio.sleep(max(0.0, start - time.time()))
        before = dict(counts)
        window.begin(start)
        moves = await move(start, args.rate, args.duration, step)
        cpu = window.end()
        delta = {key: counts[key] - before[key] for key in counts}
        say(result={"cpu": cpu, "moves": moves, "latencies_ms": window.latencies, **delta})
        await reader.readline()  # done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for link in links.values():
            await link.close()
        await client.close()


def main() -> None:
    from avacollab.bus import BusConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["presence", "bus", "raw"])
    parser.add_argument("server")
    parser.add_argument("room")
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--peers", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--frame-size", type=int, default=200)
    parser.add_argument("--ping-interval", type=float, default=BusConfig().ping_interval)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument(
        "--delayed-acks", action="store_true", help="raw: avacollab's SCTP acknowledgements"
    )
    args = parser.parse_args()
    run = {"presence": presence_peer, "bus": bus_peer, "raw": raw_peer}[args.kind]
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(run(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
