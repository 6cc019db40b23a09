"""The bus messages of a share (pure): ``screenshare.started`` and ``screenshare.stopped``.

``started``: ``{"share": N, "source": "x11 :0 1280x720@15"}``, sent to every
peer when a share begins and to each peer that connects while it runs.
``stopped``: ``{"share": N, "reason": "..."}``. ``N`` counts the sender's
shares, so a late ``stopped`` never ends a newer share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_TEXT", "STARTED", "STOPPED", "Notice", "parse_notice"]

STARTED = "screenshare.started"
STOPPED = "screenshare.stopped"
MAX_TEXT = 200
"""Characters kept of a peer's ``source`` or ``reason`` text."""


@dataclass(frozen=True, slots=True)
class Notice:
    """A parsed notice: the share number and its text (source or reason)."""

    share: int
    text: str


def parse_notice(payload: Any, text_key: str) -> Notice:
    """The :class:`Notice` in a decoded payload; ``ValueError`` when it is malformed."""
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    share = payload.get("share")
    # bool is an int subclass: refuse it explicitly.
    if not isinstance(share, int) or isinstance(share, bool) or not 0 < share < 2**31:
        raise ValueError("share must be a positive integer")
    text = payload.get(text_key, "")
    if not isinstance(text, str):
        raise ValueError(f"{text_key} must be a string")
    return Notice(share, text[:MAX_TEXT])
