"""Voice: CPU of a peer sending a tone to 1 and to 3 peers, and of the listeners.

Starts a signaling server on a free port of 127.0.0.1, then for each case
runs one process per peer (this file with ``--peer``): the sender sends
``voice.source=tone:440`` and the listeners send nothing and record what
they hear. Once every link is up and audio flows, each process measures
its own CPU (user plus system, ``os.times()``) for ``--duration`` seconds;
listeners also count the seconds of audio recorded in that window, so a
sender that cannot keep up shows as less than 1.0 s of audio per second.
The ``idle`` case is the same room with no source, the cost of the session
itself. How to read the figures: docs/benchmarks.md, "Voice".

    .venv/bin/python bench/voice.py                  # idle, 1 and 3 listeners, 20 s each
    .venv/bin/python bench/voice.py --duration 3     # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from typing import Any

from machine_info import machine, own_cpu_seconds

RATE = 48000
SETTLE = 1.0  # seconds of audio before measuring, so jitter buffers are filled


def connected_to(session: Any, count: int) -> bool:
    return len(session.connected) >= count


async def peer(
    url: str, room: str, source: str, peers: int, duration: float, idle: bool
) -> dict[str, Any]:
    """One peer: join, wait for audio to flow, measure, report."""
    import avacollab_voice.plugin as voice

    from avacollab.testing import start_sessions

    with tempfile.TemporaryDirectory() as record_dir:
        options = {"voice.source": source, "voice.output": "record", "voice.record_dir": record_dir}
        (session,) = await start_sessions(
            url, 1, room=room, plugins=[voice], options=options, timeout=30.0
        )
        try:
            await session.events.wait(partial(connected_to, session, peers - 1), timeout=30.0)
            state = session.features.get(voice.Voice)
            if source == "none" and not idle:
                # Listeners measure once the sender's audio arrives.
                await session.events.wait_for("voice.recording", timeout=30.0)
            recorders = list(state.recordings.values())
            for recorder in recorders:
                await asyncio.wait_for(recorder.wait_samples(int(SETTLE * RATE)), 30.0)
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)  # "go": every peer measures at once
            heard = [r.samples for r in recorders]
            cpu, wall = own_cpu_seconds(), time.monotonic()
            await asyncio.sleep(duration)  # the measured window
            cpu, wall = own_cpu_seconds() - cpu, time.monotonic() - wall
            audio = [(r.samples - h) / RATE for r, h in zip(recorders, heard, strict=True)]
            report = {
                "source": source,
                "cpu": cpu / wall,
                "audio_per_second": min(audio) / wall if audio else None,
            }
            print(json.dumps(report), flush=True)
            await asyncio.to_thread(sys.stdin.readline)  # "leave": after every peer measured
            return report
        finally:
            await session.close()


async def expect(process: asyncio.subprocess.Process, start: str) -> str:
    """The next line of ``process`` that starts with ``start``."""
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode():
        if line.startswith(start):
            return line
    raise RuntimeError(f"a peer process ended before saying {start!r}")


async def tell(process: asyncio.subprocess.Process, line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line.encode() + b"\n")
    await process.stdin.drain()


async def run_case(url: str, name: str, listeners: int, duration: float) -> list[dict[str, Any]]:
    """Sender plus ``listeners`` peers, one process each; their reports."""
    room = f"voice-{name}-{secrets.token_hex(4)}"
    sources = ["tone:440" if name != "idle" else "none"] + ["none"] * listeners
    processes = []
    try:
        async with asyncio.timeout(duration + 90):
            for source in sources:
                args = [__file__, "--peer", url, room, source, str(len(sources)), str(duration)]
                processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        *args,
                        name,
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                    )
                )
            for process in processes:
                await expect(process, "ready")
            for process in processes:
                await tell(process, "go")
            reports = [json.loads(await expect(process, "{")) for process in processes]
            for process in processes:
                await tell(process, "leave")
            for process in processes:
                await process.wait()
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    return reports


async def main(duration: float, cases: list[str]) -> None:
    from avacollab.settings import Settings
    from avacollab.signaling.server import SignalingServer

    settings = replace(Settings(), host="127.0.0.1", port=0)
    server = SignalingServer(settings, resume_secret=secrets.token_bytes(32))
    await server.start()
    try:
        print(f"machine: {json.dumps(machine('aiortc', 'av'))}")
        print(f"window: {duration:g} s per case, one process per peer\n")
        print("| case | sender CPU (% of a core) | listener CPU (mean) | audio heard per second |")
        print("| --- | --- | --- | --- |")
        for name in cases:
            listeners = {"idle": 3, "1-peer": 1, "3-peers": 3}[name]
            reports = await run_case(server.url, name, listeners, duration)
            sender, rest = reports[0], reports[1:]
            mean = sum(r["cpu"] for r in rest) / len(rest)
            heard = [r["audio_per_second"] for r in rest if r["audio_per_second"] is not None]
            shown = f"{min(heard):.2f} s (worst listener)" if heard else "-"
            print(f"| {name} | {sender['cpu'] * 100:.1f} | {mean * 100:.1f} | {shown} |")
    finally:
        await server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--peer":
        url, room, source, peers, duration, case = sys.argv[2:8]
        asyncio.run(peer(url, room, source, int(peers), float(duration), idle=case == "idle"))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per case")
    parser.add_argument(
        "--cases", default="idle,1-peer,3-peers", help="comma-separated: idle, 1-peer, 3-peers"
    )
    ns = parser.parse_args()
    asyncio.run(main(ns.duration, ns.cases.split(",")))
