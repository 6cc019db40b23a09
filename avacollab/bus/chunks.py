"""Messages too large for one frame: cut into chunk frames, and put back together.

Pure code, no I/O. A chunked message is its encoded entry cut into pieces,
each in a chunk frame (:mod:`avacollab.bus.wire` reads and writes the frame
itself); :class:`Reassembler` puts the pieces back together under hard
limits, so a peer cannot make the receiver hold more than it allows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .wire import (
    CHUNK_HEADER,
    CHUNK_HEADER_SIZE,
    KIND_CHUNK,
    VERSION,
    Chunk,
    Entry,
    FrameError,
    decode_entry,
)


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
        CHUNK_HEADER.pack(VERSION, KIND_CHUNK, message_id, index, count, len(entry))
        + view[index * step : (index + 1) * step]
        for index in range(count)
    ]


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

    def _drop(self, message_id: int) -> None:
        partial = self._partials.pop(message_id)
        self._buffered -= partial.size
        self.evicted += 1
