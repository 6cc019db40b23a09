"""Peer colors: stable for a peer id, and apart from the others in the room.

Pure code. The palette holds :data:`PALETTE_SIZE` hues spaced evenly around
the color wheel, all at one saturation and lightness that reads on light and
dark canvases. A peer id hashes (SHA-256) to its *preferred* slot, so the
same id gets the same color whenever it is free. When it is taken, the peer
takes the free slot whose hue is farthest from every taken one, ties going to
the slot nearest the preferred one (clockwise first), so the choice depends
only on the peer id and the colors present, and every replica computes the
same answer.
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable
from typing import Final

PALETTE_SIZE: Final = 12
_LIGHTNESS: Final = 0.45
_SATURATION: Final = 0.7


def _hex(hue: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue, _LIGHTNESS, _SATURATION)
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in (red, green, blue))


PALETTE: Final[tuple[str, ...]] = tuple(_hex(slot / PALETTE_SIZE) for slot in range(PALETTE_SIZE))
"""The colors, in hue order: slot ``i`` has hue ``i * 360 / PALETTE_SIZE`` degrees."""


def preferred_slot(peer_id: str) -> int:
    """The palette slot a peer id hashes to."""
    digest = hashlib.sha256(peer_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % PALETTE_SIZE


def pick_color(peer_id: str, taken: Iterable[str]) -> str:
    """The color for ``peer_id`` given the colors other peers already show.

    Colors outside the palette (a foreign client's own choice) take no slot.
    With every slot taken the preferred color is shared.
    """
    used = {PALETTE.index(color) for color in {c.lower() for c in taken} if color in PALETTE}
    preferred = preferred_slot(peer_id)
    free = [slot for slot in range(PALETTE_SIZE) if slot not in used]
    if preferred in free or not free:
        return PALETTE[preferred]

    def rank(slot: int) -> tuple[int, int, int]:
        spread = min(_distance(slot, other) for other in used)
        offset = (slot - preferred) % PALETTE_SIZE
        return (-spread, min(offset, PALETTE_SIZE - offset), offset)

    return PALETTE[min(free, key=rank)]


def _distance(a: int, b: int) -> int:
    steps = abs(a - b) % PALETTE_SIZE
    return min(steps, PALETTE_SIZE - steps)
