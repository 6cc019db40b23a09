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
* aiortc puts its own candidates in the SDP; candidates a peer trickles
  (browsers do) are checked and added to its link
  (:mod:`avacollab.peer.candidates`).
* A signaling reconnect changes nothing on established links: the client
  resumes with the same peer id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import logs
from ..bus import Bus, BusError, PeerLost
from ..feature import Feature
from ..featureset import FeatureSet, PluginStartError
from .config import SessionConfig, ice_servers_from_welcome
from .link import LinkFactory, PeerLink
from .mesh import Mesh
from .negotiation import ANSWER, OFFER, RENEGOTIATE
from .signaling_client import Handler, Signaling, SignalingClient

__all__ = [
    "EventSink",
    "PluginStartError",
    "Session",
    "SessionConfig",
    "SignalingFactory",
    "ice_servers_from_welcome",
]

logger = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]
"""Receives every event as a dict (``event``, ``ts`` and the event's fields)."""

SignalingFactory = Callable[[SessionConfig, Handler], Signaling]
"""Makes a session's signaling from its config and the handler of what arrives."""

BYE = "session.bye"

NETWORK_SHARE = 0.25
"""The part of ``leave_timeout`` kept for the network when leaving (see :meth:`Session.close`)."""


def _signaling_client(config: SessionConfig, on_message: Handler) -> SignalingClient:
    return SignalingClient(
        config.server, config.room, name=config.name, token=config.token, on_message=on_message
    )


class Session:
    """One peer's membership of a room, satisfying :class:`avacollab.feature.Session`.

    Use ``await session.start()`` (or ``async with``) and ``await session.close()``.
    ``features`` are the feature classes to run (:func:`avacollab.plugins.features`
    gathers the loaded plugins' ones), or a :class:`FeatureSet` made of them;
    ``ValueError`` for a bad one.
    ``signaling`` and ``link_factory`` make the signaling and the links
    (default: :class:`SignalingClient` and :class:`PeerLink`); tests without
    a network pass :mod:`avacollab.peer.memory`'s.
    """

    def __init__(
        self,
        config: SessionConfig,
        *,
        features: Sequence[type[Feature]] | FeatureSet = (),
        events: EventSink | None = None,
        signaling: SignalingFactory | None = None,
        link_factory: LinkFactory = PeerLink,
    ) -> None:
        self.config = config
        self.features = features if isinstance(features, FeatureSet) else FeatureSet(features)
        """This session's features: their running instances, commands and status lines."""
        self._events = events
        make_signaling = signaling or _signaling_client
        self.signaling = make_signaling(config, self._on_signal)
        self._bus = Bus(config.bus, on_peer_dead=self._on_peer_dead)
        self._mesh = Mesh(
            config,
            bus=self._bus,
            features=self.features,
            signaling=self.signaling,
            emit=self.emit,
            link_factory=link_factory,
        )
        self._peers = self._mesh.peers
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
        self._mesh.sync_tracks(peer, peer.link)
        self._mesh.negotiation_needed(peer, peer.link)

    # -- more public API ----------------------------------------------------

    def link(self, peer_id: str) -> PeerLink | None:
        """The current connection to ``peer_id`` (for status displays and tests);
        ``None`` also when the link factory makes another kind of link."""
        peer = self._peers.get(peer_id)
        link = None if peer is None else peer.link
        return link if isinstance(link, PeerLink) else None

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
        self._mesh.ice = ice_servers_from_welcome(welcome.get("iceServers"))
        self._bus.subscribe(RENEGOTIATE, self._mesh.on_negotiation)
        self._bus.subscribe(OFFER, self._mesh.on_bus_offer)
        self._bus.subscribe(ANSWER, self._mesh.on_negotiation)
        self._bus.subscribe(BYE, self._mesh.on_bye)
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
            await self._mesh.peer_joined(str(other.get("peer", "")), str(other.get("name", "")))
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
        self._closing = self._mesh.closing = True
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
        tasks = [*self._mesh.tasks]
        for peer in self._peers.values():
            tasks += [t for t in (peer.task, peer.negotiator, peer.timer) if t is not None]
            self._mesh.drop_link(peer)
        for task in tasks:
            task.cancel()
        parts: dict[asyncio.Future[Any], str] = {
            asyncio.ensure_future(self._bus.close()): "bus",
            asyncio.ensure_future(self.signaling.close(leave=True)): "signaling",
        }
        if tasks:
            parts[asyncio.gather(*tasks, return_exceptions=True)] = "session tasks"
        for link, closing in self._mesh.link_closes.items():
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

    def _on_peer_dead(self, peer_id: str, why: PeerLost) -> None:
        self._mesh.on_peer_dead(peer_id, why)

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
            await self._mesh.peer_joined(str(message.get("peer", "")), str(message.get("name", "")))
        elif kind == "peer-left":
            await self._mesh.peer_left(
                str(message.get("peer", "")), str(message.get("reason", "left"))
            )
        elif kind == "offer" and isinstance(message.get("sdp"), str):
            await self._mesh.on_offer(sender, message["sdp"])
        elif kind == "answer" and isinstance(message.get("sdp"), str):
            await self._mesh.on_answer(sender, message["sdp"])
        elif kind == "candidate":
            await self._mesh.on_candidate(sender, message)
        elif kind == "welcome":
            # A reconnect: the client resumed our id, links stay as they are.
            self._mesh.ice = ice_servers_from_welcome(message.get("iceServers")) or self._mesh.ice
            self.emit("rejoined", peer=self.peer_id, resumed=bool(message.get("resumed")))
            for other in message.get("peers", []):
                if isinstance(other, dict):
                    await self._mesh.peer_joined(
                        str(other.get("peer", "")), str(other.get("name", ""))
                    )
        elif kind == "ice-servers":
            self._mesh.ice = ice_servers_from_welcome(message.get("iceServers"))
        elif kind == "error":
            logs.event(
                "signaling-error",
                logging.WARNING,
                code=message.get("code"),
                message=message.get("message"),
            )
