"""Bus benchmark: the avacollab bus against raw aiortc and Chromium's data channel.

Measured in one invocation, each transport between two peers on loopback:

- small messages a second: 30-byte payloads, as fast as backpressure allows
  (``bufferedAmount`` high/low water, the bus's defaults, for every
  transport), from the first send to the last arrival;
- bulk MB/s: 16 KiB payloads, timed the same way;
- one-way latency p50/p99: 30-byte stamped messages, one every 2 ms;

for (a) the avacollab bus and (b) raw aiortc, one ``RTCDataChannel.send`` per
message, in two processes (``bus_pair.py``), and (c) where the system's
Chromium and Playwright are installed, Chromium's own data channel between
two peer connections of one headless page (``bus_chromium.py``). Then the
time from join to bus-open of a full mesh of 2 and of 8 peers, one process
each, through a real signaling server (``bus_mesh.py``).

    python bench/bus.py
    python bench/bus.py --json bench/results/bus.json
    python bench/bus.py --small 20000 --bulk-mb 2 --mesh 2   # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bus_chromium
import bus_mesh
import bus_pair
from machine_info import busy_seconds, cpu_model, memory_gib, write_json

TARGET_SMALL = 100_000
TARGET_BULK_RATIO = 0.9
TARGET_MESH_8 = 2.0


def machine() -> str:
    """Cores, CPU model, memory and versions (no host name, no paths)."""
    import aioice
    import aiortc

    return (
        f"{os.cpu_count()} cores of {cpu_model()}, {memory_gib():.1f} GiB, "
        f"Linux {platform.release().split('-')[0]}, Python {platform.python_version()}, "
        f"aiortc {aiortc.__version__}, aioice {aioice.__version__}"
    )


def progress(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


def busy_cpu() -> tuple[float, float]:
    """(CPU seconds the whole machine was busy, seconds used by us and our children)."""
    mine = os.times()
    return busy_seconds(), mine.user + mine.system + mine.children_user + mine.children_system


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    start, (busy0, own0) = time.monotonic(), busy_cpu()
    progress("avacollab bus and raw aiortc, two processes")
    pair = await bus_pair.run_pair(
        small=args.small,
        small_raw=args.small_raw,
        bulk_mb=args.bulk_mb,
        latency=args.latency,
        uvloop=not args.no_uvloop,
        rounds=args.rounds,
    )
    rows = pair["rows"]
    skipped = bus_chromium.available() if not args.no_chromium else "--no-chromium"
    if skipped is None:
        options = {
            "small": bus_pair.SMALL,
            "smallCount": args.small_chromium,
            "bulk": bus_pair.BULK,
            "bulkCount": max(1, int(args.bulk_mb * 2**20) // bus_pair.BULK),
            "latencyCount": args.latency,
            "gapMs": 2,
            "high": bus_pair.HIGH,
            "low": bus_pair.LOW,
        }
        progress("Chromium, one headless page")
        result = await asyncio.to_thread(bus_chromium.run_isolated, options, 300)
        lat = [s * 1000 for s in result["latencies"]]
        rows.append(
            {
                "name": f"Chromium {result['version']}",
                "small_count": args.small_chromium,
                "small_msgs_per_s": result["smallPerS"],
                "bulk_mb_per_s": result["bulkMBps"],
                "p50_ms": statistics.median(lat),
                "p99_ms": bus_pair.percentile(lat, 0.99),
            }
        )
    meshes = []
    for size in args.mesh:
        progress(f"full mesh of {size} peers")
        meshes.append(await bus_mesh.run_mesh(size, uvloop=not args.no_uvloop))
    busy1, own1 = busy_cpu()
    return {
        "machine": machine(),
        # Cores' worth of CPU that other programs used meanwhile: our figures
        # are only as good as the CPU we were left.
        "other_cpu_cores": ((busy1 - busy0) - (own1 - own0)) / (time.monotonic() - start),
        "uvloop": not args.no_uvloop,
        "rounds": args.rounds,
        "clock_offset_ns": pair["offset_ns"],
        "clock_error_ns": pair["error_ns"],
        "chromium_skipped": skipped,
        "rows": rows,
        "meshes": meshes,
    }


def report(result: dict[str, Any]) -> str:
    rows = {r["name"]: r for r in result["rows"]}
    bus, raw = rows["avacollab bus"], rows["raw aiortc"]
    lines = [
        f"Machine: {result['machine']}; uvloop {'on' if result['uvloop'] else 'off'}; "
        f"other programs used {result['other_cpu_cores']:.2f} cores on average meanwhile.",
        f"Receiver clock offset {result['clock_offset_ns'] / 1000:+.1f} µs "
        f"(±{result['clock_error_ns'] / 1000:.1f} µs), taken out of the latencies. "
        f"aiortc rows: medians of {result['rounds']} alternating rounds; Chromium: one run.",
        "",
        "| transport | small msgs/s (30 B) | bulk MB/s (16 KiB) | latency p50 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['name']} | {r['small_msgs_per_s']:,.0f} | {r['bulk_mb_per_s']:.1f} "
            f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |"
        )
    lines += [
        "",
        "| CPU time (aiortc processes) | small: sender µs/msg | receiver µs/msg "
        "| bulk: sender ms/MB | receiver ms/MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        if "small_cpu_us" in r:
            (ss, sr), (bs, br) = r["small_cpu_us"], r["bulk_cpu_s_per_mb"]
            lines.append(
                f"| {r['name']} | {ss:.2f} | {sr:.2f} | {bs * 1000:.0f} | {br * 1000:.0f} |"
            )
    if len(bus.get("rounds", ())) > 1:
        lines += [
            "",
            "Bus small msgs/s by round: "
            + ", ".join(f"{r['small_msgs_per_s']:,.0f}" for r in bus["rounds"])
            + ".",
        ]
    lines += ["", "| bus compared with | small msgs/s (x) | bulk MB/s (x) | p99 latency (x) |"]
    lines.append("|---|---:|---:|---:|")
    for name, r in rows.items():
        if r is not bus:
            lines.append(
                f"| {name} | {bus['small_msgs_per_s'] / r['small_msgs_per_s']:.2f} "
                f"| {bus['bulk_mb_per_s'] / r['bulk_mb_per_s']:.2f} "
                f"| {bus['p99_ms'] / r['p99_ms']:.2f} |"
            )
    if result["chromium_skipped"]:
        lines += ["", f"Chromium not measured: {result['chromium_skipped']}."]
    lines += ["", "| full mesh | all joined (s) | median bus-open (s) | last bus-open (s) |"]
    lines.append("|---:|---:|---:|---:|")
    for m in result["meshes"]:
        lines.append(
            f"| {m['peers']} peers | {m['join_max_s']:.3f} | {m['open_median_s']:.3f} "
            f"| {m['open_max_s']:.3f} |"
        )
    mesh8 = [m for m in result["meshes"] if m["peers"] == 8]
    checks = [
        ("small msgs/s >= 100,000", bus["small_msgs_per_s"] >= TARGET_SMALL),
        (
            "bulk >= 0.9x raw aiortc",
            bus["bulk_mb_per_s"] >= TARGET_BULK_RATIO * raw["bulk_mb_per_s"],
        ),
    ]
    if mesh8:
        checks.append(("8-peer mesh < 2 s", mesh8[0]["open_max_s"] < TARGET_MESH_8))
    lines += ["", "Targets: " + "; ".join(f"{n}: {'met' if ok else 'MISSED'}" for n, ok in checks)]
    return "\n".join(lines)


def mesh_sizes(text: str) -> list[int]:
    """``--mesh``: comma-separated peer counts, each at least 2 (empty: no mesh)."""
    try:
        sizes = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 2,8, got {text!r}") from None
    if any(n < 2 for n in sizes):
        raise argparse.ArgumentTypeError("a mesh needs at least 2 peers")
    return sizes


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--small", type=positive, default=200_000, help="small messages via the bus"
    )
    parser.add_argument(
        "--small-raw", type=positive, default=3_000, help="small messages, raw aiortc"
    )
    parser.add_argument("--small-chromium", type=positive, default=100_000, help="small, Chromium")
    parser.add_argument("--bulk-mb", type=float, default=8, help="MiB of 16 KiB messages")
    parser.add_argument(
        "--rounds", type=positive, default=3, help="alternating rounds of raw aiortc and the bus"
    )
    parser.add_argument("--latency", type=positive, default=500, help="latency samples")
    parser.add_argument(
        "--mesh", type=mesh_sizes, default=[2, 8], help="mesh sizes, comma-separated (empty: none)"
    )
    parser.add_argument("--no-chromium", action="store_true", help="skip the Chromium reference")
    parser.add_argument("--no-uvloop", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    runner: Any = asyncio.run
    if not args.no_uvloop:
        import uvloop

        runner = uvloop.run
    result = runner(measure(args))
    if args.json:
        write_json(args.json, result)
    print(report(result))


if __name__ == "__main__":
    main()
