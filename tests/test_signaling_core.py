"""SignalingCore as a protocol: frames in, the exact Send/Close actions out.

No sockets and no event loop: each test is a transcript of clients talking to
one core (see tests/corekit.py), with time a number the test moves. What the
aiohttp adapter adds (heartbeats, origins, real closes) is tested in
test_server.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from avacollab.signaling.core import (
    Close,
    Send,
)
from avacollab.signaling.protocol import VERSION, CloseCode
from avacollab.signaling.tokens import issue_join_token, resume_key, verify_resume_token

from .corekit import JOIN_SECRET, SERVER_SECRET, T0, Driver, make_core

LIMITS = {
    "maxFrameBytes": 64 * 1024,
    "rate": 50.0,
    "burst": 200,
    "maxRoomSize": 32,
    "heartbeat": 10.0,
    "resumeGrace": 30.0,
}


def error(code: str, request_id: Any = None) -> dict[str, Any]:
    """The shape of an error reply, message text aside (checked where it matters)."""
    return {"type": "error", "code": code, "id": request_id}


def without_message(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "message"} for r in replies]


# -- hello -------------------------------------------------------------------


def test_hello_is_answered_with_version_server_and_limits() -> None:
    d = Driver()
    alice = d.open()
    assert alice.say({"type": "hello", "version": VERSION, "id": 7}) == [
        {"type": "hello", "version": VERSION, "server": "test", "limits": LIMITS, "id": 7}
    ]


def test_a_wrong_version_is_refused_and_the_connection_stays_usable() -> None:
    d = Driver()
    alice = d.open()
    (refused,) = alice.say({"type": "hello", "version": 99, "id": "h"})
    assert without_message([refused]) == [error("unsupported-version", "h")]
    assert "version 1, not 99" in refused["message"]
    # Until a hello is accepted, only ping works.
    assert without_message(alice.say({"type": "join", "room": "room", "id": 1})) == [
        error("hello-required", 1)
    ]
    assert alice.say({"type": "ping", "id": 2}) == [{"type": "pong", "id": 2}]
    assert alice.hello()["type"] == "hello"
    assert alice.join()["type"] == "welcome"
    assert not alice.closes


def test_bad_frames_get_stable_codes_with_the_request_id() -> None:
    d = Driver(make_core(token_secret=None, max_frame_bytes=200))
    alice = d.member()
    transcript: list[tuple[str | bytes, dict[str, Any]]] = [
        (b"\x00binary", error("bad-frame")),
        ("{not json", error("bad-json")),
        ("[1, 2]", error("invalid")),
        ('{"type": "hello!", "id": 3}', error("unknown-type", 3)),
        ('{"type": "offer", "to": "x", "id": 4}', error("invalid", 4)),
        ('{"type": "ping", "pad": "' + "x" * 200 + '"}', error("too-large")),
    ]
    for frame, expected in transcript:
        assert without_message(alice.say(frame)) == [expected], frame
    assert d.core.stats.refused == {
        "bad-frame": 1,
        "bad-json": 1,
        "invalid": 2,
        "unknown-type": 1,
        "too-large": 1,
    }
    assert alice.say({"type": "ping"}) == [{"type": "pong", "id": None}]


# -- join and welcome ----------------------------------------------------------


def test_welcome_lists_the_others_and_they_hear_of_the_newcomer() -> None:
    issued: list[tuple[str, float]] = []

    def ice(peer: str, now: float) -> list[dict[str, Any]]:
        issued.append((peer, now))
        return [{"urls": ["turn:127.0.0.1:3478"], "username": peer, "credential": "c"}]

    d = Driver(make_core(token_secret=None, ice_servers=ice))
    alice = d.member(name="alice")
    d.at(T0 + 5)
    bob = d.open()
    bob.hello()
    welcome = bob.join(name="bob", id="j1")
    resume = welcome.pop("resume")
    assert welcome == {
        "type": "welcome",
        "id": "j1",
        "peer": bob.id,
        "room": "room",
        "name": "bob",
        "resumed": False,
        "peers": [{"peer": alice.id, "name": "alice"}],
        "iceServers": [{"urls": ["turn:127.0.0.1:3478"], "username": bob.id, "credential": "c"}],
        "limits": LIMITS,
    }
    # Peer ids are the server's, unguessable and distinct.
    assert len(bob.id) == 16 and bob.id != alice.id
    assert issued == [(alice.id, T0), (bob.id, T0 + 5)]
    # The resume token names this peer and room, signed with the server's key.
    grant = verify_resume_token(resume_key(SERVER_SECRET, None), resume, "room", T0 + 5, 60)
    assert grant is not None and grant.peer == bob.id
    assert alice.take() == [{"type": "peer-joined", "peer": bob.id, "name": "bob"}]
    assert d.core.stats.joins == 2


def test_joining_twice_is_refused_and_rooms_are_apart() -> None:
    d = Driver()
    alice = d.member("one")
    assert without_message(alice.say({"type": "join", "room": "two", "id": 5})) == [
        error("already-joined", 5)
    ]
    bob = d.member("two")
    assert bob.take() == [] and alice.take() == []
    assert {name: list(room.peers) for name, room in d.core.rooms.items()} == {
        "one": [alice.id],
        "two": [bob.id],
    }


def test_a_join_token_is_required_when_the_server_has_a_secret() -> None:
    d = Driver(make_core(JOIN_SECRET))
    alice = d.open()
    alice.hello()
    assert without_message([alice.join()]) == [error("token-required")]
    jwt = issue_join_token(JOIN_SECRET, "room", "alice", 60, T0, ("edit",))
    welcome = alice.join(token=jwt)
    assert (welcome["name"], welcome["resumed"]) == ("alice", False)
    bob = d.member(token=issue_join_token(JOIN_SECRET, "room", "bob", 60, T0))
    assert alice.take() == [
        {"type": "peer-joined", "peer": bob.id, "name": "bob", "identity": "bob", "permissions": []}
    ]


def test_room_size_and_room_count_limits() -> None:
    d = Driver(make_core(token_secret=None, max_room_size=2, max_rooms=2))
    alice, bob = d.member("one"), d.member("one")
    carol = d.open()
    carol.hello()
    full = carol.join("one")
    assert without_message([full]) == [error("room-full")]
    assert full["message"] == "room 'one' is full"
    dave = d.member("two")
    assert without_message([carol.join("three")]) == [error("too-many-rooms")]
    # A room that empties is gone, which makes room for another.
    assert dave.say({"type": "leave", "id": 1}) == [{"type": "left", "id": 1}]
    assert carol.join("three")["type"] == "welcome"
    assert sorted(d.core.rooms) == ["one", "three"]
    assert alice.take() == [{"type": "peer-joined", "peer": bob.id, "name": ""}]


# -- relay ---------------------------------------------------------------------


def test_relay_is_stamped_with_the_sender_and_carries_only_validated_fields() -> None:
    d = Driver()
    alice, bob = d.member(), d.member()
    alice.take()
    # A forged `from` and an extra field are not passed on.
    assert (
        alice.say({"type": "offer", "to": bob.id, "sdp": "v=0", "from": bob.id, "x": 1, "id": 9})
        == []
    )
    assert bob.take() == [{"type": "offer", "from": alice.id, "sdp": "v=0"}]
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"}
    bob.say({"type": "candidate", "to": alice.id, "candidate": candidate})
    bob.say({"type": "candidate", "to": alice.id, "candidate": None})
    assert alice.take() == [
        {"type": "candidate", "from": bob.id, "candidate": candidate},
        {"type": "candidate", "from": bob.id, "candidate": None},
    ]
    assert d.core.stats.relayed == 3


def test_relay_only_reaches_a_member_of_the_senders_room() -> None:
    d = Driver()
    alice, bob = d.member("one"), d.member("one")
    stranger = d.member("two")
    alice.take()
    for to in (stranger.id, "nobody", alice.id):
        (refused,) = alice.say({"type": "answer", "to": to, "sdp": "v=0", "id": "r"})
        assert without_message([refused]) == [error("unknown-peer", "r")]
        assert refused["message"] == f"no peer {to!r} in room 'one'"
    assert d.silent(bob, stranger)
    # And only after a join.
    loner = d.open()
    loner.hello()
    assert without_message(loner.say({"type": "offer", "to": alice.id, "sdp": "v=0"})) == [
        error("not-joined")
    ]


# -- leaving -----------------------------------------------------------------


def test_leave_is_answered_and_announced_and_the_client_may_join_again() -> None:
    d = Driver()
    alice, bob = d.member(), d.member()
    alice.take()
    old = bob.id
    assert bob.say({"type": "leave", "id": "l"}) == [{"type": "left", "id": "l"}]
    assert alice.take() == [{"type": "peer-left", "peer": old, "reason": "left"}]
    assert without_message(bob.say({"type": "offer", "to": alice.id, "sdp": "v=0"})) == [
        error("not-joined")
    ]
    assert bob.join()["peer"] != old
    alice.take()
    # Closing the socket on purpose is a leave too, at once.
    bob.leave_by_closing()
    assert alice.take() == [{"type": "peer-left", "peer": bob.id, "reason": "left"}]
    assert d.core.next_expiry() is None


def test_without_a_grace_period_a_drop_is_announced_at_once() -> None:
    d = Driver(make_core(token_secret=None, resume_grace=0))
    alice, bob = d.member(), d.member()
    alice.take()
    bob.drop()
    assert alice.take() == [{"type": "peer-left", "peer": bob.id, "reason": "disconnected"}]


# -- rate and error limits ---------------------------------------------------------


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    d = Driver(make_core(token_secret=None, rate=2.0, burst=3))
    alice = d.open()
    ping = {"type": "ping"}
    pong = [{"type": "pong", "id": None}]
    assert [alice.say(ping) for _ in range(3)] == [pong] * 3
    assert without_message(alice.say(ping)) == [error("rate-limited")]
    # 2 a second: half a second buys one message, not two.
    d.at(T0 + 0.5)
    assert alice.say(ping) == pong
    assert without_message(alice.say(ping)) == [error("rate-limited")]
    # A long pause refills the burst, and no more.
    d.at(T0 + 100)
    assert [alice.say(ping) for _ in range(3)] == [pong] * 3
    assert without_message(alice.say(ping)) == [error("rate-limited")]
    assert d.core.stats.refused["rate-limited"] == 3


def test_too_many_refused_frames_within_the_window_close_the_connection() -> None:
    d = Driver(make_core(token_secret=None, max_errors=3, error_window=10.0))
    alice = d.open()
    # Refusals spread so that the window (10 s) never holds more than three.
    for second in (0, 6, 12, 18, 19):
        d.at(T0 + second)
        assert without_message(alice.say("junk")) == [error("bad-json")]
    assert alice.closes == []
    # 12, 18, 19 and now 20: the fourth within ten seconds is answered, and
    # the connection cut.
    d.at(T0 + 20)
    assert without_message(alice.say("junk")) == [error("bad-json")]
    assert alice.closes == [(CloseCode.POLICY, "too many refused messages")]


# -- resume ------------------------------------------------------------------


def test_a_drop_within_grace_is_invisible_and_relays_wait_for_the_resume() -> None:
    d = Driver(make_core(token_secret=None, resume_grace=30.0, max_pending=2))
    alice, bob = d.member(name="alice"), d.member(name="bob")
    peer = d.core.rooms["room"].peers[bob.id]
    alice.take()
    d.at(T0 + 1)
    bob.drop()
    assert d.silent(alice)
    assert d.core.next_expiry() == T0 + 31
    # While bob is away, what is meant for it waits, up to max_pending.
    carol = d.member(name="carol")
    alice.take()
    alice.say({"type": "offer", "to": bob.id, "sdp": "one"})
    assert without_message(alice.say({"type": "offer", "to": bob.id, "sdp": "x"})) == [
        error("peer-busy")
    ]
    d.at(T0 + 30.9)
    assert d.expire() == []
    back = d.open()
    back.hello()
    replies = back.say({"type": "join", "room": "room", "resume": bob.welcome["resume"], "id": 2})
    assert [r["type"] for r in replies] == ["welcome", "peer-joined", "offer"]
    assert (replies[0]["peer"], replies[0]["resumed"], replies[0]["id"]) == (bob.id, True, 2)
    assert replies[0]["peers"] == [
        {"peer": alice.id, "name": "alice"},
        {"peer": carol.id, "name": "carol"},
    ]
    assert replies[1:] == [
        {"type": "peer-joined", "peer": carol.id, "name": "carol"},
        {"type": "offer", "from": alice.id, "sdp": "one"},
    ]
    assert d.silent(alice) and d.core.next_expiry() is None
    assert d.core.rooms["room"].peers[bob.id] is peer  # the same peer, not a copy
    assert d.core.stats.resumes == 1


def test_a_dropped_peer_expires_after_the_grace_and_its_token_then_fails() -> None:
    d = Driver(make_core(token_secret=None, resume_grace=30.0))
    alice, bob, carol = d.member(), d.member(), d.member()
    alice.take()
    resume = bob.welcome["resume"]
    d.at(T0 + 2)
    bob.drop()
    d.at(T0 + 5)
    carol.drop()
    assert d.core.next_expiry() == T0 + 32
    d.at(T0 + 32)
    assert [a.conn for a in d.expire() if isinstance(a, Send | Close)] == [alice.conn]
    assert alice.take() == [{"type": "peer-left", "peer": bob.id, "reason": "timeout"}]
    assert d.core.next_expiry() == T0 + 35
    d.at(T0 + 40)
    d.expire()
    assert alice.take() == [{"type": "peer-left", "peer": carol.id, "reason": "timeout"}]
    assert d.core.next_expiry() is None
    # A token of a peer that timed out joins as a new peer.
    late = d.open()
    late.hello()
    welcome = late.join(resume=resume)
    assert welcome["resumed"] is False and welcome["peer"] != bob.id


def test_a_resume_after_a_restart_obeys_the_room_limits() -> None:
    first = Driver(make_core(token_secret=None))
    alice = first.member("one")
    bob = first.member("two")
    # A restarted server (same secrets, no memory) re-admits a peer it signed
    # a token for under its old id, but not past its own limits.
    second = Driver(make_core(token_secret=None, max_room_size=1, max_rooms=1))
    second.member("one")
    for client, code in ((alice, "room-full"), (bob, "too-many-rooms")):
        back = second.open()
        back.hello()
        refused = back.join(client.welcome["room"], resume=client.welcome["resume"])
        assert without_message([refused]) == [error(code)]
    third = Driver(make_core(token_secret=None))
    back = third.open()
    back.hello()
    welcome = back.join("two", resume=bob.welcome["resume"])
    assert (welcome["peer"], welcome["resumed"]) == (bob.id, True)
    assert third.core.peer_count == 1


def test_a_resume_on_a_new_connection_closes_the_old_one() -> None:
    d = Driver()
    alice, bob = d.member(), d.member()
    alice.take()
    again = d.open()
    again.hello()
    welcome = again.join(resume=bob.welcome["resume"])
    assert (welcome["peer"], welcome["resumed"]) == (bob.id, True)
    assert bob.closes == [(CloseCode.REPLACED, "resumed on another connection")]
    # The old socket's end is no longer the peer's: it changes nothing.
    bob.drop()
    assert d.core.next_expiry() is None and d.silent(alice)
    again.say({"type": "offer", "to": alice.id, "sdp": "v=0"})
    assert alice.take() == [{"type": "offer", "from": bob.id, "sdp": "v=0"}]


# -- shutdown ------------------------------------------------------------------


def test_shutdown_closes_every_connection_and_refuses_new_joins() -> None:
    d = Driver()
    alice, bob = d.member(), d.member()
    idle = d.open()
    actions = d.shutdown()
    assert all(isinstance(a, Close) for a in actions)
    assert {a.conn for a in actions if isinstance(a, Close)} == {alice.conn, bob.conn, idle.conn}
    for client in (alice, bob, idle):
        assert client.closes == [(CloseCode.GOING_AWAY, "server shutting down")]
    idle.hello()
    (refused,) = idle.say({"type": "join", "room": "room", "id": 1})
    assert without_message([refused]) == [error("shutting-down", 1)]
    # Members keep their place: they may resume on the next server.
    assert sorted(d.core.rooms["room"].peers) == sorted([alice.id, bob.id])


def test_a_closed_connection_is_not_listened_to() -> None:
    d = Driver()
    alice = d.member()
    alice.drop()
    frames = d.core.stats.frames
    assert alice.say({"type": "ping"}) == []
    assert d.core.stats.frames == frames


@pytest.mark.parametrize("provider", [True, False])
def test_ice_servers_are_refreshed_for_connected_peers_only(provider: bool) -> None:
    def ice(peer: str, now: float) -> list[dict[str, Any]]:
        return [{"urls": ["turn:127.0.0.1:3478"], "username": f"{now:.0f}:{peer}"}]

    d = Driver(make_core(token_secret=None, ice_servers=ice if provider else None))
    alice, bob = d.member(), d.member()
    alice.take()
    bob.drop()
    d.at(T0 + 100)
    actions = d.route(d.core.refresh_ice_servers(d.now))
    if not provider:
        assert actions == [] and d.silent(alice)
        return
    assert [a.conn for a in actions if isinstance(a, Send)] == [alice.conn]
    assert alice.take() == [
        {
            "type": "ice-servers",
            "iceServers": [
                {"urls": ["turn:127.0.0.1:3478"], "username": f"{T0 + 100:.0f}:{alice.id}"}
            ],
        }
    ]


# -- messages kept for reconnecting peers --------------------------------------------


def test_messages_kept_for_reconnecting_peers_are_bounded_in_bytes() -> None:
    sdp = "x" * 50_000
    per_peer, total = 200_000, 500_000
    d = Driver(make_core(token_secret=None, send_queue_bytes=per_peer, max_queued_bytes=total))
    sender = d.member()
    # Peers that join and drop: each keeps its place, and its messages, a while.
    dropped = [d.member() for _ in range(6)]
    for client in dropped:
        client.drop()
    sender.take()
    refused = {
        c.id: [
            r["code"]
            for _ in range(6)
            for r in sender.say({"type": "offer", "to": c.id, "sdp": sdp})
        ]
        for c in dropped
    }
    kept = {pid: peer.pending_bytes for pid, peer in d.core.rooms["room"].peers.items()}
    assert all(kept[c.id] <= per_peer for c in dropped)
    assert 0 < d.core.pending_bytes == sum(kept.values()) <= total
    # Three fit a peer's bound; past the server's bound nothing more is kept.
    assert [len(refused[c.id]) for c in dropped] == [3, 3, 3, 6, 6, 6]
    assert {code for codes in refused.values() for code in codes} == {"peer-busy"}
    # A peer that resumes gets what was kept for it, which then no longer counts.
    back = d.open()
    back.hello()
    replies = back.say({"type": "join", "room": "room", "resume": dropped[0].welcome["resume"]})
    assert [r["type"] for r in replies] == ["welcome", "offer", "offer", "offer"]
    assert d.core.pending_bytes == sum(kept[c.id] for c in dropped[1:])
    # The others' grace ends: what was kept for them goes with them.
    d.at(T0 + 100).expire()
    assert d.core.pending_bytes == 0


# -- hello timeout -------------------------------------------------------------


def test_a_connection_that_never_says_hello_is_closed_at_the_deadline() -> None:
    d = Driver(make_core(token_secret=None, hello_timeout=10.0))
    silent = d.open()
    pinger = d.at(T0 + 1).open()
    greeted = d.at(T0 + 2).open()
    greeted.hello()
    assert d.core.next_expiry() == T0 + 10
    d.at(T0 + 4)
    assert without_message(silent.say({"type": "hello", "version": 99})) == [
        error("unsupported-version")
    ]  # a refused hello is none
    d.at(T0 + 9)
    assert pinger.say({"type": "ping"}) == [{"type": "pong", "id": None}]  # nor is a ping
    assert d.at(T0 + 9.9).expire() == []
    d.at(T0 + 10).expire()
    assert silent.closes == [(CloseCode.POLICY, "no hello within 10 s")]
    assert d.silent(pinger, greeted)
    assert d.core.next_expiry() == T0 + 11
    d.at(T0 + 60).expire()
    assert pinger.closes == [(CloseCode.POLICY, "no hello within 10 s")]
    assert greeted.closes == [] and d.core.next_expiry() is None
    # A connection that goes first leaves no deadline behind.
    d.open().drop()
    assert d.core.next_expiry() is None and d.at(T0 + 100).expire() == []
