"""The ``screenshare`` plugin: ``/share``, ``/unshare``, and every peer's share received.

Options (``--set screenshare.KEY=VALUE``; ``/share`` arguments override them):
``source`` (``x11``, ``file``, ``pattern``), ``path``, ``display``, ``region``,
``size``, ``fps``, ``backend``, ``ffmpeg``, ``loop`` (see
:mod:`avacollab_screenshare.options`), plus ``record_dir`` (record every
received share there) and ``autostart`` (share as soon as the session starts).
Each is checked before the session joins (``avacollab plugins --options``
lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from avacollab.bus import Handler, Message
from avacollab.feature import Feature, JoinCommand, Option, Session
from avacollab.hookspecs import Register, hookimpl

from .notices import STARTED, STOPPED, parse_notice
from .options import MAX_FPS, SOURCES, ShareError, ShareSpec, parse_region, parse_share, parse_size
from .sharer import Sharer
from .viewer import Viewer

__all__ = ["ScreenShare", "avacollab_register_features"]


def _checked(parse: Callable[[str], object]) -> Callable[[str], str]:
    """A check that runs ``parse`` on the value and keeps the text (``/share`` reads it again)."""

    def check(text: str) -> str:
        try:
            parse(text)
        except ShareError as exc:
            raise ValueError(str(exc)) from None
        return text

    return check


def _choice(*choices: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in choices:
            raise ValueError(f"expected {', '.join(choices)}")
        return text

    return check


def _fps(fps: int) -> int:
    if not 1 <= fps <= MAX_FPS:
        raise ValueError(f"expected 1 to {MAX_FPS}")
    return fps


_SPEC = ShareSpec()


class ScreenShare(Feature):
    """The shares of one session: what we send (:class:`Sharer`) and receive (:class:`Viewer`)."""

    name = "screenshare"
    options = (
        Option("source", str, _SPEC.source, "What /share shares: x11, file or pattern.",
               _choice(*SOURCES)),
        Option("path", str, _SPEC.path, "The video file of the file source."),
        Option("display", str, None, "The X display to grab, like :0 (default: $DISPLAY)."),
        Option("region", str, None, "Part of the screen, WIDTHxHEIGHT+X+Y (default: all).",
               _checked(parse_region)),
        Option("size", str, None, "Size sent to peers, WIDTHxHEIGHT (default: the source's).",
               _checked(lambda text: parse_size(text, "size"))),
        Option("fps", int, _SPEC.fps, f"Frames a second, 1 to {MAX_FPS}.", _fps),
        Option("backend", str, _SPEC.backend, "x11 capture: auto, pyav or ffmpeg.",
               _choice("auto", "pyav", "ffmpeg")),
        Option("ffmpeg", str, _SPEC.ffmpeg, "The ffmpeg program of the ffmpeg backend."),
        Option("loop", bool, _SPEC.loop, "Start a video file again when it ends."),
        Option("record_dir", Path, None, "Record every share received into this directory."),
        Option("autostart", bool, False, "Share as soon as the session starts."),
    )  # fmt: skip

    def __init__(self, session: Session, config: Mapping[str, Any]) -> None:
        super().__init__(session, config)
        self.sharer = Sharer(session)
        self.viewer = Viewer(session, config["record_dir"])

    async def start(self) -> None:
        if self.config["autostart"]:
            await self.share()

    async def share(self, args: str = "") -> str:
        """Start sharing what ``args`` (``/share`` syntax) and the options name.

        Returns the line shown to the user: what is shared, or why it could
        not start (what to install, which option to pass). Never raises for
        bad input.
        """
        try:
            spec = parse_share(args, self.session.options)
            return await self.sharer.start(spec)
        except ShareError as exc:
            self.session.emit("screenshare.error", error=str(exc))
            return f"cannot share: {exc}"

    async def unshare(self, _: str = "") -> str:
        """Stop sharing; the capture is released when this returns."""
        return await self.sharer.stop()

    def commands(self) -> list[JoinCommand]:
        return [
            JoinCommand(
                "share",
                "Share your screen: /share [x11|file PATH|pattern] [display=:0 region=WxH+X+Y "
                "size=WxH fps=N]",
                self.share,
            ),
            JoinCommand("unshare", "Stop sharing your screen.", self.unshare),
        ]

    def topics(self) -> Mapping[str, Handler]:
        return {STARTED: self._started, STOPPED: self._stopped}

    def _started(self, message: Message) -> None:
        try:
            notice = parse_notice(message.json(), "source")
        except ValueError as exc:
            self.session.emit("screenshare.rejected", peer=message.sender, error=str(exc))
            return
        self.viewer.started(message.sender, notice.share, notice.text)

    async def _stopped(self, message: Message) -> None:
        try:
            notice = parse_notice(message.json(), "reason")
        except ValueError as exc:
            self.session.emit("screenshare.rejected", peer=message.sender, error=str(exc))
            return
        await self.viewer.ended(message.sender, notice.share, notice.text or "stopped")

    def media_tracks(self, peer_id: str) -> list[Any]:
        return list(self.sharer.tracks(peer_id))

    def track_received(self, peer_id: str, track: Any) -> None:
        if track.kind == "video":
            self.viewer.track(peer_id, track)

    def peer_connected(self, peer_id: str) -> None:
        self.sharer.connected(peer_id)

    async def peer_left(self, peer_id: str, reason: str) -> None:
        self.sharer.left(peer_id)
        await self.viewer.ended(peer_id, None, "peer left")

    def status(self) -> list[str]:
        lines = []
        if self.sharer.broadcast is not None:
            source = self.sharer.broadcast.source.description
            lines.append(f"screenshare: sharing {source}, {self.sharer.broadcast.frames} frames")
        for peer, received in self.viewer.shares.items():
            lines.append(
                f"screenshare: viewing {peer} ({received.source}), {received.frames} frames"
            )
        return lines

    async def close(self) -> None:
        await self.sharer.stop("closing")
        await self.viewer.close()


@hookimpl
def avacollab_register_features(register: Register) -> None:
    """The ``screenshare`` feature."""
    register(ScreenShare)
