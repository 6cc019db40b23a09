"""Test helpers: a real Xvfb server, and a frame handler that notes the colors each viewer sees."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from av import VideoFrame
from avacollab.feature import Session

from avacollab_screenshare.frames import mean_rgb, nearest_color


def require(*programs: str) -> None:
    """Skip (locally) or fail (under CI=true) when a program the test needs is missing."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        message = f"needs {', '.join(missing)} (Debian packages xvfb, x11-xserver-utils, ffmpeg)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextlib.asynccontextmanager
async def xvfb(size: str = "320x240x24") -> AsyncIterator[str]:
    """An Xvfb server on a free display number (Xvfb picks it: -displayfd); yields ``:N``.

    ``-noreset``: without it the server resets, black screen again, each time
    its last client (xsetroot) leaves.
    """
    require("Xvfb", "xsetroot")
    read, write = os.pipe()
    process = await asyncio.create_subprocess_exec(
        "Xvfb",
        "-displayfd",
        str(write),
        "-noreset",
        "-screen",
        "0",
        size,
        "-nolisten",
        "tcp",
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read, "rb")
        )
        try:
            async with asyncio.timeout(10):
                number = (await reader.readline()).decode().strip()
        finally:
            transport.close()
        assert number.isdigit(), "Xvfb did not report its display"
        yield f":{number}"
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def set_root_color(display: str, color: str) -> None:
    """Paint the whole screen ``color`` (xsetroot)."""
    process = await asyncio.create_subprocess_exec("xsetroot", "-display", display, "-solid", color)
    async with asyncio.timeout(10):
        assert await process.wait() == 0


@dataclass
class ColorLog:
    """Colors each viewer saw of each sharer, in order, without repeats."""

    seen: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, session: Session, peer: str, frame: VideoFrame) -> None:
        colors = self.seen.setdefault((session.peer_id, peer), [])
        color = nearest_color(mean_rgb(frame))
        if not colors or colors[-1] != color:
            colors.append(color)
            self.changed.set()

    async def wait_for(self, viewer: str, sharer: str, color: str) -> None:
        """Wait (20 s at most) until ``viewer`` has seen ``color`` in ``sharer``'s share."""
        async with asyncio.timeout(20):
            while color not in self.seen.get((viewer, sharer), []):
                self.changed.clear()
                await self.changed.wait()
