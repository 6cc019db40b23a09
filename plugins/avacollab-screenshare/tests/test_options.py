"""``/share`` arguments and ``screenshare.*`` options: what is accepted and every refusal."""

from __future__ import annotations

import pytest

from avacollab_screenshare.options import Region, ShareError, ShareSpec, parse_share

ENV = {"DISPLAY": ":7"}


def test_defaults_share_the_x11_display_from_the_environment() -> None:
    assert parse_share("", {}, ENV) == ShareSpec(source="x11", display=":7")


def test_command_words_override_session_options() -> None:
    options = {"screenshare.fps": "5", "screenshare.display": ":3", "screenshare.record_dir": "r"}
    spec = parse_share("x11 fps=20 region=800x600+10+20 size=641x361", options, ENV)
    assert spec.fps == 20 and spec.display == ":3"
    assert spec.region == Region(800, 600, 10, 20)
    assert spec.size == (640, 360)  # odd sides rounded down for yuv420p


def test_file_and_pattern_sources() -> None:
    assert parse_share("file 'my clip.mp4' loop=no", {}, {}) == ShareSpec(
        source="file", path="my clip.mp4", display="", loop=False
    )
    assert parse_share("pattern", {}, {}).source == "pattern"
    assert parse_share("", {"screenshare.source": "pattern"}, {}).source == "pattern"
    assert parse_share("region=100x50", {"screenshare.source": "x11"}, ENV).region == Region(
        100, 50
    )


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ("x11", {}, "no X display: pass display=:0"),
        ("webcam", {}, "unknown source 'webcam'"),
        ("file", {}, "needs a path"),
        ("pattern fps=0", {}, "fps=0: expected 1 to 60"),
        ("pattern fps=ten", {}, "expected a whole number"),
        ("pattern size=big", {}, "expected WIDTHxHEIGHT"),
        ("pattern size=1x1", {}, "each side must be 2 to"),
        ("pattern region=10x10+a", {}, "expected WIDTHxHEIGHT+X+Y"),
        ("pattern backend=gst", {}, "expected auto, pyav or ffmpeg"),
        ("pattern loop=maybe", {}, "expected true or false"),
        ("pattern colour=red", {}, "unknown option 'colour'"),
        ("pattern record_dir=x", {}, "unknown option 'record_dir'"),
        ("pattern extra", {}, "options are KEY=VALUE"),
        ("pattern 'open", {}, "cannot read the arguments"),
        ("pattern", {"screenshare.fsp": "3"}, "unknown option screenshare.fsp"),
    ],
)
def test_bad_input_says_what_to_fix(args: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(ShareError, match=message.replace("+", r"\+")):
        parse_share(args, options, {})
