"""The bus wire format: frames carried in data-channel messages.

Pure code, no I/O. docs/protocol.md (part 2) is the normative description for other
implementations (a browser client among them); keep the two in step.

Every frame starts with two bytes, ``version`` and ``kind``. Header fields are
unsigned big-endian with fixed widths, so a JavaScript ``DataView`` reads them
directly. A *message entry* is ``flags u8 | topic_len u8 | topic | payload_len
varuint | payload``, the length an unsigned LEB128 varint as Yjs's lib0 writes
it (one byte up to 127); a batch frame is the header followed by one or more
entries, and a message too big for one frame travels as the entry's bytes cut
into chunk frames (:mod:`avacollab.bus.chunks` cuts them and puts them back
together under hard limits). Inside a batch, an entry whose flags and topic
repeat the previous entry's leaves the topic out (``topic_len`` 0). Both
rules are about bytes: aiortc's CPU goes by the SCTP packet, so a 30-byte
message that takes 33 bytes instead of 46 lets 35 messages share a packet
instead of 25.

Anything a peer sends that does not follow the format raises
:class:`FrameError`, and nothing else, so callers need one ``except``.
"""

from __future__ import annotations

import functools
import json
import re
import struct
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

VERSION: Final = 1

KIND_BATCH: Final = 1
KIND_CHUNK: Final = 2
KIND_PING: Final = 3
KIND_PONG: Final = 4

FLAG_JSON: Final = 0x01
"""Message flag: the payload is UTF-8 JSON."""
FLAG_DEFLATE: Final = 0x02
"""Message flag: the payload is compressed with raw DEFLATE (RFC 1951).

Other bits are reserved (sent as 0, ignored)."""

MAX_TOPIC_BYTES: Final = 255
MAX_PAYLOAD_LEN: Final = 0xFFFF_FFFF
"""The largest ``payload_len`` a frame may state (a 5-byte varint at most)."""
HEADER_SIZE: Final = 2
CHUNK_HEADER_SIZE: Final = HEADER_SIZE + 16  # message id, index, count, total

_HEADER = struct.Struct(">BB")
CHUNK_HEADER: Final = struct.Struct(">BBIIII")
"""A chunk frame's header: version, kind, message id, index, count, total."""
_PING = struct.Struct(">BBd")
BATCH_HEADER: Final = bytes((VERSION, KIND_BATCH))
# A payload shorter than 128 bytes states its length in one byte: these are
# those bytes, made once.
_ONE_BYTE_LENGTHS: Final = tuple(bytes((n,)) for n in range(128))


@functools.lru_cache(maxsize=256)
def _short_heads(flags: int) -> tuple[bytes, ...]:
    """``flags``, topic length 0 and a one-byte payload length, for each length."""
    return tuple(bytes((flags, 0, n)) for n in range(128))


# Dots separate non-empty segments; whitespace and control characters are
# refused so a topic prints safely in logs and terminals.
_TOPIC = re.compile(r"[^\s.\x00-\x1f\x7f]+(\.[^\s.\x00-\x1f\x7f]+)+")


class FrameError(ValueError):
    """A frame (or a chunk sequence) that does not follow the bus wire format."""


class MessageTooLarge(ValueError):
    """A message bigger than the configured maximum message size."""


def check_topic(topic: str) -> bytes:
    """Validate a topic (``plugin.event``) and return its UTF-8 bytes.

    Raises ``ValueError`` for an empty segment, whitespace or control
    characters, no dot at all, or more than 255 UTF-8 bytes.
    """
    if not _TOPIC.fullmatch(topic):
        raise ValueError(f"invalid topic {topic!r}: expected 'plugin.event' without spaces")
    raw = topic.encode()
    if len(raw) > MAX_TOPIC_BYTES:
        raise ValueError(f"topic is {len(raw)} bytes, the limit is {MAX_TOPIC_BYTES}")
    return raw


def encode_varuint(value: int) -> bytes:
    """``value`` as an unsigned LEB128 varint: 7 bits a byte, low bits first.

    The encoding of lib0's ``writeVarUint`` (Yjs) and of protobuf, shortest form.
    """
    if value < 128:
        if value < 0:
            raise ValueError(f"a varuint cannot hold {value}")
        return _ONE_BYTE_LENGTHS[value]
    if value < 16_384:  # the next most common: a payload under 16 KiB
        return bytes((0x80 | (value & 0x7F), value >> 7))
    out = bytearray()
    while value >= 128:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varuint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode the varuint at ``pos``; return it and the position after it.

    Raises :class:`FrameError` for one that runs past the end of ``data``,
    is longer than its shortest form (so every value has one encoding), or
    exceeds :data:`MAX_PAYLOAD_LEN`.
    """
    value = shift = 0
    start = pos
    while True:
        if pos >= len(data):
            raise FrameError(f"truncated varint at byte {start}")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        if shift > 28:
            raise FrameError(f"varint at byte {start} is longer than 5 bytes")
    if byte == 0 and pos - start > 1:
        raise FrameError(f"overlong varint at byte {start}")
    if value > MAX_PAYLOAD_LEN:
        raise FrameError(f"varint at byte {start} exceeds {MAX_PAYLOAD_LEN}")
    return value, pos


def encode_entry(topic: str, payload: bytes, flags: int = 0) -> bytes:
    """Encode one message entry (not yet a frame)."""
    return entry_prefix(topic, flags) + encode_varuint(len(payload)) + payload


# An application uses a handful of topics: validating and encoding each once
# takes a third of the cost off publishing a small message.
@functools.lru_cache(maxsize=1024)
def entry_prefix(topic: str, flags: int = 0) -> bytes:
    """An entry's ``flags``, ``topic_len`` and ``topic`` bytes (validated, cached).

    Raises ``ValueError`` for a bad topic (see :func:`check_topic`) or flags
    that do not fit a byte.
    """
    raw = check_topic(topic)
    if not 0 <= flags <= 0xFF:
        raise ValueError(f"flags must fit in one byte, got {flags}")
    return bytes((flags, len(raw))) + raw


def encode_json(value: Any) -> bytes:
    """The JSON payload encoding the bus uses: compact UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class Entry(NamedTuple):
    """One decoded message entry."""

    topic: str
    payload: bytes
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Batch:
    entries: list[Entry]


@dataclass(frozen=True, slots=True)
class Chunk:
    message_id: int
    index: int
    count: int
    total: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Ping:
    token: float


@dataclass(frozen=True, slots=True)
class Pong:
    token: float


Frame = Batch | Chunk | Ping | Pong


def batch_frame(entries: Iterable[bytes]) -> bytes:
    """Join encoded entries into one batch frame, leaving out repeated topics.

    For tests and tools: it decodes each entry to find its topic.
    """
    writer = BatchWriter(1 << 62)
    for data in entries:
        topic, payload, flags = decode_entry(data)
        writer.add(entry_prefix(topic, flags), payload)
    frame = writer.pop()
    if frame is None:
        raise ValueError("a batch frame holds at least one entry")
    return frame[0]


class BatchWriter:
    """Packs message entries into batch frames as they are published.

    Each entry goes straight into the frame being built, its topic left out
    when its flags and topic repeat the previous entry's in that frame; an
    entry that would take the frame past ``max_frame_size`` starts the next
    one. :meth:`add_frames` queues ready-made frames (a chunked message's)
    after everything added before them. :meth:`pop` hands out the frames in
    order, closing the one being built when nothing else is left.

    Writing entries once, where they will be sent, costs a small message
    about half of what queueing it and packing it later did.
    """

    def __init__(self, max_frame_size: int) -> None:
        self.max_frame_size = max_frame_size
        self.size = 0
        """Bytes held: every queued frame and the one being built, headers included."""
        self._frames: deque[tuple[bytes, int]] = deque()  # with their message counts
        self._batch = bytearray(BATCH_HEADER)
        self._count = 0  # entries in _batch
        self._prefix = b""  # flags, topic length and topic of the last entry added
        self._shorts: tuple[bytes, ...] = ()  # _short_heads of that entry's flags

    def add(self, prefix: bytes, payload: bytes) -> None:
        """Write an entry: ``prefix`` from :func:`entry_prefix`, then the payload.

        The entry must fit in a frame (``HEADER_SIZE`` plus its encoded size
        at most ``max_frame_size``): larger ones are for :func:`chunk_frames`.
        """
        n = len(payload)
        batch = self._batch
        # Once a message and peer, so it takes as few steps as can be; the
        # most common case, a short payload on the topic of the entry before
        # it in the frame, is the first branch.
        if self._count and prefix == self._prefix:
            head = self._shorts[n] if n < 128 else self._shorts[0][:2] + encode_varuint(n)
            wire = len(head) + n
            if len(batch) + wire <= self.max_frame_size:
                batch += head
                batch += payload
                self._count += 1
                self.size += wire
                return
            self._seal()
            batch = self._batch
        # The first entry of a frame, or a new topic: the topic is named.
        length = _ONE_BYTE_LENGTHS[n] if n < 128 else encode_varuint(n)
        wire = len(prefix) + len(length) + n
        if self._count and len(batch) + wire > self.max_frame_size:
            self._seal()
            batch = self._batch
        if not self._count:
            wire += HEADER_SIZE
            if wire > self.max_frame_size:
                raise ValueError(f"an entry of {wire - HEADER_SIZE} bytes does not fit in a frame")
        batch += prefix
        batch += length
        batch += payload
        if prefix != self._prefix:
            self._prefix, self._shorts = prefix, _short_heads(prefix[0])
        self._count += 1
        self.size += wire

    def add_frames(self, frames: Iterable[bytes]) -> int:
        """Queue ready-made frames of one message after everything added so far.

        Returns the bytes that :attr:`size` grew by.
        """
        self._seal()
        added = 0
        for frame in frames:
            self._frames.append((frame, 0))
            added += len(frame)
        if not added:
            raise ValueError("a message has at least one frame")
        # The message counts as sent with its last frame.
        self._frames[-1] = (self._frames[-1][0], 1)
        self.size += added
        return added

    def pop(self) -> tuple[bytes, int] | None:
        """The next frame to send and the messages it completes; ``None`` when empty."""
        if self._frames:
            frame = self._frames.popleft()
            self.size -= len(frame[0])
            return frame
        count = self._count
        if not count:
            return None
        # The frame being built, and nothing else is held: reuse its buffer.
        batch = self._batch
        data = bytes(batch)
        del batch[HEADER_SIZE:]
        self._count = self.size = 0
        return data, count

    def clear(self) -> None:
        """Drop everything held."""
        self._frames.clear()
        self._batch = bytearray(BATCH_HEADER)
        self._count = self.size = 0
        self._prefix = b""

    def _seal(self) -> None:
        if self._count:
            self._frames.append((bytes(self._batch), self._count))
            self._batch = bytearray(BATCH_HEADER)
            self._count = 0


def ping_frame(token: float) -> bytes:
    return _PING.pack(VERSION, KIND_PING, token)


def pong_frame(token: float) -> bytes:
    return _PING.pack(VERSION, KIND_PONG, token)


def deflate(payload: bytes) -> bytes:
    """Compress a payload for :data:`FLAG_DEFLATE` (raw DEFLATE, no zlib header).

    Level 1: for the large, repetitive payloads it is meant for (document
    states), it keeps most of the gain of higher levels at a fraction of the
    CPU, and the CPU is spent while the channel would otherwise be busy.
    """
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    return compressor.compress(payload) + compressor.flush()


def compressed(payload: bytes, flags: int, compress: bool) -> tuple[bytes, int]:
    """The payload and flags to publish: deflated and flagged if ``compress``.

    Raises ``ValueError`` for flags that already claim compression.
    """
    if flags & FLAG_DEFLATE:
        raise ValueError("set compress=True instead of FLAG_DEFLATE")
    if compress:
        return deflate(payload), flags | FLAG_DEFLATE
    return payload, flags


def inflate(data: bytes, limit: int) -> bytes:
    """Undo :func:`deflate`; raise :class:`FrameError` past ``limit`` bytes or on bad data.

    The limit is enforced while inflating, so a small hostile payload cannot
    make the receiver allocate more than ``limit`` bytes.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")  # zlib reads 0 as "no limit"
    decompressor = zlib.decompressobj(-15)
    try:
        payload = decompressor.decompress(data, limit)
    except zlib.error as exc:
        raise FrameError(f"compressed payload is not raw DEFLATE: {exc}") from None
    if decompressor.unconsumed_tail:
        raise FrameError(f"compressed payload inflates past {limit} bytes")
    if not decompressor.eof or decompressor.unused_data:
        raise FrameError("compressed payload is truncated or followed by extra bytes")
    return payload


def decode_frame(data: bytes) -> Frame:
    """Decode one frame; raise :class:`FrameError` when it is malformed."""
    if len(data) < HEADER_SIZE:
        raise FrameError(f"frame of {len(data)} bytes is shorter than the header")
    version, kind = data[0], data[1]
    if version != VERSION:
        raise FrameError(f"unsupported frame version {version}")
    if kind == KIND_BATCH:
        return Batch(decode_batch(data))
    if kind == KIND_CHUNK:
        return _decode_chunk(data)
    if kind in (KIND_PING, KIND_PONG):
        if len(data) != _PING.size:
            raise FrameError(f"ping/pong frame must be {_PING.size} bytes, got {len(data)}")
        (token,) = struct.unpack_from(">d", data, HEADER_SIZE)
        return Ping(token) if kind == KIND_PING else Pong(token)
    raise FrameError(f"unknown frame kind {kind}")


def decode_batch(data: bytes) -> list[Entry]:
    """The entries of a frame that starts with :data:`BATCH_HEADER` (not checked here).

    The receiving side's shortcut for the most common frame: no
    :class:`Batch` object is built.
    """
    return _decode_entries(data, HEADER_SIZE)


def decode_entry(data: bytes) -> Entry:
    """Decode exactly one entry (a reassembled chunked message)."""
    entries = _decode_entries(data, 0)
    if len(entries) != 1:
        raise FrameError(f"reassembled message holds {len(entries)} entries, expected 1")
    return entries[0]


def _decode_entries(data: bytes, pos: int) -> list[Entry]:
    if pos == len(data):
        raise FrameError("batch frame holds no message")
    # The receiving side's loop, once per message. The common entry (the
    # previous topic, a length under 128) takes the first branch; names are
    # bound locally; Entry is made with tuple.__new__, skipping NamedTuple's
    # Python-level __new__; reading past the end raises IndexError, caught
    # once outside the loop instead of a bounds check per entry.
    end = len(data)
    new = tuple.__new__
    entries: list[Entry] = []
    append = entries.append
    topic = ""
    try:
        while pos < end:
            flags, topic_len, size = data[pos], data[pos + 1], data[pos + 2]
            if topic_len == 0 and size < 0x80 and topic:
                pos += 3
            else:
                if topic_len:
                    topic_end = pos + 2 + topic_len
                    if topic_end >= end:
                        raise FrameError(f"truncated topic at byte {pos}")
                    try:
                        topic = data[pos + 2 : topic_end].decode()
                    except UnicodeDecodeError:
                        raise FrameError(f"topic at byte {pos} is not UTF-8") from None
                elif not topic:  # only an entry after another may leave its topic out
                    raise FrameError(f"empty topic at byte {pos}")
                else:
                    topic_end = pos + 2
                size, pos = read_varuint(data, topic_end)
            payload_end = pos + size
            if payload_end > end:
                raise FrameError(f"payload of {topic!r} claims {size} bytes past the frame end")
            append(new(Entry, (topic, data[pos:payload_end], flags)))
            pos = payload_end
    except IndexError:
        raise FrameError(f"truncated message header at byte {pos}") from None
    return entries


def _decode_chunk(data: bytes) -> Chunk:
    if len(data) <= CHUNK_HEADER_SIZE:
        raise FrameError(f"chunk frame of {len(data)} bytes carries no data")
    _, _, message_id, index, count, total = CHUNK_HEADER.unpack_from(data)
    if count == 0 or index >= count:
        raise FrameError(f"chunk index {index} out of range for count {count}")
    if total < count:
        raise FrameError(f"chunked message of {total} bytes cannot span {count} chunks")
    return Chunk(message_id, index, count, total, bytes(data[CHUNK_HEADER_SIZE:]))
