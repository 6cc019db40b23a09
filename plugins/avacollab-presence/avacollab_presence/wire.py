"""The y-protocols awareness update encoding, decoded strictly.

Pure code, no I/O. An update is ``count`` followed by ``count`` entries of
``client_id``, ``clock`` and ``state``: the integers are lib0 variable-length
unsigned integers (7 bits a byte, low bits first, high bit set on every byte
but the last) and the state is a lib0 string (its UTF-8 length as such an
integer, then the bytes) holding JSON, where ``null`` means the client left.

pycrdt's own decoder trusts its input; this one checks every length against
the bytes that are really there and against hard limits before anything is
parsed, so a hostile update costs at most its own size to reject. Anything
that does not follow the format raises :class:`WireError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MAX_UPDATE_BYTES: Final = 64 * 1024
"""Largest awareness update accepted, in bytes."""

MAX_ENTRIES: Final = 64
"""Most entries one update may carry (a mesh peer sends one: its own)."""

MAX_UINT: Final = 2**53 - 1
"""Largest integer lib0 encodes (JavaScript's safe integer limit)."""


class WireError(ValueError):
    """Bytes that are not a well-formed awareness update within the limits."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One client's part of an awareness update: ``state`` is JSON text."""

    client_id: int
    clock: int
    state: str


def decode_update(data: bytes) -> list[Entry]:
    """Decode an awareness update; raise :class:`WireError` if it is malformed."""
    if len(data) > MAX_UPDATE_BYTES:
        raise WireError(f"update of {len(data)} bytes exceeds {MAX_UPDATE_BYTES}")
    reader = _Reader(data)
    count = reader.uint()
    if count > MAX_ENTRIES:
        raise WireError(f"update has {count} entries, more than {MAX_ENTRIES}")
    entries = [Entry(reader.uint(), reader.uint(), reader.string()) for _ in range(count)]
    if reader.pos != len(data):
        raise WireError(f"{len(data) - reader.pos} trailing bytes after the last entry")
    return entries


def encode_update(entries: list[Entry]) -> bytes:
    """Encode entries as an awareness update, the inverse of :func:`decode_update`."""
    out = bytearray()
    _write_uint(out, len(entries))
    for entry in entries:
        _write_uint(out, entry.client_id)
        _write_uint(out, entry.clock)
        raw = entry.state.encode()
        _write_uint(out, len(raw))
        out += raw
    return bytes(out)


def _write_uint(out: bytearray, value: int) -> None:
    if not 0 <= value <= MAX_UINT:
        raise ValueError(f"{value} is outside 0..2**53-1")
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def uint(self) -> int:
        value = 0
        shift = 0
        while True:
            if self.pos >= len(self.data):
                raise WireError("truncated update: integer runs past the end")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if value > MAX_UINT:
                raise WireError("integer larger than 2**53-1")
            if byte < 0x80:
                return value
            shift += 7
            if shift > 49:  # eight bytes carry 56 bits, enough for any 53-bit value
                raise WireError("integer encoded in more than eight bytes")

    def string(self) -> str:
        length = self.uint()
        end = self.pos + length
        if end > len(self.data):
            raise WireError(f"truncated update: string of {length} bytes runs past the end")
        raw = self.data[self.pos : end]
        self.pos = end
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise WireError(f"state is not valid UTF-8: {exc.reason}") from None
