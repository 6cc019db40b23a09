"""Presence at 20 Hz in an 8-peer mesh: CPU per peer process and cursor latency.

Starts a signaling server on a free port of 127.0.0.1, then runs the same
workload twice or more, one peer per process, in the same run:

* **presence**: real avacollab sessions with the presence plugin, each peer
  moving its cursor ``--rate`` times a second for ``--duration`` seconds;
* **bus alone** (with ``--bus-run``): the same sessions without the plugin,
  publishing a ``--frame-size`` payload per move on the bus's unordered
  channel: what the session and the bus cost, apart from presence;
* **floor** (one per ``--floors`` entry): raw aiortc peers sending one
  data-channel frame per move to every other peer, the cost of the naive
  design before any presence code. ``asyncio`` and ``uvloop`` are stock
  aiortc on that event loop; ``uvloop+acks`` adds avacollab's delayed SCTP
  acknowledgements (:mod:`avacollab.peer.sctp`), the transport the presence and
  bus runs use, so presence against it is what the session, bus and plugin
  cost on top of the same transport.

For each it prints the CPU per peer process over the measured window (user
plus system time of the process, read with ``os.times()`` inside it), the
frames each peer sent and received per second, and the delivery latency
p50/p99 of cursor positions (wall-clock stamps; all peers share one clock).
How to read the figures: docs/benchmarks.md, "Presence".

    .venv/bin/python bench/presence.py                       # 8 peers, 20 Hz, 30 s
    .venv/bin/python bench/presence.py --peers 3 --duration 3 --floors asyncio   # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from machine_info import busy_seconds, machine, write_json

PEER = Path(__file__).with_name("presence_peer.py")
TARGET_CPU_RATIO = 1.2
TARGET_P99_MS = 100.0
LINE_LIMIT = 1 << 24  # a result line carries every latency sample of its peer
START_DELAY = 1.0  # seconds between "go" and the first move, so every peer is waiting


PACKAGES = ("aiortc", "aioice", "uvloop", "pycrdt", "msgspec")


def progress(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


LABELS = {"presence": "presence", "bus": "bus alone", "raw": "raw aiortc floor"}
ACKS = "+acks"  # a floor on that loop with avacollab's delayed SCTP acknowledgements


def loop_label(loop: str) -> str:
    return loop.removesuffix(ACKS) + (", delayed acks" if loop.endswith(ACKS) else "")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def run_phase(url: str, kind: str, loop: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one set of peer processes through one measured window; return its figures."""
    room = f"{kind}-{loop.replace('+', '-')}-{secrets.token_hex(4)}"
    procs: list[asyncio.subprocess.Process] = []
    try:
        async with asyncio.timeout(args.duration + 120):
            for index in range(args.peers):
                procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        str(PEER),
                        kind,
                        url,
                        room,
                        f"--index={index}",
                        f"--peers={args.peers}",
                        f"--rate={args.rate}",
                        f"--duration={args.duration}",
                        f"--frame-size={args.frame_size}",
                        f"--loop={loop.removesuffix(ACKS)}",
                        *(["--delayed-acks"] if loop.endswith(ACKS) else []),
                        f"--ping-interval={args.ping_interval}",
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        limit=LINE_LIMIT,
                    )
                )
            for proc in procs:
                await expect(proc, "ready")
            start = time.time() + START_DELAY
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(f"go {start}\n".encode())
            await asyncio.sleep(start - time.time())
            busy, began = busy_seconds(), time.monotonic()
            results = [(await expect(proc, "result"))["result"] for proc in procs]
            busy = (busy_seconds() - busy) / (time.monotonic() - began)
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"done\n")
            codes = await asyncio.gather(*(proc.wait() for proc in procs))
            if any(codes):
                raise RuntimeError(f"{kind} peers exited with {codes}")
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    return summarize(kind, loop, results, busy, args)


async def expect(proc: asyncio.subprocess.Process, key: str) -> dict[str, Any]:
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    if not line:
        raise RuntimeError(f"a peer exited before reporting {key!r}")
    message: dict[str, Any] = json.loads(line)
    if key not in message:
        raise RuntimeError(f"a peer said {message!r}, expected {key!r}")
    return message


def summarize(
    kind: str, loop: str, results: list[dict[str, Any]], busy: float, args: argparse.Namespace
) -> dict[str, Any]:
    """Figures of one phase; ``busy`` is the machine's busy cores over the window."""
    from presence_peer import SETTLE

    window = args.duration + SETTLE
    cpu = [(r["cpu"]["user"] + r["cpu"]["system"]) / window for r in results]
    system = [r["cpu"]["system"] / window for r in results]
    latencies = [x for r in results for x in r["latencies_ms"]]
    expected = args.peers * (args.peers - 1) * round(args.rate * args.duration)
    per_peer = {
        key: statistics.mean(r.get(key, 0) for r in results) / window
        for key in ("frames_sent", "frames_received", "pings_sent", "pongs_received")
    }
    return {
        "kind": kind,
        "loop": loop,
        "cpu_per_peer": statistics.mean(cpu),
        "cpu_per_peer_max": max(cpu),
        "cpu_system_per_peer": statistics.mean(system),
        "cpu_all_peers": sum(cpu),
        "other_cpu": max(0.0, busy - sum(cpu)),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p99_ms": percentile(latencies, 99),
        "latency_max_ms": max(latencies, default=float("nan")),
        "positions_received": len(latencies),
        "positions_sent": expected,
        "latencies": latencies,
        "cpu_us_per_frame": 1e6
        * statistics.mean(cpu)
        / max(
            1e-9,
            per_peer["frames_sent"]
            + per_peer["frames_received"]
            + 2 * per_peer["pings_sent"]  # each ping is answered: pongs go out too
            + per_peer["pongs_received"],
        ),
        **{f"{key}_per_s": value for key, value in per_peer.items()},
    }


def report(phases: list[dict[str, Any]], args: argparse.Namespace) -> str:
    info = machine(*PACKAGES)
    lines = [
        f"{args.peers} peers, cursor at {args.rate:g} Hz for {args.duration:g} s; "
        f"{info['cores']} cores of {info['cpu']}, Linux {info['linux']}, "
        f"Python {info['python']}, aiortc {info['aiortc']}, aioice {info['aioice']}, "
        f"uvloop {info['uvloop']}, pycrdt {info['pycrdt']}, msgspec {info['msgspec']}",
        "",
        "| run | loop | CPU per peer | max peer | of it system | frames sent/s | frames received/s "
        "| pings sent/s | CPU per frame (µs) | positions received | latency p50 (ms) "
        "| p99 (ms) | other CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in phases:
        lines.append(
            f"| {LABELS[p['kind']]} | {loop_label(p['loop'])} "
            f"| {p['cpu_per_peer']:.1%} | {p['cpu_per_peer_max']:.1%} "
            f"| {p['cpu_system_per_peer']:.1%} "
            f"| {p['frames_sent_per_s']:.1f} | {p['frames_received_per_s']:.1f} "
            f"| {p['pings_sent_per_s']:.1f} | {p['cpu_us_per_frame']:.0f} "
            f"| {p['positions_received']:,} / {p['positions_sent']:,} "
            f"| {p['latency_p50_ms']:.1f} | {p['latency_p99_ms']:.1f} | {p['other_cpu']:.0%} |"
        )
    presence = next(p for p in phases if p["kind"] == "presence")
    lines.append("")
    for floor in (p for p in phases if p["kind"] == "raw"):
        ratio = presence["cpu_per_peer"] / floor["cpu_per_peer"]
        if floor["loop"].endswith(ACKS):
            lines.append(
                f"presence CPU / floor ({loop_label(floor['loop'])}): {ratio:.2f}x "
                "(the same transport: what the session, bus and plugin add)"
            )
            continue
        verdict = "meets" if ratio <= TARGET_CPU_RATIO else "misses"
        lines.append(
            f"presence CPU / raw floor ({floor['loop']}): {ratio:.2f}x "
            f"({verdict} the {TARGET_CPU_RATIO}x target)"
        )
    for bus in (p for p in phases if p["kind"] == "bus"):
        for floor in (p for p in phases if p["kind"] == "raw"):
            ratio = bus["cpu_per_peer"] / floor["cpu_per_peer"]
            lines.append(f"bus alone / raw floor ({loop_label(floor['loop'])}): {ratio:.2f}x")
        ratio = presence["cpu_per_peer"] / bus["cpu_per_peer"]
        lines.append(f"presence / bus alone: {ratio:.2f}x")
    p99 = presence["latency_p99_ms"]
    verdict = "meets" if p99 < TARGET_P99_MS else "misses"
    lines.append(f"presence latency p99: {p99:.1f} ms ({verdict} the {TARGET_P99_MS:g} ms target)")
    return "\n".join(lines)


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    from avacollab.settings import Settings
    from avacollab.signaling.server import SignalingServer

    settings = replace(Settings(), host="127.0.0.1", port=0, rate=1e6, burst=1_000_000)
    server = SignalingServer(settings, resume_secret=os.urandom(32))
    await server.start()
    phases = []
    try:
        plan = [("presence", args.loop)]
        plan += [("bus", args.loop)] if args.bus_run else []
        plan += [("raw", loop) for loop in args.floors]
        for round_ in range(args.rounds):
            for kind, loop in plan:
                progress(f"round {round_ + 1}/{args.rounds}: {kind} peers on {loop}")
                phases.append(await run_phase(server.url, kind, loop, args))
    finally:
        await server.stop()
    return [combine([p for p in phases if (p["kind"], p["loop"]) == key]) for key in plan]


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from the rounds of one run kind: medians, latencies pooled."""
    latencies = [x for r in rounds for x in r["latencies"]]
    row: dict[str, Any] = {"kind": rounds[0]["kind"], "loop": rounds[0]["loop"]}
    for key, value in rounds[0].items():
        if isinstance(value, float | int) and key not in row:
            row[key] = statistics.median(r[key] for r in rounds)
    row["positions_received"] = sum(r["positions_received"] for r in rounds)
    row["positions_sent"] = sum(r["positions_sent"] for r in rounds)
    row["latency_p50_ms"] = percentile(latencies, 50)
    row["latency_p99_ms"] = percentile(latencies, 99)
    row["latency_max_ms"] = max(latencies, default=float("nan"))
    row["cpu_per_peer_rounds"] = [r["cpu_per_peer"] for r in rounds]
    return row


def loops(text: str) -> list[str]:
    chosen = [item for item in text.split(",") if item]
    if not chosen or any(item.removesuffix(ACKS) not in ("uvloop", "asyncio") for item in chosen):
        raise argparse.ArgumentTypeError(
            "a comma-separated list of uvloop and asyncio, each optionally with +acks"
        )
    return chosen


def positive(kind: type[float] | type[int]) -> Any:
    def parse(text: str) -> float | int:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be positive")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=positive(int), default=8, help="peer processes (8)")
    parser.add_argument("--rate", type=positive(float), default=20.0, help="moves a second (20)")
    parser.add_argument("--duration", type=positive(float), default=30.0, help="seconds (30)")
    parser.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="event loop of the presence peers (uvloop, as `avacollab join`)",
    )
    parser.add_argument(
        "--floors",
        type=loops,
        default=["asyncio", "uvloop", "uvloop" + ACKS],
        help="raw floor runs: event loop, +acks for avacollab's delayed SCTP acknowledgements "
        "(asyncio,uvloop,uvloop+acks)",
    )
    parser.add_argument(
        "--frame-size",
        type=positive(int),
        default=200,
        help="bytes per raw floor frame, about a presence update (200)",
    )
    parser.add_argument(
        "--ping-interval",
        type=positive(float),
        default=1.0,
        help="seconds between the bus's liveness pings of the presence peers (1, the default)",
    )
    parser.add_argument(
        "--rounds",
        type=positive(int),
        default=1,
        help="interleaved rounds of every run; medians are shown (1)",
    )
    parser.add_argument(
        "--bus-run",
        action="store_true",
        help="also run sessions with no presence that publish a frame-size payload per move "
        "on the bus (unordered): what the session and bus cost without the plugin",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.peers < 2:
        parser.error("--peers must be at least 2")
    phases = asyncio.run(measure(args))
    print(report(phases, args))
    if args.json:
        write_json(
            args.json,
            {
                "machine": machine(*PACKAGES),
                "args": vars(args) | {"json": None},
                "phases": phases,
            },
        )


if __name__ == "__main__":
    sys.path.insert(0, str(PEER.parent))
    main()
