"""Where the audio we send comes from: a tone, or ffmpeg reading a microphone or a file.

Every source yields 20 ms of signed 16-bit mono PCM at 48 kHz per :meth:`read`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
from array import array
from typing import Protocol

from .options import INPUTS, Source, VoiceError, VoiceOptions

__all__ = [
    "FRAME_BYTES",
    "FRAME_SAMPLES",
    "RATE",
    "AudioSource",
    "FfmpegSource",
    "ToneSource",
    "find_ffmpeg",
    "open_source",
]

RATE = 48000
FRAME_SAMPLES = 960  # 20 ms, what Opus is sent in
FRAME_BYTES = FRAME_SAMPLES * 2
START_TIMEOUT = 5.0
INSTALL_FFMPEG = (
    "install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg) or pass --set voice.ffmpeg=PATH"
)


class AudioSource(Protocol):
    """20 ms PCM frames, one per :meth:`read`."""

    paced: bool
    """True when :meth:`read` returns at once and the caller must keep real time."""

    async def read(self) -> bytes:
        """The next frame (``FRAME_BYTES`` bytes); :class:`VoiceError` when the source ended."""
        ...

    async def close(self) -> None:
        """Release the device or process."""
        ...


class ToneSource:
    """A sine wave at ``frequency`` Hz, a quarter of full scale (about -15 dBFS)."""

    paced = True

    def __init__(self, frequency: float, amplitude: float = 0.25) -> None:
        self.frequency = frequency
        self.amplitude = amplitude
        self._sample = 0

    def frame(self) -> bytes:
        """The next 20 ms of the wave, continuing the phase of the previous frame."""
        step = 2.0 * math.pi * self.frequency / RATE
        scale = 32767.0 * self.amplitude
        start, self._sample = self._sample, self._sample + FRAME_SAMPLES
        samples = array(
            "h", (round(scale * math.sin(step * n)) for n in range(start, start + FRAME_SAMPLES))
        )
        return samples.tobytes()

    async def read(self) -> bytes:
        """The next frame of the tone."""
        return self.frame()

    async def close(self) -> None:
        """Nothing to release."""


def find_ffmpeg(command: str) -> str:
    """The full path of ``command``, or :class:`VoiceError` saying how to get ffmpeg."""
    path = shutil.which(command)
    if path is None:
        raise VoiceError(f"ffmpeg not found ({command!r}): {INSTALL_FFMPEG}")
    return path


class FfmpegSource:
    """ffmpeg decoding a device or file to raw PCM on its stdout."""

    def __init__(self, process: asyncio.subprocess.Process, what: str, paced: bool) -> None:
        self._process = process
        self.what = what
        self.paced = paced
        self._first: bytes | None = None
        self._error_output: bytes | None = None  # ffmpeg's stderr, once it has exited

    @classmethod
    async def start(
        cls, ffmpeg: str, input_args: list[str], what: str, paced: bool
    ) -> FfmpegSource:
        """Run ffmpeg and wait for its first frame, so a missing device fails here."""
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", *input_args]
        command += ["-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", str(RATE), "-"]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        source = cls(process, what, paced)
        try:
            async with asyncio.timeout(START_TIMEOUT):
                source._first = await source._read()
        except (VoiceError, TimeoutError) as exc:
            await source.close()
            detail = await source._stderr()
            reason = detail or str(exc) or f"no audio within {START_TIMEOUT:g} s"
            raise VoiceError(f"cannot open {what}: {reason}") from None
        return source

    async def _read(self) -> bytes:
        assert self._process.stdout is not None
        try:
            return await self._process.stdout.readexactly(FRAME_BYTES)
        except asyncio.IncompleteReadError:
            raise VoiceError(f"{self.what} ended") from None

    async def _stderr(self) -> str:
        if self._error_output is not None:
            lines = [ln.strip() for ln in self._error_output.decode(errors="replace").splitlines()]
            lines = [ln for ln in lines if ln]
            return lines[-1] if lines else ""
        if self._process.stderr is None:
            return ""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                text = (await self._process.stderr.read()).decode(errors="replace")
                lines = [line.strip() for line in text.splitlines() if line.strip()]
                return lines[-1] if lines else ""
        return ""

    async def read(self) -> bytes:
        """The next frame from ffmpeg."""
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        return await self._read()

    async def close(self) -> None:
        """Stop ffmpeg at once (the device is released when it exits)."""
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        # Not wait(): asyncio only reports the exit once every pipe has hit
        # EOF, and a stdout we stopped reading (its buffer full, reading
        # paused) never does. communicate() reads both pipes to the end.
        _, self._error_output = await self._process.communicate()


async def open_source(options: VoiceOptions) -> AudioSource | None:
    """Open what ``voice.source`` names (``None`` for ``none``).

    Raises :class:`VoiceError` saying what to install or pass when it cannot.
    """
    source: Source = options.source
    if source.kind == "none":
        return None
    if source.kind == "tone":
        return ToneSource(source.frequency)
    ffmpeg = find_ffmpeg(options.ffmpeg)
    if source.kind == "file":
        # Looped, so a short clip keeps the track alive; our clock paces it.
        args = ["-stream_loop", "-1", "-i", source.path]
        return await FfmpegSource.start(ffmpeg, args, f"file {source.path!r}", paced=True)
    errors = []
    for backend in INPUTS if options.input == "auto" else (options.input,):
        what = f"microphone {options.device!r} through {backend}"
        try:
            args = ["-f", backend, "-i", options.device]
            return await FfmpegSource.start(ffmpeg, args, what, paced=False)
        except VoiceError as exc:
            errors.append(str(exc))
    raise VoiceError(
        "no microphone: "
        + "; ".join(errors)
        + ". Start PulseAudio or plug in a device, choose one with --set voice.device=NAME"
        " (and voice.input=pulse|alsa), or send --set voice.source=tone:440 or file:PATH"
    )
