"""A bounded reading of the Yjs v1 encodings (updates, state vectors) before yrs decodes them.

yrs sizes its tables from the counts an update claims, before it reads the
elements: a hash map of clients (update, state vector) or of keys (an
``Any`` object) is reserved for the claimed count, and reserving a hash map
writes its control bytes. A 500-byte update claiming 2^28 clients makes yrs
touch 512 MiB, a state vector claiming 2^29 clients 1 GiB, and an ``Any``
nested some 100,000 deep overflows the native stack (the process dies). So
every byte that comes from a peer is walked here first, in full, and refused
unless:

- every count fits in the bytes that are left, at the smallest size one
  element can take (a client of an update 3 bytes, a struct 2, a delete
  range 2, a state-vector entry 2, a key-value pair 2, a value 1);
- every string or buffer length fits in the bytes that are left;
- numbers are what yrs reads: counts, clocks and lengths fit in 32 bits
  (varints of at most 5 bytes), client ids in 53 bits (JavaScript's safe
  integers); a client's clocks, summed over its structs, stay below 2^32;
- ``Any`` values nest at most :data:`MAX_NESTING` deep;
- nothing follows the delete set (or the state vector);
- struct kinds and shared-type kinds are ones Yjs writes. What yrs and Yjs
  encode differently is refused, since the walk could not follow yrs through
  it: legacy JSON content (yrs reads one string more than Yjs writes) and XML
  hooks (Yjs writes a name, yrs reads none); so are yrs' own move and weak
  link content. This document never holds any of them.

What is left is linear: yrs takes at most some tens of bytes of memory per
byte of a checked update (its structs), as it would for an honest one.
The walk mirrors yrs 0.28's decoder (``yrs/src/update.rs``, ``block.rs``,
``id_set.rs``, lib0's ``any.rs``).
"""

from __future__ import annotations

import re

__all__ = ["MAX_NESTING", "WireFormatError", "check_state_vector", "check_update"]

MAX_NESTING = 64
"""Deepest nesting of ``Any`` values (arrays, objects) an update may hold.

Twice the schema's ``MAX_VALUE_DEPTH`` (32): a valid property value never
comes near it, and yrs' recursive decoder stays far from its stack's end.
"""

_U32 = 0xFFFF_FFFF
_CLIENT_MAX = (1 << 53) - 1

# Struct info byte (Yjs ``Item.write``): content kind in the low five bits, flags above.
_GC = 0
_SKIP = 10
_HAS_ORIGIN = 0x80
_HAS_RIGHT_ORIGIN = 0x40
_HAS_PARENT_SUB = 0x20
_KIND = 0x1F

# Content kinds (Yjs ``contentRefs``).
_DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC = range(1, 10)

# Shared-type kinds (Yjs ``typeRefs``): array, map, text, xml element, fragment, hook, text.
_XML_ELEMENT = 3
_XML_HOOK = 5
_LAST_TYPE = 6

# lib0 ``Any`` tags.
_UNDEFINED, _NULL, _INT, _FLOAT32, _FLOAT64, _BIGINT, _FALSE, _TRUE = range(127, 119, -1)
_STRING_TAG, _OBJECT, _ARRAY, _BUFFER = 119, 118, 117, 116
_FIXED_SIZE = {_UNDEFINED: 0, _NULL: 0, _FALSE: 0, _TRUE: 0, _FLOAT32: 4, _FLOAT64: 8, _BIGINT: 8}


class WireFormatError(ValueError):
    """Bytes that do not read as a bounded Yjs v1 update or state vector; says where and why."""


def check_update(data: bytes) -> None:
    """Raise ``WireFormatError`` unless ``data`` is a Yjs v1 update within the bounds above."""
    reader = _Reader(data)
    reader.update()


def check_state_vector(data: bytes) -> None:
    """Raise ``WireFormatError`` unless ``data`` is a Yjs v1 state vector within the bounds."""
    reader = _Reader(data)
    for _ in range(reader.count(2, "state vector clients")):
        reader.skip_client()
        reader.skip_u32("clock")
    reader.end()


# A varint whose value fits in 32 bits (at most 5 bytes, the fifth at most 4 bits),
# and one within 2^53 - 1 (at most 8 bytes, the eighth at most 4 bits). Matching
# scans in C, several times faster than a Python loop over a long client id.
_U32_VARINT = re.compile(rb"[\x80-\xff]{0,3}[\x00-\x7f]|[\x80-\xff]{4}[\x00-\x0f]")
_INT_VARINT = re.compile(rb"[\x80-\xff]{0,9}[\x00-\x7f]")  # lib0's signed varint, 64 bits
_CLIENT_VARINT = re.compile(rb"[\x80-\xff]{0,6}[\x00-\x7f]|[\x80-\xff]{7}[\x00-\x0f]")


class _Reader:
    """A cursor over one message; each method reads one element of the grammar."""

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.pos = 0
        self.size = len(self.data)

    def fail(self, reason: str) -> WireFormatError:
        return WireFormatError(f"{reason} (at byte {self.pos} of {self.size})")

    def skip_u32(self, what: str) -> None:
        """A varint whose value is not needed, only its bound."""
        match = _U32_VARINT.match(self.data, self.pos)
        if match is None:
            raise self._bad_varint(what, 5, _U32)
        self.pos = match.end()

    def skip_client(self) -> None:
        match = _CLIENT_VARINT.match(self.data, self.pos)
        if match is None:
            raise self._bad_varint("client id", 8, _CLIENT_MAX)
        self.pos = match.end()

    def u32(self, what: str) -> int:
        data, pos = self.data, self.pos
        if pos < self.size and data[pos] < 0x80:  # the common one-byte case
            self.pos = pos + 1
            return data[pos]
        match = _U32_VARINT.match(data, pos)
        if match is None:
            raise self._bad_varint(what, 5, _U32)
        self.pos = match.end()
        return _value(data[pos : self.pos])

    def _bad_varint(self, what: str, max_bytes: int, limit: int) -> WireFormatError:
        """Why no bounded varint starts here: the end of the data, its length, its value."""
        chunk = self.data[self.pos : self.pos + max_bytes]
        length = next((i + 1 for i, byte in enumerate(chunk) if byte < 0x80), None)
        if length is not None:
            return self.fail(f"{what} {_value(chunk[:length])} is above {limit}")
        if len(chunk) < max_bytes:
            return self.fail(f"truncated {what}")
        return self.fail(f"{what} is a varint longer than {max_bytes} bytes")

    def count(self, min_size: int, what: str) -> int:
        """A claimed number of elements, each at least ``min_size`` bytes: all must fit."""
        value = self.u32(f"count of {what}")
        if value * min_size > self.size - self.pos:
            raise self.fail(
                f"{value} {what} claimed, only {self.size - self.pos} bytes left"
                f" (each takes at least {min_size})"
            )
        return value

    def skip_bytes(self, what: str) -> int:
        """A length-prefixed string or buffer; returns its length in bytes."""
        length = self.u32(f"length of {what}")
        if length > self.size - self.pos:
            raise self.fail(f"{what} of {length} bytes claimed, only {self.size - self.pos} left")
        self.pos += length
        return length

    def end(self) -> None:
        if self.pos != self.size:
            raise self.fail(f"{self.size - self.pos} bytes after the end")

    # -- updates -------------------------------------------------------------

    def update(self) -> None:
        for _ in range(self.count(3, "clients")):
            structs = self.count(2, "structs")
            self.skip_client()
            clock = self.u32("clock")
            for _ in range(structs):
                clock += self.struct()
                if clock > _U32:
                    raise self.fail("clocks run past 2^32")
        for _ in range(self.count(2, "delete set clients")):
            self.skip_client()
            for _ in range(self.count(2, "delete ranges")):
                if self.u32("delete clock") + self.u32("delete length") > _U32:
                    raise self.fail("a delete range runs past 2^32")
        self.end()

    def struct(self) -> int:
        """One struct; returns its length in clock units (or an upper bound of it)."""
        if self.pos >= self.size:
            raise self.fail("truncated struct")
        info = self.data[self.pos]
        self.pos += 1
        if info in (_GC, _SKIP):
            return self.u32("struct length")
        kind = info & _KIND
        if kind in (_GC, _SKIP):
            raise self.fail(f"struct info {info:#04x}: flags on a gc or skip struct")
        if info & _HAS_ORIGIN:
            self.skip_client()
            self.skip_u32("origin clock")
        if info & _HAS_RIGHT_ORIGIN:
            self.skip_client()
            self.skip_u32("right origin clock")
        if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
            parent = self.u32("parent info")
            if parent == 1:
                self.skip_bytes("root type name")
            elif parent == 0:
                self.skip_client()
                self.skip_u32("parent clock")
            else:
                raise self.fail(f"parent info {parent}")
            if info & _HAS_PARENT_SUB:
                self.skip_bytes("key")
        return self.content(kind)

    def content(self, kind: int) -> int:
        if kind == _DELETED:
            return self.u32("deleted length")
        if kind in (_STRING, _EMBED):
            # A string's length is in UTF-16 units, never more than its UTF-8 bytes.
            return max(1, self.skip_bytes("string"))
        if kind == _BINARY:
            self.skip_bytes("binary")
            return 1
        if kind == _FORMAT:
            self.skip_bytes("format key")
            self.skip_bytes("format value")
            return 1
        if kind == _TYPE:
            if self.pos >= self.size:
                raise self.fail("truncated type")
            type_ref = self.data[self.pos]
            self.pos += 1
            if type_ref > _LAST_TYPE:
                raise self.fail(f"shared type kind {type_ref}")
            if type_ref == _XML_HOOK:
                raise self.fail("xml hook (yrs and Yjs disagree on its encoding)")
            if type_ref == _XML_ELEMENT:
                self.skip_bytes("xml element name")
            return 1
        if kind == _ANY:
            values = self.count(1, "values")
            for _ in range(values):
                self.any(1)
            return values
        if kind == _DOC:
            self.skip_bytes("subdocument guid")
            self.any(1)
            return 1
        if kind == _JSON:
            raise self.fail("legacy JSON content (yrs and Yjs disagree on its encoding)")
        raise self.fail(f"content kind {kind}")

    def any(self, depth: int) -> None:
        if depth > MAX_NESTING:
            raise self.fail(f"values nested more than {MAX_NESTING} deep")
        if self.pos >= self.size:
            raise self.fail("truncated value")
        tag = self.data[self.pos]
        self.pos += 1
        fixed = _FIXED_SIZE.get(tag)
        if fixed is not None:
            if fixed > self.size - self.pos:
                raise self.fail("truncated number")
            self.pos += fixed
        elif tag == _INT:
            match = _INT_VARINT.match(self.data, self.pos)
            if match is None:
                raise self.fail("integer value is truncated or longer than 10 bytes")
            self.pos = match.end()
        elif tag == _STRING_TAG:
            self.skip_bytes("string value")
        elif tag == _BUFFER:
            self.skip_bytes("buffer value")
        elif tag == _ARRAY:
            for _ in range(self.count(1, "array items")):
                self.any(depth + 1)
        elif tag == _OBJECT:
            for _ in range(self.count(2, "object entries")):
                self.skip_bytes("object key")
                self.any(depth + 1)
        else:
            raise self.fail(f"value tag {tag}")


def _value(varint: bytes) -> int:
    value = 0
    for byte in reversed(varint):
        value = (value << 7) | (byte & 0x7F)
    return value
