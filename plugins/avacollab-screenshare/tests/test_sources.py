"""Sources against the real things (Xvfb, ffmpeg, files), and the errors when one is missing."""

from __future__ import annotations

import asyncio
import os
import wave
from pathlib import Path

import pytest

from avacollab_screenshare.frames import PALETTE, mean_rgb, nearest_color, solid_frame
from avacollab_screenshare.options import ShareError, parse_share
from avacollab_screenshare.recorder import Recorder
from avacollab_screenshare.sources import FfmpegX11Source, PyavX11Source, open_source

from .helpers import require, set_root_color, xvfb


def free_display() -> str:
    """A display number no X server listens on."""
    number = next(n for n in range(917, 999) if not os.path.exists(f"/tmp/.X11-unix/X{n}"))
    return f":{number}"


async def colors_of(spec: str, count: int, options: dict[str, str] | None = None) -> list[str]:
    source = await open_source(parse_share(spec, options or {}, {}))
    try:
        return [nearest_color(mean_rgb(await source.read())) for _ in range(count)]
    finally:
        await source.close()


async def test_the_pattern_changes_color_every_second() -> None:
    source = await open_source(parse_share("pattern size=64x48 fps=4", {}, {}))
    frames = [await source.read() for _ in range(5)]
    await source.close()
    assert {(f.width, f.height, f.format.name) for f in frames} == {(64, 48, "yuv420p")}
    assert [nearest_color(mean_rgb(f)) for f in frames] == ["red"] * 4 + ["green"]


async def make_clip(path: Path, colors: list[str]) -> None:
    recorder = Recorder(path)
    for i, color in enumerate(colors):
        recorder.write(solid_frame(64, 48, PALETTE[color]), i / 10)
    await recorder.close()


async def test_a_file_plays_then_loops_or_ends(tmp_path: Path) -> None:
    clip = tmp_path / "clip.webm"
    await make_clip(clip, ["red"] * 3 + ["blue"] * 3)
    looped = await colors_of(f"file {clip} size=32x24", 8)
    assert looped[:6] == ["red"] * 3 + ["blue"] * 3 and looped[6] == "red"
    source = await open_source(parse_share(f"file {clip} loop=false", {}, {}))
    for _ in range(6):
        await source.read()
    with pytest.raises(EOFError):
        await source.read()
    await source.close()


async def test_a_missing_or_unusable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ShareError, match=r"cannot open video file '.*nope\.mp4': .*No such file"):
        await open_source(parse_share(f"file {tmp_path / 'nope.mp4'}", {}, {}))
    sound = tmp_path / "tone.wav"
    with wave.open(str(sound), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(1600))
    with pytest.raises(ShareError, match="has no video stream"):
        await open_source(parse_share(f"file {sound}", {}, {}))


async def test_missing_ffmpeg_says_what_to_install() -> None:
    spec = parse_share("x11 backend=ffmpeg ffmpeg=/nonexistent/ffmpeg", {}, {"DISPLAY": ":0"})
    with pytest.raises(ShareError, match=r"ffmpeg not found .*apt install ffmpeg.*backend=pyav"):
        await open_source(spec)


@pytest.mark.parametrize("backend", ["pyav", "ffmpeg"])
async def test_a_missing_display_says_which_option_and_what_to_install(backend: str) -> None:
    if backend == "ffmpeg":
        require("ffmpeg")
    display = free_display()
    spec = parse_share(f"x11 backend={backend} display={display}", {}, {})
    with pytest.raises(ShareError, match=rf"grab X display '{display}'.*display=:N.*xvfb"):
        await open_source(spec)


async def test_both_x11_backends_capture_the_screen_region_and_release_it() -> None:
    require("ffmpeg")
    async with xvfb() as display:
        await set_root_color(display, "yellow")
        for backend in ("pyav", "ffmpeg"):
            spec = parse_share(
                f"x11 backend={backend} region=100x80+20+10 size=50x40 fps=10",
                {"screenshare.display": display},
                {},
            )
            source = await open_source(spec)
            assert isinstance(source, PyavX11Source | FfmpegX11Source)
            frame = await source.read()
            assert (frame.width, frame.height, frame.format.name) == (50, 40, "yuv420p")
            assert nearest_color(mean_rgb(frame)) == "yellow"
            await set_root_color(display, "blue")
            async with asyncio.timeout(10):
                while nearest_color(mean_rgb(await source.read())) != "blue":
                    pass
            await source.close()
            if isinstance(source, FfmpegX11Source):
                assert source._process.returncode is not None  # the subprocess is gone
            with pytest.raises(EOFError):
                await source.read()
            await set_root_color(display, "yellow")
