"""The presence state schema: valid states, defaults, and every rejection."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from avacollab_presence import Presence, PresenceConfig
from avacollab_presence.state import (
    MAX_COORDINATE,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_SELECTION,
    MAX_STATE_BYTES,
    MAX_TIMESTAMP,
    STATUSES,
    Cursor,
    InvalidState,
    PresenceState,
    User,
    check_cursor,
    decode_state,
    decode_state_object,
    parse_state,
)
from avacollab_presence.wire import MAX_UPDATE_BYTES, Entry, encode_update
from hypothesis import given, settings
from hypothesis import strategies as st
from presence_fakes import FakeScheduler

FULL = {
    "user": {"name": "Ada 🎨", "color": "#C32222"},
    "cursor": {"x": 10.5, "y": -3, "component": "btn-1"},
    "selection": ["btn-1", "panel-2"],
    "status": "idle",
    "lastSeen": 1_718_000_000_000,
}


def test_full_state_is_typed() -> None:
    state = decode_state(json.dumps(FULL))
    assert state == PresenceState(
        user=User("Ada 🎨", "#c32222"),
        cursor=Cursor(10.5, -3.0, "btn-1"),
        selection=("btn-1", "panel-2"),
        status="idle",
        last_seen=1_718_000_000_000,
    )


def test_to_json_round_trips() -> None:
    state = decode_state(json.dumps(FULL))
    assert parse_state(state.to_json()) == state
    bare = PresenceState(User("B", "#000000"), Cursor(1, 2))
    assert bare.to_json()["cursor"] == {"x": 1, "y": 2}
    assert parse_state(bare.to_json()) == bare


def test_missing_fields_take_defaults_and_unknown_keys_are_ignored() -> None:
    state = parse_state({"user": {"name": "B", "color": "#00ff00", "colorLight": "x"}, "new": 1})
    assert state == PresenceState(User("B", "#00ff00"))
    assert (state.cursor, state.selection, state.status, state.last_seen) == (
        None,
        (),
        "active",
        None,
    )


def test_whitespace_around_a_state_is_allowed() -> None:
    assert decode_state(" \n" + json.dumps(FULL) + "\t ") == decode_state(json.dumps(FULL))


def test_float_timestamps_are_rounded() -> None:
    assert parse_state({**FULL, "lastSeen": 12.6}).last_seen == 13


def _with(**changes: object) -> str:
    return json.dumps({**FULL, **changes})


def _user(**changes: object) -> str:
    return _with(user={**FULL["user"], **changes})  # type: ignore[dict-item]


def _cursor(**changes: object) -> str:
    return _with(cursor={**FULL["cursor"], **changes})  # type: ignore[dict-item]


HOSTILE = [
    ("[]", "state must be an object, not a list"),
    ("null", "state must be an object, not null"),
    ('"hi"', "state must be an object, not a string"),
    ("{}", "state has no user"),
    ("{not json", "not valid JSON"),
    ("[" * 100_000, "larger than"),
    ("[" * 5000 + "]" * 5000, "not valid JSON"),
    ('{"user": ' + "9" * 5000 + "}", "not valid JSON"),
    (_with(user="Ada"), "user must be an object, not a string"),
    (_user(name=None), "user.name must be a string, not null"),
    (_user(name=""), "user.name must have 1 to"),
    (_user(name="x" * (MAX_NAME_CHARS + 1)), "user.name must have 1 to"),
    (_user(name="evil\x1b[2J"), "control characters"),
    (_user(name="a\u202eb"), "control characters"),
    (_user(name="a\u0085b"), "control characters"),
    (_user(color="red"), "#rrggbb"),
    (_user(color="#12345"), "#rrggbb"),
    (_user(color="#1234567"), "#rrggbb"),
    (_user(color=7), "#rrggbb"),
    (_with(cursor=[1, 2]), "cursor must be an object or null, not a list"),
    (_cursor(x="1"), "cursor.x must be a number, not a string"),
    (_cursor(y=True), "cursor.y must be a number, not a boolean"),
    (_cursor(y=None), "cursor.y must be a number, not null"),
    (_cursor(x=MAX_COORDINATE * 2), "cursor.x must be finite"),
    (_cursor(component=5), "cursor.component must be a string"),
    (_cursor(component=""), "cursor.component must have 1 to"),
    (_cursor(component="c" * (MAX_ID_CHARS + 1)), "cursor.component must have 1 to"),
    (_cursor(component="a\nb"), "control characters"),
    (_with(selection="btn-1"), "selection must be a list, not a string"),
    (_with(selection=["a"] * (MAX_SELECTION + 1)), f"more than {MAX_SELECTION}"),
    (_with(selection=["a", 1]), "selection id must be a string, not a number"),
    (_with(selection=[["a"]]), "selection id must be a string, not a list"),
    (_with(selection=["x" * (MAX_ID_CHARS + 1)]), "selection id must have 1 to"),
    (_with(status="busy"), "status must be one of active, idle, away"),
    (_with(status=None), "status must be one of"),
    (_with(lastSeen=-1), "lastSeen"),
    (_with(lastSeen="yesterday"), "lastSeen"),
    (_with(lastSeen=2.0**60), "lastSeen"),
    (_with(extra="x" * MAX_STATE_BYTES), f"larger than {MAX_STATE_BYTES} bytes"),
    (_with(extra="é" * (MAX_STATE_BYTES // 2)), f"larger than {MAX_STATE_BYTES} bytes"),
]


@pytest.mark.parametrize(("text", "reason"), HOSTILE)
def test_hostile_states_are_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidState, match=re.escape(reason)):
        decode_state(text)


# Through a whole update: "null" is then a removal, and the largest do not fit
# in an update (the wire decoder refuses those before any state is read).
IN_AN_UPDATE = [
    (text, reason)
    for text, reason in HOSTILE
    if text != "null" and len(text.encode()) < MAX_UPDATE_BYTES - 16
]


@pytest.mark.parametrize(("text", "reason"), IN_AN_UPDATE)
def test_hostile_states_from_a_known_peer_are_refused_and_its_state_kept(
    text: str, reason: str
) -> None:
    # A peer whose earlier state was accepted gets no shortcut: each state is
    # checked whole, and a refused one leaves the accepted one in place.
    presence = Presence(
        "peer-a", PresenceConfig("Ada"), lambda data, reliable: None, scheduler=FakeScheduler()
    )
    presence.start()
    assert presence.receive("peer-b", encode_update([Entry(7, 1, json.dumps(FULL))])) == []
    accepted = presence.state_of("peer-b")
    (rejection,) = presence.receive("peer-b", encode_update([Entry(7, 2, text)]))
    assert reason in rejection.reason
    assert presence.state_of("peer-b") == accepted
    assert presence.awareness.states[7] == FULL


def test_deeply_nested_values_are_refused_or_taken_never_raised() -> None:
    # Unknown keys are kept, so a peer may nest deeply there, and the
    # awareness compares a state with the peer's previous one, which recurses
    # as deep as parsing did: around the parser's limit, each depth is either
    # taken or refused, twice in a row, and never raises.
    presence = Presence(
        "peer-a", PresenceConfig("Ada"), lambda data, reliable: None, scheduler=FakeScheduler()
    )
    presence.awareness.observe(lambda topic, event: None)
    presence.start()
    clock = 0
    for depth in range(980, 1000):
        deep = json.dumps({"user": {**FULL["user"], "deep": 0}})  # type: ignore[dict-item]
        deep = deep.replace('"deep": 0', '"deep": ' + "[" * depth + "]" * depth)
        for _ in range(2):
            clock += 1
            for rejection in presence.receive("peer-b", encode_update([Entry(7, clock, deep)])):
                assert "nested too deeply" in rejection.reason
        try:
            decode_state_object(deep)
        except InvalidState as exc:
            assert "nested too deeply" in str(exc)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_not_json(constant: str) -> None:
    text = _with(cursor={"x": 0, "y": 0}).replace('"y": 0', f'"y": {constant}')
    with pytest.raises(InvalidState, match=f"{constant} is not JSON"):
        decode_state(text)


def test_a_huge_integer_coordinate_is_not_finite() -> None:
    text = _with(cursor={"x": 0, "y": 0}).replace('"y": 0', '"y": ' + "9" * 400)
    with pytest.raises(InvalidState, match=r"cursor\.y must be finite"):
        decode_state(text)


# -- the compiled checks and the Python rules -----------------------------------
# A received state is checked by msgspec; parse_state spells the same rules out
# (and explains a refusal). They must reach the same verdict on every state.

_ANY_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.lists(st.integers(0, 9), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(0, 9), max_size=2),
)
_TEXTS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        ["", "a" * 64, "a" * 65, "c" * 128, "c" * 129, "é" * 64, "x\n", "a\u202eb", "a\u0085b"]
    ),
)
_NUMBERS = st.one_of(
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e9, -1e9, 1e9 + 1, 10**9 + 1, -0.0, 2**53 - 1, 2**53, 12.5]),
)
_COLORS = st.one_of(
    st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True),
    st.sampled_from(["#12345", "#1234567", "red", "#gggggg", "#abcdef\n", " #abcdef"]),
)
_USERS = st.fixed_dictionaries(
    {}, optional={"name": _TEXTS | _ANY_JSON, "color": _COLORS | _ANY_JSON, "extra": _ANY_JSON}
)
_CURSORS = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "x": _NUMBERS | _ANY_JSON,
        "y": _NUMBERS | _ANY_JSON,
        "component": _TEXTS | _ANY_JSON,
        "extra": _ANY_JSON,
    },
)
_STATES = st.fixed_dictionaries(
    {},
    optional={
        "user": _USERS | _ANY_JSON,
        "cursor": _CURSORS | _ANY_JSON,
        "selection": st.lists(_TEXTS | _ANY_JSON, max_size=3) | _ANY_JSON,
        "status": st.sampled_from([*STATUSES, "busy", "Active"]) | _ANY_JSON,
        "lastSeen": _NUMBERS | _ANY_JSON,
        "extra": _ANY_JSON,
    },
)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_STATES, _ANY_JSON))
def test_the_compiled_checks_and_the_python_rules_agree(obj: Any) -> None:
    text = json.dumps(obj)
    try:
        expected: PresenceState | str = parse_state(json.loads(text))
    except InvalidState as exc:
        expected = str(exc)
    try:
        decoded = decode_state_object(text)
    except InvalidState as exc:
        assert str(exc) == expected  # refused, and explained by the rule broken
    else:
        assert decoded.state == expected
        assert decoded.json == json.loads(text)


def test_a_lone_surrogate_is_refused() -> None:
    # Python's json takes "\ud800" but it is no Unicode text: it cannot be
    # written as UTF-8 (an event log, a terminal) and Yjs peers would not agree.
    with pytest.raises(InvalidState, match="not valid JSON"):
        decode_state(_user(name="a\ud800b"))


def test_a_repeated_key_counts_its_last_value() -> None:
    good = json.dumps(FULL["user"])
    bad = json.dumps({**FULL["user"], "name": "evil\x1b[2J"})  # type: ignore[dict-item]

    def twice(key: str, first: str, last: str) -> str:
        return f'{{"user": {good}, "{key}": {first}, "{key}": {last}}}'

    # As in JSON.parse: the last value is the state, and the one checked.
    decoded = decode_state_object(twice("user", bad, good.replace("Ada", "Bo")))
    assert decoded.state.user.name == "Bo 🎨"
    assert decoded.json["user"]["name"] == "Bo 🎨"
    with pytest.raises(InvalidState, match="control characters"):
        decode_state(twice("user", good, bad))
    # A typed field (the cursor) is checked at every value it is given.
    with pytest.raises(InvalidState, match="breaks the schema"):
        decode_state(twice("cursor", '{"x": "left", "y": 1}', '{"x": 1, "y": 1}'))


def test_a_user_and_selection_unchanged_since_the_previous_state_are_not_checked_again() -> None:
    first = decode_state_object(json.dumps(FULL))
    moved = decode_state_object(json.dumps({**FULL, "cursor": {"x": 9, "y": 9}}), first)
    assert moved.state == decode_state(json.dumps({**FULL, "cursor": {"x": 9, "y": 9}}))
    # The same bytes: what the previous check made of them, the very objects.
    assert moved.state.user is first.state.user
    assert moved.state.selection is first.state.selection
    # Changed bytes are checked in full, previous state or not.
    for field, bad in (("user", {"name": "", "color": "#000000"}), ("selection", ["a\x00"])):
        with pytest.raises(InvalidState, match=r"user\.name|selection id"):
            decode_state_object(json.dumps({**FULL, field: bad}), first)
    renamed = {**FULL, "user": {"name": "Cy", "color": "#ABCDEF"}}
    assert decode_state_object(json.dumps(renamed), first).state.user == User("Cy", "#abcdef")


def test_numbers_ints_and_floats() -> None:
    state = decode_state(_with(cursor={"x": 3, "y": -0.5}, lastSeen=1_718_000_000_000.4))
    assert state.cursor == Cursor(3.0, -0.5)
    assert type(state.cursor.x) is float  # type: ignore[union-attr]
    assert state.last_seen == 1_718_000_000_000
    assert type(state.last_seen) is int
    assert decode_state(_with(lastSeen=MAX_TIMESTAMP)).last_seen == MAX_TIMESTAMP
    for bad in (MAX_TIMESTAMP + 1, float(MAX_TIMESTAMP + 1), -0.5, True):
        with pytest.raises(InvalidState, match="lastSeen"):
            decode_state(_with(lastSeen=bad))
    for edge in (MAX_COORDINATE, -MAX_COORDINATE, int(MAX_COORDINATE)):
        assert decode_state(_cursor(x=edge)).cursor.x == edge  # type: ignore[union-attr]
    with pytest.raises(InvalidState, match=r"cursor\.x must be finite"):
        decode_state(_cursor(x=int(MAX_COORDINATE) + 1))
    with pytest.raises(InvalidState, match=r"cursor\.x must be a number, not a boolean"):
        decode_state(_cursor(x=False))


def test_unknown_keys_are_kept_in_the_json_and_ignored_in_the_state() -> None:
    text = json.dumps(
        {
            **FULL,
            "cursor": {**FULL["cursor"], "pressure": 0.5},  # type: ignore[dict-item]
            "user": {**FULL["user"], "colorLight": "#ffffff"},  # type: ignore[dict-item]
            "extension": {"nested": [1, 2, {"a": None}]},
        }
    )
    decoded = decode_state_object(text)
    assert decoded.json == json.loads(text)
    assert decoded.state == decode_state(json.dumps(FULL))


def test_a_newline_at_the_end_is_a_control_character_too() -> None:
    # A pattern ending in $ would let "Ada\n" through: $ matches before a final newline.
    with pytest.raises(InvalidState, match="control characters"):
        decode_state(_user(name="Ada\n"))
    with pytest.raises(InvalidState, match="#rrggbb"):
        decode_state(_user(color="#abcdef\n"))


def test_the_local_api_checks_a_cursor_as_a_received_one() -> None:
    assert check_cursor(1, 2.5, "btn-1") == Cursor(1.0, 2.5, "btn-1")
    for x, reason in [
        (math.nan, "finite"),
        (math.inf, "finite"),
        ("1", "must be a number"),
        (True, "must be a number"),
    ]:
        with pytest.raises(InvalidState, match=reason):
            check_cursor(x, 0)
    with pytest.raises(InvalidState, match="control characters"):
        check_cursor(0, 0, "a\nb")
