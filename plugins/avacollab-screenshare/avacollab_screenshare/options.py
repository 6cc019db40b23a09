"""What to share, parsed from ``/share`` arguments over ``screenshare.*`` options (no I/O).

``/share [x11|file PATH|pattern] [key=value ...]``: the source word and its
path come first, then option overrides. Every option can also be set for the
whole session with ``--set screenshare.KEY=VALUE``; the command line wins.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "KEYS",
    "SESSION_KEYS",
    "SOURCES",
    "Region",
    "ShareError",
    "ShareSpec",
    "parse_region",
    "parse_share",
    "parse_size",
]

SOURCES = ("x11", "file", "pattern")
KEYS = ("source", "path", "display", "region", "size", "fps", "backend", "ffmpeg", "loop")
"""``/share`` option names, each also settable as ``screenshare.KEY``."""
SESSION_KEYS = ("record_dir", "autostart")
"""Options only ``--set`` sets: they are about the session, not one share."""

MAX_FPS = 60
MAX_SIDE = 7680
_SIZE = re.compile(r"(\d+)x(\d+)")
_REGION = re.compile(r"(\d+)x(\d+)(?:\+(\d+)\+(\d+))?")


class ShareError(Exception):
    """A share cannot start; the message says what to install or which option to pass."""


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of the screen: size and top-left corner."""

    width: int
    height: int
    x: int = 0
    y: int = 0


@dataclass(frozen=True, slots=True)
class ShareSpec:
    """Everything needed to open a source."""

    source: str = "x11"
    path: str = ""
    """The video file (``file`` source)."""
    display: str = ""
    """X display, like ``:0`` (``x11`` source)."""
    region: Region | None = None
    """Part of the screen to grab; ``None``: all of it."""
    size: tuple[int, int] | None = None
    """Size sent to peers (scaled); ``None``: the source's own size (pattern: 640x360)."""
    fps: int = 15
    backend: str = "auto"
    """``x11`` capture: ``pyav`` (in process), ``ffmpeg`` (a subprocess) or ``auto``."""
    ffmpeg: str = "ffmpeg"
    """The ffmpeg program for the ``ffmpeg`` backend."""
    loop: bool = True
    """Start a video file again when it ends."""


def parse_size(text: str, key: str) -> tuple[int, int]:
    match = _SIZE.fullmatch(text)
    if not match:
        raise ShareError(f"{key}={text!r}: expected WIDTHxHEIGHT, like 1280x720")
    width, height = int(match[1]), int(match[2])
    if not (2 <= width <= MAX_SIDE and 2 <= height <= MAX_SIDE):
        raise ShareError(f"{key}={text!r}: each side must be 2 to {MAX_SIDE} pixels")
    # VP8 and yuv420p want even sides; rounding down loses at most one pixel.
    return width - width % 2, height - height % 2


def parse_region(text: str) -> Region:
    match = _REGION.fullmatch(text)
    if not match:
        raise ShareError(f"region={text!r}: expected WIDTHxHEIGHT+X+Y, like 800x600+0+0")
    width, height = parse_size(f"{match[1]}x{match[2]}", "region")
    return Region(width, height, int(match[3] or 0), int(match[4] or 0))


def _flag(text: str, key: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ShareError(f"{key}={text!r}: expected true or false")


def parse_share(
    args: str, options: Mapping[str, str], env: Mapping[str, str] | None = None
) -> ShareSpec:
    """The :class:`ShareSpec` for ``/share ARGS`` given the session ``options``.

    ``env`` supplies ``DISPLAY`` when no display option is given (default:
    the process environment). Raises :class:`ShareError` for bad input.
    """
    env = os.environ if env is None else env
    prefix = "screenshare."
    values = {k[len(prefix) :]: v for k, v in options.items() if k.startswith(prefix)}
    unknown = sorted(set(values) - set(KEYS) - set(SESSION_KEYS))
    if unknown:
        raise ShareError(
            f"unknown option screenshare.{unknown[0]}; known: {', '.join(KEYS + SESSION_KEYS)}"
        )
    values = {k: v for k, v in values.items() if k in KEYS}
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise ShareError(f"cannot read the arguments: {exc}") from None
    if words and "=" not in words[0]:
        values["source"] = words.pop(0)
        if values["source"] == "file" and words and "=" not in words[0]:
            values["path"] = words.pop(0)
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise ShareError(f"unexpected {word!r}: options are KEY=VALUE")
        values[key] = value
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ShareError(f"unknown option {unknown[0]!r}; known: {', '.join(KEYS)}")

    source = values.get("source", "x11")
    if source not in SOURCES:
        raise ShareError(f"unknown source {source!r}; choose x11, file PATH or pattern")
    path = values.get("path", "")
    if source == "file" and not path:
        raise ShareError("the file source needs a path: /share file PATH")
    try:
        fps = int(values.get("fps", "15"))
    except ValueError:
        raise ShareError(f"fps={values['fps']!r}: expected a whole number") from None
    if not 1 <= fps <= MAX_FPS:
        raise ShareError(f"fps={fps}: expected 1 to {MAX_FPS}")
    backend = values.get("backend", "auto")
    if backend not in ("auto", "pyav", "ffmpeg"):
        raise ShareError(f"backend={backend!r}: expected auto, pyav or ffmpeg")
    display = values.get("display") or env.get("DISPLAY", "")
    if source == "x11" and not display:
        raise ShareError(
            "no X display: pass display=:0 (or --set screenshare.display=:0), "
            "or run under an X session where DISPLAY is set"
        )
    return ShareSpec(
        source=source,
        path=path,
        display=display,
        region=parse_region(values["region"]) if values.get("region") else None,
        size=parse_size(values["size"], "size") if values.get("size") else None,
        fps=fps,
        backend=backend,
        ffmpeg=values.get("ffmpeg") or "ffmpeg",
        loop=_flag(values.get("loop", "true"), "loop"),
    )
