"""The presence state schema: valid states, defaults, and every rejection."""

from __future__ import annotations

import json
import re

import pytest
from avacollab_presence.state import (
    MAX_COORDINATE,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_SELECTION,
    MAX_STATE_BYTES,
    Cursor,
    InvalidState,
    PresenceState,
    User,
    decode_state,
    decode_state_object,
    parse_state,
)

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


@pytest.mark.parametrize(("text", "reason"), HOSTILE)
def test_hostile_states_are_rejected_after_a_valid_one_too(text: str, reason: str) -> None:
    # The same peer's previous state lets unchanged fields skip their checks;
    # whatever changed is still checked.
    previous = decode_state_object(json.dumps(FULL))
    with pytest.raises(InvalidState, match=re.escape(reason)):
        decode_state_object(text, previous)


def test_fields_equal_to_the_previous_state_are_reused_and_the_rest_checked() -> None:
    previous = decode_state_object(json.dumps(FULL))
    moved = decode_state_object(_cursor(x=99), previous)
    assert moved.state.user is previous.state.user
    assert moved.state.selection is previous.state.selection
    assert moved.state.cursor == Cursor(99, -3, "btn-1")
    assert moved.json["cursor"]["x"] == 99
    renamed = decode_state_object(_user(name="Bea"), previous)
    assert renamed.state.user == User("Bea", "#c32222")
    assert decode_state_object(_with(selection=[]), previous).state.selection == ()


def test_deeply_nested_values_are_refused_or_taken_never_raised() -> None:
    # Unknown keys are kept, so a peer may nest deeply there, and comparing
    # with its previous state recurses as deep as parsing did: around the
    # parser's limit, each depth is either taken or refused, twice in a row.
    for depth in range(980, 1000):
        deep = json.dumps({"user": {**FULL["user"], "deep": 0}})  # type: ignore[dict-item]
        deep = deep.replace('"deep": 0', '"deep": ' + "[" * depth + "]" * depth)
        try:
            previous = decode_state_object(deep)
            decode_state_object(deep, previous)
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
