"""Screen share: CPU of a peer sharing a 1280x720 screen at 15 fps to 1 and to 3 viewers.

Starts a signaling server on a free port of 127.0.0.1 and an Xvfb screen of
1280x720 whose color the bench changes every second (``--source pattern``
shares the headless test pattern instead, with no X server). For each case it
runs one process per peer (this file with ``--peer``): the sender shares
``x11`` (PyAV's x11grab) at ``--fps``, the viewers count the frames they
decode. Once frames flow everywhere, each process measures its own CPU (user
plus system, ``os.times()``) for ``--duration`` seconds; viewers report the
frames decoded in that window, i.e. the frame rate they achieved. Every
viewer link costs the sender one VP8 encode: aiortc encodes per sender.

    .venv/bin/python bench/screenshare.py                 # 1 and 3 viewers, 15 s each
    .venv/bin/python bench/screenshare.py --duration 3    # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from machine_info import machine, own_cpu_seconds

SETTLE = 3.0
"""Seconds of sharing before measuring: links renegotiated, encoders warm."""
ROOT = Path(__file__).resolve().parent.parent


async def peer(args: argparse.Namespace) -> None:
    """One peer: ``--share`` or view; prints one JSON line of figures."""
    sys.path.insert(0, str(ROOT / "plugins" / "avacollab-screenshare"))
    import avacollab_screenshare.plugin as screenshare
    from avacollab_screenshare import add_frame_handler

    from avacollab.testing import start_sessions

    frames = 0

    def count(*_: Any) -> None:
        nonlocal frames
        frames += 1

    add_frame_handler(count)
    options = {"screenshare.display": args.display} if args.display else {}
    (session,) = await start_sessions(
        args.url, 1, room=args.room, plugins=[screenshare], options=options, timeout=30
    )
    try:
        await session.events.wait(lambda: len(session.connected) >= args.peers - 1, timeout=30)
        if args.share:
            feature = session.features.get(screenshare.ScreenShare)
            reply = await feature.share(f"{args.source} size=1280x720 fps={args.fps}")
            if not reply.startswith("sharing"):
                raise SystemExit(reply)
        else:
            await session.events.wait_for("screenshare.started", timeout=30)
        await asyncio.sleep(SETTLE)

        def done() -> int:
            # The sender counts frames captured, a viewer frames decoded.
            broadcast = session.features.get(screenshare.ScreenShare).sharer.broadcast
            return broadcast.frames if broadcast is not None else frames

        cpu, got, start = own_cpu_seconds(), done(), time.monotonic()
        await asyncio.sleep(args.duration)
        elapsed = time.monotonic() - start
        figures = {"cpu": (own_cpu_seconds() - cpu) / elapsed, "fps": (done() - got) / elapsed}
        print(json.dumps(figures), flush=True)
    finally:
        await session.close()


@contextlib.asynccontextmanager
async def screen(source: str) -> AsyncIterator[str]:
    """Xvfb at 1280x720, its root color changing every second; yields the display."""
    if source != "x11":
        yield ""
        return
    if not shutil.which("Xvfb") or not shutil.which("xsetroot"):
        raise SystemExit(
            "needs Xvfb and xsetroot (Debian: xvfb x11-xserver-utils), or --source pattern"
        )
    read, write = os.pipe()
    xvfb = await asyncio.create_subprocess_exec(
        *("Xvfb", "-displayfd", str(write), "-noreset", "-screen", "0", "1280x720x24"),
        *("-nolisten", "tcp"),
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        # Xvfb writes its display number once it accepts clients.
        display = f":{(await asyncio.to_thread(pipe.readline)).strip()}"

    async def paint() -> None:
        colors = ("red", "green", "blue", "white")
        for i in range(10**9):
            proc = await asyncio.create_subprocess_exec(
                "xsetroot", "-display", display, "-solid", colors[i % 4]
            )
            await proc.wait()
            await asyncio.sleep(1)

    painter = asyncio.create_task(paint())
    try:
        yield display
    finally:
        painter.cancel()
        xvfb.terminate()
        await xvfb.wait()


async def case(url: str, viewers: int, args: argparse.Namespace, display: str) -> dict[str, Any]:
    room = f"bench-{viewers}-{secrets.token_hex(4)}"
    base = [
        sys.executable,
        __file__,
        "--peer",
        "--url",
        url,
        "--room",
        room,
        "--peers",
        str(viewers + 1),
        "--duration",
        str(args.duration),
        "--fps",
        str(args.fps),
        "--source",
        args.source,
        "--display",
        display,
    ]
    procs = [await asyncio.create_subprocess_exec(*base, "--share", stdout=subprocess.PIPE)]
    procs += [
        await asyncio.create_subprocess_exec(*base, stdout=subprocess.PIPE) for _ in range(viewers)
    ]
    try:
        async with asyncio.timeout(args.duration + 90):
            outputs = [await p.communicate() for p in procs]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()
    results = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    sender, watchers = results[0], results[1:]
    return {
        "viewers": viewers,
        "sender_cpu": round(sender["cpu"], 3),
        "captured_fps": round(sender["fps"], 1),
        "viewer_fps": [round(w["fps"], 1) for w in watchers],
        "viewer_cpu": [round(w["cpu"], 3) for w in watchers],
    }


async def main(args: argparse.Namespace) -> None:
    from avacollab.settings import Settings
    from avacollab.signaling.server import SignalingServer

    settings = replace(Settings(), host="127.0.0.1", port=0)
    server = SignalingServer(settings, resume_secret=secrets.token_bytes(32))
    await server.start()
    rows = []
    try:
        async with screen(args.source) as display:
            for viewers in args.viewers:
                rows.append(await case(server.url, viewers, args, display))
    finally:
        await server.stop()
    print(f"source: {args.source} 1280x720@{args.fps}, {args.duration:g} s per case")
    print("| viewers | sender CPU (of one core) | captured fps | viewer fps | viewer CPU |")
    print("|---:|---:|---:|---|---|")
    for row in rows:
        fps = ", ".join(f"{f:.1f}" for f in row["viewer_fps"])
        cpu = ", ".join(f"{c:.0%}" for c in row["viewer_cpu"])
        print(
            f"| {row['viewers']} | {row['sender_cpu']:.0%} | {row['captured_fps']:.1f} "
            f"| {fps} | {cpu} |"
        )
    print(json.dumps({"machine": machine("aiortc", "av"), "rows": rows}))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--source", choices=("x11", "pattern"), default="x11")
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--share", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--room", help=argparse.SUPPRESS)
    parser.add_argument("--peers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--display", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    asyncio.run(peer(arguments) if arguments.peer else main(arguments))
