"""The audio track we send: frames from a source, silence while muted, level per frame."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .level import level_dbfs
from .options import VoiceError
from .sources import FRAME_BYTES, FRAME_SAMPLES, RATE, AudioSource

__all__ = ["VoiceTrack"]

TIME_BASE = fractions.Fraction(1, RATE)
SILENCE = bytes(FRAME_BYTES)
FRAME_SECONDS = FRAME_SAMPLES / RATE


class VoiceTrack(MediaStreamTrack):
    """An audio track reading 20 ms frames from ``source``.

    Muting replaces the samples with zeros: the track, its sender and the
    negotiated session stay as they are, so mute and unmute cost no
    renegotiation. ``on_level`` gets the captured level (dBFS) of each frame,
    or ``None`` while muted.
    """

    kind = "audio"

    def __init__(
        self,
        source: AudioSource,
        *,
        muted: bool = False,
        on_level: Callable[[float | None], None] | None = None,
        on_error: Callable[[VoiceError], None] | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.muted = muted
        self._on_level = on_level
        self._on_error = on_error
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms frame, in real time."""
        if self.readyState != "live":
            raise MediaStreamError
        if self.source.paced:
            # Keep real time against a fixed start, so late frames do not accumulate drift.
            if self._start is None:
                self._start = time.monotonic()
            delay = self._start + self._pts / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        try:
            samples = await self.source.read()
        except VoiceError as exc:
            if self._on_error is not None:
                self._on_error(exc)
            self.stop()
            raise MediaStreamError from None
        if self._on_level is not None:
            self._on_level(None if self.muted else level_dbfs(samples))
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(SILENCE if self.muted else samples)
        frame.sample_rate = RATE
        frame.time_base = TIME_BASE
        frame.pts = self._pts
        self._pts += FRAME_SAMPLES
        return frame
