"""Edit latency from a page to a Python peer, against Python to Python, in one run.

The same two pairs as bench/web_bus.py (bench/web_rig.py): a Python hub
session with the editing plugin and a page (the shipped bundle's
``Document``, kept in sync over the page's bus by ``Editing``), and another
hub with a Python child process running the editing plugin, each pair alone
in its room. In each of ``--rounds`` rounds each far end adds a node and
makes ``--edits`` property edits paced at ``--rate`` a second (a drag at
display rate is 60), every value ``[seq, time of the edit]``; the hub reads
its clock when the update is applied to its document (the editing plugin's
change callback) and the value as soon as the transaction is over. The page's
times are put on the hub's clock (web_rig.calibrate; the error is reported),
the child shares the system clock.

An edit is one transaction: on the page one update, published on the bus
and sent at the end of the task; in Python the editing plugin commits once
per event-loop turn. Which pair goes first alternates from round to round;
the percentiles are over every edit of every round.

    .venv/bin/python bench/web_editing.py                 # 5 rounds of 200 edits at 100/s
    .venv/bin/python bench/web_editing.py --rounds 1 --edits 20 --json out.json   # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_bus import positive
from web_rig import WAIT, Clock, Conditions, Pair, calibrate, percentile, progress, rig, run

TARGET_P99_MS = 50.0


async def edit_run(pair: Pair, args: argparse.Namespace) -> tuple[list[float], int, Clock]:
    """One run of paced edits: the latencies (ms), how many edits were missed, the clock."""
    clock = await calibrate(pair.remote)
    pair.edits.arm(args.edits)
    await pair.remote.edits(args.edits, args.rate, args.keys)
    async with asyncio.timeout(WAIT):
        await pair.edits.done.wait()
    arrivals = pair.edits.arrivals
    latencies = [arrival - (stamp - clock.offset) for arrival, stamp in arrivals.values()]
    return latencies, args.edits - len(arrivals), clock


def summary(latencies: list[float], missed: int, clocks: list[Clock]) -> dict[str, Any]:
    return {
        "edits": len(latencies),
        "missed": missed,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "min_ms": round(min(latencies), 2),
        "clock_error_ms": round(max(c.error for c in clocks), 3),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    conditions = Conditions()
    samples: dict[str, tuple[list[float], list[int], list[Clock]]] = {
        "page": ([], [], []),
        "python": ([], [], []),
    }
    async with rig(uvloop=not args.no_uvloop) as (page, python, chromium):
        # One unmeasured run each: the first edits warm the documents and links up.
        for pair in (page, python):
            await edit_run(pair, argparse.Namespace(**{**vars(args), "edits": 10}))
        for i in range(args.rounds):
            progress(f"round {i + 1}/{args.rounds}")
            for pair in (page, python) if i % 2 == 0 else (python, page):
                latencies, missed, clock = await edit_run(pair, args)
                kept = samples[pair.name]
                kept[0].extend(latencies)
                kept[1].append(missed)
                kept[2].append(clock)
    figures = {name: summary(lat, sum(m), c) for name, (lat, m, c) in samples.items()}
    return {
        **conditions.report(chromium),
        "args": {k: v for k, v in vars(args).items() if k != "json"},
        "page_to_python": figures["page"],
        "python_to_python": figures["python"],
        "p99_ratio": figures["page"]["p99_ms"] / figures["python"]["p99_ms"],
    }


def report(result: dict[str, Any]) -> str:
    page, python, load = (
        result["page_to_python"],
        result["python_to_python"],
        result["load_average"],
    )
    args = result["args"]
    lines = [
        f"{args['rounds']} rounds of {args['edits']} edits at {args['rate']:g}/s each; "
        f"load average {load['before'][0]:.2f} before, {load['after'][0]:.2f} after.",
        "",
        "| edits | p50 (ms) | p99 (ms) | max (ms) | edits timed | missed | clock error (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in (("page to Python", page), ("Python to Python", python)):
        lines.append(
            f"| {name} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['max_ms']:.1f} "
            f"| {f['edits']} | {f['missed']} | ±{f['clock_error_ms']:.2f} |"
        )
    met = page["p99_ms"] < TARGET_P99_MS
    lines += [
        "",
        f"p99 page to Python / Python to Python: {result['p99_ratio']:.2f}. "
        f"Target: page to Python p99 < {TARGET_P99_MS:g} ms: {'met' if met else 'MISSED'}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=positive, default=200, help="edits a run (200)")
    parser.add_argument("--rate", type=float, default=100.0, help="edits a second (100)")
    parser.add_argument(
        "--keys", type=positive, default=50, help="properties the edits cycle through (50)"
    )
    parser.add_argument("--rounds", type=positive, default=5, help="runs of each pair (5)")
    parser.add_argument("--no-uvloop", action="store_true", help="plain asyncio event loops")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not args.rate > 0:
        parser.error("--rate must be positive")
    result = run(measure(args), uvloop=not args.no_uvloop)
    text = json.dumps(result, indent=2)
    if args.json is not None:
        args.json.write_text(text + "\n")
    print(text)
    print(report(result))


if __name__ == "__main__":
    main()
