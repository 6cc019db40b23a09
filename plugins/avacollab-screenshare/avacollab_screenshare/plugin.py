"""The ``screenshare`` plugin: ``/share``, ``/unshare``, and every peer's share received.

Options (``--set screenshare.KEY=VALUE``; ``/share`` arguments override them):
``source`` (``x11``, ``file``, ``pattern``), ``path``, ``display``, ``region``,
``size``, ``fps``, ``backend``, ``ffmpeg``, ``loop`` (see
:mod:`avacollab_screenshare.options`), plus ``record_dir`` (record every
received share there) and ``autostart`` (share as soon as the session starts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from avacollab.bus import Handler, Message
from avacollab.hookspecs import JoinCommand, Session, hookimpl

from .notices import STARTED, STOPPED, parse_notice
from .options import ShareError, parse_share
from .sharer import Sharer
from .viewer import Viewer

__all__ = ["share", "unshare"]


@dataclass(slots=True)
class _State:
    sharer: Sharer
    viewer: Viewer


_states: WeakKeyDictionary[Session, _State] = WeakKeyDictionary()


def _state(session: Session) -> _State:
    state = _states.get(session)
    if state is None:
        record = session.options.get("screenshare.record_dir")
        state = _states[session] = _State(
            Sharer(session), Viewer(session, Path(record) if record else None)
        )
    return state


async def share(session: Session, args: str = "") -> str:
    """Start sharing what ``args`` (``/share`` syntax) and the options name.

    Returns the line shown to the user: what is shared, or why it could not
    start (what to install, which option to pass). Never raises for bad input.
    """
    try:
        spec = parse_share(args, session.options)
        return await _state(session).sharer.start(spec)
    except ShareError as exc:
        session.emit("screenshare.error", error=str(exc))
        return f"cannot share: {exc}"


async def unshare(session: Session) -> str:
    """Stop sharing; the capture is released when this returns."""
    return await _state(session).sharer.stop()


@hookimpl
async def avacollab_session_started(session: Session) -> None:
    state = _state(session)
    if session.options.get("screenshare.autostart", "").lower() in ("1", "true", "yes", "on"):
        await share(session)
    del state


@hookimpl
def avacollab_join_commands(session: Session) -> list[JoinCommand]:
    async def run_share(args: str) -> str:
        return await share(session, args)

    async def run_unshare(_: str) -> str:
        return await unshare(session)

    return [
        JoinCommand(
            "share",
            "Share your screen: /share [x11|file PATH|pattern] [display=:0 region=WxH+X+Y "
            "size=WxH fps=N]",
            run_share,
        ),
        JoinCommand("unshare", "Stop sharing your screen.", run_unshare),
    ]


@hookimpl
def avacollab_bus_topics(session: Session) -> Mapping[str, Handler]:
    viewer = _state(session).viewer

    def started(message: Message) -> None:
        try:
            notice = parse_notice(message.json(), "source")
        except ValueError as exc:
            session.emit("screenshare.rejected", peer=message.sender, error=str(exc))
            return
        viewer.started(message.sender, notice.share, notice.text)

    async def stopped(message: Message) -> None:
        try:
            notice = parse_notice(message.json(), "reason")
        except ValueError as exc:
            session.emit("screenshare.rejected", peer=message.sender, error=str(exc))
            return
        await viewer.ended(message.sender, notice.share, notice.text or "stopped")

    return {STARTED: started, STOPPED: stopped}


@hookimpl
def avacollab_media_tracks(session: Session, peer_id: str) -> list[Any]:
    return list(_state(session).sharer.tracks(peer_id))


@hookimpl
def avacollab_track_received(session: Session, peer_id: str, track: Any) -> None:
    if track.kind == "video":
        _state(session).viewer.track(peer_id, track)


@hookimpl
def avacollab_peer_connected(session: Session, peer_id: str) -> None:
    _state(session).sharer.connected(peer_id)


@hookimpl
async def avacollab_peer_left(session: Session, peer_id: str) -> None:
    state = _state(session)
    state.sharer.left(peer_id)
    await state.viewer.ended(peer_id, None, "peer left")


@hookimpl
def avacollab_status(session: Session) -> list[str]:
    state = _states.get(session)
    if state is None:
        return []
    lines = []
    if state.sharer.broadcast is not None:
        source = state.sharer.broadcast.source.description
        lines.append(f"screenshare: sharing {source}, {state.sharer.broadcast.frames} frames")
    for peer, received in state.viewer.shares.items():
        lines.append(f"screenshare: viewing {peer} ({received.source}), {received.frames} frames")
    return lines


@hookimpl
async def avacollab_session_closing(session: Session) -> None:
    state = _states.pop(session, None)
    if state is not None:
        await state.sharer.stop("closing")
        await state.viewer.close()
