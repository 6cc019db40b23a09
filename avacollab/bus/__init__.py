"""The data-channel bus that plugins talk over.

Plugins import what they use from here (``from avacollab.bus import
Handler, Message``). Inside: :mod:`.wire` is the frame format (pure),
:mod:`.channels` what the bus sends frames over (a data channel or an
in-memory pair), and :mod:`.core` the topics, batching, chunking and
liveness on top.
"""

from .core import (
    Bus,
    BusClosed,
    BusConfig,
    BusError,
    BusFull,
    Handler,
    Message,
    UnknownPeer,
)
from .wire import MessageTooLarge

__all__ = [
    "Bus",
    "BusClosed",
    "BusConfig",
    "BusError",
    "BusFull",
    "Handler",
    "Message",
    "MessageTooLarge",
    "UnknownPeer",
]
