"""The editing plugin between two peer processes: edit rate, edit latency, late join.

The parent process starts a signaling server (127.0.0.1, port 0) and a child
process, and both join a room as real avacollab sessions with the editing
plugin, ICE restricted to 127.0.0.1. The parent edits; the child applies and
reports over its stdout (one JSON object a line; its stdin carries commands).

Measured in one run:

- **edits/s**: the parent sets ``--edits`` properties as fast as it can,
  ``--burst`` per event-loop turn, each edit a different property of one node
  (so every edit is visible on arrival, none is overwritten in the same
  update). The rate is edits over the time from the first edit to the moment
  the child has applied the last.
- **latency**: every value is ``[seq, time.time()]`` at the edit; the child
  reads ``time.time()`` when the change is applied (both processes share the
  system clock). Measured unpaced (queueing included) and paced at ``--rate``.
- **late join**: the parent holds a ``--components`` document in a second
  room; the child joins it and times from its join to the document complete
  (every component in ``tree()``), and reports the CPU time it used from the
  state's arrival to that moment (the wall time it would take with a core
  to itself).
- **references**, same run: raw pycrdt single-property updates encoded in one
  doc and applied to another (no network), a raw bus burst of small messages
  between the two processes, one bus message the size of the late joiner's
  state, and the full-state encode/apply of the same document with no
  network. Ratios are editing over reference.

``--max-frame`` sets the bus's ``max_frame_size`` on every session (the
default is the bus's own).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import sys
import time
from dataclasses import replace
from typing import Any

import pycrdt
from avacollab_editing import Change, Document
from avacollab_editing import plugin as editing_plugin
from avacollab_editing.components import walk
from avacollab_editing.session import EditingSession
from machine_info import cpu_model, process_cpu_seconds, write_json

from avacollab.bus import BusConfig, Message
from avacollab.peer.session import SessionConfig
from avacollab.settings import Settings
from avacollab.signaling.server import SignalingServer
from avacollab.testing import RecordedSession

LOOPBACK = ["127.0.0.1"]
RAW_TOPIC = "bench.raw"
TIMEOUT = 120.0


FRAME = BusConfig().max_frame_size


def _session(url: str, room: str, name: str, frame: int) -> RecordedSession:
    config = SessionConfig(
        url,
        room,
        name=name,
        ice_addresses=LOOPBACK,
        connect_timeout=30,
        bus=BusConfig(max_frame_size=frame),
    )
    return RecordedSession(config, plugins=[editing_plugin])


async def _connected(session: RecordedSession, n: int = 1) -> None:
    await session.events.wait(lambda: len(session.connected) >= n, timeout=TIMEOUT)


def _emit(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


# -- the child: applies edits, counts raw bus messages, joins late --------------


class Receiver:
    """Arrival times of remote edits and raw bus messages in the child."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.latencies: list[float] = []
        self.expect = -1
        self.last_time = 0.0
        self.done = asyncio.Event()
        self.raw_seen = self.raw_expect = 0
        self.raw_done = asyncio.Event()
        document.on_change(self.changed)

    def start(self, count: int) -> None:
        self.latencies, self.expect = [], count
        self.done.clear()

    def changed(self, change: Change) -> None:
        # Change callbacks run inside pycrdt's transaction: read the document after it.
        if not change.local:
            asyncio.get_running_loop().call_soon(self.applied, change, time.time())

    def applied(self, change: Change, now: float) -> None:
        for node in change.nodes:
            if node.kind != "props" or not node.keys:
                continue
            state = self.document.node(node.id)
            if state is None:
                continue
            for key in node.keys:
                value = state.props.get(key)
                stamp = value[1] if isinstance(value, list) and len(value) == 2 else None
                if isinstance(stamp, float):
                    self.latencies.append(now - stamp)
                    self.last_time = now
        if self.expect >= 0 and len(self.latencies) >= self.expect:
            self.done.set()

    def raw(self, message: Message) -> None:
        self.raw_seen += 1
        if self.raw_seen >= self.raw_expect:
            self.last_time = time.time()
            self.raw_done.set()


async def child(url: str, room: str, frame: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    session = _session(url, room, "child", frame)
    await session.start()
    receiver = Receiver(session.features.get(EditingSession).document)
    session.bus.subscribe(RAW_TOPIC, receiver.raw)
    _emit({"ready": True})
    while line := await reader.readline():
        command = json.loads(line)
        op = command["op"]
        if op == "edits":
            receiver.start(command["count"])
            _emit({"armed": True})
            async with asyncio.timeout(TIMEOUT):
                await receiver.done.wait()
            _emit({"latencies": receiver.latencies, "last": receiver.last_time})
        elif op == "raw":
            receiver.raw_seen, receiver.raw_expect = 0, command["count"]
            receiver.raw_done.clear()
            _emit({"armed": True})
            async with asyncio.timeout(TIMEOUT):
                await receiver.raw_done.wait()
            _emit({"last": receiver.last_time})
        elif op == "join":
            _emit(await late_join(url, command["room"], command["count"], frame))
        elif op == "quit":
            break
    await session.close()


async def late_join(url: str, room: str, count: int, frame: int) -> dict[str, Any]:
    """Join ``room`` and time until its ``count`` components are all in the tree."""
    start = time.perf_counter()
    session = _session(url, room, "late", frame)
    complete = asyncio.Event()
    timings: dict[str, float] = {}
    try:
        await session.start()
        editing = session.features.get(EditingSession)
        document = editing.document
        receive = editing.sync.receive

        def timed_receive(peer: str, data: bytes) -> None:
            # Splits the join into transfer and apply: stamped before the apply.
            if len(data) > 1024:
                timings.setdefault("state_received", time.perf_counter() - start)
                timings.setdefault("cpu_received", time.process_time())
            receive(peer, data)

        editing.sync.receive = timed_receive  # type: ignore[method-assign]

        def check() -> None:
            if not complete.is_set() and sum(1 for _ in walk(document.tree())) >= count:
                complete.set()

        def changed(change: Change) -> None:
            if not change.local:
                timings.setdefault("first_update", time.perf_counter() - start)
                asyncio.get_running_loop().call_soon(check)

        document.on_change(changed)
        async with asyncio.timeout(TIMEOUT):
            await _connected(session)
            timings["connected"] = time.perf_counter() - start
            await complete.wait()
        timings["complete"] = time.perf_counter() - start
        # CPU the joining process used from the state's arrival to the complete
        # tree: what the wall time would be with a core to itself.
        timings["cpu_after_received"] = time.process_time() - timings.pop("cpu_received", 0.0)
    finally:
        await session.close()
    return timings


# -- the parent: edits and measures -------------------------------------------------


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _bigdoc(count: int) -> list[dict[str, Any]]:
    # A realistic design: screens of ten rows of ten components, a few props each.
    components: list[dict[str, Any]] = []
    made = 0
    while made < count:
        screen: dict[str, Any] = {"id": f"s{made}", "type": "Screen", "children": []}
        made += 1
        for _ in range(10):
            if made >= count:
                break
            row: dict[str, Any] = {"id": f"r{made}", "type": "Row", "children": []}
            made += 1
            screen["children"].append(row)
            for _ in range(10):
                if made >= count:
                    break
                row["children"].append(
                    {
                        "id": f"c{made}",
                        "type": "Button",
                        "properties": {"label": f"Button {made}", "width": 120, "visible": True},
                    }
                )
                made += 1
        components.append(screen)
    return components


def reference_pycrdt(count: int, burst: int) -> float:
    """Single-property updates a second, encoded in one doc and applied to another."""
    a: pycrdt.Doc[Any] = pycrdt.Doc()
    b: pycrdt.Doc[Any] = pycrdt.Doc()
    props = a.get("m", type=pycrdt.Map)
    updates: list[bytes] = []
    subscription = a.observe(lambda event: updates.append(event.update))
    start = time.perf_counter()
    for i in range(count):
        props[f"p{i % burst}"] = [i, time.time()]
    for update in updates:
        b.apply_update(update)
    elapsed = time.perf_counter() - start
    a.unobserve(subscription)
    return count / elapsed


def reference_full_state(document: Document) -> dict[str, float]:
    """Seconds to encode the whole document and apply it to an empty pycrdt doc."""
    start = time.perf_counter()
    update = document.get_update()
    encoded = time.perf_counter()
    fresh: pycrdt.Doc[Any] = pycrdt.Doc()
    fresh.apply_update(update)
    return {
        "encode": encoded - start,
        "apply": time.perf_counter() - encoded,
        "bytes": float(len(update)),
    }


class Child:
    """The child process and its line protocol."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            line = await self.process.stdout.readline()
        if not line:
            raise EOFError("the child process went away")
        value: dict[str, Any] = json.loads(line)
        return value


async def run_edits(
    session: RecordedSession, child: Child, node_id: str, count: int, burst: int, rate: float
) -> dict[str, float]:
    """Make ``count`` edits (paced at ``rate`` a second if > 0); the child's figures."""
    document = session.features.get(EditingSession).document
    await child.ask({"op": "edits", "count": count})
    await child.answer()  # armed
    start = time.time()
    done = 0
    while done < count:
        due = count if rate <= 0 else min(count, int((time.time() - start) * rate) + 1)
        due = min(due, done + burst)
        while done < due:
            document.set_prop(node_id, f"p{done % burst}", [done, time.time()])
            done += 1
        # Let the loop send this turn's update (and pace: 1 ms is the sleep granularity).
        await asyncio.sleep(0 if rate <= 0 else 0.001)
    result = await child.answer()
    latencies = [x * 1000 for x in result["latencies"]]
    return {
        "edits_per_s": count / (result["last"] - start),
        "p50_ms": statistics.median(latencies),
        "p99_ms": _quantile(latencies, 0.99),
        "max_ms": max(latencies),
    }


async def run_raw_bus(session: RecordedSession, child: Child, count: int, burst: int) -> float:
    """Small bus messages a second from the parent to the child, ``burst`` per turn."""
    await child.ask({"op": "raw", "count": count})
    await child.answer()
    payload = json.dumps([0, time.time()]).encode()
    start = time.time()
    sent = 0
    while sent < count:
        for _ in range(min(burst, count - sent)):
            session.bus.publish(RAW_TOPIC, payload)
            sent += 1
        await session.bus.drain()
        await asyncio.sleep(0)
    result = await child.answer()
    return count / (float(result["last"]) - start)


async def run_raw_blob(session: RecordedSession, child: Child, size: int) -> float:
    """Seconds for one bus message of ``size`` bytes to reach the child (chunked by the bus)."""
    await child.ask({"op": "raw", "count": 1})
    await child.answer()
    payload = secrets.token_bytes(size)
    start = time.time()
    session.bus.publish(RAW_TOPIC, payload)
    result = await child.answer()
    return float(result["last"]) - start


def _machine() -> str:
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), Linux {platform.release().split('-')[0]}, "
        f"Python {platform.python_version()}, pycrdt {pycrdt.__version__}"
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    settings = replace(Settings(), host="127.0.0.1", port=0)
    server = SignalingServer(settings, resume_secret=secrets.token_bytes(32))
    await server.start()
    room = f"bench-{secrets.token_hex(4)}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        server.url,
        room,
        *(["--no-uvloop"] if args.no_uvloop else []),
        f"--max-frame={args.max_frame}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 24,  # the latency samples come back as one line
    )
    child = Child(process)
    sessions: list[RecordedSession] = []
    load_before = os.getloadavg()
    try:
        await child.answer()  # ready
        session = _session(server.url, room, "parent", args.max_frame)
        sessions.append(session)
        await session.start()
        await _connected(session)
        document = session.features.get(EditingSession).document
        node_id = document.add("Box", {"label": "bench"})
        results: dict[str, Any] = {"machine": _machine(), "args": vars(args)}
        cpu_start = (
            process_cpu_seconds(os.getpid()),
            process_cpu_seconds(process.pid),
            time.monotonic(),
        )
        results["raw_bus_msgs_per_s"] = await run_raw_bus(session, child, args.edits, args.burst)
        results["unpaced"] = await run_edits(
            session, child, node_id, args.edits, args.burst, rate=0
        )
        results["paced"] = await run_edits(
            session, child, node_id, args.edits, args.burst, rate=args.rate
        )
        wall = time.monotonic() - cpu_start[2]
        results["cpu"] = {
            "parent": (process_cpu_seconds(os.getpid()) - cpu_start[0]) / wall,
            "child": (process_cpu_seconds(process.pid) - cpu_start[1]) / wall,
        }
        results["pycrdt_updates_per_s"] = reference_pycrdt(args.edits, args.burst)

        # Late join: a second room whose only member holds the big document.
        holder = _session(server.url, f"{room}-late", "holder", args.max_frame)
        sessions.append(holder)
        await holder.start()
        big = holder.features.get(EditingSession).document
        big.import_(_bigdoc(args.components))
        results["components"] = sum(1 for _ in walk(big.tree()))
        results["full_state"] = reference_full_state(big)
        results["raw_blob_s"] = await run_raw_blob(
            session, child, int(results["full_state"]["bytes"])
        )
        await child.ask({"op": "join", "room": f"{room}-late", "count": results["components"]})
        results["late_join"] = await child.answer()
        await child.ask({"op": "quit"})
        async with asyncio.timeout(TIMEOUT):
            await process.wait()
        results["load"] = {"before": load_before, "after": os.getloadavg()}
        return results
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await server.stop()


def report(r: dict[str, Any]) -> str:
    unpaced, paced, join, full = r["unpaced"], r["paced"], r["late_join"], r["full_state"]
    transfer = join.get("state_received", float("nan")) - join["connected"]
    rate = r["args"]["rate"]
    lines = [
        f"Machine: {r['machine']}; load average {r['load']['before'][0]:.2f} before, "
        f"{r['load']['after'][0]:.2f} after; CPU during the edit runs: "
        f"parent {r['cpu']['parent']:.0%}, child {r['cpu']['child']:.0%} of a core.",
        f"{r['args']['edits']:,} edits, {r['args']['burst']} per event-loop turn.",
        "",
        "| measure | editing | reference | ratio |",
        "|---|---:|---:|---:|",
        f"| edits/s, unpaced (reference: raw bus msgs/s, same burst) "
        f"| {unpaced['edits_per_s']:,.0f} | {r['raw_bus_msgs_per_s']:,.0f} "
        f"| {unpaced['edits_per_s'] / r['raw_bus_msgs_per_s']:.2f} |",
        f"| edits/s, unpaced (reference: pycrdt encode+apply, no network) "
        f"| {unpaced['edits_per_s']:,.0f} | {r['pycrdt_updates_per_s']:,.0f} "
        f"| {unpaced['edits_per_s'] / r['pycrdt_updates_per_s']:.2f} |",
        f"| latency unpaced p50 / p99 / max (ms) | {unpaced['p50_ms']:.1f} / "
        f"{unpaced['p99_ms']:.1f} / {unpaced['max_ms']:.1f} | | |",
        f"| edits/s paced at {rate:,.0f}/s | {paced['edits_per_s']:,.0f} | | |",
        f"| latency paced p50 / p99 / max (ms) | {paced['p50_ms']:.1f} / "
        f"{paced['p99_ms']:.1f} / {paced['max_ms']:.1f} | | |",
        f"| late join, {r['components']:,} components: join to complete (s) "
        f"(reference: full-state encode+apply, no network) | {join['complete']:.3f} "
        f"| {full['encode'] + full['apply']:.3f} "
        f"| {join['complete'] / (full['encode'] + full['apply']):.1f} |",
        f"| late join: state transfer (s) (reference: one raw bus message of the same size) "
        f"| {transfer:.3f} | {r['raw_blob_s']:.3f} | {transfer / r['raw_blob_s']:.1f} |",
        f"| late join: connected / state received / applied (s) | {join['connected']:.3f} / "
        f"{join.get('state_received', float('nan')):.3f} / "
        f"{join.get('first_update', float('nan')):.3f} | | |",
        f"| late join: CPU of the joining process from state received to complete (s) "
        f"| {join.get('cpu_after_received', float('nan')):.3f} | | |",
        f"| full state size (bytes) | {full['bytes']:,.0f} | | |",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50_000, help="edits per run")
    parser.add_argument("--burst", type=int, default=100, help="edits per event-loop turn")
    parser.add_argument("--rate", type=float, default=20_000, help="edits/s of the paced run")
    parser.add_argument("--components", type=int, default=10_000, help="late-join document")
    parser.add_argument("--json", help="also write the raw figures to this file")
    parser.add_argument("--no-uvloop", action="store_true", help="plain asyncio event loops")
    parser.add_argument(
        "--max-frame", type=int, default=FRAME, help="the bus's max_frame_size, both peers"
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "ROOM"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.edits, args.burst, args.components) < 1:
        parser.error("--edits, --burst and --components must be at least 1")
    if args.max_frame < 64:
        parser.error("--max-frame must be at least 64")
    return args


def run() -> None:
    args = parse_args()
    if args.no_uvloop:
        runner = asyncio.run
    else:
        import uvloop

        runner = uvloop.run
    if args.child:
        url, room = args.child
        runner(child(url, room, args.max_frame))
        return
    results = runner(main(args))
    print(report(results))
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    run()
