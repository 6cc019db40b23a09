"""The color palette and the deterministic, collision-avoiding choice."""

from __future__ import annotations

import colorsys

from avacollab_presence.colors import PALETTE, PALETTE_SIZE, pick_color, preferred_slot


def _hue_degrees(color: str) -> float:
    red, green, blue = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(red, green, blue)[0] * 360


def _ids_with_slot(slot: int, count: int) -> list[str]:
    found = [f"peer-{n}" for n in range(10_000) if preferred_slot(f"peer-{n}") == slot]
    return found[:count]


def test_palette_hues_are_evenly_spaced() -> None:
    assert len(set(PALETTE)) == PALETTE_SIZE
    for slot, color in enumerate(PALETTE):
        assert abs(_hue_degrees(color) - slot * 360 / PALETTE_SIZE) < 1.5


def test_a_peer_alone_gets_its_preferred_color_every_time() -> None:
    assert pick_color("peer-a", []) == PALETTE[preferred_slot("peer-a")]
    assert pick_color("peer-a", []) == pick_color("peer-a", [])
    assert len({preferred_slot(f"peer-{n}") for n in range(200)}) == PALETTE_SIZE


def test_a_taken_color_sends_the_peer_to_the_opposite_hue() -> None:
    _, second = _ids_with_slot(3, 2)
    assert pick_color(second, [PALETTE[3]]) == PALETTE[9]
    # Upper case is the same color.
    assert pick_color(second, [PALETTE[3].upper()]) == PALETTE[9]


def test_ties_go_to_the_slot_nearest_the_preferred_one() -> None:
    (peer,) = _ids_with_slot(0, 1)
    # 3 and 9 are both three slots from each taken one and from slot 0:
    # clockwise wins.
    assert pick_color(peer, [PALETTE[0], PALETTE[6]]) == PALETTE[3]
    # 8 and 9 are both at least three slots from 0 and 5; 9 is nearer slot 0.
    assert pick_color(peer, [PALETTE[0], PALETTE[5]]) == PALETTE[9]


def test_colors_from_outside_the_palette_take_no_slot() -> None:
    peer = "peer-a"
    assert pick_color(peer, ["#123456", "not a color"]) == PALETTE[preferred_slot(peer)]


def test_a_full_palette_shares_the_preferred_color() -> None:
    assert pick_color("peer-a", PALETTE) == PALETTE[preferred_slot("peer-a")]


def test_peers_joining_one_by_one_all_get_distinct_colors() -> None:
    taken: list[str] = []
    for peer in _ids_with_slot(5, PALETTE_SIZE):
        taken.append(pick_color(peer, taken))
    assert sorted(taken) == sorted(PALETTE)
