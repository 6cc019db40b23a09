"""ClusterCore without I/O: two processes' cores and an in-memory shared state.

:class:`Shared` plays Redis with the rules of redisstate's Lua scripts (caps,
announcing to the other processes, resume ownership, gone peers), so each
test is a transcript of clients on two processes, with nothing but the
cores' own logic under test. The real scripts against a real redis-server
are in test_cluster.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from avacollab.signaling.clustercore import (
    LOST,
    MARK_EVERY,
    ClusterCore,
    Confirm,
    Confirmed,
    Depart,
    Flow,
    Forward,
    Member,
    Outcome,
    Reserve,
    mark_envelope,
    parse_envelope,
    read_envelope,
)
from avacollab.signaling.core import Action, Close, Connection, Limits, Send
from avacollab.signaling.protocol import CloseCode, ErrorCode, encode_utf8

from .corekit import SERVER_SECRET, T0


@dataclass
class Shared:
    """The shared state: rooms of (proc, info), and the processes' inboxes."""

    max_room_size: int = 32
    max_rooms: int = 100
    rooms: dict[str, dict[str, tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    cores: dict[str, ClusterCore] = field(default_factory=dict)
    down: bool = False
    heard: dict[Connection, list[dict[str, Any]]] = field(default_factory=dict)
    closed: dict[Connection, int] = field(default_factory=dict)

    def core(self, proc: str) -> ClusterCore:
        limits = Limits(max_room_size=self.max_room_size, max_rooms=self.max_rooms)
        core = ClusterCore(
            limits, proc=proc, server_name="test", resume_secret=SERVER_SECRET, heartbeat=10.0
        )
        self.cores[proc] = core
        return core

    def tell(self, room: str, proc: str, envelope: dict[str, Any]) -> None:
        for other in {p for p, _ in self.rooms.get(room, {}).values()} - {proc}:
            self.run(other, self.cores[other].deliver(encode_utf8(envelope), T0))

    def run(self, proc: str, actions: list[Action]) -> None:
        core = self.cores[proc]
        for action in actions:
            if isinstance(action, Send):
                self.heard.setdefault(action.conn, []).append(action.message)
            elif isinstance(action, Close):
                self.closed[action.conn] = action.code
            elif isinstance(action, Forward):
                self.run(action.proc, self.cores[action.proc].deliver(action.envelope, T0))
            elif isinstance(action, Depart):
                members = self.rooms.get(action.room, {})
                if members.get(action.peer, ("",))[0] == proc:
                    del members[action.peer]
                    self.tell(action.room, proc, {
                        "k": "left", "room": action.room, "peer": action.peer,
                        "reason": action.reason})  # fmt: skip
                if action.gone:
                    self.gone.add(action.peer)
            elif isinstance(action, Reserve):
                self.run(
                    proc, core.reserved(action.conn, action.ticket, self.join(proc, action), T0)
                )

    def join(self, proc: str, action: Reserve) -> Outcome:
        ticket = action.ticket
        if self.down:
            return Outcome(ErrorCode.UNAVAILABLE)
        if ticket.resume and ticket.peer in self.gone:
            return Outcome(None, ticket.peer, gone=True)
        room = ticket.join.room
        members = self.rooms.get(room, {})
        if ticket.peer not in members:
            if not members and len([r for r in self.rooms.values() if r]) >= self.max_rooms:
                return Outcome(ErrorCode.TOO_MANY_ROOMS)
            if len(members) >= self.max_room_size:
                return Outcome(ErrorCode.ROOM_FULL)
        before = [Member(peer, p, info) for peer, (p, info) in members.items()]
        self.tell(room, proc, {
            "k": "join", "room": room, "peer": ticket.peer, "proc": proc,
            "info": ticket.info})  # fmt: skip
        self.rooms.setdefault(room, {})[ticket.peer] = (proc, ticket.info)
        return Outcome(None, ticket.peer, tuple(before))

    def reap(self, proc: str) -> None:
        """What a heartbeat does for a process whose key expired."""
        for room, members in self.rooms.items():
            for peer in [peer for peer, (p, _) in members.items() if p == proc]:
                del members[peer]
                self.tell(room, proc, {"k": "left", "room": room, "peer": peer, "reason": LOST})


class Client:
    def __init__(self, shared: Shared, proc: str) -> None:
        self.shared, self.proc = shared, proc
        self.conn = shared.cores[proc].open(T0)
        self.id = ""

    def say(self, message: dict[str, Any]) -> None:
        core = self.shared.cores[self.proc]
        self.shared.run(self.proc, core.receive(self.conn, json.dumps(message), T0))

    def heard(self) -> list[dict[str, Any]]:
        messages = self.shared.heard.pop(self.conn, [])
        return messages

    def join(self, room: str = "room", **extra: Any) -> dict[str, Any]:
        self.say({"type": "hello", "version": 1})
        self.say({"type": "join", "room": room, **extra})
        *_, welcome = self.heard()
        assert welcome["type"] == "welcome", welcome
        self.id = welcome["peer"]
        return welcome


def two() -> Shared:
    shared = Shared()
    shared.core("P1")
    shared.core("P2")
    return shared


def test_members_of_two_processes_see_each_other_and_relay() -> None:
    shared = two()
    alice, bob = Client(shared, "P1"), Client(shared, "P2")
    alice.join(name="alice")
    welcome = bob.join(name="bob")
    assert welcome["peers"] == [{"peer": alice.id, "name": "alice"}]
    assert alice.heard() == [{"type": "peer-joined", "peer": bob.id, "name": "bob"}]
    alice.say({"type": "offer", "to": bob.id, "sdp": "o"})
    assert bob.heard() == [{"type": "offer", "from": alice.id, "sdp": "o"}]
    bob.say({"type": "leave"})
    assert alice.heard() == [{"type": "peer-left", "peer": bob.id, "reason": "left"}]
    alice.say({"type": "offer", "to": bob.id, "sdp": "o"})
    assert alice.heard()[0]["code"] == "unknown-peer"


def test_caps_and_unavailable_are_refused_with_the_request_id() -> None:
    shared = two()
    shared.max_room_size = 1
    Client(shared, "P1").join()
    late = Client(shared, "P2")
    late.say({"type": "hello", "version": 1})
    late.say({"type": "join", "room": "room", "id": 3})
    assert [(m["code"], m["id"]) for m in late.heard()[1:]] == [("room-full", 3)]
    shared.down = True
    late.say({"type": "join", "room": "other", "id": 4})
    assert [(m["code"], m["id"]) for m in late.heard()] == [("unavailable", 4)]
    assert shared.cores["P2"].cluster.unavailable == 1


def test_a_second_join_while_one_is_reserved_is_refused() -> None:
    core = two().cores["P1"]
    conn = core.open(T0)
    core.receive(conn, json.dumps({"type": "hello", "version": 1}), T0)
    (reserve,) = core.receive(conn, json.dumps({"type": "join", "room": "r"}), T0)
    assert isinstance(reserve, Reserve)
    (refused,) = core.receive(conn, json.dumps({"type": "join", "room": "r", "id": 9}), T0)
    assert isinstance(refused, Send) and refused.message["code"] == "already-joined"


def test_a_connection_gone_before_its_reservation_is_departed() -> None:
    core = two().cores["P1"]
    conn = core.open(T0)
    core.receive(conn, json.dumps({"type": "hello", "version": 1}), T0)
    (reserve,) = core.receive(conn, json.dumps({"type": "join", "room": "r"}), T0)
    assert isinstance(reserve, Reserve)
    core.closed(conn, T0, left=False)
    actions = core.reserved(conn, reserve.ticket, Outcome(None, reserve.ticket.peer), T0)
    assert actions == [Depart("r", reserve.ticket.peer, "left", gone=True)]
    assert not core.rooms


def test_a_dead_process_peers_are_announced_lost_and_resume_elsewhere() -> None:
    shared = two()
    alice, bob = Client(shared, "P1"), Client(shared, "P2")
    token = alice.join(name="alice")["resume"]
    bob.join(name="bob")
    alice.heard()
    shared.reap("P1")
    assert bob.heard() == [{"type": "peer-left", "peer": alice.id, "reason": LOST}]
    again = Client(shared, "P2")
    # Clients send their name again with the token (the token does not carry it).
    welcome = again.join(resume=token, name="alice")
    assert (welcome["peer"], welcome["resumed"]) == (alice.id, True)
    assert bob.heard() == [{"type": "peer-joined", "peer": alice.id, "name": "alice"}]


def test_a_resume_on_another_live_process_moves_the_peer_silently() -> None:
    shared = two()
    alice, bob = Client(shared, "P1"), Client(shared, "P2")
    token = alice.join(name="alice")["resume"]
    bob.join(name="bob")
    alice.heard()
    moved = Client(shared, "P2")
    assert moved.join(resume=token)["peer"] == alice.id
    assert shared.closed[alice.conn] == CloseCode.REPLACED
    assert bob.heard() == []  # a resume is news to nobody
    assert "room" not in shared.cores["P1"].rooms  # its only peer moved away
    bob.say({"type": "answer", "to": alice.id, "sdp": "a"})
    assert moved.heard() == [{"type": "answer", "from": bob.id, "sdp": "a"}]


def test_a_peer_that_left_cannot_resume_on_any_process() -> None:
    shared = two()
    alice = Client(shared, "P1")
    token = alice.join()["resume"]
    alice.say({"type": "leave"})
    late = Client(shared, "P2")
    welcome = late.join(resume=token)
    assert welcome["peer"] != alice.id and not welcome["resumed"]


def test_resync_announces_what_was_missed() -> None:
    shared = two()
    alice, bob = Client(shared, "P1"), Client(shared, "P2")
    alice.join()
    bob.join()
    alice.heard()
    core = shared.cores["P1"]
    ghost = Member("ghost", "P3", {"peer": "ghost", "name": "g"})
    shared.run("P1", core.resync("room", [ghost, Member(alice.id, "P1", {})]))
    assert alice.heard() == [
        {"type": "peer-left", "peer": bob.id, "reason": LOST},
        {"type": "peer-joined", "peer": "ghost", "name": "g"},
    ]
    assert core.resync("elsewhere", [ghost]) == []


def test_bad_envelopes_are_counted_and_dropped() -> None:
    core = two().cores["P1"]
    for data in (b"not json", b"[]", b'{"k": "join", "room": "r"}', b'{"k": "what", "room": "r"}',
                 b'{"k": "relay", "room": 1, "to": "x", "m": {}}',
                 b"x" * (core.max_envelope_bytes + 1)):  # fmt: skip
        assert core.deliver(data, T0) == []
        assert parse_envelope(data, core.max_envelope_bytes) is None
    assert core.cluster.dropped == 6
    # Well-formed but for nobody here: nothing happens.
    assert core.deliver(b'{"k": "relay", "room": "r", "to": "x", "m": {}}', T0) == []


def test_a_mark_is_answered_and_its_answer_reported() -> None:
    core = two().cores["P1"]
    assert core.deliver(mark_envelope("P2", 5000), T0) == [Confirm("P2", 5000)]
    assert core.deliver(read_envelope("P2", 7000), T0) == [Confirmed("P2", 7000)]
    for data in (b'{"k": "mark", "room": "", "proc": "P2", "n": -1}',
                 b'{"k": "mark", "room": "", "proc": "P2", "n": true}',
                 b'{"k": "read", "room": "", "n": 1}',
                 b'{"k": "read", "proc": "P2", "n": 1}'):  # fmt: skip
        assert core.deliver(data, T0) == []
    assert core.cluster.dropped == 4


def test_flow_marks_every_so_many_bytes_and_counts_what_is_unread() -> None:
    flow = Flow()
    assert flow.published("P2", MARK_EVERY - 1) is None
    assert flow.published("P2", 1) == MARK_EVERY
    assert flow.published("P2", 10) is None
    assert flow.published("P3", MARK_EVERY * 2) == MARK_EVERY * 2
    assert (flow.unread("P2"), flow.unread("P3")) == (MARK_EVERY + 10, MARK_EVERY * 2)
    flow.confirmed("P2", MARK_EVERY)
    flow.confirmed("P2", 5)  # late, for less: changes nothing
    assert flow.unread("P2") == 10
    flow.confirmed("P3", MARK_EVERY * 3)  # more than was sent: about bytes forgotten
    assert flow.unread("P3") == MARK_EVERY * 2
    flow.forget("P3")
    assert (flow.unread("P2"), flow.unread("P3")) == (10, 0)
    flow.confirmed("P3", 1)  # nothing sent since it was forgotten
    assert flow.unread("P3") == 0
    flow.forget()
    assert flow.unread("P2") == 0
    assert flow.published("P2", MARK_EVERY) == MARK_EVERY  # counted from 0 again


def test_what_arrives_while_a_join_is_in_redis_is_applied_after_it() -> None:
    """Redis counts a newcomer before its process hears back: the room's other
    processes may announce joins and leaves, and relay to it, first."""
    core = two().cores["P2"]
    conn = core.open(T0)
    core.receive(conn, json.dumps({"type": "hello", "version": 1}), T0)
    (reserve,) = core.receive(conn, json.dumps({"type": "join", "room": "r"}), T0)
    assert isinstance(reserve, Reserve)
    me = reserve.ticket.peer
    early: list[dict[str, Any]] = [
        {"k": "join", "room": "r", "peer": "X", "proc": "P1", "info": {"peer": "X", "name": "x"}},
        {"k": "left", "room": "r", "peer": "Y", "reason": "left"},
        {"k": "relay", "room": "r", "to": me, "m": {"type": "offer", "from": "X", "sdp": "o"}},
    ]
    for envelope in early:
        assert core.deliver(encode_utf8(envelope), T0) == []
    # The answer's snapshot is older than those: Y was still there, X not yet.
    y = Member("Y", "P1", {"peer": "Y", "name": "y"})
    actions = core.reserved(conn, reserve.ticket, Outcome(None, me, (y,)), T0)
    heard = [a.message for a in actions if isinstance(a, Send) and a.conn is conn]
    assert [m["type"] for m in heard] == ["welcome", "peer-joined", "peer-left", "offer"]
    assert heard[0]["peers"] == [{"peer": "Y", "name": "y"}]
    assert (heard[1]["peer"], heard[2]["peer"]) == ("X", "Y")
    assert set(core.remote["r"]) == {"X"}
    # Afterwards, envelopes for the room are taken at once.
    left = {"k": "left", "room": "r", "peer": "X", "reason": "left"}
    (told,) = core.deliver(encode_utf8(left), T0)
    assert isinstance(told, Send) and told.message["type"] == "peer-left"


def test_what_arrives_for_a_refused_join_goes_to_those_in_the_room() -> None:
    shared = two()
    alice = Client(shared, "P2")
    alice.join("r")
    core = shared.cores["P2"]
    conn = core.open(T0)
    core.receive(conn, json.dumps({"type": "hello", "version": 1}), T0)
    (reserve,) = core.receive(conn, json.dumps({"type": "join", "room": "r"}), T0)
    assert isinstance(reserve, Reserve)
    joined = {"k": "join", "room": "r", "peer": "X", "proc": "P1", "info": {"peer": "X"}}
    assert core.deliver(encode_utf8(joined), T0) == []
    actions = core.reserved(conn, reserve.ticket, Outcome(ErrorCode.ROOM_FULL), T0)
    shared.run("P2", actions)
    assert alice.heard() == [{"type": "peer-joined", "peer": "X"}]
    assert [m["code"] for m in shared.heard[conn]] == ["room-full"]
