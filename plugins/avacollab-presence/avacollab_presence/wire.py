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

from typing import Final, NamedTuple

MAX_UPDATE_BYTES: Final = 64 * 1024
"""Largest awareness update accepted, in bytes."""

MAX_ENTRIES: Final = 64
"""Most entries one update may carry (a mesh peer sends one: its own)."""

MAX_UINT: Final = 2**53 - 1
"""Largest integer lib0 encodes (JavaScript's safe integer limit)."""


class WireError(ValueError):
    """Bytes that are not a well-formed awareness update within the limits."""


class Entry(NamedTuple):
    """One client's part of an awareness update: ``state`` is JSON text."""

    client_id: int
    clock: int
    state: str


def decode_update(data: bytes) -> list[Entry]:
    """Decode an awareness update; raise :class:`WireError` if it is malformed."""
    size = len(data)
    if size > MAX_UPDATE_BYTES:
        raise WireError(f"update of {size} bytes exceeds {MAX_UPDATE_BYTES}")
    # The usual update, one entry, read inline: it comes with every cursor
    # move of every peer, and a call per integer was most of its cost.
    # Anything else, well-formed or not, takes the general decoder, which
    # also words the errors.
    if size > 4 and data[0] == 1:
        pos = 1
        ints = []
        for _ in range(3):
            value = shift = 0
            for byte in data[pos : pos + 8]:
                pos += 1
                value |= (byte & 0x7F) << shift
                if byte < 0x80:
                    break
                shift += 7
            else:  # ran out of bytes, or an integer longer than eight
                return _decode_any(data)
            ints.append(value)
        client_id, clock, length = ints
        if pos + length == size and client_id <= MAX_UINT and clock <= MAX_UINT:
            try:
                # tuple.__new__: NamedTuple's own __new__ is a Python-level call.
                return [_new(Entry, (client_id, clock, data[pos:].decode()))]
            except UnicodeDecodeError:
                pass
    return _decode_any(data)


def _decode_any(data: bytes) -> list[Entry]:
    """:func:`decode_update` for any number of entries, an integer at a time."""
    size = len(data)
    count, pos = _uint(data, 0)
    if count > MAX_ENTRIES:
        raise WireError(f"update has {count} entries, more than {MAX_ENTRIES}")
    entries = []
    for _ in range(count):
        client_id, pos = _uint(data, pos)
        clock, pos = _uint(data, pos)
        length, pos = _uint(data, pos)
        end = pos + length
        if end > size:
            raise WireError(f"truncated update: string of {length} bytes runs past the end")
        try:
            state = data[pos:end].decode()
        except UnicodeDecodeError as exc:
            raise WireError(f"state is not valid UTF-8: {exc.reason}") from None
        entries.append(Entry(client_id, clock, state))
        pos = end
    if pos != size:
        raise WireError(f"{size - pos} trailing bytes after the last entry")
    return entries


def encode_update(entries: list[Entry]) -> bytes:
    """Encode entries as an awareness update, the inverse of :func:`decode_update`."""
    parts = [encode_uint(len(entries))]
    for entry in entries:
        raw = entry.state.encode()
        parts += (
            encode_uint(entry.client_id),
            encode_uint(entry.clock),
            encode_uint(len(raw)),
            raw,
        )
    return b"".join(parts)


def encode_uint(value: int) -> bytes:
    """``value`` as a lib0 variable-length unsigned integer."""
    if 0 <= value <= 0x7F:
        return _SMALL[value]
    if not 0 <= value <= MAX_UINT:
        raise ValueError(f"{value} is outside 0..2**53-1")
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


_SMALL: Final = [bytes((value,)) for value in range(0x80)]
_new: Final = tuple.__new__


def _uint(data: bytes, pos: int) -> tuple[int, int]:
    """The integer at ``pos`` and the position after it."""
    value = 0
    shift = 0
    # Eight bytes carry 56 bits, enough for any 53-bit value. Iterating a
    # slice is the quick way through bytes in Python (no index checks).
    for byte in data[pos : pos + 8]:
        pos += 1
        if byte < 0x80:
            value |= byte << shift
            if value > MAX_UINT:
                raise WireError("integer larger than 2**53-1")
            return value, pos
        value |= (byte & 0x7F) << shift
        shift += 7
    if shift < 56:
        raise WireError("truncated update: integer runs past the end")
    raise WireError("integer encoded in more than eight bytes")
