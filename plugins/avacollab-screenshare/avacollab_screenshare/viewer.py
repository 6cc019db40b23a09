"""The receiving side: frames of each peer's share go to the frame handlers and a recording.

A peer's video track only carries a share between that peer's
``screenshare.started`` and ``screenshare.stopped`` notices; frames outside
(the last one in flight after a stop) are dropped. aiortc never ends a
received track when the sender stops (the transceiver just goes inactive),
so the notices, a closing track, or the peer leaving end a share here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiortc.mediastreams import MediaStreamError
from av import VideoFrame
from avacollab import shortids
from avacollab.feature import Session

from .recorder import Recorder, recording_path

__all__ = ["FrameHandler", "Viewer", "add_frame_handler"]

logger = logging.getLogger(__name__)

FrameHandler = Callable[[Session, str, VideoFrame], None]
"""``handler(session, peer_id, frame)``: a decoded yuv420p frame of ``peer_id``'s share."""

_handlers: list[FrameHandler] = []


def add_frame_handler(handler: FrameHandler) -> Callable[[], None]:
    """Call ``handler(session, peer_id, frame)`` for every frame of every share received.

    Runs on the event loop for each frame, so it must be quick (hand heavy
    work to a thread). An exception is logged and does not stop the share.
    Returns a function that removes the handler again.
    """
    _handlers.append(handler)

    def remove() -> None:
        with contextlib.suppress(ValueError):
            _handlers.remove(handler)

    return remove


@dataclass(slots=True)
class _Share:
    number: int
    source: str
    frames: int = 0
    recorder: Recorder | None = None


class Viewer:
    """Shares received by one session, one per sharing peer."""

    def __init__(self, session: Session, record_dir: Path | None) -> None:
        self.session = session
        self.record_dir = record_dir
        self.shares: dict[str, _Share] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}

    def started(self, peer: str, share: int, source: str) -> None:
        """``peer`` announced share number ``share``."""
        current = self.shares.get(peer)
        if current is not None and current.number == share:
            return  # the repeat a peer sends on (re)connection
        if current is not None:
            asyncio.get_running_loop().create_task(self.ended(peer, current.number, "replaced"))
        self.shares[peer] = _Share(share, source)
        who = shortids.peer_label(self.session, peer)
        self.session.emit(
            "screenshare.started",
            note=f"{who} started sharing ({source})",
            peer=peer,
            share=share,
            source=source,
        )

    async def ended(self, peer: str, share: int | None, reason: str) -> None:
        """``peer``'s share ``share`` (``None``: whichever runs) is over."""
        current = self.shares.get(peer)
        if current is None or (share is not None and current.number != share):
            return
        del self.shares[peer]
        path = None
        if current.recorder is not None:
            await current.recorder.close()
            path = str(current.recorder.path)
        who = shortids.peer_label(self.session, peer)
        self.session.emit(
            "screenshare.stopped",
            note=f"{who} stopped sharing ({reason})",
            peer=peer,
            share=current.number,
            reason=reason,
            frames=current.frames,
            file=path,
        )

    def track(self, peer: str, track: Any) -> None:
        """Read ``peer``'s video track for as long as it lives."""
        old = self._readers.pop(peer, None)
        if old is not None:
            old.cancel()
        self._readers[peer] = asyncio.get_running_loop().create_task(self._read(peer, track))

    async def _read(self, peer: str, track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                self._frame(peer, frame)
        except MediaStreamError:
            pass
        if self._readers.get(peer) is asyncio.current_task():
            del self._readers[peer]
            await self.ended(peer, None, "track ended")

    def _frame(self, peer: str, frame: VideoFrame) -> None:
        share = self.shares.get(peer)
        if share is None:
            return
        share.frames += 1
        for handler in list(_handlers):
            try:
                handler(self.session, peer, frame)
            except Exception:
                logger.exception("screen share frame handler %r failed", handler)
        if self.record_dir is not None:
            if share.recorder is None:
                path = recording_path(self.record_dir, peer, share.number, self.session.peer_id)
                share.recorder = Recorder(path)
            share.recorder.write(frame, time.monotonic())

    async def close(self) -> None:
        """End every share and stop reading (the session is leaving)."""
        for task in self._readers.values():
            task.cancel()
        self._readers.clear()
        for peer in list(self.shares):
            await self.ended(peer, None, "closing")
