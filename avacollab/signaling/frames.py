"""WebSocket frames (RFC 6455) as the server reads and writes them, with no I/O.

The server reads clients' frames with :class:`FrameReader` and writes its
own with :func:`text_frame` and friends, straight to the transport (see
server.py for why). Only what a signaling server needs is here: no
extensions (the server declines permessage-deflate, which costs more than it
saves on small frames), no subprotocols, no fragmentation of what it sends.
Every way a client can break the protocol ends in a :class:`FrameError`
carrying the close code to answer with.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Final

# aiohttp's own mask loop, compiled: a fifth of the time of XOR-ing big
# integers in Python on a 200-byte frame, and every frame a client sends is
# masked. A private part of aiohttp (docs/session.md), checked here.
from aiohttp._websocket import helpers as _aiohttp_ws

from ..internals import require_attributes

require_attributes(
    "avacollab", "aiohttp", _aiohttp_ws, ["websocket_mask"], "aiohttp._websocket.helpers"
)
websocket_mask = _aiohttp_ws.websocket_mask

OP_CONTINUATION: Final = 0x0
OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_CLOSE: Final = 0x8
OP_PING: Final = 0x9
OP_PONG: Final = 0xA

# Close codes of RFC 6455 section 7.4.1.
PROTOCOL_ERROR: Final = 1002
INVALID_DATA: Final = 1007
MESSAGE_TOO_BIG: Final = 1009
NO_STATUS: Final = 1005
"""What a close frame without a code stands for; never sent on the wire."""

MAX_CONTROL: Final = 125
_ACCEPT_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Headers of unfragmented server frames of up to 125 bytes, made once.
_SMALL_TEXT: Final = tuple(bytes((0x80 | OP_TEXT, n)) for n in range(126))
_MEDIUM: Final = struct.Struct("!BBH")
_LARGE: Final = struct.Struct("!BBQ")


class FrameError(Exception):
    """A client broke the WebSocket protocol; close with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


Event = tuple[int, "str | bytes"]
"""What :meth:`FrameReader.feed` yields: ``(OP_TEXT, str)``, ``(OP_BINARY,
bytes)``, or a control frame's opcode and payload (``OP_PING``, ``OP_PONG``,
``OP_CLOSE``; a close's payload checked already, :func:`close_code` reads
it)."""


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answer to a client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1(key.encode() + _ACCEPT_GUID).digest()).decode()


def valid_key(key: str) -> bool:
    """Whether a ``Sec-WebSocket-Key`` is what RFC 6455 asks: 16 bytes in base64."""
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


def frame(opcode: int, payload: bytes) -> bytes:
    """One unfragmented, unmasked frame, as a server sends them."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, size))
    elif size < 1 << 16:
        header = _MEDIUM.pack(0x80 | opcode, 126, size)
    else:
        header = _LARGE.pack(0x80 | opcode, 127, size)
    return header + payload


def text_frame(payload: bytes) -> bytes:
    """A text frame for ``payload``, UTF-8 already (the relay's hot path)."""
    size = len(payload)
    if size < 126:
        return _SMALL_TEXT[size] + payload
    if size < 1 << 16:
        return _MEDIUM.pack(0x80 | OP_TEXT, 126, size) + payload
    return frame(OP_TEXT, payload)


def close_frame(code: int, reason: str = "") -> bytes:
    """A close frame; ``code`` NO_STATUS (or 0) sends none, as in a reply to an empty close."""
    if code in (0, NO_STATUS):
        return frame(OP_CLOSE, b"")
    # A control frame holds 125 bytes: the code and at most 123 of reason,
    # cut on a character boundary so the reason stays valid UTF-8.
    text = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
    return frame(OP_CLOSE, code.to_bytes(2, "big") + text)


def unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``mask`` repeated."""
    data = bytearray(payload)
    websocket_mask(mask, data)
    return bytes(data)


def _valid_close_code(code: int) -> bool:
    # 1004-1006 and 1015 are reserved for reporting, never sent; 1012-1014
    # are registered since the RFC; 3000-4999 belong to libraries and apps.
    return (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999


class FrameReader:
    """Client frames in, whole messages and control frames out.

    ``max_message`` bounds a message's payload (all its fragments): a frame
    that announces more is refused from its header, before its payload is
    read, so a client cannot make the server buffer it.
    """

    __slots__ = ("_buf", "_max", "_need", "_part_op", "_part_size", "_parts", "error")

    def __init__(self, max_message: int) -> None:
        self._buf = bytearray()  # the start of a frame not yet complete
        self._need = 0  # how long _buf must grow before parsing can go on
        self._max = max_message
        self._parts: list[bytes] = []  # fragments of the message in progress
        self._part_size = 0
        self._part_op = 0  # its opcode; 0: none in progress
        self.error: FrameError | None = None
        """Set when the client broke the protocol; nothing is read after it."""

    @property
    def buffered(self) -> int:
        """Bytes held for a frame that is not complete yet."""
        return len(self._buf) + self._part_size

    def feed(self, data: bytes) -> list[Event]:
        """Take what the socket read; return the events it completes.

        A protocol error sets :attr:`error`; the events read before it are
        still returned (a message that arrived whole is not lost because
        garbage followed it in the same read).
        """
        if self.error is not None:
            return []
        if not self._buf and not self._part_op and len(data) > 6 and data[0] == 0x81:
            # The common case, by far: one whole, masked text frame of up to
            # 64 KiB in one read, with nothing pending.
            size = data[1] - 0x80  # negative: not masked
            start = 6
            if size == 126:
                size = (data[2] << 8) | data[3]
                start = 8
            if 0 <= size <= self._max and size != 127 and start + size == len(data):
                payload = bytearray(data[start:])
                websocket_mask(data[start - 4 : start], payload)
                try:
                    return [(OP_TEXT, payload.decode())]
                except UnicodeDecodeError:
                    pass  # the general path reports it
        if self._buf:
            self._buf += data
            # A frame trickled in byte by byte is parsed once, when whole,
            # not re-read on every byte.
            if len(self._buf) < self._need:
                return []
            data = bytes(self._buf)
        events: list[Event] = []
        try:
            pos = self._parse(data, events)
        except FrameError as exc:
            self.error = exc
            self._buf = bytearray()
            self._parts.clear()
            self._part_size = self._part_op = 0
            return events
        if pos == len(data):
            if self._buf:
                self._buf.clear()
        else:
            self._buf[:] = data[pos:]
        return events

    def _parse(self, data: bytes, events: list[Event]) -> int:
        """Parse every complete frame of ``data``; return where the rest starts."""
        pos, end = 0, len(data)
        self._need = 2
        while end - pos >= 2:
            b0, b1 = data[pos], data[pos + 1]
            size = b1 & 0x7F
            start = pos + 6  # two header bytes and the mask
            if size == 126:
                if end - pos < 4:
                    self._need = 4
                    break
                size = int.from_bytes(data[pos + 2 : pos + 4], "big")
                start += 2
            elif size == 127:
                if end - pos < 10:
                    self._need = 10
                    break
                size = int.from_bytes(data[pos + 2 : pos + 10], "big")
                start += 8
            opcode = b0 & 0x0F
            self._check_header(b0, b1, opcode, size)
            if start + size > end:
                self._need = start + size - pos
                break
            payload = unmask(data[start : start + size], data[start - 4 : start])
            pos = start + size
            if opcode >= OP_CLOSE:
                events.append(_control(opcode, payload))
            elif b0 & 0x80 and not self._part_op and opcode:
                events.append(_message(opcode, payload))
            else:
                self._fragment(b0 & 0x80, opcode, payload, events)
        return pos

    def _check_header(self, b0: int, b1: int, opcode: int, size: int) -> None:
        if b0 & 0x70:
            raise FrameError(PROTOCOL_ERROR, "reserved bits set, and no extension was agreed")
        if not b1 & 0x80:
            raise FrameError(PROTOCOL_ERROR, "a client's frames must be masked")
        if opcode >= OP_CLOSE:
            if opcode > OP_PONG:
                raise FrameError(PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
            if size > MAX_CONTROL or not b0 & 0x80:
                raise FrameError(PROTOCOL_ERROR, "control frames are unfragmented and short")
            return
        if opcode > OP_BINARY:
            raise FrameError(PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        if opcode == OP_CONTINUATION and not self._part_op:
            raise FrameError(PROTOCOL_ERROR, "a continuation frame with no message to continue")
        if opcode != OP_CONTINUATION and self._part_op:
            raise FrameError(PROTOCOL_ERROR, "a new message before the last one ended")
        if self._part_size + size > self._max:
            raise FrameError(MESSAGE_TOO_BIG, f"a message is larger than {self._max} bytes")

    def _fragment(self, fin: int, opcode: int, payload: bytes, events: list[Event]) -> None:
        if opcode:
            self._part_op = opcode
        self._parts.append(payload)
        self._part_size += len(payload)
        if fin:
            whole = b"".join(self._parts)
            opcode = self._part_op
            self._parts.clear()
            self._part_size = self._part_op = 0
            events.append(_message(opcode, whole))


def _message(opcode: int, payload: bytes) -> Event:
    if opcode == OP_BINARY:
        return (OP_BINARY, payload)
    try:
        return (OP_TEXT, payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise FrameError(INVALID_DATA, "a text message is not valid UTF-8") from None


def close_code(payload: bytes) -> int:
    """The code of a close frame's payload, 0 when it has none."""
    return int.from_bytes(payload[:2], "big") if payload else 0


def _control(opcode: int, payload: bytes) -> Event:
    if opcode != OP_CLOSE or not payload:
        return (opcode, payload)
    if len(payload) == 1:
        raise FrameError(PROTOCOL_ERROR, "a close frame's code is two bytes")
    code = int.from_bytes(payload[:2], "big")
    if not _valid_close_code(code):
        raise FrameError(PROTOCOL_ERROR, f"close code {code} may not be sent")
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError(INVALID_DATA, "a close reason is not valid UTF-8") from None
    return (OP_CLOSE, payload)
