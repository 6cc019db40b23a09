"""The yuv4mpeg stream header, the one thing read from ffmpeg's pipe that needs parsing."""

from __future__ import annotations

__all__ = ["parse_header"]


def parse_header(line: bytes) -> tuple[int, int]:
    """Width and height from a ``YUV4MPEG2 W.. H.. ...`` line; ``ValueError`` if it is not one.

    Only 4:2:0 streams are accepted: frames are read as yuv420p.
    """
    words = line.decode("ascii", errors="replace").split()
    if not words or words[0] != "YUV4MPEG2":
        raise ValueError("not a yuv4mpeg stream")
    fields = {w[0]: w[1:] for w in words[1:] if w}
    try:
        width, height = int(fields["W"]), int(fields["H"])
    except (KeyError, ValueError):
        raise ValueError("yuv4mpeg header without a size") from None
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"unusable yuv4mpeg size {width}x{height}")
    if not fields.get("C", "420").startswith("420"):
        raise ValueError(f"yuv4mpeg colorspace {fields['C']} is not 4:2:0")
    return width, height
