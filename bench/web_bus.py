"""Small bus messages a second between a page and Python, against Python to Python.

One run, two pairs (bench/web_rig.py): a Python *hub* session with a page
(Chromium, the shipped bundle's ``Session``) and another hub session with a
Python child process, each pair alone in its room, all on loopback. Each of
``--rounds`` rounds measures, one after the other, the four directions:

* page to Python and Python to Python: the far end sends ``--count``
  messages of ``--size`` bytes to its hub with ``await bus.send(...)`` each
  (it waits only when the peer's reliable queue is full); measured on the
  hub from just before asking the far end to start to the arrival of the
  last message;
* Python to page and Python to Python: the hub sends the same way; the far
  end reads its clock at the last arrival, and that reading is put on the
  hub's clock (web_rig.calibrate, within the reported error).

Which pair goes first alternates from round to round, so that other work on
the machine falls on both alike; each figure is the median of its rounds.
The ratio to Python-to-Python is taken direction by direction.

    .venv/bin/python bench/web_bus.py                   # 5 rounds of 100,000 messages
    .venv/bin/python bench/web_bus.py --rounds 1 --count 1000 --json out.json   # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bus import positive
from web_rig import TOPIC, WAIT, Conditions, Pair, calibrate, main, now_ms, progress, rig

TARGET_RATIO = 0.5
DIRECTIONS = ("page_to_python", "python_to_python", "python_to_page", "python_to_python_back")


async def to_hub(pair: Pair, count: int, size: int) -> tuple[float, float]:
    """Messages a second from the far end to the hub, and the hub's CPU µs a message."""
    pair.arrivals.arm(count)
    cpu = time.process_time()
    start = now_ms()
    await pair.remote.flood(pair.hub.peer_id, count, size)
    async with asyncio.timeout(WAIT):
        await pair.arrivals.done.wait()
    return count / ((pair.arrivals.last - start) / 1000), cpu_us(cpu, count)


async def from_hub(pair: Pair, count: int, size: int) -> tuple[float, float]:
    """Messages a second from the hub to the far end, and the hub's CPU µs a message."""
    clock = await calibrate(pair.remote)
    await pair.remote.arm(count)
    payload = b"s" * size
    cpu = time.process_time()
    start = now_ms()
    for _ in range(count):
        await pair.hub.bus.send(TOPIC, payload, to=pair.remote.peer_id)
    last = await pair.remote.received() - clock.offset
    return count / ((last - start) / 1000), cpu_us(cpu, count)


def cpu_us(since: float, count: int) -> float:
    # The hub's process also runs the signaling server and Playwright's
    # client, both idle meanwhile: the figure least moved by other work.
    return (time.process_time() - since) / count * 1e6


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    conditions = Conditions()
    rounds: list[dict[str, float]] = []
    cpu: list[dict[str, float]] = []
    async with rig(uvloop=not args.no_uvloop) as (page, python, chromium):
        clocks = {p.name: await calibrate(p.remote) for p in (page, python)}
        # One unmeasured round of a tenth: the first messages warm both sides up.
        warm = max(1, args.count // 10)
        for pair in (page, python):
            await to_hub(pair, warm, args.size)
            await from_hub(pair, warm, args.size)
        for i in range(args.rounds):
            progress(f"round {i + 1}/{args.rounds}")
            figures: dict[str, float] = {}
            costs: dict[str, float] = {}
            for pair in (page, python) if i % 2 == 0 else (python, page):
                key = "page_to_python" if pair is page else "python_to_python"
                figures[key], costs[key] = await to_hub(pair, args.count, args.size)
            for pair in (page, python) if i % 2 == 0 else (python, page):
                key = "python_to_page" if pair is page else "python_to_python_back"
                figures[key], costs[key] = await from_hub(pair, args.count, args.size)
            rounds.append(figures)
            cpu.append(costs)
    medians = {d: statistics.median(r[d] for r in rounds) for d in DIRECTIONS}
    return {
        **conditions.report(chromium),
        "args": {k: v for k, v in vars(args).items() if k != "json"},
        "clock_error_ms": {name: round(c.error, 3) for name, c in clocks.items()},
        "msgs_per_s": {d: round(v) for d, v in medians.items()},
        # The hub's CPU a message: receiving (to Python) or sending (from Python).
        "hub_cpu_us": {d: round(statistics.median(c[d] for c in cpu), 2) for d in DIRECTIONS},
        "ratios": {
            "page_to_python": medians["page_to_python"] / medians["python_to_python"],
            "python_to_page": medians["python_to_page"] / medians["python_to_python_back"],
        },
        "rounds": [{d: round(v) for d, v in r.items()} for r in rounds],
    }


def report(result: dict[str, Any]) -> str:
    rates, ratios, load = result["msgs_per_s"], result["ratios"], result["load_average"]
    cpu = result["hub_cpu_us"]
    lines = [
        f"{result['args']['count']:,} messages of {result['args']['size']} bytes a run, "
        f"medians of {len(result['rounds'])} rounds; load average "
        f"{load['before'][0]:.2f} before, {load['after'][0]:.2f} after.",
        "",
        "| direction | msgs/s | Python to Python, same direction | ratio "
        "| hub CPU µs/msg (vs Python to Python) |",
        "|---|---:|---:|---:|---:|",
        f"| page to Python | {rates['page_to_python']:,} | {rates['python_to_python']:,} "
        f"| {ratios['page_to_python']:.2f} "
        f"| {cpu['page_to_python']:.2f} ({cpu['python_to_python']:.2f}) |",
        f"| Python to page | {rates['python_to_page']:,} | {rates['python_to_python_back']:,} "
        f"| {ratios['python_to_page']:.2f} "
        f"| {cpu['python_to_page']:.2f} ({cpu['python_to_python_back']:.2f}) |",
        "",
        "Targets: "
        + "; ".join(
            f"{name.replace('_', ' ')} >= {TARGET_RATIO}x Python to Python: "
            f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}"
            for name, ratio in ratios.items()
        ),
    ]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=positive, default=100_000, help="messages a run")
    parser.add_argument("--size", type=positive, default=30, help="payload bytes (30)")
    parser.add_argument("--rounds", type=positive, default=5, help="rounds of the four runs (5)")
    return parser


if __name__ == "__main__":
    main(parser(), measure, report)
