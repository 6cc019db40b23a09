"""Presence driven by a hand-moved clock: throttling, statuses, timeouts, hostile peers."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
from typing import Any

import pytest
from avacollab_presence import (
    PALETTE,
    Cursor,
    InvalidState,
    Presence,
    PresenceChange,
    PresenceConfig,
)
from avacollab_presence.colors import preferred_slot
from avacollab_presence.presence import MAX_RETIRED_CLIENTS
from avacollab_presence.wire import Entry, decode_update, encode_update
from presence_fakes import FakeScheduler, Member, Room

VALID = json.dumps({"user": {"name": "Eve", "color": "#123456"}})


@pytest.fixture
def clock() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
def room(clock: FakeScheduler) -> Room:
    return Room(clock)


def pair(room: Room, **options: Any) -> tuple[Member, Member]:
    a = room.add("peer-a", PresenceConfig("Ada", **options))
    b = room.add("peer-b", PresenceConfig("Bob", **options))
    a.presence.start()
    b.presence.start()
    room.deliver()
    return a, b


def sent_state(data: bytes) -> Any:
    (entry,) = decode_update(data)
    return json.loads(entry.state)


def view(member: Member, peer: str) -> Any:
    return member.presence.states()[peer].state


# -- starting and the local view ----------------------------------------------


def test_nothing_is_sent_before_start_and_start_sends_everything(room: Room) -> None:
    a = room.add("peer-a", PresenceConfig("Ada"))
    a.presence.set_cursor(1, 2, "btn-1")
    a.presence.set_selection(["btn-1"])
    assert a.sent == []
    a.presence.start()
    (first,) = a.sent
    assert first.reliable
    state = sent_state(first.data)
    assert state["user"] == {"name": "Ada", "color": PALETTE[preferred_slot("peer-a")]}
    assert state["cursor"] == {"x": 1, "y": 2, "component": "btn-1"}
    assert state["selection"] == ["btn-1"]
    assert state["status"] == "active"
    with pytest.raises(RuntimeError, match="already running"):
        a.presence.start()


def test_every_peer_sees_every_other_name_color_and_cursor(room: Room) -> None:
    names = {"peer-a": "Ada", "peer-b": "Bob", "peer-c": "Cy"}
    members = {peer: room.add(peer, PresenceConfig(name)) for peer, name in names.items()}
    for n, member in enumerate(members.values()):
        member.presence.start()
        member.presence.set_cursor(n * 10, n * 20, f"c{n}")
    room.advance(0.2)
    colors = {view(m, "peer-a").user.color for m in members.values()}
    assert len(colors) == 1
    for member in members.values():
        states = member.presence.states()
        assert sorted(states) == sorted(names)
        assert {peer: s.state.user.name for peer, s in states.items()} == names
        for n, peer in enumerate(names):
            assert states[peer].state.cursor == Cursor(n * 10, n * 20, f"c{n}")
            assert states[peer].state.user.color == view(members[peer], peer).user.color
            assert states[peer].local == (member is members[peer])
    assert len({view(members[p], p).user.color for p in names}) == 3


def test_the_view_records_when_a_peer_was_last_heard(room: Room, clock: FakeScheduler) -> None:
    a, b = pair(room)
    started = clock.now
    assert a.presence.states()["peer-b"].heard_at == started
    assert a.presence.states()["peer-a"].heard_at is None
    clock.advance(1)
    b.presence.set_selection(["x"])
    room.deliver()
    assert a.presence.states()["peer-b"].heard_at == started + 1
    assert a.presence.states()["peer-b"].client_id == b.presence.client_id


# -- cursor throttling -----------------------------------------------------------


def test_a_burst_of_1000_moves_becomes_at_most_21_updates_ending_on_the_last(
    room: Room, clock: FakeScheduler
) -> None:
    a, b = pair(room)
    clock.advance(1)
    a.sent.clear()
    b.changes.clear()
    start = clock.now
    for i in range(1000):
        a.presence.set_cursor(i, 2 * i)
        room.advance(0.001)
    room.advance(0.2)
    cursor_updates = [s for s in a.sent if not s.reliable]
    assert 20 <= len(cursor_updates) <= 21
    assert cursor_updates[0].at == start  # the first move goes out at once
    assert sent_state(cursor_updates[0].data)["cursor"]["x"] == 0
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(cursor_updates)]
    assert min(gaps) >= 0.05 - 1e-9
    assert sent_state(cursor_updates[-1].data)["cursor"] == {"x": 999, "y": 1998}
    # Once the cursor rests, the last update is repeated where it cannot be lost.
    (settle,) = [s for s in a.sent if s.reliable]
    assert settle.data == cursor_updates[-1].data
    assert settle.at == pytest.approx(cursor_updates[-1].at + 0.1)
    seen = [c for c in b.changes if c.updated == ("peer-a",)]
    assert len(seen) == len(cursor_updates)
    assert view(b, "peer-a").cursor == Cursor(999, 1998)


def test_each_throttled_update_carries_the_newest_position(
    room: Room, clock: FakeScheduler
) -> None:
    a, _ = pair(room)
    a.sent.clear()
    moves: list[tuple[float, int]] = []
    for i in range(300):
        a.presence.set_cursor(i, 0)
        moves.append((clock.now, i))
        room.advance(0.0013)
    for update in a.sent:
        newest = max(i for at, i in moves if at <= update.at)
        assert sent_state(update.data)["cursor"]["x"] == newest


class LateScheduler(FakeScheduler):
    """Every timer runs ``lateness`` seconds after it was due, as a busy event loop's do."""

    lateness = 0.003

    def call_later(self, delay: float, callback: Any, /) -> Any:
        return super().call_later(delay + self.lateness, callback)


def test_moves_at_the_cursor_rate_go_out_promptly_when_timers_run_late() -> None:
    clock = LateScheduler()
    room = Room(clock)
    a, b = pair(room)
    room.advance(1)
    a.sent.clear()
    moved_at: dict[int, float] = {}
    # Each move lands a little before its slot, so each waits for the timer.
    for i in range(200):
        moved_at[i] = clock.now
        a.presence.set_cursor(i, 0)
        room.advance(0.05, step=0.0005)
    cursor_updates = [s for s in a.sent if not s.reliable]
    waits = [s.at - moved_at[sent_state(s.data)["cursor"]["x"]] for s in cursor_updates]
    # Lateness does not add up over the slots: no position is skipped and
    # none waits much more than one timer's lateness.
    assert len(cursor_updates) == 200
    assert max(waits) <= LateScheduler.lateness + 0.001
    # And while the pointer keeps moving, nothing is repeated on the reliable channel.
    assert [s for s in a.sent if s.reliable] == []
    assert view(b, "peer-a").cursor == Cursor(199, 0)


class CountingScheduler(FakeScheduler):
    timers = 0

    def call_later(self, delay: float, callback: Any, /) -> Any:
        self.timers += 1
        return super().call_later(delay, callback)


def test_a_moving_cursor_costs_less_than_a_timer_per_update() -> None:
    # Each update used to arm a timer for its slot and another for the rest
    # check; timers are loop wake-ups, paid for by every peer at 20 Hz.
    clock = CountingScheduler()
    room = Room(clock)
    a, _ = pair(room)
    room.advance(1)
    a.sent.clear()
    clock.timers = 0
    for i in range(200):
        a.presence.set_cursor(i, 0)
        room.advance(0.05, step=0.01)
    assert len([s for s in a.sent if not s.reliable]) == 200
    # The rest watch, once per two updates, and the housekeeping of both
    # peers every 3 s (it was 406: two timers per update).
    assert clock.timers <= 100 + 8
    room.advance(0.2)
    assert [s.reliable for s in a.sent][-1] is True  # and still the resting repeat


def test_a_timer_late_by_more_than_an_interval_does_not_cause_a_burst() -> None:
    clock = LateScheduler()
    clock.lateness = 0.5
    room = Room(clock)
    a, _ = pair(room)
    room.advance(1)
    a.sent.clear()
    for i in range(100):
        a.presence.set_cursor(i, 0)
        room.advance(0.01)
    cursor_updates = [s for s in a.sent if not s.reliable]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(cursor_updates)]
    assert min(gaps) >= 0.05 - 1e-9


def test_the_final_position_arrives_when_every_unreliable_update_is_lost(room: Room) -> None:
    a, b = pair(room)
    room.drop_unreliable = True
    for i in range(100):
        a.presence.set_cursor(i, i)
        room.advance(0.001)
    assert view(b, "peer-a").cursor is None
    room.advance(0.2)
    assert view(b, "peer-a").cursor == Cursor(99, 99)


def test_a_single_move_is_sent_at_once_then_settled_once(room: Room, clock: FakeScheduler) -> None:
    a, b = pair(room)
    clock.advance(1)
    a.sent.clear()
    b.changes.clear()
    a.presence.set_cursor(5, 6)
    assert [s.reliable for s in a.sent] == [False]
    room.advance(1)
    assert [s.reliable for s in a.sent] == [False, True]
    assert b.changes == [PresenceChange((), ("peer-a",), (), "remote")]


def test_a_move_right_after_another_update_waits_for_the_interval(
    room: Room, clock: FakeScheduler
) -> None:
    a, _ = pair(room)
    a.sent.clear()
    a.presence.set_selection(["x"])
    a.presence.set_cursor(1, 1)
    assert [s.reliable for s in a.sent] == [True]
    clock.advance(0.049)
    assert len(a.sent) == 1
    clock.advance(0.001)
    assert [s.reliable for s in a.sent] == [True, False]


def test_bad_cursor_positions_raise_and_change_nothing(room: Room) -> None:
    a, _ = pair(room)
    a.presence.set_cursor(1, 1)
    a.sent.clear()
    for args in [(math.nan, 0), (0, math.inf), (1e12, 0), ("1", 0), (0, 0, "")]:
        with pytest.raises(InvalidState):
            a.presence.set_cursor(*args)  # type: ignore[arg-type]
    assert a.sent == []
    assert view(a, "peer-a").cursor == Cursor(1, 1)


def test_clear_cursor_hides_it_once(room: Room) -> None:
    a, b = pair(room)
    a.presence.set_cursor(1, 1)
    room.advance(0.1)
    a.sent.clear()
    a.presence.clear_cursor()
    a.presence.clear_cursor()
    room.deliver()
    assert [s.reliable for s in a.sent] == [True]
    assert view(b, "peer-a").cursor is None


# -- other fields ------------------------------------------------------------------


def test_selection_goes_out_reliably_at_once_without_duplicates(room: Room) -> None:
    a, b = pair(room)
    a.sent.clear()
    a.presence.set_selection(["n1", "n2", "n1"])
    assert [s.reliable for s in a.sent] == [True]
    room.deliver()
    assert view(b, "peer-a").selection == ("n1", "n2")
    for bad in ["n1", ["n1", 2], ["x"] * 300, [""]]:
        with pytest.raises(InvalidState):
            a.presence.set_selection(bad)  # type: ignore[arg-type]
    assert len(a.sent) == 1


def test_a_new_name_reaches_the_others(room: Room) -> None:
    a, b = pair(room)
    a.presence.set_name("Ada L.")
    room.deliver()
    assert view(b, "peer-a").user.name == "Ada L."
    with pytest.raises(InvalidState, match="control"):
        a.presence.set_name("\x07")


def test_last_seen_is_the_wall_clock_time_of_the_last_input(
    room: Room, clock: FakeScheduler
) -> None:
    a, b = pair(room)
    clock.advance(2.5)
    a.presence.set_selection(["x"])
    room.deliver()
    expected = round(room.wall() * 1000)
    assert view(a, "peer-a").last_seen == expected
    assert view(b, "peer-a").last_seen == expected


# -- statuses ----------------------------------------------------------------------


def test_idle_then_away_on_time_and_active_on_input(room: Room, clock: FakeScheduler) -> None:
    a, b = pair(room, idle_after=10, away_after=30)
    start = clock.now
    clock.advance(9.999)
    room.deliver()
    assert view(b, "peer-a").status == "active"
    clock.advance(0.001)
    room.deliver()
    assert clock.now == start + 10
    assert view(b, "peer-a").status == "idle"
    assert a.sent[-1].reliable
    clock.advance(19.999)
    room.deliver()
    assert view(b, "peer-a").status == "idle"
    clock.advance(0.001)
    room.deliver()
    assert view(b, "peer-a").status == "away"
    a.presence.touch()
    room.deliver()
    assert view(b, "peer-a").status == "active"
    assert a.sent[-1].reliable
    clock.advance(9.999)
    room.deliver()
    assert view(b, "peer-a").status == "active"
    clock.advance(0.001)
    room.deliver()
    assert view(b, "peer-a").status == "idle"


def test_input_postpones_idle(room: Room, clock: FakeScheduler) -> None:
    a, b = pair(room, idle_after=10, away_after=30)
    clock.advance(8)
    a.sent.clear()
    a.presence.touch()
    assert a.sent == []  # already active: nothing to tell
    clock.advance(9.999)
    room.deliver()
    assert view(b, "peer-a").status == "active"
    clock.advance(0.001)
    room.deliver()
    assert view(b, "peer-a").status == "idle"


def test_a_cursor_move_wakes_an_idle_peer_with_a_reliable_update(
    room: Room, clock: FakeScheduler
) -> None:
    a, b = pair(room, idle_after=10, away_after=30)
    clock.advance(10)
    a.sent.clear()
    a.presence.set_cursor(3, 4)
    room.deliver()
    assert [s.reliable for s in a.sent] == [True]
    assert view(b, "peer-a").status == "active"
    assert view(b, "peer-a").cursor.x == 3


def test_status_set_by_hand(room: Room, clock: FakeScheduler) -> None:
    a, b = pair(room, idle_after=10, away_after=30)
    a.presence.set_status("away")
    room.deliver()
    assert view(b, "peer-a").status == "away"
    clock.advance(100)
    assert view(a, "peer-a").status == "away"
    a.presence.set_status("active")
    room.deliver()
    assert view(b, "peer-a").status == "active"
    a.presence.set_status("idle")
    room.deliver()
    assert view(b, "peer-a").status == "idle"
    clock.advance(29.999)
    assert view(a, "peer-a").status == "idle"
    clock.advance(0.001)
    assert view(a, "peer-a").status == "away"
    with pytest.raises(InvalidState, match="status"):
        a.presence.set_status("busy")  # type: ignore[arg-type]


# -- timeouts and leaving ----------------------------------------------------------


def test_a_silent_peer_is_dropped_after_the_timeout(room: Room, clock: FakeScheduler) -> None:
    a, b = pair(room)
    last_heard = clock.now
    b.connected = False  # killed: it sends nothing more
    room.advance(29.9, step=0.1)
    assert "peer-b" in a.presence.states()
    room.advance(3.2, step=0.1)  # the check runs every timeout / 10
    assert "peer-b" not in a.presence.states()
    assert [c for c in a.changes if c.origin != "local"][-1] == PresenceChange(
        (), (), ("peer-b",), "timeout"
    )
    assert clock.now - last_heard <= 30 + 3.1


def test_live_peers_renew_their_state_and_are_never_dropped(
    room: Room, clock: FakeScheduler
) -> None:
    a, b = pair(room)
    a.sent.clear()
    room.advance(120, step=0.5)
    assert sorted(a.presence.states()) == sorted(b.presence.states()) == ["peer-a", "peer-b"]
    clocks = [decode_update(s.data)[0].clock for s in a.sent]
    assert 7 <= len(clocks) <= 9  # one renewal every 15 s
    assert clocks == sorted(set(clocks))


def test_leaving_removes_the_peer_at_once(room: Room, clock: FakeScheduler) -> None:
    a, b = pair(room)
    stale = b.sent[-1].data
    b.presence.leave()
    room.deliver()
    assert sent_state(b.sent[-1].data) is None and b.sent[-1].reliable
    assert "peer-b" not in a.presence.states()
    assert a.changes[-1] == PresenceChange((), (), ("peer-b",), "remote")
    assert b.changes[-1] == PresenceChange((), (), ("peer-b",), "local")
    # A late, older update must not bring the peer back.
    assert a.presence.receive("peer-b", stale) == []
    assert "peer-b" not in a.presence.states()
    count = len(b.sent)
    b.presence.leave()
    assert len(b.sent) == count
    with pytest.raises(RuntimeError, match="left"):
        b.presence.set_cursor(1, 1)
    with pytest.raises(RuntimeError, match="left"):
        b.presence.touch()
    assert b.presence.receive("peer-a", a.sent[-1].data) == []
    assert "peer-b" not in b.presence.states()


def test_leave_stops_every_timer(clock: FakeScheduler) -> None:
    sent: list[bytes] = []
    presence = Presence(
        "peer-a", PresenceConfig("Ada"), lambda d, r: sent.append(d), scheduler=clock
    )
    presence.start()
    presence.set_cursor(1, 1)
    presence.set_cursor(2, 2)
    assert clock.pending() > 0
    presence.leave()
    assert clock.pending() == 0


def test_leaving_before_start_sends_nothing(clock: FakeScheduler) -> None:
    sent: list[bytes] = []
    presence = Presence(
        "peer-a", PresenceConfig("Ada"), lambda d, r: sent.append(d), scheduler=clock
    )
    presence.leave()
    assert sent == []
    with pytest.raises(RuntimeError, match="already left"):
        presence.start()


def test_forget_peer_drops_it_at_once(room: Room) -> None:
    a, _ = pair(room)
    a.changes.clear()
    a.presence.forget_peer("peer-b")
    a.presence.forget_peer("peer-nobody")
    assert "peer-b" not in a.presence.states()
    assert a.changes == [PresenceChange((), (), ("peer-b",), "disconnect")]


def test_an_older_update_arriving_late_is_ignored(room: Room) -> None:
    a, b = pair(room)
    b.presence.set_cursor(1, 1)
    b.presence.set_selection(["n"])
    older, newer = b.sent[-2].data, b.sent[-1].data
    a.presence.receive("peer-b", newer)
    a.changes.clear()
    assert a.presence.receive("peer-b", older) == []
    assert a.changes == []
    assert view(a, "peer-b").selection == ("n",)


def test_a_restarted_peer_replaces_its_old_state(room: Room) -> None:
    a, b = pair(room)
    old_client = b.presence.client_id
    b.connected = False
    again = room.add("peer-b", PresenceConfig("Bob again"))
    a.changes.clear()
    again.presence.start()
    room.deliver()
    assert a.presence.states()["peer-b"].client_id == again.presence.client_id != old_client
    assert view(a, "peer-b").user.name == "Bob again"
    assert a.changes == [PresenceChange((), ("peer-b",), (), "remote")]
    assert old_client not in a.presence.awareness.states


# -- hostile and malformed updates -------------------------------------------------


def test_hostile_updates_are_refused_and_disturb_nobody(room: Room) -> None:
    a, b = pair(room)
    before = a.presence.states()
    a.changes.clear()
    b_client = b.presence.client_id

    def refused(entries: list[Entry]) -> list[str]:
        return [r.reason for r in a.presence.receive("peer-evil", encode_update(entries))]

    assert refused([Entry(a.presence.client_id, 99, VALID)]) == [
        "claims the local peer's client id"
    ]
    assert refused([Entry(b_client, 99, VALID)]) == [
        f"client id {b_client} belongs to another peer"
    ]
    assert refused([Entry(b_client, 99, "null")]) == [
        f"client id {b_client} belongs to another peer"
    ]
    assert refused([Entry(4242, 1, "null")]) == ["removes a client id this peer does not own"]
    assert refused([Entry(4242, 1, '{"user": "x"}')]) == ["user must be an object, not a string"]
    assert refused(
        [
            Entry(
                4242, 1, '{"user": {"name": "E", "color": "#000000"}, "cursor": {"x": NaN, "y": 0}}'
            )
        ]
    ) == ["state is not valid JSON: NaN is not JSON"]
    assert refused([Entry(4242, 1, "")])[0].startswith("state is not valid JSON")
    assert a.presence.states() == before
    assert a.changes == []
    assert 4242 not in a.presence.awareness.meta
    assert a.presence.awareness.states[a.presence.client_id] == sent_state(a.sent[-1].data)


def test_a_peer_naming_ever_new_client_ids_leaves_a_bounded_trace(room: Room) -> None:
    a, b = pair(room)
    first, count = 10_000, 100 * 64
    for start in range(first, first + count, 64):
        update = encode_update([Entry(start + j, 1, VALID) for j in range(64)])
        assert a.presence.receive("peer-evil", update) == []
    last = first + count - 1
    assert a.presence.states()["peer-evil"].client_id == last
    # The clocks kept: the two peers', the one the hostile peer holds now,
    # and the most recent retired ones (6,400 without the bound).
    meta = a.presence.awareness.meta
    assert len(meta) == MAX_RETIRED_CLIENTS + 3
    assert {a.presence.client_id, b.presence.client_id, last, last - 1} <= set(meta)
    # A late copy of a recently retired client's update stays stale.
    assert a.presence.receive("peer-evil", encode_update([Entry(last - 1, 1, VALID)])) == []
    assert a.presence.states()["peer-evil"].client_id == last


def test_a_known_peer_turning_hostile_is_refused_and_keeps_its_last_state(room: Room) -> None:
    # Fields equal to a peer's previous state skip their checks: a hostile
    # change from a peer already known must still be caught.
    a, b = pair(room)
    b.presence.set_cursor(3, 4)
    room.deliver()
    known = a.presence.states()["peer-b"]
    a.changes.clear()
    good = sent_state(b.sent[-1].data)
    clock = a.presence.awareness.meta[known.client_id]["clock"]
    for bad in (
        {**good, "user": {"name": "evil\x1b[2J", "color": good["user"]["color"]}},
        {**good, "selection": ["ok", 7]},
        {**good, "cursor": {"x": 1e300, "y": 0}},
        {**good, "status": "gone"},
    ):
        clock += 1
        update = encode_update([Entry(known.client_id, clock, json.dumps(bad))])
        assert [r.client_id for r in a.presence.receive("peer-b", update)] == [known.client_id]
    assert a.presence.states()["peer-b"] == known
    assert a.presence.awareness.states[known.client_id] == good
    assert a.changes == []


def test_state_of_looks_up_one_peer(room: Room) -> None:
    a, b = pair(room)
    assert a.presence.state_of("peer-b") == view(a, "peer-b")
    assert a.presence.state_of("peer-a") == view(a, "peer-a")
    assert a.presence.state_of("peer-x") is None
    b.presence.leave()
    room.deliver()
    assert a.presence.state_of("peer-b") is None
    a.presence.leave()
    assert a.presence.state_of("peer-a") is None


def test_garbage_bytes_are_refused_whole(room: Room) -> None:
    a, _ = pair(room)
    (rejection,) = a.presence.receive("peer-evil", b"\x05\x01")
    assert rejection.peer_id == "peer-evil"
    assert rejection.client_id is None
    assert "runs past the end" in rejection.reason


def test_good_entries_apply_beside_a_refused_one(room: Room) -> None:
    a, _ = pair(room)
    rejections = a.presence.receive(
        "peer-c",
        encode_update(
            [Entry(77, 1, VALID), Entry(78, 1, '{"user": {"name": "", "color": "#000000"}}')]
        ),
    )
    assert [(r.client_id, r.reason) for r in rejections] == [
        (78, "user.name must have 1 to 64 characters")
    ]
    assert view(a, "peer-c").user.name == "Eve"
    assert a.presence.states()["peer-c"].client_id == 77


# -- colors ------------------------------------------------------------------------


def _same_slot_ids() -> tuple[str, str]:
    by_slot: dict[int, str] = {}
    for n in range(100):
        peer = f"peer-{n:02d}"
        slot = preferred_slot(peer)
        if slot in by_slot:
            return by_slot[slot], peer
        by_slot[slot] = peer
    raise AssertionError("no two ids share a slot")


def test_peers_starting_together_on_one_color_end_apart(room: Room) -> None:
    low, high = _same_slot_ids()
    first = room.add(low, PresenceConfig("Low"))
    second = room.add(high, PresenceConfig("High"))
    first.presence.start()
    second.presence.start()
    room.deliver()
    preferred = PALETTE[preferred_slot(low)]
    assert view(first, low).user.color == view(second, low).user.color == preferred
    moved = view(second, high).user.color
    assert moved != preferred
    assert view(first, high).user.color == moved


def test_a_newcomer_takes_a_color_nobody_shows(room: Room) -> None:
    low, high = _same_slot_ids()
    second = room.add(high, PresenceConfig("High"))
    first = room.add(low, PresenceConfig("Low"))
    second.presence.start()
    room.deliver()
    first.presence.start()
    room.deliver()
    assert view(first, high).user.color == PALETTE[preferred_slot(high)]
    assert len(second.sent) == 1  # the peer that was here first never changed
    assert view(second, low).user.color != view(second, high).user.color


def test_a_configured_color_is_kept_even_when_shared(room: Room) -> None:
    a, b = pair(room, color="#ABCDEF")
    assert view(a, "peer-b").user.color == view(b, "peer-a").user.color == "#abcdef"


# -- events and configuration --------------------------------------------------------


def test_a_failing_listener_is_logged_and_the_others_still_run(
    room: Room, caplog: pytest.LogCaptureFixture
) -> None:
    a, _ = pair(room)
    seen: list[PresenceChange] = []

    def broken(change: PresenceChange) -> None:
        raise RuntimeError("listener bug")

    a.presence.subscribe(broken)
    unsubscribe = a.presence.subscribe(seen.append)
    with caplog.at_level(logging.ERROR):
        a.presence.set_selection(["x"])
    assert "presence listener failed" in caplog.text
    assert len(seen) == 1
    unsubscribe()
    a.presence.set_selection(["y"])
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": ""}, "user.name"),
        ({"name": "a\x00"}, "control"),
        ({"color": "blue"}, "#rrggbb"),
        ({"cursor_interval": 0}, "cursor_interval"),
        ({"idle_after": -1}, "idle_after"),
        ({"timeout": math.nan}, "timeout"),
        ({"away_after": math.inf}, "away_after"),
        ({"idle_after": 60, "away_after": 60}, "away_after must be longer"),
    ],
)
def test_bad_configuration_is_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PresenceConfig(**{"name": "Ada", **options})


# -- the real event loop --------------------------------------------------------------


async def test_runs_on_the_asyncio_event_loop() -> None:
    loop = asyncio.get_running_loop()
    sent: list[tuple[float, bytes, bool]] = []
    settled = asyncio.Event()

    def send(data: bytes, reliable: bool) -> None:
        sent.append((loop.time(), data, reliable))
        if len(sent) == 3:
            settled.set()

    presence = Presence("peer-a", PresenceConfig("Ada", cursor_interval=0.02), send)
    presence.start()
    presence.set_cursor(1, 1)
    presence.set_cursor(2, 2)
    try:
        await asyncio.wait_for(settled.wait(), timeout=5)
    finally:
        presence.leave()
    (start, _, first), (moved, update, second), (_, repeat, third) = sent[:3]
    assert (first, second, third) == (True, False, True)
    assert moved - start >= 0.02 - 0.002
    assert sent_state(update)["cursor"] == {"x": 2, "y": 2}
    assert repeat == update
    assert sent_state(sent[-1][1]) is None
