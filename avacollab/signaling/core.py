"""The signaling server's logic: rooms, peers, relay and resume, without I/O.

:class:`SignalingCore` is fed events (a connection opened, a frame arrived,
a connection closed, time passed) and answers with :class:`Send` and
:class:`Close` actions. The aiohttp adapter in :mod:`avacollab.signaling.server` only
moves bytes and timers; every rule of the protocol lives here, where tests
can drive it directly and hostile input can be thrown at it cheaply.
"""

from __future__ import annotations

import secrets
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import logs
from . import protocol as p
from .protocol import CloseCode, ErrorCode, ProtocolError
from .ratelimit import TokenBucket
from .tokens import (
    Grant,
    issue_resume_token,
    resume_key,
    verify_join_token,
    verify_resume_token,
)

IceServers = Callable[[str, float], list[dict[str, Any]]]
"""``(peer_id, now) -> iceServers`` for a welcome: TURN credentials are per peer."""


def close_is_leave(code: int) -> bool:
    """Whether a close frame from a client (with ``code``, 0 for none) is a leave.

    Every close frame is a decision of the client's, so it is a leave and the
    others hear ``peer-left`` at once: 1000, a closing tab's 1001, and the
    empty close (1005) of a browser's ``ws.close()``, which used to pass for
    a network drop and left a closed tab in the room for the resume grace.
    The one exception is 4000, a client saying it will be back with its
    resume token. A connection that ends without any close frame (a network
    drop, a killed process, missed heartbeats) keeps the peer's place.
    """
    return code != CloseCode.KEEP_PLACE


@dataclass(frozen=True, slots=True)
class Limits:
    """Server policy. Every field is a setting (see avacollab.settings)."""

    max_frame_bytes: int = 64 * 1024
    rate: float = 50.0  # messages a second per connection, on average
    burst: int = 200
    max_room_size: int = 32
    max_rooms: int = 10_000
    resume_grace: float = 30.0  # seconds a dropped peer keeps its id and room
    resume_max_age: float = 24 * 3600.0  # oldest resume token honoured after a restart
    max_errors: int = 50  # refused frames within error_window before the connection is cut
    error_window: float = 10.0
    max_pending: int = 64  # relays kept for a peer while it is reconnecting
    # Bytes of frames queued for one connection (or kept for one reconnecting
    # peer, which get that queue when it resumes), and for all of them.
    send_queue_bytes: int = 1 << 20
    max_queued_bytes: int = 64 << 20
    hello_timeout: float = 10.0  # seconds a new connection has to send hello (0: forever)

    def describe(self, heartbeat: float) -> dict[str, Any]:
        """The limits a client is told about in hello and welcome."""
        return {
            "maxFrameBytes": self.max_frame_bytes,
            "rate": self.rate,
            "burst": self.burst,
            "maxRoomSize": self.max_room_size,
            "heartbeat": heartbeat,
            "resumeGrace": self.resume_grace,
        }


@dataclass(eq=False, slots=True)
class Connection:
    """One WebSocket, as the core sees it."""

    bucket: TokenBucket
    greeted: bool = False
    peer: Peer | None = None
    # Lists, not deques: both stay short (max_errors, max_pending), and an
    # empty list costs 56 bytes where a deque costs 624, for every peer.
    errors: list[float] = field(default_factory=list)
    closed: bool = False


@dataclass(eq=False, slots=True)
class Peer:
    id: str
    room: Room
    name: str
    identity: str | None
    permissions: tuple[str, ...]
    conn: Connection | None
    grant: Grant | None = None  # the join grant it was admitted with; bounds its resumes
    detached_at: float = 0.0
    # Messages kept while the peer is reconnecting, each with its size in bytes.
    pending: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    pending_bytes: int = 0

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"peer": self.id, "name": self.name}
        if self.identity is not None:
            info["identity"] = self.identity
            info["permissions"] = list(self.permissions)
        return info


@dataclass(eq=False, slots=True)
class Room:
    name: str
    peers: dict[str, Peer] = field(default_factory=dict)


# Not frozen, though never changed: a frozen dataclass is slower to make,
# and one is made for every relayed message.
@dataclass(slots=True)
class Send:
    conn: Connection
    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Close:
    conn: Connection
    code: int
    reason: str


class External:
    """An action for what lies beyond this process (the shared state of a
    cluster, see clustercore): the adapter hands it to its ``_effect``."""

    __slots__ = ()


Action = Send | Close | External


@dataclass(slots=True)
class Stats:
    """Counters behind /metrics."""

    relayed: int = 0
    frames: int = 0
    joins: int = 0
    resumes: int = 0
    refused: Counter[str] = field(default_factory=Counter)


class SignalingCore:
    """Every rule of the signaling protocol, driven by events."""

    def __init__(
        self,
        limits: Limits,
        *,
        server_name: str,
        resume_secret: bytes,
        heartbeat: float,
        token_secret: str | None = None,
        ice_servers: IceServers | None = None,
    ) -> None:
        self.limits = limits
        self.server_name = server_name
        self.heartbeat = heartbeat
        self._resume_key = resume_key(resume_secret, token_secret)
        self._token_secret = token_secret
        self._ice_provider = ice_servers
        self._ice_servers = ice_servers or (lambda _peer, _now: [])
        self.rooms: dict[str, Room] = {}
        self.connections: set[Connection] = set()
        self.stats = Stats()
        # Peers that left or expired, so their resume tokens stop working
        # (a server restart forgets this, which is what lets peers resume then).
        self._gone: OrderedDict[str, float] = OrderedDict()
        # Connections that have not said hello yet, and when they must have.
        # Timeouts are all alike, so insertion order is deadline order.
        self._ungreeted: dict[Connection, float] = {}
        self.pending_bytes = 0  # kept for reconnecting peers, over all of them
        self.closing = False

    # -- events ----------------------------------------------------------

    def open(self, now: float) -> Connection:
        conn = Connection(TokenBucket(self.limits.rate, self.limits.burst, now))
        self.connections.add(conn)
        if self.limits.hello_timeout > 0:
            self._ungreeted[conn] = now + self.limits.hello_timeout
        return conn

    def receive(self, conn: Connection, frame: str | bytes, now: float) -> list[Action]:
        """Handle one frame from ``conn``; return what to send or close."""
        if conn.closed:
            return []
        self.stats.frames += 1
        try:
            if not conn.bucket.take(now):
                raise ProtocolError(ErrorCode.RATE_LIMITED, "too many messages; slow down")
            request = p.parse(frame, self.limits.max_frame_bytes)
        except ProtocolError as exc:
            return self._refuse(conn, exc, now)
        try:
            return self._dispatch(conn, request, now)
        except ProtocolError as exc:
            exc.request_id = request.id  # so the client knows which request failed
            return self._refuse(conn, exc, now)

    def closed(self, conn: Connection, now: float, *, left: bool) -> list[Action]:
        """The socket is gone. ``left`` means the client closed it on purpose.

        A peer that dropped without leaving keeps its id and room for the
        resume grace period; the others hear of it only if it does not return.
        """
        conn.closed = True
        self.connections.discard(conn)
        self._ungreeted.pop(conn, None)
        peer, conn.peer = conn.peer, None
        if peer is None or peer.conn is not conn:
            return []
        if left or self.limits.resume_grace <= 0:
            return self._remove(peer, now, "left" if left else "disconnected")
        peer.conn = None
        peer.detached_at = now
        return []

    def expire(self, now: float) -> list[Action]:
        """Close connections that never said hello in time, and announce as
        left every detached peer whose grace period is over."""
        actions: list[Action] = []
        ungreeted = self._ungreeted
        while ungreeted:
            conn, deadline = next(iter(ungreeted.items()))
            if deadline > now:
                break
            del ungreeted[conn]
            # Each one holds a socket and buffers: without a deadline, idle
            # connections would cost the server for as long as they stay.
            reason = f"no hello within {self.limits.hello_timeout:g} s"
            actions.append(Close(conn, CloseCode.POLICY, reason))
        for room in list(self.rooms.values()):
            for peer in list(room.peers.values()):
                if peer.conn is None and now - peer.detached_at >= self.limits.resume_grace:
                    actions += self._remove(peer, now, "timeout")
        self._forget_gone(now)
        return actions

    def refresh_ice_servers(self, now: float) -> list[Action]:
        """Fresh ``iceServers`` (new TURN credentials) for every connected peer.

        The server calls this well before credentials expire, so a long
        session can still open new connections; without a provider it is a
        no-op.
        """
        if self._ice_provider is None:
            return []
        return [
            Send(peer.conn, {"type": "ice-servers", "iceServers": self._ice_provider(peer.id, now)})
            for room in self.rooms.values()
            for peer in room.peers.values()
            if peer.conn is not None
        ]

    def next_expiry(self) -> float | None:
        """When :meth:`expire` next has work to do, if ever."""
        times = [
            peer.detached_at + self.limits.resume_grace
            for room in self.rooms.values()
            for peer in room.peers.values()
            if peer.conn is None
        ]
        if self._ungreeted:
            times.append(next(iter(self._ungreeted.values())))
        return min(times, default=None)

    def shutdown(self) -> list[Action]:
        """Close every connection with going-away and keep peers resumable."""
        self.closing = True
        return [
            Close(conn, CloseCode.GOING_AWAY, "server shutting down") for conn in self.connections
        ]

    # -- requests --------------------------------------------------------

    def _dispatch(self, conn: Connection, request: p.Request, now: float) -> list[Action]:
        if type(request) is p.Relay and conn.peer is not None:
            return self._relay(conn.peer, request)  # most requests, by far
        if isinstance(request, p.Ping):
            return [Send(conn, {"type": "pong", "id": request.id})]
        if isinstance(request, p.Hello):
            if request.version != p.VERSION:
                raise ProtocolError(
                    ErrorCode.UNSUPPORTED_VERSION,
                    f"this server speaks protocol version {p.VERSION}, not {request.version}",
                )
            conn.greeted = True
            self._ungreeted.pop(conn, None)
            limits = self.limits.describe(self.heartbeat)
            return [Send(conn, p.hello(self.server_name, limits, request.id))]
        if not conn.greeted:
            raise ProtocolError(ErrorCode.HELLO_REQUIRED, "send 'hello' first")
        if isinstance(request, p.Join):
            return self._join(conn, request, now)
        peer = conn.peer
        if peer is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, "join a room first")
        if isinstance(request, p.Leave):
            conn.peer = None
            reply = Send(conn, {"type": "left", "id": request.id})
            return [reply, *self._remove(peer, now, "left")]
        return self._relay(peer, request)

    def _join(self, conn: Connection, join: p.Join, now: float) -> list[Action]:
        if self.closing:
            raise ProtocolError(ErrorCode.SHUTTING_DOWN, "the server is shutting down")
        if conn.peer is not None:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, "already in a room; leave first")
        if join.resume:
            resumed = self._resume(conn, join, now)
            if resumed is not None:
                return resumed
        grant = self._authorize(join, now)
        room = self.rooms.get(join.room)
        if room is None and len(self.rooms) >= self.limits.max_rooms:
            raise ProtocolError(ErrorCode.TOO_MANY_ROOMS, "the server has too many rooms")
        if room is not None and len(room.peers) >= self.limits.max_room_size:
            raise ProtocolError(ErrorCode.ROOM_FULL, f"room {join.room!r} is full")
        room = room or self.rooms.setdefault(join.room, Room(join.room))
        peer_id = secrets.token_urlsafe(12)
        return self._admit(conn, room, peer_id, join, grant, now, resumed=False)

    def _resume(self, conn: Connection, join: p.Join, now: float) -> list[Action] | None:
        assert join.resume is not None
        resume = verify_resume_token(
            self._resume_key, join.resume, join.room, now, self.limits.resume_max_age
        )
        if resume is None or resume.peer in self._gone:
            return None  # a stale resume is an ordinary join with a new id
        room = self.rooms.get(join.room)
        peer = room.peers.get(resume.peer) if room else None
        if peer is None:
            # We do not know the peer but signed its token: the server was
            # restarted. Re-admit it under its old id, with the identity and
            # permissions of the join grant the token carries, so the peer
            # connections the others hold to it stay meaningful.
            if room is None and len(self.rooms) >= self.limits.max_rooms:
                raise ProtocolError(ErrorCode.TOO_MANY_ROOMS, "the server has too many rooms")
            if room is not None and len(room.peers) >= self.limits.max_room_size:
                raise ProtocolError(ErrorCode.ROOM_FULL, f"room {join.room!r} is full")
            room = room or self.rooms.setdefault(join.room, Room(join.room))
            return self._admit(conn, room, resume.peer, join, resume.grant, now, resumed=True)
        actions: list[Action] = []
        if peer.conn is not None:
            # The old socket is still open (the client noticed the drop
            # first): the newer connection wins.
            old = peer.conn
            old.peer = None
            actions.append(Close(old, CloseCode.REPLACED, "resumed on another connection"))
        peer.conn = conn
        conn.peer = peer
        self.stats.resumes += 1
        logs.event("peer-resumed", room=peer.room.name, peer=peer.id)
        actions.append(Send(conn, self._welcome(peer, join, now, resumed=True)))
        actions += [Send(conn, message) for message in self._take_pending(peer)]
        return actions

    def _authorize(self, join: p.Join, now: float) -> Grant | None:
        if self._token_secret is None:
            return None
        return verify_join_token(self._token_secret, join.token, join.room, now)

    def _admit(
        self,
        conn: Connection,
        room: Room,
        peer_id: str,
        join: p.Join,
        grant: Grant | None,
        now: float,
        *,
        resumed: bool,
    ) -> list[Action]:
        identity = grant.identity if grant and grant.identity else None
        peer = Peer(
            id=peer_id,
            room=room,
            name=join.name or identity or "",
            identity=identity,
            permissions=grant.permissions if grant else (),
            conn=conn,
            grant=grant,
        )
        others = list(room.peers.values())
        room.peers[peer_id] = peer
        conn.peer = peer
        if resumed:
            self.stats.resumes += 1
        else:
            self.stats.joins += 1
        logs.event("peer-joined", room=room.name, peer=peer_id, resumed=resumed)
        joined = {"type": "peer-joined", **peer.describe()}
        actions: list[Action] = [Send(conn, self._welcome(peer, join, now, resumed=resumed))]
        actions += self._to_peers(others, joined)
        return actions

    def _welcome(self, peer: Peer, join: p.Join, now: float, *, resumed: bool) -> dict[str, Any]:
        return {
            "type": "welcome",
            "id": join.id,
            "peer": peer.id,
            "room": peer.room.name,
            "name": peer.name,
            "resumed": resumed,
            "peers": [o.describe() for o in peer.room.peers.values() if o is not peer],
            "iceServers": self._ice_servers(peer.id, now),
            # The fresh token carries the same grant: resuming never extends it.
            "resume": issue_resume_token(
                self._resume_key, peer.room.name, peer.id, now, peer.grant
            ),
            "limits": self.limits.describe(self.heartbeat),
        }

    def _relay(self, sender: Peer, relay: p.Relay) -> list[Action]:
        target = sender.room.peers.get(relay.to)
        if target is None or target is sender:
            raise ProtocolError(
                ErrorCode.UNKNOWN_PEER, f"no peer {relay.to[:64]!r} in room {sender.room.name!r}"
            )
        # Built here, from validated fields only: whatever `from` the client
        # put in its frame is never looked at.
        message = {"type": relay.type, "from": sender.id, **relay.body}
        if target.conn is None:
            if not self._keep(target, message):
                raise ProtocolError(ErrorCode.PEER_BUSY, f"peer {relay.to!r} is reconnecting")
            self.stats.relayed += 1
            return []
        self.stats.relayed += 1
        return [Send(target.conn, message)]

    # -- helpers ---------------------------------------------------------

    def _remove(self, peer: Peer, now: float, reason: str) -> list[Action]:
        room = peer.room
        if room.peers.get(peer.id) is not peer:
            return []
        del room.peers[peer.id]
        self._take_pending(peer)
        if not room.peers:
            del self.rooms[room.name]
        self._gone[peer.id] = now
        self._gone.move_to_end(peer.id)
        logs.event("peer-left", room=room.name, peer=peer.id, reason=reason)
        return self._to_peers(
            list(room.peers.values()), {"type": "peer-left", "peer": peer.id, "reason": reason}
        )

    def _to_peers(self, peers: list[Peer], message: dict[str, Any]) -> list[Action]:
        actions: list[Action] = []
        for other in peers:
            if other.conn is not None:
                actions.append(Send(other.conn, message))
            else:
                self._keep(other, message)
        return actions

    def _keep(self, peer: Peer, message: dict[str, Any]) -> bool:
        """Keep ``message`` for a reconnecting peer if it fits; say whether it did.

        What is kept goes into the peer's send queue when it resumes, so it
        is held to that queue's bound, and the whole server to its bound on
        queued bytes: peers that connect, join and drop must not be a way
        around them.
        """
        size = len(p.encode_utf8(message)) + p.FRAME_OVERHEAD
        limits = self.limits
        if (
            len(peer.pending) >= limits.max_pending
            or peer.pending_bytes + size > limits.send_queue_bytes
            or self.pending_bytes + size > limits.max_queued_bytes
        ):
            return False
        peer.pending.append((message, size))
        peer.pending_bytes += size
        self.pending_bytes += size
        return True

    def _take_pending(self, peer: Peer) -> list[dict[str, Any]]:
        """Empty what was kept for ``peer`` and return it, oldest first."""
        messages = [message for message, _ in peer.pending]
        peer.pending.clear()
        self.pending_bytes -= peer.pending_bytes
        peer.pending_bytes = 0
        return messages

    def _refuse(self, conn: Connection, exc: ProtocolError, now: float) -> list[Action]:
        self.stats.refused[str(exc.code)] += 1
        errors = conn.errors
        errors.append(now)
        window = self.limits.error_window
        old = 0
        while now - errors[old] > window:
            old += 1
        del errors[:old]
        actions: list[Action] = [Send(conn, exc.to_message())]
        if len(errors) > self.limits.max_errors:
            actions.append(Close(conn, CloseCode.POLICY, "too many refused messages"))
        return actions

    def _forget_gone(self, now: float) -> None:
        horizon = now - self.limits.resume_max_age
        gone = self._gone
        while gone and (next(iter(gone.values())) < horizon or len(gone) > 100_000):
            gone.popitem(last=False)

    @property
    def peer_count(self) -> int:
        return sum(len(room.peers) for room in self.rooms.values())
