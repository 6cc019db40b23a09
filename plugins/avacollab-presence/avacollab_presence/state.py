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

The rules live twice, on purpose. The types below carry them as msgspec
constraints, so a received state is parsed and checked in compiled code (a
cursor update arrives 20 times a second from every peer, and its user and
selection are checked again only when they changed). The ``parse_*``
functions spell the same rules out in Python: they check what the local API
is given, and they explain a refusal, since msgspec's own messages name
regexes and types rather than rules. A test holds the two to the same verdicts.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Final, Literal, get_args

import msgspec
from msgspec import Meta
from msgspec.structs import force_setattr

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

_COLOR_PATTERN = r"\A#[0-9a-fA-F]{6}\Z"
# Control characters and bidirectional overrides would let a name or an id
# rewrite the terminal or the line it is printed on.
_UNSAFE_CHARS = r"\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
_COLOR = re.compile(_COLOR_PATTERN)
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")
# msgspec searches a pattern rather than matching it whole: anchored with \A
# and \Z (not $, which also matches before a final newline).
_SAFE_PATTERN = rf"\A[^{_UNSAFE_CHARS}]*\Z"

Name = Annotated[str, Meta(min_length=1, max_length=MAX_NAME_CHARS, pattern=_SAFE_PATTERN)]
Color = Annotated[str, Meta(pattern=_COLOR_PATTERN)]
ComponentId = Annotated[str, Meta(min_length=1, max_length=MAX_ID_CHARS, pattern=_SAFE_PATTERN)]
Coordinate = Annotated[float, Meta(ge=-MAX_COORDINATE, le=MAX_COORDINATE)]
Selection = Annotated[tuple[ComponentId, ...], Meta(max_length=MAX_SELECTION)]
# JSON has one number type: Yjs sends Date.now() as an integer, but a float is
# a time too (it is rounded).
Timestamp = (
    Annotated[int, Meta(ge=0, le=MAX_TIMESTAMP)] | Annotated[float, Meta(ge=0, le=MAX_TIMESTAMP)]
)


class InvalidState(ValueError):
    """A presence state that breaks the schema; the message says which rule."""


# gc=False: the collector need not track them (a cursor update makes three),
# since they hold only strings, numbers and each other and cannot form a cycle.
class User(msgspec.Struct, frozen=True, gc=False):
    """Who a peer is: a display name and the color drawn for them."""

    name: Name
    color: Color

    def __post_init__(self) -> None:
        # Read case-insensitively, kept lower case (the palette is).
        lower = self.color.lower()
        if lower != self.color:
            force_setattr(self, "color", lower)


class Cursor(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """A pointer position in canvas coordinates, and the component under it."""

    x: Coordinate
    y: Coordinate
    component: ComponentId | None = None


class PresenceState(msgspec.Struct, frozen=True, gc=False, rename={"last_seen": "lastSeen"}):
    """One peer's presence, as published in its awareness state."""

    user: User
    cursor: Cursor | None = None
    selection: Selection = ()
    status: Status = "active"
    last_seen: int | None = None
    """When the peer last had input, in ms since the epoch by its own clock."""

    def to_json(self) -> dict[str, Any]:
        """The wire form, the inverse of :func:`parse_state`."""
        wire: dict[str, Any] = msgspec.to_builtins(self)
        wire["selection"] = list(self.selection)  # to_builtins keeps a tuple a tuple
        return wire


class _Received(msgspec.Struct, frozen=True, gc=False, rename={"last_seen": "lastSeen"}):
    """A received state, with the parts that seldom change left as raw JSON.

    A peer's name, color and selection stay the same across the cursor moves
    that make up most updates: :func:`decode_state_object` checks them again
    only when their bytes differ from the peer's previous state, and reuses
    what it made of them otherwise.
    """

    user: msgspec.Raw
    cursor: Cursor | None = None
    selection: msgspec.Raw = msgspec.Raw(b"[]")
    status: Status = "active"
    last_seen: Timestamp | None = None


class Decoded(msgspec.Struct, frozen=True, gc=False):
    """A state as it arrived: its JSON text and what it says, checked."""

    text: str
    state: PresenceState
    user: msgspec.Raw
    selection: msgspec.Raw

    @property
    def json(self) -> dict[str, Any]:
        """The JSON object, every key kept (parsed on each call)."""
        return json_object(self.text)


_RECEIVED: Final = msgspec.json.Decoder(_Received)
_USER: Final = msgspec.json.Decoder(User)
_SELECTION: Final = msgspec.json.Decoder(Selection)
_PLAIN: Final = msgspec.json.Decoder(dict[str, Any])


def json_object(text: str) -> dict[str, Any]:
    """A state's JSON text as a plain object, every key kept; checks nothing else."""
    result: dict[str, Any] = _PLAIN.decode(text)
    return result


def decode_state(text: str) -> PresenceState:
    """Parse and validate a state's JSON text, as it arrives in an update."""
    return decode_state_object(text).state


def decode_state_object(text: str, previous: Decoded | None = None) -> Decoded:
    """Like :func:`decode_state`, keeping the text and what the check made of it.

    ``previous``, the same peer's last state, spares checking a user and a
    selection whose bytes have not changed since. Each key is read as JSON
    treats a repeated key: the last value wins.
    """
    # Characters first: a string of more characters than the limit has at
    # least as many bytes, and the count is free.
    if len(text) > MAX_STATE_BYTES or (not text.isascii() and len(text.encode()) > MAX_STATE_BYTES):
        raise InvalidState(f"state larger than {MAX_STATE_BYTES} bytes")
    try:
        received = _RECEIVED.decode(text)
        if previous is not None and received.user == previous.user:
            user = previous.state.user
        else:
            user = _USER.decode(received.user)
        if previous is not None and received.selection == previous.selection:
            selection = previous.state.selection
        else:
            selection = _SELECTION.decode(received.selection)
    except RecursionError:  # unknown keys may nest as deep as a peer likes
        raise InvalidState("state is not valid JSON: nested too deeply") from None
    except msgspec.DecodeError as exc:
        raise InvalidState(_explain(text, exc)) from None
    seen = received.last_seen
    last_seen = round(seen) if isinstance(seen, float) else seen  # a float time: to the ms
    state = PresenceState(user, received.cursor, selection, received.status, last_seen)
    return Decoded(text, state, received.user, received.selection)


def _explain(text: str, error: msgspec.DecodeError) -> str:
    """The rule a state refused by msgspec breaks, in the words of the checks below."""
    try:
        parse_state(_load(text))
    except RecursionError:
        return "state is not valid JSON: nested too deeply"
    except InvalidState as exc:
        return str(exc)
    except ValueError as exc:
        return f"state is not valid JSON: {exc}"
    # What only msgspec refuses: a lone UTF-16 surrogate (not Unicode, no
    # UTF-8 for it), a repeated key whose earlier value is bad. Its own words.
    if isinstance(error, msgspec.ValidationError):
        return f"state breaks the schema: {error}"
    return f"state is not valid JSON: {error}"


def parse_state(obj: object) -> PresenceState:
    """Validate a decoded JSON value and return it typed."""
    if not isinstance(obj, dict):
        raise InvalidState(f"state must be an object, not {_kind(obj)}")
    if "user" not in obj:
        raise InvalidState("state has no user")
    return PresenceState(
        parse_user(obj["user"]),
        parse_cursor(obj.get("cursor")),
        parse_selection(obj.get("selection", [])),
        parse_status(obj.get("status", "active")),
        _parse_timestamp(obj.get("lastSeen")),
    )


def parse_user(obj: object) -> User:
    """Validate ``user``: a safe, non-empty name and a ``#rrggbb`` color."""
    if not isinstance(obj, dict):
        raise InvalidState(f"user must be an object, not {_kind(obj)}")
    name = _text(obj.get("name"), "user.name", MAX_NAME_CHARS)
    color = obj.get("color")
    if not isinstance(color, str) or not _COLOR.match(color):
        raise InvalidState("user.color must be a #rrggbb string")
    return User(name, color)


def parse_cursor(obj: object) -> Cursor | None:
    """Validate ``cursor``: null, or finite ``x`` and ``y`` and an optional component id."""
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise InvalidState(f"cursor must be an object or null, not {_kind(obj)}")
    return check_cursor(obj.get("x"), obj.get("y"), obj.get("component"))


def check_cursor(x: object, y: object, component: object = None) -> Cursor:
    """A cursor from its parts, checked as :func:`parse_cursor` checks them."""
    return Cursor(
        _coordinate(x, "cursor.x"),
        _coordinate(y, "cursor.y"),
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
    if type(obj) is float and -MAX_COORDINATE <= obj <= MAX_COORDINATE:
        return obj  # the usual case, and the quick way out (false for NaN)
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
    # bool is an int in Python but true/false is not a number in JSON.
    if isinstance(obj, bool) or not isinstance(obj, int | float):
        return None
    try:
        return float(obj)
    except OverflowError:  # JSON allows integers with thousands of digits
        return math.inf


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def _kind(obj: object) -> str:
    if obj is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if type(obj) in names:
        return names[type(obj)]
    return "a number" if _number(obj) is not None else type(obj).__name__
