"""The presence state one peer publishes, and its strict validation.

Pure code, no I/O. On the wire a state is the JSON object of a y-protocols
awareness entry::

    {"user": {"name": "Ada", "color": "#d9467a"},
     "cursor": {"x": 120.5, "y": 48, "component": "btn-1"},   # or null
     "selection": ["btn-1", "panel-2"],
     "status": "active",                                    # idle, away
     "lastSeen": 1718000000000}                             # ms since epoch

Only ``user`` is required; a missing field takes its default (no cursor,
nothing selected, active, never seen). Keys this version does not know are
kept and ignored, so a newer peer that adds a field still shows up here.
Every known field is checked strictly: a state that breaks a rule raises
:class:`InvalidState` with a reason meant for a log line.
"""

from __future__ import annotations

import json
import json.scanner
import math
import re
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, cast, get_args

Status = Literal["active", "idle", "away"]
STATUSES: Final[tuple[Status, ...]] = get_args(Status)

MAX_STATE_BYTES: Final = 32 * 1024
"""Largest state accepted, as UTF-8 JSON."""
MAX_NAME_CHARS: Final = 64
MAX_ID_CHARS: Final = 128
"""Longest component id, in the cursor or the selection."""
MAX_SELECTION: Final = 256
"""Most component ids one selection may hold."""
MAX_COORDINATE: Final = 1e9
"""Largest cursor coordinate magnitude; anything bigger is a bug or an attack."""
MAX_TIMESTAMP: Final = 2**53 - 1

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# Control characters and bidirectional overrides would let a name or an id
# rewrite the terminal or the line it is printed on.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class InvalidState(ValueError):
    """A presence state that breaks the schema; the message says which rule."""


@dataclass(frozen=True, slots=True)
class User:
    """Who a peer is: a display name and the color drawn for them."""

    name: str
    color: str


@dataclass(frozen=True, slots=True)
class Cursor:
    """A pointer position in canvas coordinates, and the component under it."""

    x: float
    y: float
    component: str | None = None


@dataclass(frozen=True, slots=True)
class PresenceState:
    """One peer's presence, as published in its awareness state."""

    user: User
    cursor: Cursor | None = None
    selection: tuple[str, ...] = ()
    status: Status = "active"
    last_seen: int | None = None
    """When the peer last had input, in ms since the epoch by its own clock."""

    def to_json(self) -> dict[str, Any]:
        """The wire form, the inverse of :func:`parse_state`."""
        cursor: dict[str, Any] | None = None
        if self.cursor is not None:
            cursor = {"x": self.cursor.x, "y": self.cursor.y}
            if self.cursor.component is not None:
                cursor["component"] = self.cursor.component
        return {
            "user": {"name": self.user.name, "color": self.user.color},
            "cursor": cursor,
            "selection": list(self.selection),
            "status": self.status,
            "lastSeen": self.last_seen,
        }


class Decoded(NamedTuple):
    """A state as it arrived: the parsed JSON object, and what it says, checked."""

    json: dict[str, Any]
    state: PresenceState


def decode_state(text: str) -> PresenceState:
    """Parse and validate a state's JSON text, as it arrives in an update."""
    return decode_state_object(text).state


def decode_state_object(text: str, previous: Decoded | None = None) -> Decoded:
    """Like :func:`decode_state`, and also return the parsed JSON object.

    ``previous`` is the same peer's last accepted state: a field whose JSON
    equals the one there passed the same checks already and is not checked
    again (a cursor move changes only ``cursor`` and ``lastSeen``).
    """
    # Characters first: a string of more characters than the limit has at
    # least as many bytes, and the count is free.
    if len(text) > MAX_STATE_BYTES or (not text.isascii() and len(text.encode()) > MAX_STATE_BYTES):
        raise InvalidState(f"state larger than {MAX_STATE_BYTES} bytes")
    try:
        obj = _load(text)
        return Decoded(obj, parse_state(obj, previous))
    except RecursionError:  # from parsing, or comparing, deeply nested values
        raise InvalidState("state is not valid JSON: nested too deeply") from None
    except InvalidState:
        raise
    except ValueError as exc:
        raise InvalidState(f"state is not valid JSON: {exc}") from None


def parse_state(obj: object, previous: Decoded | None = None) -> PresenceState:
    """Validate a decoded JSON value and return it typed.

    ``previous``: as in :func:`decode_state_object`.
    """
    if not isinstance(obj, dict):
        raise InvalidState(f"state must be an object, not {_kind(obj)}")
    if "user" not in obj:
        raise InvalidState("state has no user")
    user = obj["user"]
    selection = obj.get("selection", [])
    if previous is None:
        checked_user = parse_user(user)
        checked_selection = parse_selection(selection)
    else:
        # Equal JSON values pass the same checks: only changed fields are checked.
        old = previous.json
        checked_user = previous.state.user if user == old["user"] else parse_user(user)
        if selection == old.get("selection", []):
            checked_selection = previous.state.selection
        else:
            checked_selection = parse_selection(selection)
    return PresenceState(
        checked_user,
        parse_cursor(obj.get("cursor")),
        checked_selection,
        parse_status(obj.get("status", "active")),
        _parse_timestamp(obj.get("lastSeen")),
    )


def parse_user(obj: object) -> User:
    """Validate ``user``: a safe, non-empty name and a ``#rrggbb`` color."""
    if not isinstance(obj, dict):
        raise InvalidState(f"user must be an object, not {_kind(obj)}")
    name = _text(obj.get("name"), "user.name", MAX_NAME_CHARS)
    color = obj.get("color")
    if not isinstance(color, str) or not _COLOR.fullmatch(color):
        raise InvalidState("user.color must be a #rrggbb string")
    return User(name, color.lower())


def parse_cursor(obj: object) -> Cursor | None:
    """Validate ``cursor``: null, or finite ``x`` and ``y`` and an optional component id."""
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise InvalidState(f"cursor must be an object or null, not {_kind(obj)}")
    component = obj.get("component")
    return Cursor(
        _coordinate(obj.get("x"), "cursor.x"),
        _coordinate(obj.get("y"), "cursor.y"),
        None if component is None else _text(component, "cursor.component", MAX_ID_CHARS),
    )


def parse_selection(obj: object) -> tuple[str, ...]:
    """Validate ``selection``: a list of at most :data:`MAX_SELECTION` component ids."""
    if not isinstance(obj, list | tuple):
        raise InvalidState(f"selection must be a list, not {_kind(obj)}")
    if len(obj) > MAX_SELECTION:
        raise InvalidState(f"selection has {len(obj)} ids, more than {MAX_SELECTION}")
    return tuple(_text(item, "selection id", MAX_ID_CHARS) for item in obj)


def parse_status(obj: object) -> Status:
    """Validate ``status``: one of :data:`STATUSES`."""
    if obj not in STATUSES:
        raise InvalidState(f"status must be one of {', '.join(STATUSES)}")
    return obj


def _parse_timestamp(obj: object) -> int | None:
    if obj is None:
        return None
    value = _number(obj)
    if value is None or not 0 <= value <= MAX_TIMESTAMP:
        raise InvalidState("lastSeen must be null or a time in ms since the epoch")
    return round(value)


def _coordinate(obj: object, field: str) -> float:
    value = _number(obj)
    if value is None:
        raise InvalidState(f"{field} must be a number, not {_kind(obj)}")
    if not abs(value) <= MAX_COORDINATE:  # also false for NaN
        raise InvalidState(f"{field} must be finite and within ±{MAX_COORDINATE:g}")
    return value


def _text(obj: object, field: str, limit: int) -> str:
    if not isinstance(obj, str):
        raise InvalidState(f"{field} must be a string, not {_kind(obj)}")
    if not 0 < len(obj) <= limit:
        raise InvalidState(f"{field} must have 1 to {limit} characters")
    if _UNSAFE.search(obj):
        raise InvalidState(f"{field} contains control characters")
    return obj


def _number(obj: object) -> float | None:
    if type(obj) is float:  # what JSON gives for most coordinates: the quick way out
        return obj
    # bool is an int in Python but true/false is not a number in JSON.
    if isinstance(obj, bool) or not isinstance(obj, int | float):
        return None
    try:
        return float(obj)
    except OverflowError:  # JSON allows integers with thousands of digits
        return math.inf


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every state: building one per call costs as much as a small parse.
_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)
# Its scanner, called directly: decode() adds two regex matches for the
# whitespace around the value, which a state from pycrdt or Yjs never has.
_SCAN: Final = json.scanner.make_scanner(cast(Any, _DECODER))  # cast: typeshed mistypes the context


def _load(text: str) -> Any:
    try:
        obj, end = _SCAN(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):
        # Whitespace around the value, or not JSON: decode() judges and explains.
        return _DECODER.decode(text)
    return obj


def _kind(obj: object) -> str:
    if obj is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if type(obj) in names:
        return names[type(obj)]
    return "a number" if _number(obj) is not None else type(obj).__name__
