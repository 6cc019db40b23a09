"""The sending side: one share at a time, an outlet track per peer, renegotiated in and out."""

from __future__ import annotations

import asyncio
import contextlib

from avacollab.bus import BusError
from avacollab.feature import Session

from .fanout import Broadcast, Outlet
from .notices import STARTED, STOPPED
from .options import ShareError, ShareSpec
from .sources import open_source

__all__ = ["Sharer"]


class Sharer:
    """Shares of one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.number = 0
        """The current (or last) share's number."""
        self.broadcast: Broadcast | None = None
        self._outlets: dict[str, Outlet] = {}
        # Peers given an outlet whose link was not up when the share stopped:
        # they are renegotiated when they connect.
        self._stale: set[str] = set()
        self._starting = False
        # Peers whose link is open. A track is only handed out for those and
        # added by renegotiation: aiortc 1.16 fails to answer a first offer
        # when the answering side already has a track the offer does not know
        # (ValueError in and_direction), so a track must not be on a new link.
        self._connected: set[str] = set()

    @property
    def sharing(self) -> bool:
        """True while a share runs."""
        return self.broadcast is not None

    async def start(self, spec: ShareSpec) -> str:
        """Open the source and send it to every peer; :class:`ShareError` if it cannot."""
        if self.broadcast is not None or self._starting:
            raise ShareError("already sharing: /unshare first")
        self._starting = True
        try:
            source = await open_source(spec)
        finally:
            self._starting = False
        self.number += 1
        number = self.number
        self.broadcast = Broadcast(source, on_end=lambda reason: self._source_ended(number, reason))
        self._publish(STARTED, {"share": number, "source": source.description})
        self.session.emit(
            "screenshare.started",
            peer=self.session.peer_id,
            share=number,
            source=source.description,
        )
        for peer in list(self.session.peers):
            self.session.renegotiate(peer)
        return f"sharing {source.description} with {len(self.session.peers)} peers"

    async def stop(self, reason: str = "stopped") -> str:
        """End the share: off every peer's link, capture released before this returns."""
        broadcast = self.broadcast
        if broadcast is None:
            return "not sharing"
        self.broadcast = None
        # Take the tracks off the senders first: an outlet then sends its
        # last frame to a sender that has already moved on (see fanout).
        self._stale |= set(self._outlets)
        self._outlets.clear()
        for peer in list(self.session.peers):
            self.session.renegotiate(peer)
        await broadcast.close()
        self._publish(STOPPED, {"share": self.number, "reason": reason})
        self.session.emit(
            "screenshare.stopped",
            peer=self.session.peer_id,
            share=self.number,
            reason=reason,
            frames=broadcast.frames,
        )
        return f"stopped sharing after {broadcast.frames} frames"

    def _source_ended(self, number: int, reason: str) -> None:
        if number == self.number and self.broadcast is not None:
            asyncio.get_running_loop().create_task(self.stop(reason))

    def tracks(self, peer: str) -> list[Outlet]:
        """What ``avacollab_media_tracks`` returns for ``peer``."""
        if self.broadcast is None:
            self._stale.discard(peer)
            return []
        if peer not in self._connected:
            return []
        outlet = self._outlets.get(peer)
        if outlet is None:
            outlet = self._outlets[peer] = self.broadcast.outlet()
        return [outlet]

    def connected(self, peer: str) -> None:
        """``peer``'s link is (again) open: send it what we share, or drop a stale track."""
        self._connected.add(peer)
        if self.broadcast is not None:
            # The notice first: viewers drop frames of shares they were not told about.
            self._publish(
                STARTED,
                {"share": self.number, "source": self.broadcast.source.description},
                to=peer,
            )
            self.session.renegotiate(peer)
        elif peer in self._stale:
            self.session.renegotiate(peer)

    def left(self, peer: str) -> None:
        """``peer`` is gone: a new link gets a new outlet."""
        self._connected.discard(peer)
        self._outlets.pop(peer, None)

    def _publish(self, topic: str, body: dict[str, object], to: str | None = None) -> None:
        with contextlib.suppress(BusError):  # nobody connected yet: nothing to tell
            self.session.bus.publish_json(topic, body, to=to)
