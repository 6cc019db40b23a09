"""Pure parsers: the bus notices peers send and ffmpeg's yuv4mpeg header."""

from __future__ import annotations

from typing import Any

import pytest

from avacollab_screenshare.notices import MAX_TEXT, Notice, parse_notice
from avacollab_screenshare.y4m import parse_header


def test_a_notice_is_parsed_and_its_text_capped() -> None:
    assert parse_notice({"share": 3, "source": "x"}, "source") == Notice(3, "x")
    assert parse_notice({"share": 1}, "reason") == Notice(1, "")
    assert len(parse_notice({"share": 1, "reason": "y" * 999}, "reason").text) == MAX_TEXT


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "share",
        {},
        {"share": 0},
        {"share": -1},
        {"share": True},
        {"share": "1"},
        {"share": 2**40},
        {"share": 1, "source": 5},
    ],
)
def test_malformed_notices_are_refused(payload: Any) -> None:
    with pytest.raises(ValueError):
        parse_notice(payload, "source")


def test_yuv4mpeg_header() -> None:
    assert parse_header(b"YUV4MPEG2 W320 H240 F10:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n") == (
        320,
        240,
    )
    assert parse_header(b"YUV4MPEG2 W2 H2\n") == (2, 2)


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"RIFF W2 H2",
        b"YUV4MPEG2 H240",
        b"YUV4MPEG2 Wx H2",
        b"YUV4MPEG2 W3 H2",
        b"YUV4MPEG2 W0 H2",
        b"YUV4MPEG2 W4 H4 C444",
    ],
)
def test_bad_yuv4mpeg_headers_are_refused(line: bytes) -> None:
    with pytest.raises(ValueError):
        parse_header(line)
