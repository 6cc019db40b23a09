"""One source, many peers: a :class:`Broadcast` reads frames once and every :class:`Outlet`
(one aiortc track per peer) sends the newest.

Why not aiortc's ``MediaRelay``: when its source ends, every subscriber raises
``MediaStreamError`` inside the ``RTCRtpSender``, which ends that sender's RTP
loop for good, so a later share on the same (reused) transceiver would never
flow. An outlet that is detached instead hands its sender one last (black) frame; by
then the session has already taken the track off the sender, which goes idle
and can carry the next share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from fractions import Fraction

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from .frames import PALETTE, solid_frame
from .sources import FrameSource

__all__ = ["Broadcast", "Outlet"]

logger = logging.getLogger(__name__)

CLOCK = 90_000
"""RTP video clock rate: frames are stamped in its units."""
_EPOCH = time.monotonic()
# One clock for every share of the process: a sender's encoder refuses a
# frame whose pts is not past the previous one, and a transceiver carries
# share after share.


def _stamp(frame: VideoFrame) -> VideoFrame:
    frame.pts = int((time.monotonic() - _EPOCH) * CLOCK)
    frame.time_base = Fraction(1, CLOCK)
    return frame


class Broadcast:
    """Reads ``source`` in a task and offers each frame to every outlet."""

    def __init__(self, source: FrameSource, on_end: Callable[[str], None] | None = None) -> None:
        self.source = source
        self.frames = 0
        """Frames read from the source so far."""
        self._on_end = on_end
        self._latest: VideoFrame | None = None
        self._fresh = asyncio.Event()
        self._closed = False
        self._task = asyncio.create_task(self._pump())

    @property
    def closed(self) -> bool:
        """True once the share is over and the source released."""
        return self._closed

    def outlet(self) -> Outlet:
        """A new track for one peer."""
        return Outlet(self)

    async def _pump(self) -> None:
        reason = "stopped"
        try:
            while True:
                frame = _stamp(await self.source.read())
                self.frames += 1
                self._latest = frame
                self._fresh.set()
                self._fresh = asyncio.Event()
        except EOFError as exc:
            reason = f"source ended: {exc}"
        except Exception as exc:
            logger.exception("screen share source failed")
            reason = f"source failed: {exc}"
        finally:
            self._closed = True
            self._fresh.set()
            with contextlib.suppress(Exception):
                await asyncio.shield(self.source.close())
        if self._on_end is not None:
            self._on_end(reason)

    async def close(self) -> None:
        """Stop reading and release the source now; outlets send one last frame and end."""
        if self._task.done():
            return
        self._on_end = None  # the caller knows why it closes
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def next_after(self, frame: VideoFrame | None) -> VideoFrame | None:
        """The newest frame once it differs from ``frame``; ``None`` when the share is over."""
        while not self._closed and (self._latest is None or self._latest is frame):
            await self._fresh.wait()
        return None if self._closed else self._latest


class Outlet(MediaStreamTrack):
    """The video track one peer receives: the broadcast's newest frame, never a backlog."""

    kind = "video"

    def __init__(self, broadcast: Broadcast) -> None:
        super().__init__()
        self._broadcast = broadcast
        self._last: VideoFrame | None = None
        self._final_sent = False

    async def recv(self) -> VideoFrame:
        frame = await self._broadcast.next_after(self._last)
        if frame is None:
            # See the module docstring: one last frame instead of an error, once.
            if self._last is None or self._final_sent:
                self.stop()
                raise MediaStreamError
            self._final_sent = True
            return _stamp(solid_frame(self._last.width, self._last.height, PALETTE["black"]))
        self._last = frame
        return frame
