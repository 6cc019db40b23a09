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
import bisect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bus import positive
from web_rig import (
    WAIT,
    Clock,
    Conditions,
    PageRemote,
    Pair,
    Stalls,
    calibrate,
    main,
    percentile,
    progress,
    rig,
)

TARGET_P99_MS = 50.0
SLOW_MS = 20.0


@dataclass
class Runs:
    """Every timed edit of one pair, over its runs."""

    latencies: list[float] = field(default_factory=list)
    missed: int = 0
    clocks: list[Clock] = field(default_factory=list)
    # The page only: from the edit to its frame handed to the data channel.
    in_page: list[float] = field(default_factory=list)
    # Edits slower than SLOW_MS, and those of them during a stall of the hub's loop.
    slow: int = 0
    slow_in_stall: int = 0


async def edit_run(
    pair: Pair, args: argparse.Namespace, runs: Runs, stalls: Stalls | None = None
) -> None:
    """One run of paced edits, added to ``runs``."""
    clock = await calibrate(pair.remote)
    pair.edits.arm(args.edits)
    await pair.remote.edits(args.edits, args.rate, args.keys)
    async with asyncio.timeout(WAIT):
        await pair.edits.done.wait()
    arrivals = pair.edits.arrivals
    for arrival, stamp in arrivals.values():
        made = stamp - clock.offset  # on our clock
        runs.latencies.append(arrival - made)
        if arrival - made > SLOW_MS:
            runs.slow += 1
            runs.slow_in_stall += stalls is not None and stalls.during(made, arrival)
    runs.missed += args.edits - len(arrivals)
    runs.clocks.append(clock)
    if isinstance(pair.remote, PageRemote):
        # An edit's frame is the first handed to the channel after it (one
        # update a task, nothing else on that channel meanwhile).
        sends = await pair.remote.sent()
        for _, stamp in arrivals.values():
            i = bisect.bisect_left(sends, stamp)
            if i < len(sends):
                runs.in_page.append(sends[i] - stamp)


def summary(runs: Runs) -> dict[str, Any]:
    latencies = runs.latencies
    figures = {
        "edits": len(latencies),
        "missed": runs.missed,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "min_ms": round(min(latencies), 2),
        "clock_error_ms": round(max(c.error for c in runs.clocks), 3),
    }
    figures["slow"] = runs.slow
    figures["slow_in_hub_stall"] = runs.slow_in_stall
    if runs.in_page:
        figures["in_page_p50_ms"] = round(percentile(runs.in_page, 50), 2)
        figures["in_page_p99_ms"] = round(percentile(runs.in_page, 99), 2)
    return figures


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    conditions = Conditions()
    runs = {"page": Runs(), "python": Runs()}
    async with rig(uvloop=not args.no_uvloop) as (page, python, chromium):
        # One unmeasured run each: the first edits warm the documents and links up.
        for pair in (page, python):
            await edit_run(pair, argparse.Namespace(**{**vars(args), "edits": 10}), Runs())
        async with Stalls() as stalls:
            for i in range(args.rounds):
                progress(f"round {i + 1}/{args.rounds}")
                for pair in (page, python) if i % 2 == 0 else (python, page):
                    await edit_run(pair, args, runs[pair.name], stalls)
    figures = {name: summary(r) for name, r in runs.items()}
    return {
        **conditions.report(chromium),
        "args": {k: v for k, v in vars(args).items() if k != "json"},
        "page_to_python": figures["page"],
        "python_to_python": figures["python"],
        "p99_ratio": figures["page"]["p99_ms"] / figures["python"]["p99_ms"],
        "hub_stalls": {
            "count": len(stalls.intervals),
            "ms": round(sum(b - a for a, b, _ in stalls.intervals)),
            "cpu_ms": round(sum(c for *_, c in stalls.intervals)),
            "gc_ms": round(stalls.gc_ms),
        },
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
        "| edits | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | edits timed | missed "
        "| clock error (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in (("page to Python", page), ("Python to Python", python)):
        lines.append(
            f"| {name} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} | {f['p99_ms']:.1f} "
            f"| {f['max_ms']:.1f} "
            f"| {f['edits']} | {f['missed']} | ±{f['clock_error_ms']:.2f} |"
        )
    met = page["p99_ms"] < TARGET_P99_MS
    stalls = result["hub_stalls"]
    lines += [
        "",
        f"Edits over {SLOW_MS:g} ms: page {page['slow']} ({page['slow_in_hub_stall']} during a "
        f"stall of the hub's event loop), Python {python['slow']} "
        f"({python['slow_in_hub_stall']}). The hub's loop stalled {stalls['count']} times "
        f"for 10 ms or more, {stalls['ms']:,} ms in all, using {stalls['cpu_ms']:,} ms of CPU "
        f"meanwhile (the rest: no core for it); the garbage collector ran {stalls['gc_ms']:,} ms.",
        "",
        f"Page to Python, from the edit to its frame handed to the data channel: "
        f"p50 {page['in_page_p50_ms']:.1f} ms, p99 {page['in_page_p99_ms']:.1f} ms "
        "(the rest is the network and the Python peer).",
        "",
        f"p99 page to Python / Python to Python: {result['p99_ratio']:.2f}. "
        f"Target: page to Python p99 < {TARGET_P99_MS:g} ms: {'met' if met else 'MISSED'}",
    ]
    return "\n".join(lines)


def positive_rate(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=positive, default=200, help="edits a run (200)")
    parser.add_argument("--rate", type=positive_rate, default=100.0, help="edits a second (100)")
    parser.add_argument(
        "--keys", type=positive, default=50, help="properties the edits cycle through (50)"
    )
    parser.add_argument("--rounds", type=positive, default=5, help="runs of each pair (5)")
    return parser


if __name__ == "__main__":
    main(parser(), measure, report)
