"""The presence colors vectors against colors.py.

conformance/presence_colors.json (at the repository root) is shared with the
JavaScript client, whose tests in js/ check the same file, so a browser peer
and a Python peer pick the same colors.
"""

from __future__ import annotations

import json
from pathlib import Path

from avacollab_presence import colors

VECTORS = json.loads(
    (Path(__file__).resolve().parents[3] / "conformance" / "presence_colors.json").read_text(
        "utf-8"
    )
)


def test_palette() -> None:
    assert VECTORS["palette"] == list(colors.PALETTE)


def test_preferred_slots() -> None:
    for case in VECTORS["preferred"]:
        assert colors.preferred_slot(case["peer"]) == case["slot"], case


def test_picks() -> None:
    for case in VECTORS["pick"]:
        assert colors.pick_color(case["peer"], case["taken"]) == case["color"], case


def test_a_room_filling_up() -> None:
    room: list[str] = []
    for peer in VECTORS["room"]["peers"]:
        room.append(colors.pick_color(peer, room))
    assert room == VECTORS["room"]["colors"]
