"""The presence feature in in-memory sessions, over real buses, on a hand-moved clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from avacollab_presence import Cursor, plugin
from avacollab_presence.presence import Presence
from avacollab_presence.session import PresenceSession
from avacollab_presence.wire import Entry, encode_update
from hook_room import FakeSession, Room, settle
from presence_fakes import FakeScheduler

from avacollab.bus import Bus, Message
from avacollab.bus.channels import channel_pair
from avacollab.featureset import PluginStartError

TOPIC = "presence.update"
WALL_START = 1_700_000_000.0


@pytest.fixture
def clock() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
async def room(clock: FakeScheduler) -> AsyncIterator[Room]:
    room = Room(PresenceSession.with_clock(clock, lambda: WALL_START + clock.now))
    yield room
    await room.close()


def presence(room: Room, session: FakeSession) -> Presence:
    return session.features.get(PresenceSession).presence


def seen(room: Room, session: FakeSession) -> dict[str, str]:
    """Peer id -> name, as ``session`` sees the room."""
    return {p: s.state.user.name for p, s in presence(room, session).states().items()}


def attr(room: Room, session: FakeSession, peer: str, name: str) -> object:
    """A field of ``peer``'s state as ``session`` sees it (``None`` while unseen)."""
    found = presence(room, session).states().get(peer)
    return None if found is None else getattr(found.state, name)


class Counter:
    """Messages on the presence topic arriving at one bus."""

    def __init__(self, bus: Bus) -> None:
        self.messages: list[Message] = []
        bus.subscribe(TOPIC, self.messages.append)


def update(client_id: int, state: object, clock: int = 1) -> bytes:
    """An awareness update with one entry."""
    return encode_update([Entry(client_id, clock, json.dumps(state))])


async def hostile_peer(session: FakeSession, peer_id: str = "evil") -> Bus:
    """A raw bus linked to ``session``: it speaks the topic but not the rules."""
    evil = Bus()
    mine, theirs = channel_pair("bus")
    mine_u, theirs_u = channel_pair("bus-unordered")
    session.bus.add_peer(peer_id, mine, mine_u)
    evil.add_peer(session.peer_id, theirs, theirs_u)
    return evil


async def test_the_module_registers_the_feature_each_session_has_its_own() -> None:
    room = Room(plugin)
    try:
        a, b = await room.join("a", "Ada"), await room.join("b", "Bob")
        assert a.features.get(PresenceSession).presence.states()["a"].state.user.name == "Ada"
        assert a.features.get(PresenceSession) is not b.features.get(PresenceSession)
        assert room.status(a) == ["presence: 1 here (1 active)"]
    finally:
        await room.close()
    with pytest.raises(KeyError):
        a.features.get(PresenceSession)


async def test_everyone_sees_names_colors_and_cursors(room: Room, clock: FakeScheduler) -> None:
    a = await room.join("a", "Ada")
    b = await room.join("b", options={"presence.name": "Bob", "presence.color": "#123456"})
    c = await room.join("c3c3c3c3c3")  # no name at all: one is made from the peer id
    await room.mesh(a, b, c)
    presence(room, a).set_cursor(10, 20, "btn")
    presence(room, b).set_cursor(30, 40)
    presence(room, c).set_selection(["btn", "panel"])
    clock.advance(0.1)  # the cursors wait out the throttle after the connect-time updates
    names = {"a": "Ada", "b": "Bob", "c3c3c3c3c3": "peer-c3c3c3c3"}
    await settle(lambda: all(seen(room, s) == names for s in (a, b, c)))

    def ready(s: FakeSession) -> bool:
        states = presence(room, s).states()
        return (
            states["a"].state.cursor == Cursor(10, 20, "btn")
            and states["b"].state.cursor == Cursor(30, 40)
            and states["c3c3c3c3c3"].state.selection == ("btn", "panel")
        )

    await settle(lambda: all(ready(s) for s in (a, b, c)))
    colors = {p: s.state.user.color for p, s in presence(room, c).states().items()}
    assert colors["b"] == "#123456"
    assert len(set(colors.values())) == 3
    for s in (a, b):
        assert {p: x.state.user.color for p, x in presence(room, s).states().items()} == colors
    event = a.named("presence.updated")[-1]
    assert set(event) == {"origin", "added", "updated", "removed", "peers"}
    assert any(
        e["peers"].get("b", {}).get("user", {}).get("name") == "Bob"
        for e in a.named("presence.updated")
    )


async def test_a_late_joiner_sees_everyone_at_once(room: Room, clock: FakeScheduler) -> None:
    a, b = await room.join("a", "Ada"), await room.join("b", "Bob")
    await room.connect(a, b)
    presence(room, a).set_cursor(1, 2)
    clock.advance(0.1)
    await settle(lambda: attr(room, b, "a", "cursor") == Cursor(1, 2))
    late = await room.join("late", "Lee")
    await room.mesh(a, late)
    await room.connect(b, late)
    await settle(lambda: seen(room, late) == {"a": "Ada", "b": "Bob", "late": "Lee"})
    assert presence(room, late).states()["a"].state.cursor == Cursor(1, 2)
    await settle(lambda: "late" in seen(room, a) and "late" in seen(room, b))


async def test_a_burst_of_1000_moves_reaches_the_others_as_about_20_updates(
    room: Room, clock: FakeScheduler
) -> None:
    a, b = await room.join("a", "Ada"), await room.join("b", "Bob")
    await room.connect(a, b)
    await settle(lambda: "a" in seen(room, b))
    arrived = Counter(b.bus)
    for i in range(1, 1001):  # one move a millisecond for a second
        clock.advance(0.001)
        presence(room, a).set_cursor(i, 2 * i)
        await asyncio.sleep(0)  # the bus flushes each turn, so nothing is merged by it
    clock.advance(0.2)  # the cursor rests: the final position is repeated reliably
    await settle(lambda: attr(room, b, "a", "cursor") == Cursor(1000, 2000))
    await settle(lambda: any(m.reliable for m in arrived.messages))
    unordered = [m for m in arrived.messages if not m.reliable]
    assert 15 <= len(unordered) <= 21
    assert len(arrived.messages) <= 22
    # The resting repeat: the final position once more, where it cannot be lost.
    assert [m.payload for m in arrived.messages if m.reliable] == [unordered[-1].payload]


async def test_a_peer_that_leaves_disappears_at_once(room: Room) -> None:
    a, b, c = [await room.join(p, p.upper()) for p in "abc"]
    await room.mesh(a, b, c)
    await settle(lambda: all(len(seen(room, s)) == 3 for s in (a, b, c)))
    await room.leave(c)
    # No clock moved: gone through the explicit removal, not a timeout.
    assert seen(room, a) == {"a": "A", "b": "B"} and seen(room, b) == {"a": "A", "b": "B"}
    removed = [e for e in a.named("presence.updated") if e["removed"] == ["c"]]
    assert removed[0]["origin"] == "remote"


async def test_a_failed_link_drops_the_peer_and_a_new_link_brings_it_back(room: Room) -> None:
    a, b = await room.join("a", "Ada"), await room.join("b", "Bob")
    await room.connect(a, b)
    await settle(lambda: seen(room, a) == {"a": "Ada", "b": "Bob"})
    await room.disconnect(a, b, reason="failed")
    assert seen(room, a) == {"a": "Ada"} and seen(room, b) == {"b": "Bob"}
    assert a.named("presence.updated")[-1]["origin"] == "disconnect"
    # Both still hold the other's old clock; republishing on connect gets past it.
    await room.connect(a, b)
    await settle(lambda: seen(room, a) == seen(room, b) == {"a": "Ada", "b": "Bob"})


async def test_idle_away_and_silent_peers_follow_the_clock(
    room: Room, clock: FakeScheduler
) -> None:
    opts = {"presence.idle_after": "5", "presence.away_after": "20", "presence.timeout": "30"}
    a, b = await room.join("a", "Ada", opts), await room.join("b", "Bob", opts)
    await room.connect(a, b)
    await settle(lambda: "a" in seen(room, b))

    def status_of_a() -> str:
        return str(attr(room, b, "a", "status"))

    clock.advance(5)
    await settle(lambda: status_of_a() == "idle")
    clock.advance(15)
    await settle(lambda: status_of_a() == "away")
    assert room.status(b) == ["presence: 2 here (2 away)"]
    await room.run(a, "/cursor 1 1")
    await settle(lambda: status_of_a() == "active")

    # A peer that says one thing and then nothing is dropped after the timeout,
    # while the real peers keep each other alive by re-sending.
    evil = await hostile_peer(a, "quiet")
    try:
        evil.publish(TOPIC, update(4242, {"user": {"name": "Quiet", "color": "#abcdef"}}))
        await settle(lambda: "quiet" in seen(room, a))
        for _ in range(34):
            clock.advance(1)
            await asyncio.sleep(0)
        await settle(lambda: "quiet" not in seen(room, a))
        assert "b" in seen(room, a) and "a" in seen(room, b)
        assert any(
            e["removed"] == ["quiet"] and e["origin"] == "timeout"
            for e in a.named("presence.updated")
        )
    finally:
        await evil.close()


async def test_hostile_states_are_refused_and_disturb_no_one(
    room: Room, clock: FakeScheduler
) -> None:
    a, b = await room.join("a", "Ada"), await room.join("b", "Bob")
    await room.connect(a, b)
    await settle(lambda: "b" in seen(room, a))
    before = presence(room, a).states()
    evil = await hostile_peer(a)
    try:
        user = {"name": "Mallory", "color": "#000000"}
        for payload in (
            b"\xff\xff",  # not an awareness update
            update(7, {"user": {"name": 5, "color": "#000000"}}),
            update(8, {"user": {"name": "x" * 65, "color": "#000000"}}),
            update(9, {"user": user, "cursor": 1}),
            update(10, {"user": user, "padding": "x" * 40_000}),  # over 32 KiB
            update(before["b"].client_id, {"user": user}, clock=99),
            update(presence(room, a).client_id, {"user": user}, clock=99),
        ):
            evil.publish(TOPIC, payload)
        rejected = await a.wait_event("presence.rejected", 7)
    finally:
        await evil.close()
    assert {r["peer"] for r in rejected} == {"evil"}
    assert "larger than" in rejected[4]["reason"]
    assert "belongs to another peer" in rejected[5]["reason"]
    assert "local peer" in rejected[6]["reason"]
    after = presence(room, a).states()
    assert after["b"].state == before["b"].state and after["a"].state == before["a"].state
    assert "evil" not in after
    presence(room, b).set_cursor(5, 5)  # and b still gets through
    clock.advance(0.1)
    await settle(lambda: attr(room, a, "b", "cursor") == Cursor(5, 5))


async def test_options_set_the_start_and_bad_options_fail_it(room: Room, tmp_path: Path) -> None:
    a = await room.join("a", "Ada", {"presence.status": "away", "presence.cursor_interval": "0.1"})
    assert presence(room, a).states()["a"].state.status == "away"
    assert presence(room, a).config.cursor_interval == 0.1
    for options, message in [
        ({"presence.color": "red"}, r"^--set presence.color=red: .*color"),
        ({"presence.name": "x" * 65}, r"^--set presence.name=x+: .*name"),
        ({"presence.status": "asleep"}, r"^--set presence.status=asleep: status must be one of"),
        ({"presence.idle_after": "soon"}, r"^--set presence.idle_after=soon: expected a number"),
        ({"presence.timeout": "-1"}, r"^--set presence.timeout=-1: must be a positive number"),
        ({"presence.colour": "red"}, r"^--set presence.colour: unknown option 'colour'"),
        ({"presence.idle_after": "60", "presence.away_after": "30"}, "^presence: away_after"),
        # Checked with the options, before the session connects.
        (
            {"presence.cursor_from": str(tmp_path / "missing.jsonl")},
            r"^--set presence.cursor_from=.*: cannot read .*missing.jsonl: No such file",
        ),
    ]:
        with pytest.raises(PluginStartError, match=message):
            await room.join("bad", "Bad", options)
    bad_steps = tmp_path / "bad.jsonl"
    bad_steps.write_text('{"x": 1}\n{"x": 1, "y": 2, "delay": 3}\n')
    with pytest.raises(PluginStartError, match="line 1") as info:
        await room.join("bad", "Bad", {"presence.cursor_from": str(bad_steps)})
    # Every bad line is named, in the one message of the refused option.
    assert str(info.value).startswith("--set presence.cursor_from=")
    assert "line 2: unknown key 'delay'" in str(info.value)


async def test_cursor_from_replays_a_file_through_the_throttle(room: Room, tmp_path: Path) -> None:
    steps = tmp_path / "moves.jsonl"
    steps.write_text("".join(json.dumps({"x": i, "y": i}) + "\n" for i in range(50)))
    steps.write_text(steps.read_text() + '{"x": 7, "y": 8, "component": "btn"}\n')
    b = await room.join("b", "Bob")
    a = await room.join("a", "Ada", {"presence.cursor_from": str(steps)})
    await room.connect(a, b)
    assert (await a.wait_event("presence.replayed"))[0] == {"moves": 51}
    assert presence(room, a).states()["a"].state.cursor == Cursor(7, 8, "btn")


async def test_join_commands(room: Room, clock: FakeScheduler) -> None:
    a, b = await room.join("a", "Ada"), await room.join("b", "Bob")
    await room.connect(a, b)
    assert set(room.commands(a)) == {"help", "presence", "status", "cursor", "select"}
    assert await room.run(a, "/cursor 12.5 40 btn-1") == "cursor at 12.5,40"
    assert await room.run(a, "/select btn-1 panel") == "selected btn-1 panel"
    assert await room.run(b, "/status idle") == "status idle"
    clock.advance(3)
    await settle(lambda: attr(room, b, "a", "selection") == ("btn-1", "panel"))
    await settle(lambda: attr(room, a, "b", "status") == "idle")
    assert await room.run(b, "/presence") == "\n".join(
        [
            "NAME           COLOR    STATUS  CURSOR            SELECTION     LAST SEEN",
            "Bob (b) (you)  #22c322  idle    -                 -             3s ago",
            "Ada (a)        #c322c3  active  12.5,40 on btn-1  btn-1, panel  3s ago",
        ]
    )
    assert await room.run(a, "/cursor off") == "cursor hidden"
    assert await room.run(a, "/select") == "selection cleared"
    await settle(lambda: attr(room, b, "a", "cursor") is None)
    for line, error in [
        ("/presence now", "usage: /presence [--json]"),
        ("/status", "usage: /status active|idle|away"),
        ("/status asleep", "status must be one of"),
        ("/cursor 1", "usage: /cursor"),
        ("/cursor one two", "must be numbers"),
        ("/cursor nan 1", "cursor.x"),
        ("/cursor 1 1 'bad\x01id'", "control characters"),
        ("/select 'unclosed", "quotation"),
    ]:
        result = await room.run(a, line)
        assert result is not None and result.startswith("error:"), line
        assert error in result, (line, result)


async def test_update_events_are_built_only_for_a_session_that_wants_them(
    clock: FakeScheduler,
) -> None:
    room = Room(PresenceSession.with_clock(clock, lambda: WALL_START))
    session = await room.join("a", "Ada")
    session.wanted = set()  # nobody reads any event
    session.events.clear()
    presence = session.features.get(PresenceSession)
    try:
        clock.advance(1)
        presence.presence.set_cursor(1, 2)
        assert session.named("presence.updated") == []
        session.wanted.add("presence.updated")
        clock.advance(1)
        presence.presence.set_cursor(3, 4)
        (event,) = session.named("presence.updated")
        assert event["peers"]["a"]["cursor"] == {"x": 3, "y": 4}
    finally:
        await room.close()
