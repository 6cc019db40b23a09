"""Records a received share to a WebM (VP8) file, encoding in a worker thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av import VideoFrame

__all__ = ["MAX_BACKLOG", "Recorder", "recording_path"]

logger = logging.getLogger(__name__)

MAX_BACKLOG = 30
"""Frames waiting for the encoder beyond which new ones are dropped (a slow disk or CPU)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def recording_path(directory: Path, sharer: str, share: int, viewer: str) -> Path:
    """``DIR/SHARER-SHARE-to-VIEWER.webm``, with anything odd in the ids replaced."""
    return directory / f"{_UNSAFE.sub('_', sharer)}-{share}-to-{_UNSAFE.sub('_', viewer)}.webm"


class Recorder:
    """One file: opened at the first frame (whose size it keeps), closed by :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frames = 0
        """Frames written (or queued to be)."""
        self.dropped = 0
        self._container: Any = None
        self._stream: Any = None
        self._origin: float | None = None
        self._last_pts = -1
        self._backlog = 0
        # One thread: frames are encoded in order, off the event loop.
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "screenshare-recorder")

    def write(self, frame: VideoFrame, at: float) -> None:
        """Queue ``frame``, received at monotonic time ``at``; never blocks."""
        if self._backlog >= MAX_BACKLOG:
            self.dropped += 1
            return
        self._backlog += 1
        self.frames += 1
        future = self._executor.submit(self._encode, frame, at)
        future.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        self._backlog -= 1
        if future.exception() is not None:
            logger.warning("recording %s: %s", self.path, future.exception())

    def _encode(self, frame: VideoFrame, at: float) -> None:
        if self._container is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(str(self.path), "w", format="webm")
            self._stream = self._container.add_stream("libvpx", rate=30)
            self._stream.width, self._stream.height = frame.width, frame.height
            self._stream.pix_fmt = "yuv420p"
            self._stream.bit_rate = 1_000_000
            self._stream.codec_context.time_base = Fraction(1, 1000)
            self._stream.options = {"deadline": "realtime", "cpu-used": "8"}
            self._origin = at
        assert self._origin is not None
        out = frame.reformat(width=self._stream.width, height=self._stream.height, format="yuv420p")
        # Real arrival times, in milliseconds, strictly increasing as muxers require.
        pts = max(int((at - self._origin) * 1000), self._last_pts + 1)
        self._last_pts = pts
        out.pts, out.time_base = pts, Fraction(1, 1000)
        for packet in self._stream.encode(out):
            self._container.mux(packet)

    def _finish(self) -> None:
        if self._container is not None:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()

    async def close(self) -> None:
        """Flush the encoder and close the file (after every queued frame)."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._finish)
        finally:
            self._executor.shutdown(wait=False)
