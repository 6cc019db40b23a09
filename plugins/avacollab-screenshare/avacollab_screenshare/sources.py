"""Frame sources: an X11 screen (PyAV or an ffmpeg subprocess), a video file, a test pattern.

Each source hands out yuv420p frames at its own pace with ``await read()``
and releases what it holds with ``await close()``. Opening checks everything
that can be missing (display, ffmpeg, file) and raises
:class:`~avacollab_screenshare.options.ShareError` with the remedy, so a
failed ``/share`` is a message, never a broken session.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import av
from av import VideoFrame

from .frames import PALETTE, solid_frame, to_yuv420p
from .options import ShareError, ShareSpec
from .y4m import parse_header

__all__ = [
    "FfmpegX11Source",
    "FileSource",
    "FrameSource",
    "PatternSource",
    "PyavX11Source",
    "open_source",
]

PATTERN_SIZE = (640, 360)
PATTERN_COLORS = ("red", "green", "blue", "white")
FFMPEG_START_TIMEOUT = 10.0
"""Seconds ffmpeg may take to deliver its stream header before the share is refused."""
XVFB_HINT = "on a headless machine start a virtual one with Xvfb (Debian package xvfb)"


class FrameSource(Protocol):
    """Where shared frames come from."""

    description: str
    """Shown to the user and in events, like ``x11 :0 1280x720``."""

    async def read(self) -> VideoFrame:
        """The next yuv420p frame, when it is due; ``EOFError`` when there are no more."""
        ...

    async def close(self) -> None:
        """Release the capture (device, subprocess, file). Idempotent."""
        ...


class PatternSource:
    """Solid colors cycling red, green, blue, white, one a second: headless and predictable."""

    def __init__(self, spec: ShareSpec) -> None:
        self.size = spec.size or PATTERN_SIZE
        self.period = 1 / spec.fps
        self.description = f"pattern {self.size[0]}x{self.size[1]}@{spec.fps}"
        self._start = time.monotonic()
        self._count = 0

    async def read(self) -> VideoFrame:
        due = self._start + self._count * self.period
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        second = int(self._count * self.period)
        self._count += 1
        # A new frame each time: the broadcast stamps every frame with its own pts.
        return solid_frame(*self.size, PALETTE[PATTERN_COLORS[second % len(PATTERN_COLORS)]])

    async def close(self) -> None:
        return None


class _Demuxed:
    """A PyAV container read frame by frame in a worker thread (demuxing blocks)."""

    def __init__(self, container: Any, size: tuple[int, int] | None) -> None:
        self._container = container
        self._size = size
        self._frames: Iterator[VideoFrame] = container.decode(video=0)
        self._pending: asyncio.Future[Any] | None = None
        self._closed = False

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        # Shielded and remembered: a cancelled read must not leave a thread
        # inside the container while close() frees it.
        self._pending = asyncio.ensure_future(asyncio.to_thread(function, *args))
        return await asyncio.shield(self._pending)

    async def _next(self) -> VideoFrame:
        if self._closed:
            raise EOFError("the source is closed")
        try:
            frame = await self._in_thread(next, self._frames, None)
        except av.FFmpegError as exc:
            raise EOFError(str(exc)) from exc
        if frame is None:
            raise EOFError("end of stream")
        return to_yuv420p(frame, self._size)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._pending is not None:
            with contextlib.suppress(Exception):
                await self._pending
        await asyncio.to_thread(self._container.close)


class PyavX11Source(_Demuxed):
    """The X11 screen through PyAV's own x11grab (no ffmpeg program needed)."""

    def __init__(self, container: Any, spec: ShareSpec, description: str) -> None:
        super().__init__(container, spec.size)
        self.description = description

    @classmethod
    async def open(cls, spec: ShareSpec) -> PyavX11Source:
        """Open the display; :class:`ShareError` when it cannot be grabbed."""
        url, options = spec.display, {"framerate": str(spec.fps), "draw_mouse": "0"}
        if spec.region is not None:
            url += f"+{spec.region.x},{spec.region.y}"
            options["video_size"] = f"{spec.region.width}x{spec.region.height}"
        try:
            container = await asyncio.to_thread(av.open, url, format="x11grab", options=options)
        except (av.FFmpegError, OSError) as exc:
            raise ShareError(
                f"cannot grab X display {spec.display!r} ({exc}): is an X server running "
                f"there? Pass display=:N (or --set screenshare.display=:N); {XVFB_HINT}"
            ) from None
        stream = container.streams.video[0]
        size = spec.size or (stream.width, stream.height)
        return cls(container, spec, f"x11 {spec.display} {size[0]}x{size[1]}@{spec.fps}")

    async def read(self) -> VideoFrame:
        return await self._next()


class FileSource(_Demuxed):
    """A video file played at its own speed, from the start again when ``loop`` is on."""

    def __init__(self, container: Any, spec: ShareSpec) -> None:
        super().__init__(container, spec.size)
        self.description = f"file {spec.path}"
        self._loop = spec.loop
        self._origin: float | None = None

    @classmethod
    async def open(cls, spec: ShareSpec) -> FileSource:
        """Open the file; :class:`ShareError` when it is missing or holds no video."""
        try:
            container = await asyncio.to_thread(av.open, spec.path)
        except (av.FFmpegError, OSError) as exc:
            raise ShareError(f"cannot open video file {spec.path!r}: {exc}") from None
        if not container.streams.video:
            container.close()
            raise ShareError(f"{spec.path!r} has no video stream")
        return cls(container, spec)

    async def read(self) -> VideoFrame:
        try:
            frame = await self._next()
        except EOFError:
            if not self._loop or self._closed:
                raise
            await self._in_thread(self._container.seek, 0)
            self._frames = self._container.decode(video=0)
            self._origin = None
            frame = await self._next()
        # Pace by the file's timestamps so the peers see it at normal speed.
        at = float(frame.time or 0.0)
        now = time.monotonic()
        if self._origin is None:
            self._origin = now - at
        await asyncio.sleep(max(0.0, self._origin + at - now))
        return frame


class FfmpegX11Source:
    """The X11 screen through an ``ffmpeg`` subprocess writing yuv4mpeg to a pipe."""

    def __init__(
        self, process: asyncio.subprocess.Process, width: int, height: int, description: str
    ) -> None:
        self._process = process
        self.width, self.height = width, height
        self.description = description
        self._closed = False

    @classmethod
    async def open(cls, spec: ShareSpec) -> FfmpegX11Source:
        """Start ffmpeg and read its header; :class:`ShareError` when it cannot capture."""
        program = shutil.which(spec.ffmpeg)
        if program is None:
            raise ShareError(
                f"ffmpeg not found ({spec.ffmpeg!r}): install it (Debian: apt install ffmpeg), "
                "pass ffmpeg=/path/to/ffmpeg, or use backend=pyav"
            )
        url = spec.display
        grab = ["-f", "x11grab", "-framerate", str(spec.fps), "-draw_mouse", "0"]
        if spec.region is not None:
            url += f"+{spec.region.x},{spec.region.y}"
            grab += ["-video_size", f"{spec.region.width}x{spec.region.height}"]
        scale = ["-vf", f"scale={spec.size[0]}:{spec.size[1]}"] if spec.size else []
        command = [
            program,
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            *grab,
            "-i",
            url,
            *scale,
            "-pix_fmt",
            "yuv420p",
            "-f",
            "yuv4mpegpipe",
            "-",
        ]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None and process.stderr is not None
        try:
            async with asyncio.timeout(FFMPEG_START_TIMEOUT):
                header = await process.stdout.readline()
            width, height = parse_header(header)
        except (TimeoutError, ValueError):
            await _stop(process)
            error = (await process.stderr.read()).decode(errors="replace").strip()
            last = error.splitlines()[-1] if error else "no stream"
            raise ShareError(
                f"ffmpeg cannot grab X display {spec.display!r} ({last}): is an X server "
                f"running there? Pass display=:N; {XVFB_HINT}"
            ) from None
        return cls(process, width, height, f"x11 {url} {width}x{height}@{spec.fps} (ffmpeg)")

    async def read(self) -> VideoFrame:
        stdout = self._process.stdout
        assert stdout is not None
        if self._closed:
            raise EOFError("the source is closed")
        try:
            marker = await stdout.readline()
            data = await stdout.readexactly(self.width * self.height * 3 // 2)
        except asyncio.IncompleteReadError:
            raise EOFError("ffmpeg stopped") from None
        if not marker.startswith(b"FRAME"):
            raise EOFError("ffmpeg sent something that is not a frame")
        return _i420_frame(data, self.width, self.height)

    async def close(self) -> None:
        self._closed = True
        await _stop(self._process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(5):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


def _i420_frame(data: bytes, width: int, height: int) -> VideoFrame:
    frame = VideoFrame(width, height, "yuv420p")
    offset = 0
    for plane in frame.planes:
        rows, row = plane.height, plane.width
        chunk = data[offset : offset + rows * row]
        offset += rows * row
        if plane.line_size == row:
            plane.update(chunk)
        else:  # PyAV pads lines for alignment
            pad = bytes(plane.line_size - row)
            plane.update(b"".join(chunk[i * row : (i + 1) * row] + pad for i in range(rows)))
    return frame


async def open_source(spec: ShareSpec) -> FrameSource:
    """Open the source ``spec`` names; :class:`ShareError` says what is missing."""
    if spec.source == "pattern":
        return PatternSource(spec)
    if spec.source == "file":
        return await FileSource.open(spec)
    backend = spec.backend
    if backend == "auto":
        backend = "pyav" if "x11grab" in av.formats_available else "ffmpeg"
    if backend == "pyav":
        if "x11grab" not in av.formats_available:
            raise ShareError("this PyAV build has no x11grab: pass backend=ffmpeg")
        return await PyavX11Source.open(spec)
    return await FfmpegX11Source.open(spec)
