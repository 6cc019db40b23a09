"""A room without a network: in-memory signaling and links for :class:`Session`.

A :class:`MemoryNetwork` stands in for the signaling server and the peer
connections at once. ``Session(config, signaling=net.signaling,
link_factory=net.link)`` then runs its real logic (who offers, the first
offer through signaling, renegotiation over the bus, losing and replacing
links, leaving) with the bus over in-memory channel pairs
(:func:`avacollab.bus.channels.channel_pair`'s kind). The links carry no
media: a feature's tracks are refused with :class:`LinkError`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..bus.channels import MemoryChannel
from ..tasks import TaskSet
from .config import SessionConfig
from .link import LinkConfig, LinkError, LinkTimeout
from .signaling_client import Handler, SignalingError

__all__ = ["MemoryLink", "MemoryNetwork", "MemorySignaling"]

logger = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 262_144
"""What one in-memory channel message may hold, as an aiortc data channel."""


class MemoryNetwork:
    """Rooms and links of sessions in one process; every message stays in memory."""

    def __init__(self, *, max_message_size: int = MAX_MESSAGE_SIZE, hold: bool = False) -> None:
        self.max_message_size = max_message_size
        self.hold = hold
        """Open a pair's link only once :meth:`allow` lets it (as a test decides)."""
        self._allowed: set[frozenset[str]] = set()
        self._held: dict[frozenset[str], MemoryLink] = {}
        self.rooms: dict[str, dict[str, MemorySignaling]] = {}
        self.links: list[MemoryLink] = []
        """Every link made, in order (tests reach a link's channels through it)."""
        self._ids = itertools.count(1)
        self._offers: dict[str, MemoryLink] = {}

    def signaling(
        self, config: SessionConfig, on_message: Handler, peer_id: str | None = None
    ) -> MemorySignaling:
        """A session's signaling (a :data:`~avacollab.peer.session.SignalingFactory`);
        ``peer_id`` chooses the member's id instead of the next free one."""
        return MemorySignaling(self, config.room, config.name, on_message, peer_id)

    def allow(self, a: str, b: str) -> None:
        """With ``hold``: let the links between members ``a`` and ``b`` open."""
        pair = frozenset((a, b))
        self._allowed.add(pair)
        held = self._held.pop(pair, None)
        if held is not None:
            held._answered()

    def cut(self, a: str, b: str) -> None:
        """Close the open links between ``a`` and ``b`` (their channels close at
        both ends); with ``hold``, new ones wait for :meth:`allow` again."""
        pair = frozenset((a, b))
        self._allowed.discard(pair)
        self._held.pop(pair, None)
        for link in self.links:
            if link._pair() == pair and link.state == "connected":
                link.reliable.close()
                link.unordered.close()

    def link(
        self,
        peer_id: str,
        *,
        offerer: bool,
        config: LinkConfig,
        on_negotiation_needed: Callable[[Any], Awaitable[None] | None],
    ) -> MemoryLink:
        """A session's link (a :class:`~avacollab.peer.link.LinkFactory`)."""
        link = MemoryLink(self, peer_id, offerer=offerer, config=config)
        self.links.append(link)
        return link

    def _new_id(self) -> str:
        # Zero-padded, so the order of ids (the offerer rule) is the order of joining.
        return f"m{next(self._ids):06d}"


class MemorySignaling:
    """One member's signaling in a :class:`MemoryNetwork` room.

    Messages reach each member in order, one at a time, as from a server.
    """

    def __init__(
        self,
        net: MemoryNetwork,
        room: str,
        name: str,
        on_message: Handler,
        peer_id: str | None = None,
    ) -> None:
        self._net = net
        self._wanted_id = peer_id
        self._room = room
        self._name = name
        self._on_message = on_message
        self.welcome: dict[str, Any] = {}
        self.on_lost: Callable[[int | None], None] | None = None  # an in-memory hub never drops
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks = TaskSet(lambda exc: logger.error("in-memory signaling failed", exc_info=exc))

    @property
    def peer_id(self) -> str:
        return str(self.welcome.get("peer", ""))

    async def connect(self) -> dict[str, Any]:
        members = self._net.rooms.setdefault(self._room, {})
        peer_id = self._wanted_id or self._net._new_id()
        if peer_id in members:
            raise SignalingError(f"{peer_id!r} is already a member", "invalid")
        self.welcome = {
            "type": "welcome",
            "peer": peer_id,
            "name": self._name,
            "room": self._room,
            "peers": [{"peer": p, "name": m._name} for p, m in members.items()],
            "iceServers": [],
        }
        for member in members.values():
            member._deliver({"type": "peer-joined", "peer": peer_id, "name": self._name})
        members[peer_id] = self
        self._tasks.spawn(self._pump())
        return self.welcome

    async def relay(self, kind: str, to: str, **body: Any) -> None:
        member = self._net.rooms.get(self._room, {}).get(to)
        if member is None:
            raise SignalingError(f"no member {to!r} in the room", "unknown-peer")
        member._deliver({"type": kind, "from": self.peer_id, **body})

    async def close(self, *, leave: bool = True) -> None:
        members = self._net.rooms.get(self._room, {})
        if members.get(self.peer_id) is self:
            del members[self.peer_id]
            for member in members.values():
                member._deliver({"type": "peer-left", "peer": self.peer_id, "reason": "left"})
        await self._tasks.cancel()

    def _deliver(self, message: dict[str, Any]) -> None:
        self._inbox.put_nowait(message)

    async def _pump(self) -> None:
        while True:
            message = await self._inbox.get()
            result = self._on_message(message)
            if result is not None:
                await result


class MemoryLink:
    """A link of a :class:`MemoryNetwork`: two in-memory channels, opened when
    the offerer applies the answer. An SDP here is only a token naming the offer."""

    def __init__(
        self, net: MemoryNetwork, peer_id: str, *, offerer: bool, config: LinkConfig
    ) -> None:
        self._net = net
        self.peer_id = peer_id
        self.offerer = offerer
        self.config = config
        size = net.max_message_size
        self.reliable = MemoryChannel("bus", size)
        self.unordered = MemoryChannel("bus-unordered", size)
        for channel in (self.reliable, self.unordered):
            channel.readyState = "connecting"
        self._remote: MemoryLink | None = None
        self._pending = False
        self._opened = asyncio.Event()
        self._closed = False
        self._on_failed: list[Callable[[], None]] = []

    @property
    def state(self) -> str:
        return "closed" if self._closed else "connected" if self._opened.is_set() else "new"

    @property
    def route(self) -> str | None:
        return "memory" if self._opened.is_set() else None

    @property
    def offer_pending(self) -> bool:
        return self._pending

    @property
    def stable(self) -> bool:
        return not self._pending

    async def create_offer(self, receive: Sequence[str] = ()) -> str:
        self._require(self.offerer, "only the offerer makes offers")
        self._require(not self._pending, "an offer is already pending")
        if receive:
            raise LinkError("in-memory links carry no media")
        self._pending = True
        token = f"offer-{id(self)}"
        self._net._offers[token] = self
        return token

    async def accept_offer(self, sdp: str) -> str:
        self._require(not self.offerer, "the offerer does not accept offers")
        offerer = self._net._offers.pop(sdp, None)
        if offerer is None:
            raise LinkError(f"not an offer of this network: {sdp[:40]!r}")
        if self._remote is None:
            self._remote, offerer._remote = offerer, self
            self.reliable._remote, offerer.reliable._remote = offerer.reliable, self.reliable
            self.unordered._remote, offerer.unordered._remote = offerer.unordered, self.unordered
        elif self._remote is not offerer:
            raise LinkError("an offer from another link")
        return f"answer-{sdp}"

    async def accept_answer(self, sdp: str) -> None:
        self._require(self.offerer, "only the offerer accepts answers")
        self._require(self._pending, "no offer is pending")
        if sdp != f"answer-offer-{id(self)}" or self._remote is None:
            raise LinkError(f"not the answer to this link's offer: {sdp[:40]!r}")
        self._pending = False
        pair = self._pair()
        if self._net.hold and pair not in self._net._allowed:
            self._net._held[pair] = self
            return
        self._answered()

    async def add_candidate(self, candidate: Any) -> None:
        """In-memory links have no ICE: a candidate changes nothing."""

    def receivable(self, receive: Sequence[str]) -> list[str]:
        return []

    def wanted_receivers(self) -> list[str]:
        return []

    def unoffered(self) -> bool:
        return False

    def add_track(self, track: Any) -> Any:
        raise LinkError("in-memory links carry no media")

    def remove_track(self, sender: Any) -> None:
        raise LinkError("that sender does not belong to this link")

    def on_track(self, callback: Callable[[Any], None]) -> None:
        pass  # no media ever arrives

    def on_failed(self, callback: Callable[[], None]) -> None:
        self._on_failed.append(callback)

    def fail(self) -> None:
        """Fail the connection, as ICE giving up would (for tests)."""
        for callback in self._on_failed:
            callback()
        self.reliable.close()
        self.unordered.close()

    async def wait_open(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        limit = self.config.open_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                await self._opened.wait()
        except TimeoutError:
            raise LinkTimeout(f"connection to {self.peer_id} not open after {limit:g} s") from None
        if self._closed:
            raise LinkError(f"connection to {self.peer_id} closed")

    async def close(self) -> None:
        self._closed = True
        self._opened.set()  # wake wait_open
        self.reliable.close()
        self.unordered.close()

    def _pair(self) -> frozenset[str]:
        """The two members this link joins (``peer_id`` is the other end's)."""
        remote = self._remote
        return frozenset((self.peer_id, remote.peer_id)) if remote is not None else frozenset()

    def _answered(self) -> None:
        if self._remote is not None and not self._closed and not self._remote._closed:
            for link in (self, self._remote):
                link._open()

    def _open(self) -> None:
        if self._opened.is_set():
            return
        for channel in (self.reliable, self.unordered):
            if channel.readyState == "connecting":
                channel.readyState = "open"
                channel.emit("open")
        self._opened.set()

    def _require(self, condition: bool, reason: str) -> None:
        if not condition:
            raise LinkError(f"link to {self.peer_id}: {reason}")
