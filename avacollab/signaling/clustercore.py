"""Many server processes serving the same rooms: the rules, without I/O.

:class:`ClusterCore` is a :class:`~avacollab.signaling.core.SignalingCore`
whose rooms also hold *remote* members, peers connected to other processes.
It keeps every rule of the single-process core and adds what crossing
processes needs, as actions for the adapter (:mod:`avacollab.signaling.cluster`):

* a join is not admitted here but :class:`Reserve`\\ d in the shared state
  (Redis), whose atomic script applies the room-size and room-count caps to
  the whole cluster and answers with the room's members; :meth:`reserved`
  then admits the peer or refuses the join;
* a relay to a remote member is a :class:`Forward` to its process;
* a peer that leaves is a :class:`Depart` from the shared state;
* what other processes send (:meth:`deliver`) is an :class:`Envelope`: a
  member joined or moved here, a member left, a relay for a local peer;
  or, for flow control between processes, a *mark* (the sender asks to
  hear when this process has read up to it: a :class:`Confirm`) and the
  answer to one (:class:`Confirmed`).

Envelopes are JSON objects, ``{"k": "join" | "left" | "relay" | "mark" |
"read", "room": ...}``, published on the channel of the process that hosts
the recipient. Redis's Lua scripts write the join and left ones, so their
format is also in :mod:`avacollab.signaling.redisstate`.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from .. import logs
from . import protocol as p
from .core import Action, Close, Connection, External, Peer, Room, Send, SignalingCore
from .protocol import CloseCode, ErrorCode, ProtocolError
from .tokens import Grant, verify_resume_token

LOST = "server-lost"
"""``peer-left`` reason of a peer whose server process stopped answering:
it may come back through another process with its resume token."""
MAX_ENVELOPE_BYTES_OVER_FRAME = 4096
"""An envelope carries one relayed frame plus its addressing: one larger than
max_frame_bytes plus this is refused unread."""
MARK_EVERY = 1 << 20
"""Bytes of relays published to a process after which a mark asks it to
confirm reading them (see :class:`Flow`)."""


@dataclass(frozen=True, slots=True)
class Member:
    """A peer of a room as the shared state knows it: where it is, what others see."""

    peer: str
    proc: str
    info: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A join waiting for the shared state's answer."""

    join: p.Join
    peer: str  # the id asked for: the resume token's, or a fresh one
    grant: Grant | None
    resume: bool
    info: dict[str, Any]  # what the others are told of the peer


@dataclass(frozen=True, slots=True)
class Outcome:
    """The shared state's answer to a :class:`Reserve`.

    ``error`` is None when admitted (under ``peer``,
    with the room's ``members``, its own entry included) or the error code;
    ``gone`` says a resumed peer left for good somewhere (nothing reserved).
    """

    error: ErrorCode | None
    peer: str = ""
    members: tuple[Member, ...] = ()
    gone: bool = False


@dataclass(frozen=True, slots=True)
class Reserve(External):
    conn: Connection
    ticket: Ticket


@dataclass(frozen=True, slots=True)
class Forward(External):
    """Publish ``envelope`` to process ``proc``, in order with every other action.

    ``sender`` is the connection the relay came from: the adapter stops
    reading it while too much waits to be published (cluster.OUTBOX_BYTES).
    """

    proc: str
    envelope: bytes
    sender: Connection | None = None


@dataclass(frozen=True, slots=True)
class Depart(External):
    """Remove ``peer`` from ``room`` in the shared state and tell the room's
    other processes; ``gone`` also stops its resume token working anywhere."""

    room: str
    peer: str
    reason: str
    gone: bool


@dataclass(frozen=True, slots=True)
class Confirm(External):
    """Tell process ``proc`` that this one has read what it published here,
    up to its byte count ``count`` (the answer to its mark)."""

    proc: str
    count: int


@dataclass(frozen=True, slots=True)
class Confirmed(External):
    """Process ``proc`` has read what this one published to it up to byte ``count``."""

    proc: str
    count: int


@dataclass(slots=True)
class ClusterStats:
    forwarded: int = 0  # relays sent to another process
    delivered: int = 0  # envelopes taken from other processes
    dropped: int = 0  # envelopes refused or for nobody here
    unavailable: int = 0  # joins refused because the shared state was unreachable


def member_info(peer_id: str, name: str, grant: Grant | None) -> dict[str, Any]:
    """What the others are told of a peer (as :meth:`Peer.describe`)."""
    identity = grant.identity if grant and grant.identity else None
    info: dict[str, Any] = {"peer": peer_id, "name": name or identity or ""}
    if identity is not None:
        info["identity"] = identity
        info["permissions"] = list(grant.permissions if grant else ())
    return info


def relay_envelope(room: str, to: str, message: dict[str, Any]) -> bytes:
    return p.encode_utf8({"k": "relay", "room": room, "to": to, "m": message})


def mark_envelope(proc: str, count: int) -> bytes:
    """Process ``proc`` asks to hear when its envelopes are read up to byte ``count``."""
    return p.encode_utf8({"k": "mark", "room": "", "proc": proc, "n": count})


def read_envelope(proc: str, count: int) -> bytes:
    """Process ``proc`` has read up to byte ``count`` (the answer to a mark)."""
    return p.encode_utf8({"k": "read", "room": "", "proc": proc, "n": count})


@dataclass(frozen=True, slots=True)
class Envelope:
    kind: str
    room: str
    peer: str  # joined, left, or the relay's recipient
    proc: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    message: dict[str, Any] = field(default_factory=dict)
    count: int = 0  # of a mark or its answer


def parse_envelope(data: bytes | str, max_bytes: int) -> Envelope | None:
    """An envelope from another process, or None if malformed or too large.

    The other processes are ours, but a bad one (another version, a bug)
    must cost a log line, never this process.
    """
    if len(data) > max_bytes:
        return None
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        # orjson refuses a lone surrogate escape, which encode_utf8 writes
        # for text from elsewhere (a token's claims): the slow decoder takes it.
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
    if not isinstance(obj, dict):
        return None
    kind, room = obj.get("k"), obj.get("room")
    if not isinstance(room, str):
        return None
    if kind == "join":
        peer, proc, info = obj.get("peer"), obj.get("proc"), obj.get("info")
        if isinstance(peer, str) and isinstance(proc, str) and isinstance(info, dict):
            return Envelope("join", room, peer, proc=proc, info=info)
    elif kind == "left":
        peer, reason = obj.get("peer"), obj.get("reason")
        if isinstance(peer, str) and isinstance(reason, str):
            return Envelope("left", room, peer, reason=reason)
    elif kind == "relay":
        to, message = obj.get("to"), obj.get("m")
        if isinstance(to, str) and isinstance(message, dict):
            return Envelope("relay", room, to, message=message)
    elif kind in ("mark", "read"):
        proc, count = obj.get("proc"), obj.get("n")
        if isinstance(proc, str) and type(count) is int and count >= 0:
            return Envelope(kind, room, "", proc=proc, count=count)
    return None


class Flow:
    """Bytes of relays this process published to each other process, and
    how many of them that process has confirmed reading.

    Pub/sub has no flow control: Redis holds what a subscriber has yet to
    read, and disconnects it past its output buffer limit. So every
    MARK_EVERY bytes to a process, the publisher follows them with a mark;
    the receiving process answers it once read (:class:`Confirm`), and the
    publisher holds back while too much is unconfirmed (cluster.WINDOW_BYTES).
    """

    def __init__(self) -> None:
        self._sent: dict[str, int] = {}
        self._read: dict[str, int] = {}
        self._marked: dict[str, int] = {}

    def unread(self, proc: str) -> int:
        return self._sent.get(proc, 0) - self._read.get(proc, 0)

    def published(self, proc: str, size: int) -> int | None:
        """Count ``size`` more bytes published to ``proc``; return the byte
        count to mark, if a mark is due (every MARK_EVERY)."""
        sent = self._sent[proc] = self._sent.get(proc, 0) + size
        if sent - self._marked.get(proc, 0) < MARK_EVERY:
            return None
        self._marked[proc] = sent
        return sent

    def confirmed(self, proc: str, count: int) -> None:
        """``proc`` has read ours up to byte ``count`` (a count past what
        was sent is about bytes forgotten since, and ignored)."""
        sent = self._sent.get(proc)
        if sent is not None and count <= sent:
            self._read[proc] = max(self._read.get(proc, 0), count)

    def forget(self, proc: str | None = None) -> None:
        """Take everything sent to ``proc`` (to every process: None) as read."""
        for counts in (self._sent, self._read, self._marked):
            if proc is None:
                counts.clear()
            else:
                counts.pop(proc, None)


class ClusterCore(SignalingCore):
    """The signaling core of one process among many sharing rooms."""

    def __init__(self, *args: Any, proc: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proc = proc
        # room -> peer id -> remote member, for the rooms with a local peer.
        self.remote: dict[str, dict[str, Member]] = {}
        self._joining: dict[Connection, Ticket] = {}
        # Envelopes for rooms with a join in Redis whose answer has not come
        # back yet: Redis already counts the newcomer, so the room's other
        # processes tell us of joins, leaves and even relays to it, and the
        # listener may read them first. They are replayed once it is admitted.
        self._early: dict[str, list[Envelope]] = {}
        self.cluster = ClusterStats()
        self.max_envelope_bytes = self.limits.max_frame_bytes * 2 + MAX_ENVELOPE_BYTES_OVER_FRAME

    # -- joins -----------------------------------------------------------

    def _join(self, conn: Connection, join: p.Join, now: float) -> list[Action]:
        if self.closing:
            raise ProtocolError(ErrorCode.SHUTTING_DOWN, "the server is shutting down")
        if conn.peer is not None or conn in self._joining:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, "already in a room; leave first")
        if join.resume:
            resume = verify_resume_token(
                self._resume_key, join.resume, join.room, now, self.limits.resume_max_age
            )
            if resume is not None and resume.peer not in self._gone:
                room = self.rooms.get(join.room)
                if room is not None and resume.peer in room.peers:
                    # Still ours: the single-process resume, no shared state needed.
                    resumed = self._resume(conn, join, now)
                    assert resumed is not None
                    return resumed
                name = join.name or (resume.grant.identity if resume.grant else None) or ""
                info = member_info(resume.peer, name, resume.grant)
                return self._reserve(conn, Ticket(join, resume.peer, resume.grant, True, info))
        return self._join_fresh(conn, join, now)

    def _join_fresh(self, conn: Connection, join: p.Join, now: float) -> list[Action]:
        grant = self._authorize(join, now)
        name = join.name or (grant.identity if grant else None) or ""
        peer_id = secrets.token_urlsafe(12)
        info = member_info(peer_id, name, grant)
        return self._reserve(conn, Ticket(join, peer_id, grant, False, info))

    def _reserve(self, conn: Connection, ticket: Ticket) -> list[Action]:
        self._joining[conn] = ticket
        self._early.setdefault(ticket.join.room, [])
        return [Reserve(conn, ticket)]

    def _replay(self, room: str, now: float) -> list[Action]:
        """What came for ``room`` while a join to it was in Redis."""
        early = self._early.pop(room, [])
        if any(t.join.room == room for t in self._joining.values()):
            self._early[room] = []  # the next join's answer replays what follows
        actions: list[Action] = []
        for envelope in early:
            actions += self._take(envelope)
        return actions

    def reserved(
        self, conn: Connection, ticket: Ticket, outcome: Outcome, now: float
    ) -> list[Action]:
        """The shared state answered ``conn``'s join."""
        self._joining.pop(conn, None)
        join = ticket.join
        if outcome.error is not None or outcome.gone or conn.closed or self.closing:
            # Not admitted here: what came early is for whoever is in the room.
            replayed = self._replay(join.room, now)
            return replayed + self._not_admitted(conn, ticket, outcome, now)
        actions = self._admitted(conn, ticket, outcome, now)
        return actions + self._replay(join.room, now)

    def _not_admitted(
        self, conn: Connection, ticket: Ticket, outcome: Outcome, now: float
    ) -> list[Action]:
        join = ticket.join
        if outcome.gone and not conn.closed:
            # A stale resume is an ordinary join with a new id, as on one process.
            try:
                return self._join_fresh(conn, join, now)
            except ProtocolError as exc:
                exc.request_id = join.id
                return self._refuse(conn, exc, now)
        if outcome.gone:
            return []
        if outcome.error is not None:
            if outcome.error == ErrorCode.UNAVAILABLE:
                self.cluster.unavailable += 1
            if conn.closed:
                return []
            messages = {
                ErrorCode.ROOM_FULL: f"room {join.room!r} is full",
                ErrorCode.TOO_MANY_ROOMS: "the server has too many rooms",
                ErrorCode.UNAVAILABLE: "the shared room state is unreachable; try again soon",
            }
            message = messages.get(outcome.error, str(outcome.error))
            return self._refuse(conn, ProtocolError(outcome.error, message, join.id), now)
        # Gone while the shared state admitted it: it never had its
        # welcome, so it cannot resume; the others hear it left.
        return [Depart(join.room, outcome.peer, "left", gone=True)]

    def _admitted(
        self, conn: Connection, ticket: Ticket, outcome: Outcome, now: float
    ) -> list[Action]:
        join = ticket.join
        room = self.rooms.get(join.room) or self.rooms.setdefault(join.room, Room(join.room))
        remote = self.remote.setdefault(join.room, {})
        known = outcome.peer in remote
        for member in outcome.members:
            if member.proc != self.proc and member.peer != outcome.peer:
                remote[member.peer] = member
        remote.pop(outcome.peer, None)
        resumed = ticket.resume
        actions = self._admit(conn, room, outcome.peer, join, ticket.grant, now, resumed=resumed)
        if known:
            # It moved here from another process: the room already knows it.
            actions = [a for a in actions if isinstance(a, Send) and a.conn is conn]
        return actions

    def _welcome(self, peer: Peer, join: p.Join, now: float, *, resumed: bool) -> dict[str, Any]:
        welcome = super()._welcome(peer, join, now, resumed=resumed)
        remote = self.remote.get(peer.room.name, {})
        welcome["peers"] += [member.info for member in remote.values()]
        return welcome

    # -- relays and leaves -----------------------------------------------

    def _relay(self, sender: Peer, relay: p.Relay) -> list[Action]:
        room = sender.room
        member = None if relay.to in room.peers else self.remote.get(room.name, {}).get(relay.to)
        if member is None:
            return super()._relay(sender, relay)
        message = {"type": relay.type, "from": sender.id, **relay.body}
        self.stats.relayed += 1
        self.cluster.forwarded += 1
        envelope = relay_envelope(room.name, relay.to, message)
        return [Forward(member.proc, envelope, sender.conn)]

    def _remove(self, peer: Peer, now: float, reason: str) -> list[Action]:
        room = peer.room
        if room.peers.get(peer.id) is not peer:
            return []
        actions = super()._remove(peer, now, reason)
        if room.name not in self.rooms:
            self.remote.pop(room.name, None)  # no local peer left to tell
        actions.append(Depart(room.name, peer.id, reason, gone=True))
        return actions

    # -- what other processes send ---------------------------------------

    def deliver(self, data: bytes | str, now: float) -> list[Action]:
        """An envelope from another process's channel."""
        envelope = parse_envelope(data, self.max_envelope_bytes)
        if envelope is None:
            self.cluster.dropped += 1
            logs.event("envelope-refused", logging.WARNING, size=len(data))
            return []
        self.cluster.delivered += 1
        if envelope.kind == "mark":
            return [Confirm(envelope.proc, envelope.count)]
        if envelope.kind == "read":
            return [Confirmed(envelope.proc, envelope.count)]
        early = self._early.get(envelope.room)
        if early is not None:
            early.append(envelope)
            return []
        return self._take(envelope)

    def _take(self, envelope: Envelope) -> list[Action]:
        room = self.rooms.get(envelope.room)
        if room is None:
            return []  # nobody here to tell
        if envelope.kind == "join":
            return self._remote_joined(room, Member(envelope.peer, envelope.proc, envelope.info))
        if envelope.kind == "left":
            return self._remote_left(room, envelope.peer, envelope.reason)
        target = room.peers.get(envelope.peer)
        if target is None:
            self.cluster.dropped += 1
            return []
        if target.conn is None:
            # No error can go back to a sender on another process: past the
            # bound, the message is lost as a relay to a slow reader is.
            if not self._keep(target, envelope.message):
                self.cluster.dropped += 1
            return []
        return [Send(target.conn, envelope.message)]

    def _remote_joined(self, room: Room, member: Member) -> list[Action]:
        if member.proc == self.proc:
            return []
        local = room.peers.get(member.peer)
        remote = self.remote.setdefault(room.name, {})
        actions: list[Action] = []
        if local is not None:
            # It resumed on another process: that one has it now. No one
            # hears of it, as with any resume; what was kept for it is lost.
            del room.peers[member.peer]
            self._take_pending(local)
            if local.conn is not None:
                old, local.conn = local.conn, None
                old.peer = None
                actions.append(Close(old, CloseCode.REPLACED, "resumed on another server"))
            remote[member.peer] = member
            if not room.peers:
                del self.rooms[room.name]
                self.remote.pop(room.name, None)
            return actions
        known = member.peer in remote
        remote[member.peer] = member
        if known:
            return []
        return self._to_peers(list(room.peers.values()), {"type": "peer-joined", **member.info})

    def _remote_left(self, room: Room, peer_id: str, reason: str) -> list[Action]:
        remote = self.remote.get(room.name, {})
        if remote.pop(peer_id, None) is None:
            return []
        message = {"type": "peer-left", "peer": peer_id, "reason": reason}
        return self._to_peers(list(room.peers.values()), message)

    def resync(self, room_name: str, members: Iterable[Member]) -> list[Action]:
        """Make the remote view of a room what the shared state says it is.

        After the shared state was unreachable, events may have been lost:
        members that left meanwhile are announced left, newcomers joined.
        """
        room = self.rooms.get(room_name)
        if room is None:
            return []
        seen = {m.peer: m for m in members if m.proc != self.proc and m.peer not in room.peers}
        actions: list[Action] = []
        for peer_id in [i for i in self.remote.get(room_name, {}) if i not in seen]:
            actions += self._remote_left(room, peer_id, LOST)
        for member in seen.values():
            actions += self._remote_joined(room, member)
        return actions

    def local_members(self) -> list[tuple[str, str, dict[str, Any]]]:
        """``(room, peer, info)`` of every peer this process holds, to put
        back into a shared state that lost them."""
        return [
            (room.name, peer.id, peer.describe())
            for room in self.rooms.values()
            for peer in room.peers.values()
        ]

    @property
    def remote_count(self) -> int:
        return sum(len(members) for members in self.remote.values())
