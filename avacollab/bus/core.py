"""The data-channel bus: topics, batching, chunking, backpressure, liveness.

Each peer contributes two channels: a reliable ordered one and an unordered
one without retransmits. Messages published in one event-loop turn leave in
one frame per peer and channel: aiortc pays a fixed CPU cost per frame and
then per SCTP packet, so both frames and bytes are the budget. The wire
format lives in :mod:`avacollab.bus.wire`; this module only moves frames.

Per peer, :mod:`.outbox` holds what waits for each channel (the queue
policy is described there); :mod:`.topics` delivers what arrives and
:mod:`.liveness` pings and reports silent peers.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .channels import Channel
from .chunks import chunk_frames
from .clock import Clock, MonotonicClock
from .config import BusConfig, BusCounters
from .liveness import CLOSED, SEND_FAILED, Liveness, PeerLost
from .outbox import Item, LatestOutbox, Outbox, PeerState, ReliableOutbox, send_control
from .topics import Handler, Message, Topics
from .wire import (
    BATCH_HEADER,
    FLAG_JSON,
    HEADER_SIZE,
    Batch,
    Chunk,
    Entry,
    FrameError,
    MessageTooLarge,
    Ping,
    Pong,
    compressed,
    decode_batch,
    decode_frame,
    encode_entry,
    encode_json,
    encode_varuint,
    entry_prefix,
    pong_frame,
)

# BusConfig, Handler and Message are defined in their own modules; the
# session and the hook specs import them from here with the bus itself.
__all__ = [
    "Bus",
    "BusClosed",
    "BusConfig",
    "BusError",
    "BusFull",
    "Handler",
    "Message",
    "UnknownPeer",
]

logger = logging.getLogger(__name__)


class BusError(Exception):
    """Base class of the errors the bus raises on publish."""


class BusFull(BusError):
    """A peer's reliable queue has no room; nothing was queued for anyone."""


class UnknownPeer(BusError, KeyError):
    """A message addressed to a peer the bus does not know (or no longer knows)."""


class BusClosed(BusError):
    """The bus was closed."""


PeerCallback = Callable[[str, PeerLost], Awaitable[None] | None]


class Bus:
    """Topic-addressed messaging with every connected peer.

    ``on_peer_dead(peer_id, why)`` (sync or async) is called when a peer has not
    been heard from for ``config.dead_after`` seconds (called again only after
    the peer was heard in between), and when one of its channels closes, fails
    or refuses a send (the bus then forgets the peer); ``why`` is a
    :class:`~avacollab.bus.liveness.PeerLost` saying which. Use the bus from one event loop.

    ``clock`` is the time liveness and reassembly run on: real time unless a
    test passes a :class:`~avacollab.bus.clock.ManualClock`.
    """

    def __init__(
        self,
        config: BusConfig | None = None,
        *,
        on_peer_dead: PeerCallback | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config or BusConfig()
        self.clock = clock or MonotonicClock()
        # Bound once: read for every frame sent and received.
        self.now = self.clock.now
        self.counters = BusCounters()
        self.on_peer_dead = on_peer_dead
        self._peers: dict[str, PeerState] = {}
        # Every peer's outbox of each kind, for broadcasts; rebuilt when peers change.
        self._reliable: tuple[ReliableOutbox, ...] = ()
        self._unordered: tuple[LatestOutbox, ...] = ()
        self._topics = Topics(
            self.counters,
            max_message_size=self.config.max_message_size,
            on_malformed=self._malformed,
        )
        # A payload up to this size, entry included, goes into one batch frame.
        self._small_entry = min(
            self.config.max_frame_size - HEADER_SIZE, self.config.max_message_size
        )
        self._dirty: set[Outbox] = set()
        self._flush_handle: asyncio.Handle | None = None
        self._progress = asyncio.Event()
        self._liveness = Liveness(self.config, self.counters, self.clock, self._notify_dead)
        self._ticker: asyncio.Task[None] | None = None
        self._message_ids = itertools.count()
        self._closed = False

    # -- peers ------------------------------------------------------------

    @property
    def peers(self) -> tuple[str, ...]:
        """Ids of the peers currently on the bus."""
        return tuple(self._peers)

    def add_peer(self, peer_id: str, reliable_channel: Channel, unordered_channel: Channel) -> None:
        """Put a peer on the bus (replacing an earlier registration of the same id).

        Call it as soon as the channels exist, before they open, so that no
        frame the other side sends the moment its end opens is missed. The
        liveness clock starts when the channels are open; frames queued before
        a channel opens go out on its ``open`` event.
        """
        if self._closed:
            raise BusClosed("the bus is closed")
        self.remove_peer(peer_id)
        peer = PeerState(
            peer_id,
            reliable_channel,
            unordered_channel,
            config=self.config,
            counters=self.counters,
            now=self.now,
        )
        self._peers[peer_id] = peer
        self._peers_changed()
        for index, outbox in enumerate(peer.outboxes):
            channel = outbox.channel
            channel.bufferedAmountLowThreshold = self.config.low_water
            self._listen(peer, channel, "message", self._receiver(peer, index))
            self._listen(peer, channel, "bufferedamountlow", self._waker(outbox))
            self._listen(peer, channel, "open", self._waker(outbox))
            self._listen(peer, channel, "close", self._closer(peer))
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._liveness.run(self._peers))

    def remove_peer(self, peer_id: str) -> None:
        """Take a peer off the bus, discarding what is queued for it. Idempotent."""
        peer = self._peers.pop(peer_id, None)
        if peer is None:
            return
        self._peers_changed()
        for channel, event, handler in peer.listeners:
            channel.remove_listener(event, handler)
        for outbox in peer.outboxes:
            outbox.clear()
            self._dirty.discard(outbox)
        self._wake()

    def _peers_changed(self) -> None:
        self._reliable = tuple(peer.reliable for peer in self._peers.values())
        self._unordered = tuple(peer.unordered for peer in self._peers.values())

    def rtt(self, peer_id: str) -> float | None:
        """Smoothed round-trip time to a peer in seconds (``None`` before the first pong)."""
        return self._known(peer_id).rtt

    def silence(self, peer_id: str) -> float:
        """Seconds since anything was last received from a peer."""
        return self.now() - self._known(peer_id).last_heard

    def queued(self, peer_id: str, *, reliable: bool = True) -> int:
        """Bytes queued for a peer's channel and not yet handed to it."""
        peer = self._known(peer_id)
        return peer.reliable.writer.size if reliable else peer.unordered.queued

    # -- subscribing ------------------------------------------------------

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(message)`` for every message on ``topic``.

        The handler may be a plain function or a coroutine function; coroutines
        run as tasks, started in arrival order. Returns a function that
        unsubscribes (calling it twice is harmless).
        """
        return self._topics.subscribe(topic, handler)

    # -- publishing -------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        to: str | None = None,
        reliable: bool = True,
        flags: int = 0,
        compress: bool = False,
    ) -> int:
        """Queue a message for every peer (or only ``to``); return how many peers.

        It leaves at the end of the current loop turn, batched with the other
        messages of the turn. ``compress`` deflates the payload on the wire
        (subscribers get it back as it was): worth it for large, repetitive
        payloads such as document states, not for small ones. Raises
        :class:`BusFull` (reliable, nothing queued), :class:`UnknownPeer`,
        :class:`MessageTooLarge` or ``ValueError`` for a bad topic or flags.
        """
        payload, flags = compressed(payload, flags, compress)
        if not reliable:
            return self._publish_unordered(topic, payload, to, flags)
        return self._publish_reliable(topic, payload, to, flags)

    def publish_json(
        self, topic: str, value: Any, *, to: str | None = None, reliable: bool = True
    ) -> int:
        """:meth:`publish` a JSON value (flagged as JSON on the wire)."""
        return self.publish(topic, encode_json(value), to=to, reliable=reliable, flags=FLAG_JSON)

    async def send(
        self,
        topic: str,
        payload: bytes,
        *,
        to: str | None = None,
        flags: int = 0,
        compress: bool = False,
    ) -> int:
        """Reliable :meth:`publish` that waits for queue room instead of raising ``BusFull``."""
        payload, flags = compressed(payload, flags, compress)
        while True:
            try:
                return self._publish_reliable(topic, payload, to, flags)
            except BusFull:
                await self._wait_progress()

    async def send_json(self, topic: str, value: Any, *, to: str | None = None) -> int:
        """:meth:`send` a JSON value."""
        return await self.send(topic, encode_json(value), to=to, flags=FLAG_JSON)

    async def drain(self, to: str | None = None) -> None:
        """Wait until the reliable queues (all, or ``to``'s) are handed to their channels."""
        while True:
            outboxes = self._reliable_outboxes(to)
            if all(o.writer.size == 0 for o in outboxes):
                return
            await self._wait_progress()

    async def close(self) -> None:
        """Forget every peer, stop the liveness check, and cancel running handlers."""
        self._closed = True
        for peer_id in list(self._peers):
            self.remove_peer(peer_id)
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
        await self._topics.tasks.cancel()

    async def __aenter__(self) -> Bus:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _publish_reliable(self, topic: str, payload: bytes, to: str | None, flags: int) -> int:
        """Queue a message on the reliable channel(s) and return to how many peers.

        Raises :class:`BusFull`, queueing nothing, when a queue has no room.
        """
        # Once a message, so the common case (a payload that fits a batch
        # frame) is written straight into each peer's frame being built.
        prefix = entry_prefix(topic, flags)
        outboxes = self._reliable_outboxes(to)
        n = len(payload)
        size = len(prefix) + n + (1 if n < 128 else len(encode_varuint(n)))
        if size > self._small_entry:
            return self._publish_chunked(outboxes, topic, payload, flags)
        limit = self.config.reliable_queue_bytes
        for outbox in outboxes:
            queued = outbox.writer.size
            if queued and queued + size > limit:
                self._full(outboxes, size)
        dirty = self._dirty
        for outbox in outboxes:
            outbox.writer.add(prefix, payload)
            dirty.add(outbox)
        if self._flush_handle is None and dirty:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)
        return len(outboxes)

    def _publish_chunked(
        self, outboxes: tuple[ReliableOutbox, ...], topic: str, payload: bytes, flags: int
    ) -> int:
        frames = self._chunks(encode_entry(topic, payload, flags))
        size = sum(map(len, frames))
        self._full(outboxes, size)
        for outbox in outboxes:
            outbox.writer.add_frames(frames)
            self._dirty.add(outbox)
        self._schedule_flush()
        return len(outboxes)

    def _publish_unordered(self, topic: str, payload: bytes, to: str | None, flags: int) -> int:
        entry = encode_entry(topic, payload, flags)
        if self._closed:
            raise BusClosed("the bus is closed")
        outboxes = self._unordered if to is None else (self._known(to).unordered,)
        if len(entry) <= self._small_entry:
            # Once a message: tuple.__new__ skips NamedTuple's Python-level __new__.
            item = tuple.__new__(Item, (topic, entry, None, len(entry)))
        else:
            frames = self._chunks(entry)
            item = Item(topic, b"", frames, sum(map(len, frames)))
        for outbox in outboxes:
            outbox.put(item)
            self._dirty.add(outbox)
        self._schedule_flush()
        return len(outboxes)

    def _full(self, outboxes: tuple[ReliableOutbox, ...], size: int) -> None:
        """Raise :class:`BusFull` unless every outbox takes ``size`` more bytes.

        An empty queue takes any message, so that a large one is not refused for good.
        """
        limit = self.config.reliable_queue_bytes
        full = [o.peer.id for o in outboxes if o.writer.size and o.writer.size + size > limit]
        if full:
            raise BusFull(f"reliable queue full for {', '.join(full)}")

    def _chunks(self, entry: bytes) -> tuple[bytes, ...]:
        if len(entry) > self.config.max_message_size:
            raise MessageTooLarge(
                f"message of {len(entry)} bytes exceeds {self.config.max_message_size}"
            )
        message_id = next(self._message_ids) & 0xFFFFFFFF
        return tuple(chunk_frames(entry, message_id, self.config.max_frame_size))

    def _reliable_outboxes(self, to: str | None) -> tuple[ReliableOutbox, ...]:
        if self._closed:
            raise BusClosed("the bus is closed")
        return self._reliable if to is None else (self._known(to).reliable,)

    def _known(self, peer_id: str) -> PeerState:
        peer = self._peers.get(peer_id)
        if peer is None:
            raise UnknownPeer(peer_id)
        return peer

    def _schedule_flush(self) -> None:
        if self._flush_handle is None and self._dirty:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        dirty, self._dirty = self._dirty, set()
        for outbox in dirty:
            try:
                outbox.flush()
            except Exception as exc:  # a channel refusing a send is a broken link
                self.counters.send_errors += 1
                logger.warning("bus: sending to %s failed: %s", outbox.peer.id, exc)
                self._lose(outbox.peer, PeerLost(SEND_FAILED, f"send failed: {exc}"))
        self._wake()

    def _wake(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    async def _wait_progress(self) -> None:
        event = self._progress
        await event.wait()
        if self._closed:
            raise BusClosed("the bus is closed")

    # -- receiving --------------------------------------------------------

    def _listen(
        self, peer: PeerState, channel: Channel, event: str, f: Callable[..., None]
    ) -> None:
        channel.on(event, f)
        peer.listeners.append((channel, event, f))

    def _waker(self, outbox: Outbox) -> Callable[[], None]:
        def wake() -> None:
            self._dirty.add(outbox)
            self._schedule_flush()

        return wake

    def _closer(self, peer: PeerState) -> Callable[[], None]:
        def closed() -> None:
            self._lose(peer, PeerLost(CLOSED, "data channel closed"))

        return closed

    def _receiver(self, peer: PeerState, index: int) -> Callable[[bytes | str], None]:
        # A partial, not a closure: one Python call less for every frame.
        return functools.partial(self._receive, peer, index)

    def _receive(self, peer: PeerState, index: int, data: bytes | str) -> None:
        peer.last_heard = self.now()
        peer.dead = False
        counters = self.counters
        if isinstance(data, str):
            self._reject(peer.id, "text frame", malformed=True)
            return
        if len(data) > self.config.max_incoming_frame:
            self._reject(peer.id, f"frame of {len(data)} bytes", malformed=False)
            return
        try:
            if data.startswith(BATCH_HEADER):
                entries = decode_batch(data)
                counters.frames_received += 1
                counters.bytes_received += len(data)
            else:
                entries = self._receive_other(peer, index, data)
        except FrameError as exc:
            self._reject(peer.id, str(exc), malformed=True)
            return
        self._topics.deliver(peer.id, index == 0, entries)

    def _receive_other(self, peer: PeerState, index: int, data: bytes) -> list[Entry]:
        """Chunk, ping and pong frames: the messages they complete (if any)."""
        counters = self.counters
        frame = decode_frame(data)
        if isinstance(frame, Ping):
            send_control(
                peer.outboxes[index].channel, pong_frame(frame.token), self.config.high_water
            )
            return []
        if isinstance(frame, Pong):
            self._liveness.pong(peer, frame.token)
            return []
        counters.frames_received += 1
        counters.bytes_received += len(data)
        if isinstance(frame, Batch):
            return frame.entries
        assert isinstance(frame, Chunk)
        reassembler = peer.reassemblers[index]
        evicted = reassembler.evicted
        try:
            entry = reassembler.add(frame)
        finally:
            counters.partials_evicted += reassembler.evicted - evicted
        return [] if entry is None else [entry]

    def _malformed(self, peer_id: str, reason: str) -> None:
        self._reject(peer_id, reason, malformed=True)

    def _reject(self, peer_id: str, reason: str, *, malformed: bool) -> None:
        counters = self.counters
        if malformed:
            counters.malformed_frames += 1
        else:
            counters.oversized_frames += 1
        # The first bad frame is worth a warning; a flood of them is not worth a log flood.
        first = counters.malformed_frames + counters.oversized_frames == 1
        logger.log(
            logging.WARNING if first else logging.DEBUG,
            "bus: dropped a bad frame from %s: %s",
            peer_id,
            reason,
        )

    # -- liveness ---------------------------------------------------------

    def _lose(self, peer: PeerState, why: PeerLost) -> None:
        if self._peers.get(peer.id) is not peer:
            return  # already replaced or removed
        logger.info("bus: lost %s (%s)", peer.id, why.detail)
        self.remove_peer(peer.id)
        self._notify_dead(peer.id, why)

    def _notify_dead(self, peer_id: str, why: PeerLost) -> None:
        if self.on_peer_dead is not None:
            self._topics.call(functools.partial(self.on_peer_dead, peer_id), why)
