"""Two peers in two processes: the avacollab bus against raw aiortc sends.

:func:`run_pair` (the sending side) starts this file as a child process (the
receiving side) and talks to it over the child's stdin and stdout, one JSON
object a line. That pipe is the signaling (offers and answers go over it) and
the control channel; no signaling server is involved, so nothing but the data
channels is measured. They open two peer connections, ICE restricted to
127.0.0.1: one carries the bus (with avacollab's delayed SCTP
acknowledgements, as every session has them), the other raw
``RTCDataChannel.send`` calls on stock aiortc.

Clocks: latency stamps are ``time.perf_counter_ns()`` of the sender, read
against the receiver's own. Before the latency runs the two processes
exchange stamps over the pipe and the sample with the shortest round trip
gives the receiver's clock offset (±half that round trip). On Linux both
read the system-wide ``CLOCK_MONOTONIC`` and the offset comes out as about
zero; the calibration keeps the figure honest wherever that is not so.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from avacollab.bus import Bus, BusConfig
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.link import LinkConfig, PeerLink

LINK = LinkConfig(host_addresses=LOOPBACK, open_timeout=10)
RAW_LINK = replace(LINK, delayed_acks=False)  # raw aiortc: its own SCTP acknowledgements
SMALL = 30
BULK = 16_384
TOPIC = "bench.data"
HIGH, LOW = BusConfig().high_water, BusConfig().low_water
STAMP = struct.Struct(">q")


async def read_json(reader: asyncio.StreamReader) -> dict[str, Any]:
    line = await reader.readline()
    if not line:
        raise EOFError("the other process went away")
    value: dict[str, Any] = json.loads(line)
    return value


def write_json(writer: Any, value: dict[str, Any]) -> None:
    writer.write(json.dumps(value).encode() + b"\n")


# -- receiver (the child process) ----------------------------------------


class Counter:
    """Arrivals of one run: count, bytes, first/last time, latencies."""

    def __init__(self, count: int, offset: int | None) -> None:
        self.count, self.offset = count, offset
        self.seen = self.bytes = 0
        self.first = self.last = 0
        self.latencies: list[int] = []
        self.done = asyncio.Event()

    def add(self, data: bytes) -> None:
        # Once a message, for every transport alike: the clock is read only
        # where a figure needs it (first, last, stamped).
        self.seen += 1
        self.bytes += len(data)
        if self.offset is not None:
            now = time.perf_counter_ns()
            self.latencies.append(now - self.offset - STAMP.unpack_from(data)[0])
        elif self.seen == 1 or self.seen == self.count:
            now = time.perf_counter_ns()
        else:
            return
        if self.seen == 1:
            self.first = now
        if self.seen == self.count:
            self.last = now
            self.done.set()


async def child() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer

    def reply(value: dict[str, Any]) -> None:
        write_json(out, value)
        out.flush()

    raw = PeerLink("sender", offerer=False, config=RAW_LINK)
    bus_link = PeerLink("sender", offerer=False, config=LINK)
    bus = Bus()
    try:
        offers = await read_json(reader)
        reply(
            {
                "raw": await raw.accept_offer(offers["raw"]),
                "bus": await bus_link.accept_offer(offers["bus"]),
            }
        )
        await raw.wait_open()
        await bus_link.wait_open()
        bus.add_peer("sender", bus_link.reliable, bus_link.unordered)
        current: list[Counter] = []
        raw.reliable.on("message", lambda data: current[-1].add(data))
        bus.subscribe(TOPIC, lambda m: current[-1].add(m.payload))
        while True:
            request = await read_json(reader)
            if "clock" in request:
                reply({"clock": time.perf_counter_ns()})
                continue
            if request.get("quit"):
                break
            counter = Counter(request["count"], request.get("offset"))
            current.append(counter)
            cpu = time.process_time()
            reply({"ready": True})
            await counter.done.wait()
            reply(
                {
                    "cpu": time.process_time() - cpu,
                    "first": counter.first,
                    "last": counter.last,
                    "bytes": counter.bytes,
                    "latencies": counter.latencies,
                }
            )
    finally:
        await bus.close()
        await raw.close()
        await bus_link.close()


# -- sender (the benchmark's process) -------------------------------------


async def raw_flood(channel: Any, payload: bytes, count: int) -> None:
    """One ``send`` per message, pausing at ``HIGH`` buffered bytes until ``LOW``."""
    low = asyncio.Event()
    channel.bufferedAmountLowThreshold = LOW
    channel.on("bufferedamountlow", low.set)
    try:
        for _ in range(count):
            if channel.bufferedAmount >= HIGH:
                low.clear()
                await low.wait()
            channel.send(payload)
    finally:
        channel.remove_listener("bufferedamountlow", low.set)


async def bus_flood(bus: Bus, payload: bytes, count: int) -> None:
    """``Bus.send`` per message: it waits whenever the peer's queue is full."""
    for _ in range(count):
        await bus.send(TOPIC, payload, to="receiver")


async def paced(send_one: Callable[[bytes], object], count: int, gap: float) -> None:
    pad = b"." * (SMALL - STAMP.size)
    for _ in range(count):
        send_one(STAMP.pack(time.perf_counter_ns()) + pad)
        await asyncio.sleep(gap)


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds (pairs element by element), plus every round."""
    out: dict[str, Any] = {}
    for key, first in runs[0].items():
        if isinstance(first, tuple):
            out[key] = tuple(statistics.median(r[key][i] for r in runs) for i in range(len(first)))
        else:
            out[key] = statistics.median(r[key] for r in runs)
    out["rounds"] = runs
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_pair(
    *, small: int, small_raw: int, bulk_mb: float, latency: int, uvloop: bool, rounds: int = 1
) -> dict[str, Any]:
    """Measure raw aiortc and the bus; return ``{"offset_ns", "error_ns", "rows": [...]}``.

    Each row also holds the CPU time both processes spent: ``small_cpu_us``
    (sender, receiver) in µs a message, ``bulk_cpu_s_per_mb`` in s a MB.
    With several ``rounds`` the transports alternate and each figure is the
    median of its rounds (``rows[i]["rounds"]`` keeps them all).
    """
    command = [sys.executable, __file__] + ([] if uvloop else ["--no-uvloop"])
    proc = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    pipe_in, pipe_out = proc.stdout, proc.stdin
    raw = PeerLink("receiver", offerer=True, config=RAW_LINK)
    bus_link = PeerLink("receiver", offerer=True, config=LINK)
    bus = Bus()
    rows: list[dict[str, Any]] = []
    try:
        write_json(
            pipe_out, {"raw": await raw.create_offer(), "bus": await bus_link.create_offer()}
        )
        answers = await read_json(pipe_in)
        await raw.accept_answer(answers["raw"])
        await bus_link.accept_answer(answers["bus"])
        await raw.wait_open()
        await bus_link.wait_open()
        bus.add_peer("receiver", bus_link.reliable, bus_link.unordered)

        samples = []
        for _ in range(50):
            t1 = time.perf_counter_ns()
            write_json(pipe_out, {"clock": True})
            t2 = (await read_json(pipe_in))["clock"]
            t3 = time.perf_counter_ns()
            samples.append((t3 - t1, t2 - (t1 + t3) // 2))
        rtt, offset = min(samples)

        async def measure(count: int, stamped: bool, send: Any) -> dict[str, Any]:
            write_json(pipe_out, {"count": count, "offset": offset if stamped else None})
            await read_json(pipe_in)  # ready
            cpu = time.process_time()
            start = time.perf_counter_ns() + offset  # on the receiver's clock
            await send
            report = await read_json(pipe_in)
            report["elapsed"] = (report["last"] - start) / 1e9
            report["send_cpu"] = time.process_time() - cpu
            return report

        n_bulk = max(1, int(bulk_mb * 1024 * 1024) // BULK)
        small_payload, bulk_payload = b"s" * SMALL, b"b" * BULK
        senders: list[tuple[str, int, Any, Callable[[bytes], object]]] = [
            (
                "raw aiortc",
                small_raw,
                lambda p, n: raw_flood(raw.reliable, p, n),
                raw.reliable.send,
            ),
            (
                "avacollab bus",
                small,
                lambda p, n: bus_flood(bus, p, n),
                lambda data: bus.publish(TOPIC, data, to="receiver"),
            ),
        ]
        # Rounds alternate the transports, so that other work on the machine
        # falls on both alike; each figure is the median of its rounds.
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in senders}
        for _ in range(rounds):
            for name, count, flood, send_one in senders:
                r = await measure(count, False, flood(small_payload, count))
                small_run = (count / r["elapsed"], r["send_cpu"] / count, r["cpu"] / count)
                r = await measure(n_bulk, False, flood(bulk_payload, n_bulk))
                bulk_run = (r["bytes"] / r["elapsed"], r["send_cpu"], r["cpu"], r["bytes"])
                r = await measure(latency, True, paced(send_one, latency, 0.002))
                lat = [ns / 1e6 for ns in r["latencies"]]
                runs[name].append(
                    {
                        "small_msgs_per_s": small_run[0],
                        "bulk_mb_per_s": bulk_run[0] / 1e6,
                        # CPU a message (or a MB) costs, sending and receiving:
                        # the figure least moved by other work on the machine.
                        "small_cpu_us": (small_run[1] * 1e6, small_run[2] * 1e6),
                        "bulk_cpu_s_per_mb": (
                            bulk_run[1] / bulk_run[3] * 1e6,
                            bulk_run[2] / bulk_run[3] * 1e6,
                        ),
                        "p50_ms": statistics.median(lat),
                        "p99_ms": percentile(lat, 0.99),
                    }
                )
        for name, count, *_ in senders:
            rows.append({"name": name, "small_count": count, **medians(runs[name])})
        write_json(pipe_out, {"quit": True})
        await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await bus.close()
        await raw.close()
        await bus_link.close()
    return {"offset_ns": offset, "error_ns": rtt // 2, "rows": rows}


if __name__ == "__main__":
    if "--no-uvloop" in sys.argv:
        asyncio.run(child())
    else:
        import uvloop

        uvloop.run(child())
