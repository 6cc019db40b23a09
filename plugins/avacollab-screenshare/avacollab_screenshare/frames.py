"""Video frame helpers: solid test frames, yuv420p conversion, the mean color of a frame.

aiortc's encoders and ``MediaRelay`` expect yuv420p: every frame a source
produces goes through :func:`to_yuv420p` first. No numpy needed.
"""

from __future__ import annotations

from av import VideoFrame

__all__ = ["PALETTE", "mean_rgb", "nearest_color", "solid_frame", "to_yuv420p"]

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "yellow": (255, 255, 0),
}
"""Named colors: the test pattern cycles through the first four."""


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    # BT.601 limited range, what libswscale assumes for yuv420p without tags.
    r, g, b = (c / 255 for c in rgb)
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128 + 112.0 * r - 93.786 * g - 18.214 * b
    return round(y), round(u), round(v)


def solid_frame(width: int, height: int, rgb: tuple[int, int, int]) -> VideoFrame:
    """A yuv420p frame of one color."""
    frame = VideoFrame(width, height, "yuv420p")
    for plane, value in zip(frame.planes, _yuv(rgb), strict=True):
        plane.update(bytes([value]) * plane.buffer_size)
    return frame


def to_yuv420p(frame: VideoFrame, size: tuple[int, int] | None = None) -> VideoFrame:
    """``frame`` as yuv420p, scaled to ``size`` if given (``frame`` itself if nothing changes)."""
    width, height = size or (frame.width - frame.width % 2, frame.height - frame.height % 2)
    if frame.format.name == "yuv420p" and (frame.width, frame.height) == (width, height):
        return frame
    converted: VideoFrame = frame.reformat(width=width, height=height, format="yuv420p")
    return converted


def mean_rgb(frame: VideoFrame) -> tuple[int, int, int]:
    """The average color of ``frame`` (computed on an 8x8 thumbnail)."""
    thumb = frame.reformat(width=8, height=8, format="rgb24")
    plane = thumb.planes[0]
    data = bytes(plane)
    sums = [0, 0, 0]
    for row in range(8):
        line = data[row * plane.line_size : row * plane.line_size + 24]
        for i, byte in enumerate(line):
            sums[i % 3] += byte
    r, g, b = (s // 64 for s in sums)
    return r, g, b


def nearest_color(rgb: tuple[int, int, int]) -> str:
    """The :data:`PALETTE` name closest to ``rgb``."""
    return min(
        PALETTE, key=lambda n: sum((a - b) ** 2 for a, b in zip(PALETTE[n], rgb, strict=True))
    )
