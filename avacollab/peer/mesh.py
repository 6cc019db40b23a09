"""The full mesh: one connection per other member of the room, kept up.

:class:`Mesh` does the per-peer work of a :class:`~avacollab.peer.session.Session`
(docs/session.md): of each pair the peer with the smaller id offers; first
offers travel through the signaling server and always start a new
connection; renegotiation runs over the pair's bus, as the link's
:class:`~avacollab.peer.negotiation.Negotiation` says; a link that is not
open after ``connect_timeout`` seconds, that fails, or whose peer the bus
reports dead is replaced by the offerer, with bounded retries and backoff.
A renegotiation the peer leaves unanswered costs only its media: the link
stays, ``media-unavailable`` is reported and the exchange tried again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCIceServer

from .. import logs
from ..bus import SILENT, Bus, BusError, Message, PeerLost
from ..featureset import FeatureSet
from ..tasks import TaskSet
from .candidates import CandidateError, parse_candidate
from .config import SessionConfig
from .link import Link, LinkConfig, LinkError, LinkFactory
from .negotiation import (
    AcceptOffer,
    Action,
    ApplyAnswer,
    Arm,
    MakeOffer,
    MediaUnavailable,
    Negotiation,
    Refused,
    Renegotiated,
    Replace,
    Send,
    offers,
)
from .signaling_client import Signaling

__all__ = ["Mesh", "Peer"]

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Peer:
    """What the session knows about one other member of the room."""

    id: str
    name: str
    offerer: bool
    """We make the offers to this peer."""
    link: Link | None = None
    negotiation: Negotiation | None = None
    """The renegotiation state of :attr:`link`."""
    connected: bool = False
    lost: bool = False
    """``peer-left`` already reported for the current outage."""
    gone: bool = False
    """Said goodbye: never reconnect."""
    failures: int = 0
    senders: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    """``id(track)`` to ``(track, sender)``."""
    task: asyncio.Task[None] | None = None
    """Connecting, or waiting for an offer."""
    offered: asyncio.Event = field(default_factory=asyncio.Event)
    negotiator: asyncio.Task[None] | None = None
    """Offerer: making an offer or applying an answer."""
    timer: asyncio.Task[None] | None = None
    """The renegotiation's timer (see :class:`~avacollab.peer.negotiation.Arm`)."""


class Mesh:
    """The connections of one session to the other members of its room."""

    def __init__(
        self,
        config: SessionConfig,
        *,
        bus: Bus,
        features: FeatureSet,
        signaling: Signaling,
        emit: Callable[..., None],
        link_factory: LinkFactory,
    ) -> None:
        self.config = config
        self.bus = bus
        self.features = features
        self.signaling = signaling
        self.emit = emit
        self.link_factory = link_factory
        self.peers: dict[str, Peer] = {}
        self.ice: list[RTCIceServer] = []
        self.tasks = TaskSet(lambda exc: logger.error("session task failed", exc_info=exc))
        self.link_closes: dict[Link, asyncio.Future[None]] = {}
        self.closing = False

    @property
    def peer_id(self) -> str:
        return self.signaling.peer_id

    def _spawn(self, coro: Any) -> None:
        self.tasks.spawn(coro)

    def _link_failed(
        self,
        peer: Peer,
        reason: str,
        error: str,
        *,
        attempt: int | None = None,
        final: bool = False,
    ) -> None:
        attempt = peer.failures if attempt is None else attempt
        self.emit(
            "link-failed", peer=peer.id, reason=reason, attempt=attempt, final=final, error=error
        )

    async def peer_joined(self, peer_id: str, name: str) -> None:
        if not peer_id or peer_id == self.peer_id:
            return
        peer = self.peers.get(peer_id)
        if peer is not None and not peer.gone:
            peer.name = name or peer.name
            if peer.lost and peer.offerer and (peer.task is None or peer.task.done()):
                # Back in the room after we gave up: try again from scratch.
                peer.failures = 0
                peer.task = asyncio.create_task(self._connect(peer))
            return  # a peer re-registering after a signaling restart
        peer = Peer(peer_id, name, offerer=offers(self.peer_id, peer_id))
        self.peers[peer_id] = peer
        self.emit("peer-joined", peer=peer_id, name=name, offerer=peer.offerer)
        await self.features.peer_joined(peer_id, name)
        if peer.offerer:
            peer.task = asyncio.create_task(self._connect(peer))
        else:
            peer.task = asyncio.create_task(self._await_offer(peer))

    async def peer_left(self, peer_id: str, reason: str) -> None:
        peer = self.peers.pop(peer_id, None)
        if peer is None:
            return
        for task in (peer.task, peer.negotiator, peer.timer):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self.drop_link(peer)
        if not peer.lost:
            peer.lost = True
            self.emit("peer-left", peer=peer_id, name=peer.name, reason=reason)
            await self.features.peer_left(peer_id, reason)

    # -- making connections -------------------------------------------------

    def _new_link(self, peer: Peer) -> Link:
        """A new connection to ``peer``: data channels only, tracks come once open."""
        config = LinkConfig(
            ice_servers=tuple(self.ice),
            relay_only=self.config.relay_only,
            host_addresses=self.config.ice_addresses,
            open_timeout=self.config.connect_timeout,
        )
        link = self.link_factory(
            peer.id,
            offerer=peer.offerer,
            config=config,
            on_negotiation_needed=lambda lk: self.negotiation_needed(peer, lk),
        )

        def on_track(track: Any) -> None:
            self._spawn(self.features.track_received(peer.id, track))

        def on_failed() -> None:
            if peer.link is link and peer.connected:
                self._spawn(self._lost(peer, link, "failed", "peer connection failed"))

        link.on_track(on_track)
        link.on_failed(on_failed)
        # On the bus before the channels open: the other side may send its
        # first frames (a document's sync step, its presence) the moment its
        # end opens, before our wait_open() has returned.
        self.bus.add_peer(peer.id, link.reliable, link.unordered)
        peer.link = link
        peer.negotiation = Negotiation(
            peer.offerer,
            link.receivable,
            timeout=self.config.renegotiation_timeout or self.config.connect_timeout,
            backoff=self.config.renegotiation_backoff,
        )
        peer.senders = {}
        # No tracks before the channels are open: with a media m-line first
        # in a max-bundle offer, aiortc's answerer never gathers candidates
        # (measured: ICE stays "new"), and a sender the offer has no m-line
        # for makes its answer fail. Tracks come with a renegotiation in
        # _opened instead, which costs one round trip on the bus.
        return link

    def sync_tracks(self, peer: Peer, link: Link) -> bool:
        """Make the link send exactly the tracks the features return for this peer.

        Returns whether anything changed (which needs a renegotiation)."""
        wanted = {id(track): track for track in self.features.media_tracks(peer.id)}
        changed = False
        for key in [k for k in peer.senders if k not in wanted]:
            _, sender = peer.senders.pop(key)
            link.remove_track(sender)
            changed = True
        for key, track in wanted.items():
            if key not in peer.senders:
                try:
                    peer.senders[key] = (track, link.add_track(track))
                except LinkError as exc:  # more tracks of a kind than a link carries
                    logs.event("track-refused", logging.WARNING, peer=peer.id, reason=str(exc))
                    continue
                changed = True
        return changed

    async def _connect(self, peer: Peer) -> None:
        """Offerer: connect, and replace the connection each time it fails."""
        while not peer.gone:
            if peer.failures > self.config.max_retries:
                self._link_failed(
                    peer, "gave-up", f"no connection after {peer.failures} attempts", final=True
                )
                return
            if peer.failures:
                await asyncio.sleep(self.config.retry_backoff.delay(peer.failures - 1))
            self.drop_link(peer)
            link = self._new_link(peer)
            try:
                sdp = await link.create_offer()
                await self.signaling.relay("offer", peer.id, sdp=sdp)
                await link.wait_open(self.config.connect_timeout)
            except LinkError as exc:
                peer.failures += 1
                self._report_failure(peer, exc)
                continue
            await self._opened(peer, link)
            return

    async def _await_offer(self, peer: Peer) -> None:
        """Answerer: report an offerer that stays silent (it may be stuck or gone)."""
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                await peer.offered.wait()
        except TimeoutError:
            self._link_failed(
                peer,
                "timeout",
                f"no offer from {peer.id} within {self.config.connect_timeout:g} s",
                attempt=0,
            )

    async def on_offer(self, sender: str, sdp: str) -> None:
        peer = self.peers.get(sender)
        if peer is None:
            # The offer overtook the peer-joined (or the welcome raced it).
            peer = Peer(sender, "", offerer=offers(self.peer_id, sender))
            self.peers[sender] = peer
        if peer.offerer or peer.gone:
            logs.event("offer-ignored", logging.WARNING, peer=sender)
            return
        peer.offered.set()
        if peer.task is not None and not peer.task.done():
            peer.task.cancel()
        self.drop_link(peer)
        link = self._new_link(peer)
        try:
            answer = await link.accept_offer(sdp)
            await self.signaling.relay("answer", peer.id, sdp=answer)
        except Exception as exc:
            # LinkError, or whatever aiortc raises on an offer it cannot take:
            # one peer's bad offer must never stop the signaling receive loop.
            self._report_failure(peer, exc)
            self.drop_link(peer)
            return
        peer.task = asyncio.create_task(self._answered(peer, link))

    async def _answered(self, peer: Peer, link: Link) -> None:
        try:
            await link.wait_open(self.config.connect_timeout)
        except LinkError as exc:
            if peer.link is link:
                self._report_failure(peer, exc)
                self.drop_link(peer)
            return
        await self._opened(peer, link)

    async def on_answer(self, sender: str, sdp: str) -> None:
        peer = self.peers.get(sender)
        link = peer.link if peer is not None else None
        if link is None or not link.offerer or not link.offer_pending:
            logs.event("answer-ignored", logging.WARNING, peer=sender)
            return
        try:
            await link.accept_answer(sdp)
        except LinkError as exc:
            logs.event("answer-rejected", logging.WARNING, peer=sender, error=str(exc))
            self._close_link(link)  # wait_open in _connect sees it and retries

    async def on_candidate(self, sender: str, message: dict[str, Any]) -> None:
        """A candidate the peer trickled (browsers do): checked, then given to its link.

        Whatever is wrong with it is logged and costs that candidate only."""
        peer = self.peers.get(sender)
        if peer is None or peer.link is None:
            why = "unknown peer" if peer is None else "no connection to that peer"
            logs.event("candidate-ignored", logging.WARNING, peer=sender, reason=why)
            return
        try:
            await peer.link.add_candidate(parse_candidate(message))
        except CandidateError as exc:
            logs.event("candidate-refused", logging.WARNING, peer=sender, reason=str(exc))

    def _report_failure(self, peer: Peer, exc: Exception) -> None:
        reason = "timeout" if isinstance(exc, TimeoutError) else "error"
        self._link_failed(peer, reason, str(exc))

    async def _opened(self, peer: Peer, link: Link) -> None:
        peer.failures = 0
        # The features' tracks join now (see _new_link).
        added = self.sync_tracks(peer, link)
        peer.connected = True
        peer.lost = False
        if peer.negotiation is not None:
            self._act(peer, link, peer.negotiation.opened())
        self.emit(
            "peer-connected", peer=peer.id, name=peer.name, offerer=peer.offerer, route=link.route
        )
        await self.features.peer_connected(peer.id)
        # Tracks added while connecting are not in the first offer's m-lines.
        if added or link.unoffered():
            self.negotiation_needed(peer, link)

    def drop_link(self, peer: Peer) -> None:
        link, peer.link = peer.link, None
        peer.connected = False
        if peer.negotiation is not None:
            peer.negotiation.closed()
            peer.negotiation = None
        self.bus.remove_peer(peer.id)
        if peer.timer is not None and peer.timer is not asyncio.current_task():
            peer.timer.cancel()
        if link is not None:
            self._close_link(link)

    def _close_link(self, link: Link) -> None:
        """Close ``link`` without waiting for it.

        Nothing waits on a dropped link, and its close can take a minute (see
        :meth:`Link.close`): awaited, it would hold up the signaling
        messages, the reconnection or the ``peer-left`` that come next.
        """
        if link in self.link_closes:
            return
        closing = asyncio.ensure_future(link.close())
        self.link_closes[link] = closing

        def closed(_: asyncio.Future[None]) -> None:
            self.link_closes.pop(link, None)
            if not closing.cancelled() and closing.exception() is not None:
                logger.warning(
                    "closing the link to %s failed", link.peer_id, exc_info=closing.exception()
                )

        closing.add_done_callback(closed)

    # -- losing connections -------------------------------------------------

    def on_peer_dead(self, peer_id: str, why: PeerLost) -> None:
        peer = self.peers.get(peer_id)
        if peer is not None and peer.connected and peer.link is not None:
            reason = "timeout" if why.cause == SILENT else "failed"
            self._spawn(self._lost(peer, peer.link, reason, why.detail))

    async def _lost(self, peer: Peer, link: Link, reason: str, error: str) -> None:
        if peer.link is not link or self.closing:
            return
        peer.failures += 1
        self._link_failed(peer, reason, error)
        if peer.negotiator is not None:
            peer.negotiator.cancel()
        self.drop_link(peer)
        if not peer.lost:
            peer.lost = True
            self.emit("peer-left", peer=peer.id, name=peer.name, reason=reason)
            await self.features.peer_left(peer.id, reason)
        if peer.gone or peer.id not in self.peers:
            return
        if peer.offerer:
            peer.task = asyncio.create_task(self._connect(peer))
        else:
            peer.offered.clear()
            peer.task = asyncio.create_task(self._await_offer(peer))

    async def on_bye(self, message: Message) -> None:
        peer = self.peers.get(message.sender)
        if peer is not None:
            peer.gone = True
            await self.peer_left(peer.id, "left")

    # -- renegotiation ------------------------------------------------------

    def negotiation_needed(self, peer: Peer, link: Link) -> None:
        negotiation = peer.negotiation
        if peer.link is not link or not peer.connected or negotiation is None:
            return  # _opened looks again when the link is up
        wanted = [] if peer.offerer else link.wanted_receivers()
        self._act(peer, link, negotiation.tracks_changed(wanted))

    def _act(self, peer: Peer, link: Link, actions: list[Action]) -> None:
        """Carry out what the link's :class:`Negotiation` asks for."""
        for action in actions:
            if isinstance(action, Send):
                with contextlib.suppress(BusError):
                    self.bus.publish_json(action.topic, action.body, to=peer.id)
            elif isinstance(action, MakeOffer):
                if peer.link is link and peer.negotiation is not None:
                    offering = self._offer(peer, link, peer.negotiation, action)
                    peer.negotiator = asyncio.create_task(offering)
            elif isinstance(action, ApplyAnswer):
                if peer.link is link and peer.negotiation is not None:
                    applying = self._apply_answer(peer, link, peer.negotiation, action.sdp)
                    peer.negotiator = asyncio.create_task(applying)
            elif isinstance(action, Arm):
                if peer.link is link and peer.negotiation is not None:
                    if peer.timer is not None:
                        peer.timer.cancel()
                    expiring = self._expire(peer, link, peer.negotiation, action)
                    peer.timer = asyncio.create_task(expiring)
            elif isinstance(action, MediaUnavailable):
                self.emit(
                    "media-unavailable",
                    peer=peer.id,
                    name=peer.name,
                    reason=action.reason,
                    retry_in=round(action.retry_in, 1),
                )
            elif isinstance(action, Refused):
                fields = {action.field: action.reason}
                logs.event(action.event, logging.WARNING, peer=peer.id, **fields)
            elif isinstance(action, Renegotiated):
                self.emit("renegotiated", peer=peer.id)
            elif isinstance(action, Replace):
                self._spawn(self._lost(peer, link, "failed", action.error))
            # AcceptOffer is awaited by _on_bus_offer, which gets it.

    def on_negotiation(self, message: Message) -> None:
        peer = self.peers.get(message.sender)
        if peer is None or peer.link is None or peer.negotiation is None:
            return
        self._act(peer, peer.link, peer.negotiation.received(message.topic, message.payload))

    async def _offer(
        self, peer: Peer, link: Link, negotiation: Negotiation, action: MakeOffer
    ) -> None:
        """Offerer: make the offer the negotiation asks for; it sends it."""
        try:
            sdp = await link.create_offer(action.receive)
        except LinkError as exc:
            if peer.link is link:
                self._act(peer, link, negotiation.failed(f"making an offer: {exc}"))
            return
        if peer.link is link:
            self._act(peer, link, negotiation.offer_sent(sdp))

    async def _apply_answer(
        self, peer: Peer, link: Link, negotiation: Negotiation, sdp: str
    ) -> None:
        """Offerer: apply the peer's answer to the pending offer."""
        try:
            await link.accept_answer(sdp)
        except LinkError as exc:
            if peer.link is link:
                self._act(peer, link, negotiation.answer_failed(str(exc)))
            return
        if peer.link is link:
            self._act(peer, link, negotiation.answer_applied())

    async def _expire(self, peer: Peer, link: Link, negotiation: Negotiation, arm: Arm) -> None:
        await asyncio.sleep(arm.delay)
        if peer.link is link:
            wanted = [] if peer.offerer else link.wanted_receivers()
            self._act(peer, link, negotiation.expired(arm.token, wanted))

    async def on_bus_offer(self, message: Message) -> None:
        peer = self.peers.get(message.sender)
        if peer is None or peer.link is None or not peer.connected or self.closing:
            return  # (closing: the connection is being closed under this offer)
        link, negotiation = peer.link, peer.negotiation
        if negotiation is None:
            return
        for action in negotiation.received(message.topic, message.payload):
            if not isinstance(action, AcceptOffer):
                self._act(peer, link, [action])
                continue
            try:
                answer = await link.accept_offer(action.sdp)
            except LinkError as exc:
                self._act(peer, link, [Refused("renegotiation-offer-rejected", str(exc), "error")])
                return
            wanted = link.wanted_receivers()
            self._act(peer, link, negotiation.offer_accepted(answer, action.serves, wanted))
