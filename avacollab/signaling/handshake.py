"""The WebSocket opening handshake read straight off the socket, with no I/O.

Every peer that joins a room first sends one small, plain request (RFC 6455
4.1): ``GET /ws HTTP/1.1`` and a dozen headers. :func:`read_upgrade` reads
such a request from the bytes of a new connection so that the server can
answer it with :func:`switching_protocols` in the very read that completes
it, instead of through aiohttp's request machinery (a request object, two
task hops, middleware, a response object, and a handler coroutine that
lives as long as the connection). That machinery was most of the server's
work per join, and joins queue behind one another (docs/benchmarks.md).

Only the common, clean case is read here. Anything else (another path or
method, a header folded or repeated, a body, bytes outside ASCII, a request
that is not an upgrade, a head over :data:`MAX_HEAD`) is :data:`OTHER`: the
server hands the connection to aiohttp as it stands, which answers it as it
always has, errors with their readable text included. So nothing here has
to say no to anybody, and a wrong guess costs one extra parse, never a
wrong answer.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from .frames import accept_key, valid_key

MAX_HEAD: Final = 8192
"""Bytes of request head read here at most; a bigger one is aiohttp's."""

# The request line: GET, an origin-form target (path and optional query), 1.1.
_REQUEST_LINE = re.compile(rb"GET (/[^\s?#]*)(?:\?[^\s#]*)? HTTP/1\.1")
# A header field: a token, a colon, and a value of visible ASCII, spaces and tabs.
_FIELD = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e]*?)[ \t]*")
# The fields the answer depends on. A repeated one, or a body, is aiohttp's.
_READ: Final = frozenset(
    {
        b"host",
        b"origin",
        b"upgrade",
        b"connection",
        b"sec-websocket-key",
        b"sec-websocket-version",
        b"content-length",
        b"transfer-encoding",
    }
)


class Read(enum.Enum):
    """What :func:`read_upgrade` makes of bytes that are not a clean upgrade."""

    MORE = "more"
    """The head is not complete yet: read on."""
    OTHER = "other"
    """Not a clean upgrade to the path: aiohttp answers it."""


MORE: Final = Read.MORE
OTHER: Final = Read.OTHER


@dataclass(frozen=True, slots=True)
class Upgrade:
    """A clean WebSocket upgrade request."""

    host: str
    origin: str | None
    key: str
    rest: bytes
    """What came after the head: the client's first frames, if it did not wait."""


def read_upgrade(data: bytes, path: str) -> Upgrade | Read:
    """Read the start of a connection as an upgrade request to ``path``.

    ``data`` is everything the connection has sent so far.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return MORE if len(data) < MAX_HEAD and _may_be(data, path) else OTHER
    if end + 4 > MAX_HEAD:
        return OTHER
    head = data[:end]
    if not head.isascii():
        return OTHER
    line, _, rest = head.partition(b"\r\n")
    request = _REQUEST_LINE.fullmatch(line)
    if request is None or request[1] != path.encode():
        return OTHER
    fields: dict[bytes, bytes] = {}
    for field in rest.split(b"\r\n") if rest else ():
        match = _FIELD.fullmatch(field)
        if match is None:
            return OTHER  # folded, bare CR or LF, control bytes, no colon...
        name = match[1].lower()
        if name in _READ:
            if name in fields:
                return OTHER
            fields[name] = match[2]
    connection = {token.strip().lower() for token in fields.get(b"connection", b"").split(b",")}
    key = fields.get(b"sec-websocket-key", b"").decode()
    host = fields.get(b"host")
    if (
        host is None
        or b"content-length" in fields
        or b"transfer-encoding" in fields
        or fields.get(b"upgrade", b"").lower() != b"websocket"
        or b"upgrade" not in connection
        or fields.get(b"sec-websocket-version") != b"13"
        or not valid_key(key)
    ):
        return OTHER
    origin = fields.get(b"origin")
    return Upgrade(
        host=host.decode(),
        origin=None if origin is None else origin.decode(),
        key=key,
        rest=data[end + 4 :],
    )


def _may_be(data: bytes, path: str) -> bool:
    """Whether an incomplete head may still turn out an upgrade to ``path``:
    other requests go to aiohttp at their first read, not their last."""
    start = b"GET " + path.encode()
    if len(data) <= len(start):
        return start.startswith(data)
    return data.startswith(start) and data[len(start)] in b" ?"


def switching_protocols(key: str) -> bytes:
    """The 101 answer to a clean upgrade with ``key``: no extension (browsers
    offer permessage-deflate, which on signaling's small, mostly unique
    frames halves relay throughput for little saving) and no subprotocol."""
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n\r\n"
    )
