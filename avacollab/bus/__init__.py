"""The data-channel bus that plugins talk over.

Plugins import what they use from here (``from avacollab.bus import
Handler, Message``). Inside: :mod:`.wire` is the frame format and
:mod:`.chunks` cuts large messages into frames and back (both pure),
:mod:`.channels` what the bus sends frames over (a data channel or an
in-memory pair), and :mod:`.core` the bus itself, with its per-peer queues
(:mod:`.outbox`), delivery to subscribers (:mod:`.topics`), liveness
(:mod:`.liveness`), settings (:mod:`.config`) and clock (:mod:`.clock`).
"""

from .config import BusConfig, BusCounters
from .core import Bus, BusClosed, BusError, BusFull, UnknownPeer
from .liveness import CLOSED, SEND_FAILED, SILENT, PeerLost
from .topics import Handler, Message
from .wire import MessageTooLarge

__all__ = [
    "CLOSED",
    "SEND_FAILED",
    "SILENT",
    "Bus",
    "BusClosed",
    "BusConfig",
    "BusCounters",
    "BusError",
    "BusFull",
    "Handler",
    "Message",
    "MessageTooLarge",
    "PeerLost",
    "UnknownPeer",
]
