"""Where received audio goes: the default output (ffmpeg to PulseAudio or ALSA) or a WAV file."""

from __future__ import annotations

import asyncio
import contextlib
import re
import wave
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from .options import VoiceError
from .sources import RATE, find_ffmpeg

__all__ = ["AudioSink", "FfmpegPlayer", "WavRecorder", "default_output", "recording_path"]


class AudioSink(Protocol):
    """Takes signed 16-bit mono PCM at 48 kHz."""

    async def write(self, samples: bytes) -> None:
        """Play or store ``samples``."""
        ...

    async def close(self) -> None:
        """Finish: flush and release."""
        ...


def default_output(env: Mapping[str, str], snd: Path = Path("/dev/snd")) -> str | None:
    """``pulse`` when a PulseAudio server is reachable, ``alsa`` when a sound card plays,
    else ``None``.

    Pure apart from looking at files, so it can be tested with a fake ``env``.
    """
    if env.get("PULSE_SERVER"):
        return "pulse"
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and (Path(runtime) / "pulse" / "native").exists():
        return "pulse"
    with contextlib.suppress(OSError):
        if any(re.fullmatch(r"pcmC\d+D\d+p", p.name) for p in snd.iterdir()):
            return "alsa"
    return None


def recording_path(directory: Path, peer_id: str) -> Path:
    """``directory/voice-<peer>.wav``, with the peer id reduced to safe characters."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", peer_id)[:64] or "peer"
    return directory / f"voice-{safe}.wav"


class WavRecorder:
    """Writes what a peer says to a mono 48 kHz WAV file, readable while it grows."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.samples = 0
        """Samples written so far."""
        # Both stay open while the peer talks; close() closes them.
        self._file = open(path, "wb")  # noqa: SIM115
        self._wav = wave.open(self._file, "wb")  # noqa: SIM115
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(RATE)
        self._grew = asyncio.Condition()

    async def write(self, samples: bytes) -> None:
        """Append ``samples``; the header is patched each time, so readers see them."""
        self._wav.writeframes(samples)
        self._file.flush()
        self.samples += len(samples) // 2
        async with self._grew:
            self._grew.notify_all()

    async def wait_samples(self, count: int) -> None:
        """Return once ``count`` samples are in the file (bound it with a timeout)."""
        async with self._grew:
            await self._grew.wait_for(lambda: self.samples >= count)

    async def close(self) -> None:
        """Finish the file."""
        with contextlib.suppress(ValueError):  # already closed
            self._wav.close()
            self._file.close()


class FfmpegPlayer:
    """ffmpeg playing PCM from its stdin on a PulseAudio or ALSA output."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def start(cls, ffmpeg: str, backend: str, device: str = "default") -> FfmpegPlayer:
        """Start the player; :class:`VoiceError` when ffmpeg is missing."""
        command = [find_ffmpeg(ffmpeg), "-hide_banner", "-loglevel", "error"]
        command += ["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "-", "-f", backend, device]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    async def write(self, samples: bytes) -> None:
        """Queue ``samples`` for playing; :class:`VoiceError` when the output went away."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(samples)
            await self._process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise VoiceError(
                "the audio output closed (is the sound server still running?)"
            ) from None

    async def close(self) -> None:
        """Stop playing."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            async with asyncio.timeout(2.0):
                await self._process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
