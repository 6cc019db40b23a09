"""The awareness shortcuts: same bytes, bookkeeping, states and events as pycrdt's own paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from avacollab_presence.awareness import PresenceAwareness
from avacollab_presence.wire import Entry, encode_update
from pycrdt import Awareness, Doc

STATE = {"user": {"name": "Zoë", "color": "#c32222"}, "cursor": {"x": 1.5, "y": 2}}


def recorder(awareness: Awareness) -> list[tuple[str, dict[str, list[int]], Any]]:
    seen: list[tuple[str, dict[str, list[int]], Any]] = []
    awareness.observe(lambda topic, event: seen.append((topic, event[0], event[1])))
    return seen


def publish(awareness: PresenceAwareness, state: dict[str, Any]) -> bytes:
    """Publish ``state`` as Presence does: its encoded JSON, and a builder for the object."""
    encoded = json.dumps(state, separators=(",", ":")).encode()
    return awareness.publish(encoded, lambda: json.loads(encoded))


def pair(client_id: int = 1234) -> tuple[PresenceAwareness, Awareness]:
    return (
        PresenceAwareness(Doc(client_id=client_id)),
        Awareness(Doc(client_id=client_id)),
    )


def test_publish_sends_the_bytes_pycrdt_would_and_keeps_the_same_books() -> None:
    ours, theirs = pair()
    ours_seen, theirs_seen = recorder(ours), recorder(theirs)
    for state in (STATE, STATE, {**STATE, "cursor": None}):
        update = publish(ours, dict(state))
        theirs.set_local_state(dict(state))
        assert update == theirs.encode_awareness_update([theirs.client_id])
    assert ours.states == theirs.states
    assert ours.meta[ours.client_id]["clock"] == theirs.meta[theirs.client_id]["clock"] == 3
    # An unchanged state is an "update" without a "change", as in pycrdt.
    assert ours_seen == theirs_seen
    topics = [topic for topic, _, _ in ours_seen]
    assert topics == ["change", "update", "update", "change", "update"]


def test_publish_matches_pycrdt_with_long_integers_and_non_ascii_text() -> None:
    # A 32-bit client id and clocks past 127 take several varint bytes, and
    # pycrdt escapes non-ASCII text: the prefix encoded once must still agree.
    ours, theirs = pair(client_id=2**32 - 1)
    state = {**STATE, "user": {"name": "Zoë 🎨", "color": "#c32222"}}
    for clock in range(200):
        update = publish(ours, {**state, "lastSeen": clock})
        theirs.set_local_state({**state, "lastSeen": clock})
        assert update == theirs.encode_awareness_update([theirs.client_id])


def apply_both(
    ours: PresenceAwareness, theirs: Awareness, client_id: int, clock: int, state: Any
) -> None:
    """The same entry through both paths, each taken only where pycrdt would apply it."""
    removal = state is None
    text = "null" if removal else json.dumps(state)
    theirs.apply_awareness_update(encode_update([Entry(client_id, clock, text)]), "peer")
    if ours.is_newer(client_id, clock, removal):
        ours.apply_checked(client_id, clock, None if removal else text, "peer")
    assert ours.states == theirs.states
    assert {k: m["clock"] for k, m in ours.meta.items()} == {
        k: m["clock"] for k, m in theirs.meta.items()
    }


STEPS: list[tuple[int, Any]] = [
    (1, STATE),  # added
    (1, {"user": {"name": "stale", "color": "#000000"}}),  # same clock: ignored
    (2, STATE),  # newer, same state: update only
    (3, {**STATE, "cursor": None}),  # newer, changed
    (2, None),  # older removal: ignored
    (3, None),  # same-clock removal of a present state: applied
    (3, None),  # and not again
    (4, STATE),  # back after a removal
]


def test_applying_checked_entries_matches_pycrdt_entry_by_entry() -> None:
    ours, theirs = pair()
    ours_seen, theirs_seen = recorder(ours), recorder(theirs)
    for clock, state in STEPS:
        apply_both(ours, theirs, 77, clock, state)
    assert ours_seen == theirs_seen


def test_without_observers_states_are_parsed_when_read_and_match_pycrdt() -> None:
    # No observer: nothing compares states, so nothing is parsed until read.
    ours, theirs = pair()
    for clock, state in STEPS:
        apply_both(ours, theirs, 77, clock, state)
    for clock in range(1, 4):
        ours.apply_checked(88, clock, json.dumps({**STATE, "lastSeen": clock}), "peer")
        publish(ours, {**STATE, "lastSeen": clock})
    assert ours.states[88] == {**STATE, "lastSeen": 3}
    assert ours.states[ours.client_id] == {**STATE, "lastSeen": 3}
    # pycrdt's own methods read the same states, parsed on the way.
    ours.apply_checked(99, 1, json.dumps(STATE), "peer")
    update = ours.encode_awareness_update([99, 88])
    theirs.apply_awareness_update(update, "peer")
    assert theirs.states[99] == STATE
    assert theirs.states[88] == {**STATE, "lastSeen": 3}
    # A removal of a state never read leaves nothing behind, read or not.
    ours.apply_checked(100, 1, json.dumps(STATE), "peer")
    ours.apply_checked(100, 2, None, "peer")
    ours.remove_awareness_states([99], "peer")
    assert 100 not in ours.states and 99 not in ours.states
    assert ours.is_newer(100, 2, True) is False


def test_only_remote_client_ids_are_applied_this_way() -> None:
    ours = PresenceAwareness(Doc(client_id=5))
    with pytest.raises(ValueError, match="remote client ids only"):
        ours.apply_checked(5, 9, json.dumps(STATE), "peer")
    assert ours.states[5] == {}


def test_only_a_remote_client_without_a_state_has_its_clock_forgotten() -> None:
    ours = PresenceAwareness(Doc(client_id=5))
    ours.apply_checked(7, 3, json.dumps(STATE), "peer")
    for client_id in (5, 7):  # ours, and one with a state
        with pytest.raises(ValueError, match="remote client ids without a state only"):
            ours.forget_clock(client_id)
    ours.apply_checked(7, 4, None, "peer")  # removed: the clock stays...
    assert ours.meta[7]["clock"] == 4
    ours.forget_clock(7)  # ...until forgotten
    assert 7 not in ours.meta and 5 in ours.meta
