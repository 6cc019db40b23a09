"""What the bus needs from a data channel, and an in-memory pair for tests.

:class:`Channel` is the subset of aiortc's ``RTCDataChannel`` the bus uses, so
an ``RTCDataChannel`` is a ``Channel`` as it is. :func:`channel_pair` makes two
connected in-memory channels that behave the same way (asynchronous delivery,
``bufferedAmount``, the ``bufferedamountlow`` event), plus knobs that a real
channel lacks: pausing delivery to build up ``bufferedAmount``, and dropping
messages like a lossy unordered channel.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

Handler = Callable[..., Any]


class Channel(Protocol):
    """The data-channel interface the bus is written against.

    Events (pyee style, handlers registered with :meth:`on`): ``"open"``,
    ``"message"`` (one argument, ``bytes`` or ``str``), ``"bufferedamountlow"``
    (emitted when ``bufferedAmount`` falls to ``bufferedAmountLowThreshold``
    or below) and ``"close"``.
    """

    bufferedAmountLowThreshold: int

    @property
    def label(self) -> str: ...

    @property
    def readyState(self) -> str:
        """``"connecting"``, ``"open"``, ``"closing"`` or ``"closed"``."""
        ...

    @property
    def bufferedAmount(self) -> int:
        """Bytes handed to :meth:`send` and not yet passed to the transport."""
        ...

    def send(self, data: bytes | str) -> None: ...

    def on(self, event: str, f: Handler) -> Any: ...

    def remove_listener(self, event: str, f: Handler) -> None: ...


class MemoryChannel:
    """One end of an in-memory channel pair; see :func:`channel_pair`."""

    def __init__(self, label: str, max_message_size: int) -> None:
        self.label = label
        self.readyState = "open"
        self.bufferedAmountLowThreshold = 0
        self.max_message_size = max_message_size
        self.paused = False
        self.drop_every = 0  # drop every n-th message sent (0: never); simulates loss
        self.sent = 0
        self._remote: MemoryChannel | None = None
        self._in_flight: deque[bytes | str] = deque()
        self._buffered = 0
        self._scheduled = False
        self._listeners: dict[str, list[Handler]] = {}

    @property
    def bufferedAmount(self) -> int:
        return self._buffered

    def on(self, event: str, f: Handler) -> Handler:
        self._listeners.setdefault(event, []).append(f)
        return f

    def remove_listener(self, event: str, f: Handler) -> None:
        self._listeners.get(event, []).remove(f)

    def emit(self, event: str, *args: Any) -> None:
        for f in list(self._listeners.get(event, ())):
            f(*args)

    def send(self, data: bytes | str) -> None:
        """Queue ``data`` for the other end, as ``RTCDataChannel.send`` does."""
        if self.readyState != "open":
            raise ConnectionError(f"channel {self.label!r} is {self.readyState}")
        size = len(data.encode() if isinstance(data, str) else data)
        if size > self.max_message_size:
            raise ValueError(f"message of {size} bytes exceeds {self.max_message_size}")
        self.sent += 1
        if self.drop_every and self.sent % self.drop_every == 0:
            return
        self._in_flight.append(data)
        self._buffered += size
        self._schedule()

    def pause(self) -> None:
        """Stop delivering, so ``bufferedAmount`` grows like on a congested link."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._schedule()

    def close(self) -> None:
        """Close both ends; queued data is discarded."""
        for end in (self, self._remote):
            if end is not None and end.readyState != "closed":
                end.readyState = "closed"
                end._in_flight.clear()
                end._buffered = 0
                end.emit("close")

    def _schedule(self) -> None:
        # Delivery happens on a later loop turn, never inside send(), just as
        # with a real channel: the bus must not rely on re-entrancy.
        if not self._scheduled and not self.paused and self._in_flight:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._deliver)

    def _deliver(self) -> None:
        self._scheduled = False
        remote = self._remote
        while self._in_flight and not self.paused and self.readyState == "open":
            data = self._in_flight.popleft()
            before = self._buffered
            self._buffered -= len(data.encode() if isinstance(data, str) else data)
            if before > self.bufferedAmountLowThreshold >= self._buffered:
                self.emit("bufferedamountlow")
            if remote is not None and remote.readyState == "open":
                remote.emit("message", data)


def channel_pair(
    label: str = "memory", *, max_message_size: int = 262_144
) -> tuple[MemoryChannel, MemoryChannel]:
    """Two connected, open in-memory channels."""
    a, b = MemoryChannel(label, max_message_size), MemoryChannel(label, max_message_size)
    a._remote, b._remote = b, a
    return a, b
