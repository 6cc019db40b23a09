"""What the bus keeps for each peer: the queues of its two channels, and its liveness.

Queue policy, per peer:

* reliable channel: a queue bounded in bytes, kept as the frames that will
  be sent (a :class:`~avacollab.bus.wire.BatchWriter` writes each message
  into its frame when it is published). ``Bus.publish`` raises ``BusFull``
  rather than drop anything; ``Bus.send`` waits for room.
* unordered channel: one queued message per topic (a newer one replaces the
  older, newest wins) and at most ``unordered_queue_messages`` topics; when
  full, the oldest queued message is dropped.

Frames go to a channel only while its ``bufferedAmount`` is under
``high_water``; the ``bufferedamountlow`` event (threshold ``low_water``)
resumes sending.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from .channels import Channel
from .chunks import Reassembler
from .config import BusConfig, BusCounters
from .wire import BATCH_HEADER, HEADER_SIZE, BatchWriter

logger = logging.getLogger(__name__)


class Item(NamedTuple):
    """A message queued on the unordered channel: one entry, or ready chunk frames."""

    topic: str
    entry: bytes
    frames: tuple[bytes, ...] | None
    size: int


class Outbox:
    """What is queued for one channel of one peer."""

    def __init__(self, peer: PeerState, channel: Channel) -> None:
        self.peer = peer
        self.channel = channel
        self.config = peer.config
        self.counters = peer.counters

    def flush(self) -> None:
        """Hand frames to the channel until the queue is empty or the channel is full."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def _send(self, frame: bytes) -> None:
        self.channel.send(frame)
        self.peer.last_sent = self.peer.now()
        counters = self.counters
        counters.frames_sent += 1
        counters.bytes_sent += len(frame)


class ReliableOutbox(Outbox):
    """The reliable channel's queue: frames written as messages are published."""

    def __init__(self, peer: PeerState, channel: Channel) -> None:
        super().__init__(peer, channel)
        self.writer = BatchWriter(self.config.max_frame_size)

    def flush(self) -> None:
        channel = self.channel
        if channel.readyState != "open":
            return  # the "open" event flushes again
        high_water = self.config.high_water
        counters = self.counters
        pop = self.writer.pop
        while channel.bufferedAmount < high_water:
            ready = pop()
            if ready is None:
                return
            frame, messages = ready
            counters.messages_sent += messages
            self._send(frame)
        # the "bufferedamountlow" event flushes again

    def clear(self) -> None:
        self.writer.clear()


class LatestOutbox(Outbox):
    """The unordered channel's queue: the newest message of each topic, oldest first."""

    def __init__(self, peer: PeerState, channel: Channel) -> None:
        super().__init__(peer, channel)
        self.latest: dict[str, Item] = {}
        self.pending: deque[bytes] = deque()  # chunk frames of a message being sent
        self.queued = 0  # bytes not yet handed to the channel

    def put(self, item: Item) -> None:
        counters = self.counters
        old = self.latest.pop(item.topic, None)
        if old is not None:
            self.queued -= old.size
            counters.replaced += 1
        self.latest[item.topic] = item
        if len(self.latest) > self.config.unordered_queue_messages:
            self.queued -= self.latest.pop(next(iter(self.latest))).size
            counters.overflowed += 1
        self.queued += item.size

    def flush(self) -> None:
        channel = self.channel
        if channel.readyState != "open":
            return  # the "open" event flushes again
        config = self.config
        counters = self.counters
        latest, pending = self.latest, self.pending
        while channel.bufferedAmount < config.high_water:
            if pending:
                frame = pending.popleft()
                self.queued -= len(frame)
                self._send(frame)
                continue
            if not latest:
                return
            topic, item = next(iter(latest.items()))
            if item.frames is not None:
                # Its frames count down as they are sent, not here.
                del latest[topic]
                pending.extend(item.frames)
                counters.messages_sent += 1
                continue
            # One message per topic, so no topic repeats in the batch.
            batch, size = [BATCH_HEADER], HEADER_SIZE
            while item.frames is None and size + item.size <= config.max_frame_size:
                del latest[topic]
                batch.append(item.entry)
                size += item.size
                if not latest:
                    break
                topic, item = next(iter(latest.items()))
            self.queued -= size - HEADER_SIZE
            counters.messages_sent += len(batch) - 1
            self._send(b"".join(batch))
        # the "bufferedamountlow" event flushes again

    def clear(self) -> None:
        self.latest.clear()
        self.pending.clear()
        self.queued = 0


class PeerState:
    """One peer on the bus: its two outboxes, reassemblers and liveness times."""

    def __init__(
        self,
        peer_id: str,
        reliable: Channel,
        unordered: Channel,
        *,
        config: BusConfig,
        counters: BusCounters,
        now: Callable[[], float],
    ) -> None:
        self.id = peer_id
        self.config = config
        self.counters = counters
        self.now = now
        self.reliable = ReliableOutbox(self, reliable)
        self.unordered = LatestOutbox(self, unordered)
        self.outboxes: tuple[Outbox, Outbox] = (self.reliable, self.unordered)
        self.reassemblers = tuple(
            Reassembler(
                max_message_size=config.max_message_size,
                max_partial=config.max_partial_messages,
                timeout=config.partial_timeout,
                clock=now,
            )
            for _ in range(2)
        )
        self.last_heard = self.last_sent = now()
        self.last_ping = 0.0
        self.dead = False
        self.rtt: float | None = None
        self.listeners: list[tuple[Channel, str, Callable[..., None]]] = []


def send_control(channel: Channel, frame: bytes, high_water: int) -> bool:
    """Send a ping or pong now if the channel takes it; say whether it went.

    Control frames skip the queues: they are tiny and only meaningful now.
    """
    if channel.readyState != "open" or channel.bufferedAmount >= high_water:
        return False
    try:
        channel.send(frame)
    except Exception as exc:
        logger.debug("bus: control frame not sent: %s", exc)
        return False
    return True
