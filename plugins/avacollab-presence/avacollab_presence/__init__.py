"""avacollab-presence: who is in the room, where their cursor is, and whether they are active.

Built on the y-protocols awareness protocol (pycrdt ``Awareness``), so the
updates it sends are the bytes a Yjs client sends. See docs/presence.md.
"""

from .clock import Scheduler
from .colors import PALETTE, pick_color
from .config import PresenceConfig
from .events import PresenceChange, Rejection, Send
from .presence import PeerPresence, Presence
from .replay import CursorStep, ReplayError, parse_steps, replay, stream_steps
from .state import STATUSES, Cursor, InvalidState, PresenceState, Status, User

__all__ = [
    "PALETTE",
    "STATUSES",
    "Cursor",
    "CursorStep",
    "InvalidState",
    "PeerPresence",
    "Presence",
    "PresenceChange",
    "PresenceConfig",
    "PresenceState",
    "Rejection",
    "ReplayError",
    "Scheduler",
    "Send",
    "Status",
    "User",
    "parse_steps",
    "pick_color",
    "replay",
    "stream_steps",
]
