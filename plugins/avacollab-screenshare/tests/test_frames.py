"""Frame helpers: colors survive yuv420p and scaling; other formats are converted."""

from __future__ import annotations

import pytest
from av import VideoFrame

from avacollab_screenshare.frames import PALETTE, mean_rgb, nearest_color, solid_frame, to_yuv420p


@pytest.mark.parametrize("name", list(PALETTE))
def test_solid_frames_read_back_as_their_color(name: str) -> None:
    frame = solid_frame(64, 48, PALETTE[name])
    assert frame.format.name == "yuv420p" and (frame.width, frame.height) == (64, 48)
    assert nearest_color(mean_rgb(frame)) == name


def test_conversion_to_yuv420p_and_scaling() -> None:
    rgb = solid_frame(31 + 1, 20, PALETTE["blue"]).reformat(format="bgr0")
    converted = to_yuv420p(rgb, (16, 10))
    assert converted.format.name == "yuv420p" and (converted.width, converted.height) == (16, 10)
    assert nearest_color(mean_rgb(converted)) == "blue"
    odd = VideoFrame(33, 21, "rgb24")
    assert (to_yuv420p(odd).width, to_yuv420p(odd).height) == (32, 20)
    same = solid_frame(8, 8, PALETTE["red"])
    assert to_yuv420p(same) is same
