"""The bus wire format: frames carried in data-channel messages.

Pure code, no I/O. docs/protocol.md (part 2) is the normative description for other
implementations (a browser client among them); keep the two in step.

Every frame starts with two bytes, ``version`` and ``kind``. All integers are
unsigned big-endian with fixed widths, so a JavaScript ``DataView`` reads them
directly. A *message entry* is ``flags u8 | topic_len u8 | topic | payload_len
u32 | payload``; a batch frame is the header followed by one or more entries,
and a message too big for one frame travels as the entry's bytes cut into
chunk frames that :class:`Reassembler` puts back together under hard limits.
Inside a batch, an entry whose flags and topic repeat the previous entry's
leaves the topic out (``topic_len`` 0): a stream of small messages on one
topic costs fewer bytes, and aiortc's CPU goes by the byte.

Anything a peer sends that does not follow the format raises
:class:`FrameError`, and nothing else, so callers need one ``except``.
"""

from __future__ import annotations

import functools
import json
import re
import struct
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
HEADER_SIZE: Final = 2
ENTRY_OVERHEAD: Final = 6  # flags, topic length, payload length
CHUNK_HEADER_SIZE: Final = HEADER_SIZE + 16  # message id, index, count, total
PING_TOKEN_SIZE: Final = 8

_HEADER = struct.Struct(">BB")
BATCH_HEADER: Final = bytes((VERSION, KIND_BATCH))
_U32 = struct.Struct(">I")
_CHUNK = struct.Struct(">BBIIII")
_PING = struct.Struct(">BBd")

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


def encode_entry(topic: str, payload: bytes, flags: int = 0) -> bytes:
    """Encode one message entry (not yet a frame)."""
    return _entry_prefix(topic, flags) + _U32.pack(len(payload)) + payload


# An application uses a handful of topics: validating and encoding each once
# takes a third of the cost off publishing a small message.
@functools.lru_cache(maxsize=1024)
def _entry_prefix(topic: str, flags: int) -> bytes:
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
    """Join encoded entries into one batch frame, leaving out repeated topics."""
    parts = [BATCH_HEADER]
    queue: deque[bytes | object] = deque(entries)
    pack_entries(queue, parts, HEADER_SIZE, 1 << 62)
    return b"".join(parts)


def pack_entries(
    queue: deque[bytes | Any], parts: list[bytes], size: int, limit: int
) -> tuple[int, int, int]:
    """Move encoded entries from the head of ``queue`` into a batch being built.

    ``parts`` receives the entries' wire form, with the topic left out of an
    entry whose flags and topic repeat the previous one's in this batch.
    Stops at the first item that is not ``bytes`` or would take the batch
    past ``limit`` bytes. Returns the batch's new size, the queued bytes
    taken (full entries) and the number of entries.

    This is the sending side's loop, once per message, so it avoids
    per-message slicing of a topic: an entry repeats the previous one's
    prefix exactly when it starts with it (the prefix holds the topic length).
    """
    taken = count = 0
    prefix = b""  # flags, topic length and topic of the previous entry
    short = b""  # the same flags with topic length 0
    cut = 0
    while queue:
        entry = queue[0]
        if type(entry) is not bytes:
            break
        length = len(entry)
        if prefix and entry.startswith(prefix):
            wire = length - cut + 2
            if size + wire > limit:
                break
            parts.append(short)
            parts.append(entry[cut:])
        else:
            if size + length > limit:
                break
            cut = 2 + entry[1]
            prefix = entry[:cut]
            short = bytes((entry[0], 0))
            wire = length
            parts.append(entry)
        queue.popleft()
        size += wire
        taken += length
        count += 1
    return size, taken, count


def chunk_frames(entry: bytes, message_id: int, max_frame_size: int) -> list[bytes]:
    """Cut one encoded entry into chunk frames of at most ``max_frame_size`` bytes."""
    step = max_frame_size - CHUNK_HEADER_SIZE
    if step <= 0:
        raise ValueError(f"max_frame_size {max_frame_size} leaves no room for chunk data")
    count = -(-len(entry) // step)
    # As few frames as fit, sharing the bytes evenly: SCTP sends each frame as
    # whole packets, so a 16 KiB payload with its envelope as one full frame
    # plus a few dozen bytes would cost a packet (and its SACK) more.
    step = -(-len(entry) // count)
    view = memoryview(entry)
    return [
        _CHUNK.pack(VERSION, KIND_CHUNK, message_id, index, count, len(entry))
        + view[index * step : (index + 1) * step]
        for index in range(count)
    ]


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
    # The receiving side's loop, once per message: names are bound locally and
    # each Entry is made with tuple.__new__, skipping NamedTuple's Python-level
    # __new__ (together a third of the decoding time).
    end = len(data)
    unpack_u32 = _U32.unpack_from
    new = tuple.__new__
    entries: list[Entry] = []
    topic = ""
    while pos < end:
        if end - pos < ENTRY_OVERHEAD:
            raise FrameError(f"truncated message header at byte {pos}")
        flags, topic_len = data[pos], data[pos + 1]
        topic_end = pos + 2 + topic_len
        if topic_len == 0:
            if not topic:  # only an entry after another may leave its topic out
                raise FrameError(f"empty topic at byte {pos}")
        else:
            if topic_end + 4 > end:
                raise FrameError(f"truncated topic at byte {pos}")
            try:
                topic = data[pos + 2 : topic_end].decode()
            except UnicodeDecodeError:
                raise FrameError(f"topic at byte {pos} is not UTF-8") from None
        (size,) = unpack_u32(data, topic_end)
        payload_end = topic_end + 4 + size
        if payload_end > end:
            raise FrameError(f"payload of {topic!r} claims {size} bytes past the frame end")
        entries.append(new(Entry, (topic, bytes(data[topic_end + 4 : payload_end]), flags)))
        pos = payload_end
    return entries


def _decode_chunk(data: bytes) -> Chunk:
    if len(data) <= CHUNK_HEADER_SIZE:
        raise FrameError(f"chunk frame of {len(data)} bytes carries no data")
    _, _, message_id, index, count, total = _CHUNK.unpack_from(data)
    if count == 0 or index >= count:
        raise FrameError(f"chunk index {index} out of range for count {count}")
    if total < count:
        raise FrameError(f"chunked message of {total} bytes cannot span {count} chunks")
    return Chunk(message_id, index, count, total, bytes(data[CHUNK_HEADER_SIZE:]))


@dataclass(slots=True)
class _Partial:
    count: int
    total: int
    started: float
    pieces: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


class Reassembler:
    """Puts chunked messages back together, with bounded memory.

    One instance per sender and channel. Limits: ``max_message_size`` bytes per
    message, ``max_partial`` messages in progress at once and ``max_buffered``
    bytes held over all of them; a message older than ``timeout`` seconds is
    evicted. Starting a message over the ``max_partial`` limit evicts the
    oldest one. Every message given up is counted in :attr:`evicted`. Chunks
    may arrive in any order (the unordered channel reorders).
    """

    def __init__(
        self,
        *,
        max_message_size: int,
        max_partial: int = 8,
        max_buffered: int | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_message_size = max_message_size
        self.max_partial = max_partial
        self.max_buffered = max_buffered if max_buffered is not None else 2 * max_message_size
        self.timeout = timeout
        self._clock = clock
        self._partials: dict[int, _Partial] = {}  # insertion order: oldest first
        self._buffered = 0
        self.evicted = 0

    @property
    def buffered(self) -> int:
        """Bytes currently held for incomplete messages."""
        return self._buffered

    def __len__(self) -> int:
        return len(self._partials)

    def add(self, chunk: Chunk) -> Entry | None:
        """Add a chunk; return the message when it is complete.

        Raises :class:`FrameError` when the chunk breaks a limit or contradicts
        earlier chunks of its message; that message is then dropped.
        """
        self.expire()
        if chunk.total > self.max_message_size:
            raise FrameError(
                f"chunked message of {chunk.total} bytes exceeds the limit "
                f"of {self.max_message_size}"
            )
        partial = self._partials.get(chunk.message_id)
        if partial is None:
            while len(self._partials) >= self.max_partial:
                self._drop(next(iter(self._partials)))
            partial = _Partial(chunk.count, chunk.total, self._clock())
            self._partials[chunk.message_id] = partial
        if (partial.count, partial.total) != (chunk.count, chunk.total):
            self._drop(chunk.message_id)
            raise FrameError(f"chunk of message {chunk.message_id} contradicts earlier chunks")
        if chunk.index in partial.pieces:
            self._drop(chunk.message_id)
            raise FrameError(f"duplicate chunk {chunk.index} of message {chunk.message_id}")
        if partial.size + len(chunk.data) > partial.total:
            self._drop(chunk.message_id)
            raise FrameError(f"chunks of message {chunk.message_id} exceed its stated size")
        if self._buffered + len(chunk.data) > self.max_buffered:
            self._drop(chunk.message_id)
            raise FrameError(f"reassembly buffer full ({self.max_buffered} bytes)")
        partial.pieces[chunk.index] = chunk.data
        partial.size += len(chunk.data)
        self._buffered += len(chunk.data)
        if len(partial.pieces) < partial.count:
            return None
        del self._partials[chunk.message_id]
        self._buffered -= partial.size
        if partial.size != partial.total:
            raise FrameError(f"message {chunk.message_id} is shorter than its stated size")
        return decode_entry(b"".join(partial.pieces[i] for i in range(partial.count)))

    def expire(self) -> int:
        """Evict messages older than the timeout; return how many."""
        deadline = self._clock() - self.timeout
        stale = [mid for mid, p in self._partials.items() if p.started < deadline]
        for mid in stale:
            self._drop(mid)
        return len(stale)

    def clear(self) -> None:
        self._partials.clear()
        self._buffered = 0

    def _drop(self, message_id: int) -> None:
        partial = self._partials.pop(message_id)
        self._buffered -= partial.size
        self.evicted += 1
