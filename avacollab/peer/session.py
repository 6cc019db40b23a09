"""A room membership: one peer connection per other member, the bus, and the features.

A :class:`Session` joins a room through the
:class:`~avacollab.peer.signaling_client.SignalingClient`
and keeps a full mesh of :class:`~avacollab.peer.link.PeerLink` objects, one per
other member. Rules that keep it glare-free and alive (docs/session.md has
the whole story):

* Of each pair, the peer with the smaller id is the *offerer* and makes every
  offer; aiortc cannot roll back a crossed offer, so the other side never
  offers. First offers travel through the signaling server; an offer received
  there always starts a new connection.
* Renegotiation (tracks added or removed) runs over the pair's own bus: the
  answerer asks with ``session.renegotiate``, the offerer sends
  ``session.offer`` and gets ``session.answer``. It needs no server and can
  never be mistaken for a new connection.
* A link that is not open after ``connect_timeout`` seconds, that fails, or
  whose peer the bus's liveness check declares silent is replaced by the
  offerer, with bounded retries and backoff.
* A signaling reconnect changes nothing on established links: the client
  resumes with the same peer id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCIceServer

from .. import logs
from ..bus import SILENT, Bus, BusConfig, BusError, Message, PeerLost
from ..feature import Feature
from ..featureset import FeatureSet, PluginStartError
from ..tasks import TaskSet
from .link import LinkConfig, LinkError, PeerLink
from .negotiation import (
    ANSWER,
    MAX_REQUEST_BYTES,
    MAX_SDP_PAYLOAD,
    MAX_SEQ,
    OFFER,
    RENEGOTIATE,
    AcceptOffer,
    Action,
    ApplyAnswer,
    MakeOffer,
    Negotiation,
    Refused,
    Renegotiated,
    Replace,
    Send,
    offers,
)
from .signaling_client import Backoff, SignalingClient

__all__ = [
    "MAX_REQUEST_BYTES",
    "MAX_SDP_PAYLOAD",
    "MAX_SEQ",
    "EventSink",
    "PluginStartError",
    "Session",
    "SessionConfig",
    "ice_servers_from_welcome",
]

logger = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]
"""Receives every event as a dict (``event``, ``ts`` and the event's fields)."""

BYE = "session.bye"

RETRY_BACKOFF = Backoff(initial=0.5, maximum=8.0)

NETWORK_SHARE = 0.25
"""The part of ``leave_timeout`` kept for the network when leaving (see :meth:`Session.close`)."""


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Where and how a session joins."""

    server: str
    """Signaling WebSocket URL, e.g. ``ws://127.0.0.1:8765/ws``."""
    room: str
    name: str = ""
    token: str | None = None
    ice_addresses: Sequence[str] | None = None
    """Gather ICE host candidates only on these IP addresses (``None``: aioice's choice,
    every interface but loopback; ``[]``: none, TURN relays only)."""
    relay_only: bool = False
    """Connect only through TURN relays."""
    connect_timeout: float = 15.0
    """Seconds a peer connection may take to open before it is abandoned."""
    max_retries: int = 5
    """Consecutive failed attempts to (re)connect to one peer before giving up."""
    retry_backoff: Backoff = RETRY_BACKOFF
    leave_timeout: float = 1.5
    """Seconds :meth:`Session.close` may take, the features' saving included; what
    the network has not done by then (a TURN or signaling server gone) is abandoned."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Feature options, keyed ``feature.option`` (``--set``); checked by :meth:`Session.start`."""
    bus: BusConfig = field(default_factory=BusConfig)

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.leave_timeout <= 0:
            raise ValueError("leave_timeout must be positive")


def ice_servers_from_welcome(entries: object) -> list[RTCIceServer]:
    """Turn a welcome's ``iceServers`` (browser ``RTCIceServer`` dicts) into aiortc's.

    Entries that are not well formed are skipped with a warning: a server's
    typo should cost a relay, not the session.
    """
    servers: list[RTCIceServer] = []
    for entry in entries if isinstance(entries, list) else []:
        urls = entry.get("urls") if isinstance(entry, dict) else None
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            logs.event("ice-server-skipped", logging.WARNING, entry=str(entry)[:200])
            continue
        assert isinstance(entry, dict)
        username, credential = entry.get("username"), entry.get("credential")
        servers.append(
            RTCIceServer(
                urls=list(urls),
                username=username if isinstance(username, str) else None,
                credential=credential if isinstance(credential, str) else None,
            )
        )
    return servers


class _Peer:
    """What the session knows about one other member of the room."""

    def __init__(self, peer_id: str, name: str, offerer: bool) -> None:
        self.id = peer_id
        self.name = name
        self.offerer = offerer  # we make the offers to this peer
        self.link: PeerLink | None = None
        self.connected = False
        self.lost = False  # peer-left already reported for the current outage
        self.gone = False  # said goodbye: never reconnect
        self.failures = 0
        self.senders: dict[int, tuple[Any, Any]] = {}  # id(track) -> (track, sender)
        self.task: asyncio.Task[None] | None = None  # connecting or waiting for an offer
        self.offered = asyncio.Event()
        self.negotiation: Negotiation | None = None  # of the current link
        self.negotiator: asyncio.Task[None] | None = None  # offerer: the exchange under way
        self.answer: asyncio.Future[str] | None = None  # offerer: the answer it waits for


class Session:
    """One peer's membership of a room, satisfying :class:`avacollab.feature.Session`.

    Use ``await session.start()`` (or ``async with``) and ``await session.close()``.
    ``features`` are the feature classes to run (:func:`avacollab.plugins.features`
    gathers the loaded plugins' ones); ``ValueError`` for a bad one.
    """

    def __init__(
        self,
        config: SessionConfig,
        *,
        features: Sequence[type[Feature]] = (),
        events: EventSink | None = None,
    ) -> None:
        self.config = config
        self.features = FeatureSet(features)
        """This session's features: their running instances, commands and status lines."""
        self._events = events
        self.signaling = SignalingClient(
            config.server,
            config.room,
            name=config.name,
            token=config.token,
            on_message=self._on_signal,
        )
        self._bus = Bus(config.bus, on_peer_dead=self._on_peer_dead)
        self._peers: dict[str, _Peer] = {}
        self._ice: list[RTCIceServer] = []
        self._tasks = TaskSet(lambda exc: logger.error("session task failed", exc_info=exc))
        self._link_closes: dict[PeerLink, asyncio.Future[None]] = {}
        self._started = False
        self._ready = asyncio.Event()
        self._closing = False
        self.closed = asyncio.Event()
        """Set once :meth:`close` has finished."""

    # -- the Session protocol ---------------------------------------------

    @property
    def room(self) -> str:
        """The room joined."""
        return self.config.room

    @property
    def peer_id(self) -> str:
        """This peer's id, assigned by the signaling server."""
        return self.signaling.peer_id

    @property
    def name(self) -> str:
        """This peer's display name (as the server confirmed it)."""
        return str(self.signaling.welcome.get("name", self.config.name))

    @property
    def bus(self) -> Bus:
        """The data-channel bus shared with every connected peer."""
        return self._bus

    @property
    def peers(self) -> Mapping[str, str]:
        """Members of the room other than us that are not known lost: id to name."""
        return {p.id: p.name for p in self._peers.values() if not p.lost}

    @property
    def connected(self) -> tuple[str, ...]:
        """Ids of the peers whose bus is open."""
        return tuple(p.id for p in self._peers.values() if p.connected)

    @property
    def options(self) -> Mapping[str, str]:
        """Plugin options, keyed ``plugin.option``."""
        return self.config.options

    def emit(self, event: str, **fields: Any) -> None:
        """Report an event to the event sink (one JSON line) and the log."""
        # Not logs.event(): plugin fields may be called "name" or "level".
        logs.LOGGER.info(event, extra={"fields": fields})
        if self._events is not None:
            try:
                self._events({"event": event, "ts": round(time.time(), 3), **fields})
            except Exception:  # a broken sink must not break the session
                logger.exception("event sink failed")

    def wants(self, event: str) -> bool:
        """Whether the event sink records ``event`` (see the ``Session`` protocol).

        A sink with a ``wants(event)`` method decides; any other sink records
        everything; no sink records nothing.
        """
        if self._events is None:
            return False
        wants = getattr(self._events, "wants", None)
        return True if wants is None else bool(wants(event))

    def renegotiate(self, peer_id: str) -> None:
        """Re-ask every feature's ``media_tracks`` for ``peer_id``; renegotiate what changed."""
        peer = self._peers.get(peer_id)
        if peer is None or peer.link is None or not peer.connected:
            return  # a link that is not up yet asks for the tracks when it is made
        self._sync_tracks(peer, peer.link)
        self._negotiation_needed(peer, peer.link)

    # -- more public API ----------------------------------------------------

    def link(self, peer_id: str) -> PeerLink | None:
        """The current connection to ``peer_id`` (for status displays and tests)."""
        peer = self._peers.get(peer_id)
        return None if peer is None else peer.link

    def negotiating(self, peer_id: str) -> bool:
        """An offer/answer exchange with ``peer_id`` is under way or asked for."""
        peer = self._peers.get(peer_id)
        if peer is None or peer.link is None:
            return False
        busy = peer.negotiator is not None and not peer.negotiator.done()
        negotiation = peer.negotiation
        return busy or (negotiation is not None and negotiation.busy) or not peer.link.stable

    def status(self) -> list[dict[str, Any]]:
        """One entry per known peer: id, name, state, link state and RTT in ms."""
        rows = []
        for peer in self._peers.values():
            rtt = None
            if peer.connected:
                with contextlib.suppress(BusError):
                    rtt = self._bus.rtt(peer.id)
            state = "connected" if peer.connected else "lost" if peer.lost else "connecting"
            rows.append(
                {
                    "peer": peer.id,
                    "name": peer.name,
                    "state": state,
                    "link": peer.link.state if peer.link is not None else "none",
                    "rtt_ms": None if rtt is None else round(rtt * 1000, 1),
                }
            )
        return rows

    async def start(self) -> None:
        """Join the room, start the features, and connect to every member.

        Raises :class:`avacollab.featureset.PluginStartError` before connecting
        when a feature option is bad, and after joining when a feature cannot
        start (the session leaves again), and
        :class:`avacollab.peer.signaling_client.SignalingError` when the first
        join fails.
        """
        self.features.configure(self.config.options)
        welcome = await self.signaling.connect()
        self._started = True
        try:
            await self._welcomed(welcome)
        except BaseException:
            await self.close()
            raise

    async def _welcomed(self, welcome: dict[str, Any]) -> None:
        self._ice = ice_servers_from_welcome(welcome.get("iceServers"))
        self._bus.subscribe(RENEGOTIATE, self._on_negotiation)
        self._bus.subscribe(OFFER, self._on_bus_offer)
        self._bus.subscribe(ANSWER, self._on_negotiation)
        self._bus.subscribe(BYE, self._on_bye)
        others = [p for p in welcome.get("peers", []) if isinstance(p, dict)]
        self.emit(
            "joined",
            room=self.room,
            peer=self.peer_id,
            name=self.name,
            peers=[str(p.get("peer")) for p in others],
        )
        await self.features.start(self)
        for other in others:
            await self._peer_joined(str(other.get("peer", "")), str(other.get("name", "")))
        self._ready.set()

    async def close(self) -> None:
        """Leave within ``config.leave_timeout`` seconds, whatever the network does.

        In order: the features' :meth:`~avacollab.feature.Feature.close` (the
        bus still works: they save what they hold and say what they have to
        say), then ``session.bye`` to every peer and the bus drained, then the
        network all at once: the session's tasks cancelled, the bus closed,
        the signaling leave and every link's close. The features and the
        goodbye may use the budget but its last quarter, which is the
        network's. Whatever has not finished at the deadline is abandoned and
        logged (``leave-abandoned``); a link's close, which aiortc holds up to
        63 s while it retries deleting its allocation on a TURN server that
        is gone, carries on in the background.
        """
        if self._closing:
            await self.closed.wait()
            return
        self._closing = True
        loop = asyncio.get_running_loop()
        budget = self.config.leave_timeout
        deadline = loop.time() + budget
        network_at = deadline - budget * NETWORK_SHARE
        try:
            if self._started:
                await self.features.close(deadline=network_at)
                with contextlib.suppress(BusError):
                    self._bus.publish(BYE, b"")
                with contextlib.suppress(TimeoutError, BusError):
                    async with asyncio.timeout_at(network_at):
                        await self._bus.drain()
            await self._shut_down(deadline)
            self.emit("closed", peer=self.peer_id)
        finally:
            self.closed.set()

    async def _shut_down(self, deadline: float) -> None:
        """Stop everything at once; stop waiting at ``deadline`` (loop time)."""
        tasks = [*self._tasks]
        for peer in self._peers.values():
            tasks += [t for t in (peer.task, peer.negotiator) if t is not None]
            self._drop_link(peer)
        for task in tasks:
            task.cancel()
        parts: dict[asyncio.Future[Any], str] = {
            asyncio.ensure_future(self._bus.close()): "bus",
            asyncio.ensure_future(self.signaling.close(leave=True)): "signaling",
        }
        if tasks:
            parts[asyncio.gather(*tasks, return_exceptions=True)] = "session tasks"
        for link, closing in self._link_closes.items():
            parts[closing] = f"link to {link.peer_id}"
        timeout = max(0.0, deadline - asyncio.get_running_loop().time())
        done, pending = await asyncio.wait(set(parts), timeout=timeout)
        for part in done:
            if not part.cancelled() and part.exception() is not None:
                logger.warning("leaving: %s failed", parts[part], exc_info=part.exception())
        if pending:
            logs.event(
                "leave-abandoned",
                logging.WARNING,
                seconds=self.config.leave_timeout,
                unfinished=sorted(parts[p] for p in pending),
            )
            for part in pending:
                # A link's close goes on (PeerLink.close shields it); the rest stops here.
                part.cancel()

    async def __aenter__(self) -> Session:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _spawn(self, coro: Any) -> None:
        self._tasks.spawn(coro)

    # -- signaling --------------------------------------------------------

    async def _on_signal(self, message: dict[str, Any]) -> None:
        # Hold messages until start() has started the features and taken in
        # the welcome's members, so features see events in order.
        await self._ready.wait()
        if self._closing:
            return
        kind = message.get("type")
        sender = str(message.get("from", ""))
        if kind == "peer-joined":
            await self._peer_joined(str(message.get("peer", "")), str(message.get("name", "")))
        elif kind == "peer-left":
            await self._peer_left(str(message.get("peer", "")), str(message.get("reason", "left")))
        elif kind == "offer" and isinstance(message.get("sdp"), str):
            await self._on_offer(sender, message["sdp"])
        elif kind == "answer" and isinstance(message.get("sdp"), str):
            await self._on_answer(sender, message["sdp"])
        elif kind == "welcome":
            # A reconnect: the client resumed our id, links stay as they are.
            self._ice = ice_servers_from_welcome(message.get("iceServers")) or self._ice
            self.emit("rejoined", peer=self.peer_id, resumed=bool(message.get("resumed")))
            for other in message.get("peers", []):
                if isinstance(other, dict):
                    await self._peer_joined(str(other.get("peer", "")), str(other.get("name", "")))
        elif kind == "ice-servers":
            self._ice = ice_servers_from_welcome(message.get("iceServers"))
        elif kind == "error":
            logs.event(
                "signaling-error",
                logging.WARNING,
                code=message.get("code"),
                message=message.get("message"),
            )

    async def _peer_joined(self, peer_id: str, name: str) -> None:
        if not peer_id or peer_id == self.peer_id:
            return
        peer = self._peers.get(peer_id)
        if peer is not None and not peer.gone:
            peer.name = name or peer.name
            if peer.lost and peer.offerer and (peer.task is None or peer.task.done()):
                # Back in the room after we gave up: try again from scratch.
                peer.failures = 0
                peer.task = asyncio.create_task(self._connect(peer))
            return  # a peer re-registering after a signaling restart
        peer = _Peer(peer_id, name, offerer=offers(self.peer_id, peer_id))
        self._peers[peer_id] = peer
        self.emit("peer-joined", peer=peer_id, name=name, offerer=peer.offerer)
        await self.features.peer_joined(peer_id, name)
        if peer.offerer:
            peer.task = asyncio.create_task(self._connect(peer))
        else:
            peer.task = asyncio.create_task(self._await_offer(peer))

    async def _peer_left(self, peer_id: str, reason: str) -> None:
        peer = self._peers.pop(peer_id, None)
        if peer is None:
            return
        for task in (peer.task, peer.negotiator):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._drop_link(peer)
        if not peer.lost:
            peer.lost = True
            self.emit("peer-left", peer=peer_id, name=peer.name, reason=reason)
            await self.features.peer_left(peer_id, reason)

    # -- making connections -------------------------------------------------

    def _new_link(self, peer: _Peer) -> PeerLink:
        """A new connection to ``peer``: data channels only, tracks come once open."""
        config = LinkConfig(
            ice_servers=tuple(self._ice),
            relay_only=self.config.relay_only,
            host_addresses=self.config.ice_addresses,
            open_timeout=self.config.connect_timeout,
        )
        link = PeerLink(
            peer.id,
            offerer=peer.offerer,
            config=config,
            on_negotiation_needed=lambda lk: self._negotiation_needed(peer, lk),
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
        self._bus.add_peer(peer.id, link.reliable, link.unordered)
        peer.link = link
        peer.negotiation = Negotiation(peer.offerer, link.receivable)
        peer.senders = {}
        # No tracks before the channels are open: with a media m-line first
        # in a max-bundle offer, aiortc's answerer never gathers candidates
        # (measured: ICE stays "new"), and a sender the offer has no m-line
        # for makes its answer fail. Tracks come with a renegotiation in
        # _opened instead, which costs one round trip on the bus.
        return link

    def _sync_tracks(self, peer: _Peer, link: PeerLink) -> bool:
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

    async def _connect(self, peer: _Peer) -> None:
        """Offerer: connect, and replace the connection each time it fails."""
        while not peer.gone:
            if peer.failures > self.config.max_retries:
                self.emit(
                    "link-failed",
                    peer=peer.id,
                    reason="gave-up",
                    attempt=peer.failures,
                    final=True,
                    error=f"no connection after {peer.failures} attempts",
                )
                return
            if peer.failures:
                await asyncio.sleep(self.config.retry_backoff.delay(peer.failures - 1))
            self._drop_link(peer)
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

    async def _await_offer(self, peer: _Peer) -> None:
        """Answerer: report an offerer that stays silent (it may be stuck or gone)."""
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                await peer.offered.wait()
        except TimeoutError:
            self.emit(
                "link-failed",
                peer=peer.id,
                reason="timeout",
                attempt=0,
                final=False,
                error=f"no offer from {peer.id} within {self.config.connect_timeout:g} s",
            )

    async def _on_offer(self, sender: str, sdp: str) -> None:
        peer = self._peers.get(sender)
        if peer is None:
            # The offer overtook the peer-joined (or the welcome raced it).
            peer = _Peer(sender, "", offerer=offers(self.peer_id, sender))
            self._peers[sender] = peer
        if peer.offerer or peer.gone:
            logs.event("offer-ignored", logging.WARNING, peer=sender)
            return
        peer.offered.set()
        if peer.task is not None and not peer.task.done():
            peer.task.cancel()
        self._drop_link(peer)
        link = self._new_link(peer)
        try:
            answer = await link.accept_offer(sdp)
            await self.signaling.relay("answer", peer.id, sdp=answer)
        except Exception as exc:
            # LinkError, or whatever aiortc raises on an offer it cannot take:
            # one peer's bad offer must never stop the signaling receive loop.
            self._report_failure(peer, exc)
            self._drop_link(peer)
            return
        peer.task = asyncio.create_task(self._answered(peer, link))

    async def _answered(self, peer: _Peer, link: PeerLink) -> None:
        try:
            await link.wait_open(self.config.connect_timeout)
        except LinkError as exc:
            if peer.link is link:
                self._report_failure(peer, exc)
                self._drop_link(peer)
            return
        await self._opened(peer, link)

    async def _on_answer(self, sender: str, sdp: str) -> None:
        peer = self._peers.get(sender)
        link = peer.link if peer is not None else None
        if link is None or not link.offerer or not link.offer_pending:
            logs.event("answer-ignored", logging.WARNING, peer=sender)
            return
        try:
            await link.accept_answer(sdp)
        except LinkError as exc:
            logs.event("answer-rejected", logging.WARNING, peer=sender, error=str(exc))
            self._close_link(link)  # wait_open in _connect sees it and retries

    def _report_failure(self, peer: _Peer, exc: Exception) -> None:
        reason = "timeout" if isinstance(exc, TimeoutError) else "error"
        self.emit(
            "link-failed",
            peer=peer.id,
            reason=reason,
            attempt=peer.failures,
            final=False,
            error=str(exc),
        )

    async def _opened(self, peer: _Peer, link: PeerLink) -> None:
        peer.failures = 0
        # The features' tracks join now (see _new_link).
        added = self._sync_tracks(peer, link)
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
            self._negotiation_needed(peer, link)

    def _drop_link(self, peer: _Peer) -> None:
        link, peer.link = peer.link, None
        peer.connected = False
        if peer.negotiation is not None:
            peer.negotiation.closed()
            peer.negotiation = None
        self._bus.remove_peer(peer.id)
        if peer.answer is not None and not peer.answer.done():
            peer.answer.cancel()
        if link is not None:
            self._close_link(link)

    def _close_link(self, link: PeerLink) -> None:
        """Close ``link`` without waiting for it.

        Nothing waits on a dropped link, and its close can take a minute (see
        :meth:`PeerLink.close`): awaited, it would hold up the signaling
        messages, the reconnection or the ``peer-left`` that come next.
        """
        if link in self._link_closes:
            return
        closing = asyncio.ensure_future(link.close())
        self._link_closes[link] = closing

        def closed(_: asyncio.Future[None]) -> None:
            self._link_closes.pop(link, None)
            if not closing.cancelled() and closing.exception() is not None:
                logger.warning(
                    "closing the link to %s failed", link.peer_id, exc_info=closing.exception()
                )

        closing.add_done_callback(closed)

    # -- losing connections -------------------------------------------------

    def _on_peer_dead(self, peer_id: str, why: PeerLost) -> None:
        peer = self._peers.get(peer_id)
        if peer is not None and peer.connected and peer.link is not None:
            reason = "timeout" if why.cause == SILENT else "failed"
            self._spawn(self._lost(peer, peer.link, reason, why.detail))

    async def _lost(self, peer: _Peer, link: PeerLink, reason: str, error: str) -> None:
        if peer.link is not link or self._closing:
            return
        peer.failures += 1
        self.emit(
            "link-failed",
            peer=peer.id,
            reason=reason,
            attempt=peer.failures,
            final=False,
            error=error,
        )
        if peer.negotiator is not None:
            peer.negotiator.cancel()
        self._drop_link(peer)
        if not peer.lost:
            peer.lost = True
            self.emit("peer-left", peer=peer.id, name=peer.name, reason=reason)
            await self.features.peer_left(peer.id, reason)
        if peer.gone or peer.id not in self._peers:
            return
        if peer.offerer:
            peer.task = asyncio.create_task(self._connect(peer))
        else:
            peer.offered.clear()
            peer.task = asyncio.create_task(self._await_offer(peer))

    async def _on_bye(self, message: Message) -> None:
        peer = self._peers.get(message.sender)
        if peer is not None:
            peer.gone = True
            await self._peer_left(peer.id, "left")

    # -- renegotiation ------------------------------------------------------

    def _negotiation_needed(self, peer: _Peer, link: PeerLink) -> None:
        negotiation = peer.negotiation
        if peer.link is not link or not peer.connected or negotiation is None:
            return  # _opened looks again when the link is up
        wanted = [] if peer.offerer else link.wanted_receivers()
        self._act(peer, link, negotiation.tracks_changed(wanted))

    def _act(self, peer: _Peer, link: PeerLink, actions: list[Action]) -> None:
        """Carry out what the link's :class:`Negotiation` asks for."""
        for action in actions:
            if isinstance(action, Send):
                with contextlib.suppress(BusError):
                    self._bus.publish_json(action.topic, action.body, to=peer.id)
            elif isinstance(action, MakeOffer):
                peer.negotiator = asyncio.create_task(self._offer(peer, link, action))
            elif isinstance(action, ApplyAnswer):
                if peer.answer is not None and not peer.answer.done():
                    peer.answer.set_result(action.sdp)
            elif isinstance(action, Refused):
                fields = {action.field: action.reason}
                logs.event(action.event, logging.WARNING, peer=peer.id, **fields)
            elif isinstance(action, Renegotiated):
                self.emit("renegotiated", peer=peer.id)
            elif isinstance(action, Replace):
                self._spawn(self._lost(peer, link, "failed", action.error))
            # AcceptOffer is awaited by _on_bus_offer, which gets it.

    def _on_negotiation(self, message: Message) -> None:
        peer = self._peers.get(message.sender)
        if peer is None or peer.link is None or peer.negotiation is None:
            return
        self._act(peer, peer.link, peer.negotiation.received(message.topic, message.payload))

    async def _offer(self, peer: _Peer, link: PeerLink, action: MakeOffer | None) -> None:
        """Offerer: make the offers the negotiation asks for, one at a time."""
        negotiation = peer.negotiation
        assert negotiation is not None
        while action is not None:
            peer.answer = asyncio.get_running_loop().create_future()
            try:
                sdp = await link.create_offer(action.receive)
                negotiation.offer_sent()
                self._bus.publish_json(OFFER, {"sdp": sdp, "serves": action.serves}, to=peer.id)
                async with asyncio.timeout(self.config.connect_timeout):
                    answer = await peer.answer
                await link.accept_answer(answer)
            except (LinkError, BusError, TimeoutError, asyncio.CancelledError) as exc:
                if isinstance(exc, asyncio.CancelledError) and peer.link is link:
                    raise
                if peer.link is link:
                    # A link stuck with a pending offer cannot offer again: replace it.
                    self._act(peer, link, negotiation.failed(str(exc)))
                return
            actions = negotiation.answer_applied()
            action = next((a for a in actions if isinstance(a, MakeOffer)), None)
            self._act(peer, link, [a for a in actions if not isinstance(a, MakeOffer)])

    async def _on_bus_offer(self, message: Message) -> None:
        peer = self._peers.get(message.sender)
        if peer is None or peer.link is None or not peer.connected or self._closing:
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
