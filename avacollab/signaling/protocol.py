"""The signaling protocol: message types, validation and error codes.

Pure code, no I/O. Every frame a client sends goes through :func:`parse`,
which either returns a typed request or raises :class:`ProtocolError` with a
stable code, so the server can answer bad input with a clear ``error`` and
keep the connection. docs/protocol.md is the normative description; keep the
two in step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final

import orjson

VERSION: Final = 1
"""Protocol version spoken by this server and client (``hello.version``)."""


class ErrorCode(StrEnum):
    """Stable error codes. Clients may switch on them; never rename one."""

    BAD_FRAME = "bad-frame"  # binary frame, or text that is not UTF-8
    BAD_JSON = "bad-json"  # not JSON, or nested too deeply
    BAD_UNICODE = "bad-unicode"  # a string holds a lone UTF-16 surrogate
    TOO_LARGE = "too-large"  # frame over the size limit
    INVALID = "invalid"  # JSON, but not a valid message of its type
    UNKNOWN_TYPE = "unknown-type"
    UNSUPPORTED_VERSION = "unsupported-version"
    HELLO_REQUIRED = "hello-required"
    NOT_JOINED = "not-joined"
    ALREADY_JOINED = "already-joined"
    UNKNOWN_PEER = "unknown-peer"  # `to` is not a member of the sender's room
    PEER_BUSY = "peer-busy"  # the recipient cannot take more right now
    RATE_LIMITED = "rate-limited"
    ROOM_FULL = "room-full"
    TOO_MANY_ROOMS = "too-many-rooms"
    TOKEN_REQUIRED = "token-required"
    TOKEN_INVALID = "token-invalid"
    TOKEN_EXPIRED = "token-expired"
    TOKEN_WRONG_ROOM = "token-wrong-room"
    SHUTTING_DOWN = "shutting-down"
    UNAVAILABLE = "unavailable"  # the shared room state (Redis) is unreachable; retry


class CloseCode(IntEnum):
    """WebSocket close codes of the signaling protocol, both ways (docs/protocol.md).

    The one home for them: the server's core and adapter and the peer's
    signaling client all name them from here.
    """

    NORMAL = 1000  # a client leaving (any client close frame but KEEP_PLACE is a leave)
    GOING_AWAY = 1001  # the server shutting down
    POLICY = 1008  # too many refused messages, no hello in time
    TOO_BIG = 1009  # a frame over four times maxFrameBytes (aiohttp closes it unread)
    KEEP_PLACE = 4000  # from a client: closing now, resuming soon
    REPLACED = 4001  # the same peer resumed on a newer connection
    SLOW = 4008  # the client did not read its frames fast enough


class ProtocolError(Exception):
    """A message the server refuses; becomes an ``error`` frame."""

    def __init__(self, code: ErrorCode, message: str, request_id: RequestId = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    def to_message(self) -> dict[str, Any]:
        return error(self.code, self.message, self.request_id)


RequestId = str | int | None

ROOM_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_NAME: Final = 64
MAX_ID: Final = 64  # request ids, as a string or its decimal form
MAX_TOKEN: Final = 4096
MAX_SDP: Final = 60_000  # well under the default 64 KiB frame limit
MAX_CANDIDATE: Final = 1024
MAX_MID: Final = 64
UNSAFE_IN_NAME: Final = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""What a display name may not hold: C0 and C1 control characters, and the
bidirectional marks and overrides that make a name read as another
(the presence plugin refuses the same in the names it shows)."""
FRAME_OVERHEAD: Final = 64
"""What the server counts for a queued outgoing frame beyond its bytes (the
object, the queue slot, the WebSocket header), so that a flood of tiny frames
is bounded like a few big ones."""

# After json.loads, an escaped surrogate pair is one character; a surrogate
# code point still in a string was a lone one, which UTF-8 cannot encode.
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


# -- requests (client to server) --------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    version: int
    id: RequestId = None


@dataclass(frozen=True, slots=True)
class Join:
    room: str
    name: str = ""
    token: str | None = None
    resume: str | None = None
    id: RequestId = None


# Not frozen, though never changed: a frozen dataclass is slower to make,
# and one is made for every relayed message.
@dataclass(slots=True)
class Relay:
    """An offer, answer or ICE candidate for one member of the room.

    ``body`` holds only the validated payload fields; the server adds
    ``type`` and ``from`` itself, so nothing the client invents is relayed.
    """

    type: str
    to: str
    body: dict[str, Any]
    id: RequestId = None


@dataclass(frozen=True, slots=True)
class Leave:
    id: RequestId = None


@dataclass(frozen=True, slots=True)
class Ping:
    id: RequestId = None


Request = Hello | Join | Relay | Leave | Ping

RELAY_TYPES: Final = frozenset({"offer", "answer", "candidate"})


def parse(text: str | bytes, max_bytes: int) -> Request:
    """Turn one WebSocket frame into a request, or raise ProtocolError.

    Binary frames are refused: the protocol is JSON text so that a browser
    client is a few lines of code. Size is checked before decoding so an
    oversized frame costs nothing more than its read.
    """
    if isinstance(text, bytes):
        raise ProtocolError(ErrorCode.BAD_FRAME, "binary frames are not accepted; send JSON text")
    if len(text) > max_bytes:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"frame is larger than {max_bytes} bytes")
    if not text.isascii():
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            # Not from a WebSocket (it delivers only valid UTF-8), but parse
            # is also the contract for anything else that feeds the core.
            raise ProtocolError(ErrorCode.BAD_UNICODE, _LONE_SURROGATE) from None
        if size > max_bytes:
            raise ProtocolError(ErrorCode.TOO_LARGE, f"frame is larger than {max_bytes} bytes")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        # orjson refuses a \ud800 escape outside a pair, which json.loads
        # would turn into a lone surrogate that no UTF-8 frame can carry on
        # to the other members. The slow decoder runs only then, to find the
        # request's id for the error.
        if "surrogate" in str(exc):
            raise ProtocolError(ErrorCode.BAD_UNICODE, _LONE_SURROGATE, _lenient_id(text)) from None
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.INVALID, "a message must be a JSON object")
    # Most requests carry no id: the call is saved for them.
    request_id = data.get("id")
    if request_id is not None:
        request_id = _check_id(request_id)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.INVALID, "'type' must be a string", request_id)
    try:
        if kind in RELAY_TYPES:
            to = data.get("to")
            if not isinstance(to, str) or not 0 < len(to) <= MAX_ID:
                raise _invalid("'to' must be a peer id string")
            return Relay(kind, to, _relay_body(kind, data), request_id)
        if kind == "hello":
            version = data.get("version")
            if type(version) is not int:
                raise _invalid("'version' must be an integer")
            return Hello(version, request_id)
        if kind == "join":
            return Join(
                room=_room(data.get("room")),
                name=_optional_str(data, "name", MAX_NAME) or "",
                token=_optional_str(data, "token", MAX_TOKEN),
                resume=_optional_str(data, "resume", MAX_TOKEN),
                id=request_id,
            )
        if kind == "leave":
            return Leave(request_id)
        if kind == "ping":
            return Ping(request_id)
    except ProtocolError as exc:
        exc.request_id = request_id
        raise
    raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}", request_id)


_LONE_SURROGATE: Final = (
    "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff outside a pair); "
    "all text must be valid Unicode"
)


def _lenient_id(text: str) -> RequestId:
    """The id of a request orjson refused for a lone surrogate, read with json."""
    try:
        return _clean_id(json.loads(text))
    except (ValueError, RecursionError):
        return None


def _clean_id(data: object) -> RequestId:
    """The request id to echo with an error found before the id was read, if usable."""
    if not isinstance(data, dict):
        return None
    try:
        request_id = _request_id(data)
    except ProtocolError:
        return None
    return None if isinstance(request_id, str) and _SURROGATE.search(request_id) else request_id


def _invalid(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.INVALID, message)


def _request_id(data: dict[str, Any]) -> RequestId:
    value = data.get("id")
    if value is None:
        return None
    return _check_id(value)


def _check_id(value: object) -> RequestId:
    # bool is an int subclass; an id of `true` is a client bug worth reporting.
    if isinstance(value, str) and len(value) <= MAX_ID:
        return value
    if type(value) is int and len(str(value)) <= MAX_ID:
        return value
    raise ProtocolError(ErrorCode.INVALID, "'id' must be a string or integer of at most 64 chars")


def _room(value: object) -> str:
    if not isinstance(value, str) or not ROOM_RE.match(value):
        raise _invalid(
            "'room' must be 1-128 characters of letters, digits and . _ : - "
            "starting with a letter or digit"
        )
    return value


def _optional_str(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"'{key}' must be a string")
    if len(value) > limit:
        raise _invalid(f"'{key}' is longer than {limit} characters")
    if key == "name" and UNSAFE_IN_NAME.search(value):
        raise _invalid("'name' must not contain control or bidirectional-override characters")
    return value


def _relay_body(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    if kind in ("offer", "answer"):
        sdp = data.get("sdp")
        if not isinstance(sdp, str) or not sdp:
            raise _invalid(f"'{kind}' needs 'sdp', a non-empty string")
        if len(sdp) > MAX_SDP:
            raise _invalid(f"'sdp' is longer than {MAX_SDP} characters")
        return {"sdp": sdp}
    # candidate: an RTCIceCandidateInit, or null for end-of-candidates, which
    # browsers send when they finish trickling and aiortc peers never need.
    candidate = data.get("candidate", ...)
    if candidate is ...:
        raise _invalid("'candidate' is required (an object, or null for end-of-candidates)")
    if candidate is None:
        return {"candidate": None}
    if not isinstance(candidate, dict):
        raise _invalid("'candidate' must be an object or null")
    line = candidate.get("candidate")
    if not isinstance(line, str) or len(line) > MAX_CANDIDATE:
        raise _invalid(f"'candidate.candidate' must be a string of at most {MAX_CANDIDATE} chars")
    out: dict[str, Any] = {"candidate": line}
    mid = candidate.get("sdpMid")
    if mid is not None:
        if not isinstance(mid, str) or len(mid) > MAX_MID:
            raise _invalid("'candidate.sdpMid' must be a short string or null")
        out["sdpMid"] = mid
    index = candidate.get("sdpMLineIndex")
    if index is not None:
        if type(index) is not int or not 0 <= index < 1024:
            raise _invalid("'candidate.sdpMLineIndex' must be a small non-negative integer")
        out["sdpMLineIndex"] = index
    return {"candidate": out}


# -- messages (server to client) ---------------------------------------------


def error(code: ErrorCode, message: str, request_id: RequestId = None) -> dict[str, Any]:
    return {"type": "error", "code": str(code), "message": message, "id": request_id}


def hello(server: str, limits: dict[str, Any], request_id: RequestId) -> dict[str, Any]:
    return {
        "type": "hello",
        "version": VERSION,
        "server": server,
        "limits": limits,
        "id": request_id,
    }


def encode(message: dict[str, Any]) -> str:
    """Compact JSON: frames are counted against the same limit both ways."""
    return encode_utf8(message).decode("utf-8")


def encode_utf8(message: dict[str, Any]) -> bytes:
    """The UTF-8 bytes of a frame for ``message``; never raises.

    :func:`parse` lets no lone surrogate in, but a message can carry text
    from elsewhere (a join token's claims, signed by an application server).
    Such a character goes out as a ``\\u`` escape, which is valid JSON,
    instead of raising in the middle of a broadcast to a whole room.
    """
    try:
        return orjson.dumps(message)
    except orjson.JSONEncodeError:
        return json.dumps(message, separators=(",", ":")).encode("ascii")
