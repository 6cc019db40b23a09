"""Media between browser pages and ``avacollab join`` peers: what arrives, not just tracks.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) joins with the shipped client's ``Session``; the other member is
a real ``python -m avacollab.cli.join`` process with the screenshare or voice
plugin. The content is checked at the far end: the Python peer's test
pattern drawn from a ``<video>`` into a canvas (pixels against the known
colors), a page's canvas share in the Python viewer's recording (the same
check on every frame), the page's fake microphone (a WAV of a known tone,
Chromium's ``--use-file-for-fake-audio-capture``) in the Python peer's
recording (FFT), and the Python peer's tone in the page (a WebAudio
``AnalyserNode``), also when both sides add their voice at once. Each role
is tested on each side, as in tests/test_web_session_chromium.py.
Skipped without Chromium or Playwright, except under CI=true, where it fails
instead.
"""

from __future__ import annotations

import asyncio
import itertools
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from avacollab.signaling.server import SignalingServer

from . import test_join_e2e
from .chromium import launched
from .sessionkit import WAIT
from .test_join_e2e import JoinProcess, Spawn
from .test_web_session_chromium import FLAGS, Page, python_peer

spawn = test_join_e2e.spawn  # the fixture: join processes driven through stdin

RATE = 48_000
PAGE_TONE = 1250.0  # Hz, the page's fake microphone
PYTHON_TONE = 880.0  # Hz, the Python voice peer's tone source
SHARE_SIZE = (320, 180)


def write_tone(path: Path, hz: float, seconds: float = 2.0) -> None:
    """A mono 16-bit WAV of a sine at half scale (a whole number of periods loops cleanly)."""
    t = np.arange(int(RATE * seconds)) / RATE
    samples = (16384 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Any]:
    tone = tmp_path / "microphone.wav"
    write_tone(tone, PAGE_TONE)
    flags = [
        *FLAGS,
        # getUserMedia answers with fake devices, without a prompt; the fake
        # microphone plays this file in a loop.
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={tone}",
        # An AudioContext runs without a click on the page.
        "--autoplay-policy=no-user-gesture-required",
    ]
    async with launched(flags, "the browser media tests") as chromium:
        yield chromium


async def ended_cleanly(python: JoinProcess, pages: list[Page], also: str = "") -> None:
    """No link failed (nor any ``also`` event came), no page error; the Python peer quits."""
    assert not python.events.named("link-failed")
    if also:
        assert not python.events.named(also)
    assert [page.errors for page in pages] == [[] for _ in pages]
    await python.command("/quit")
    assert await python.exited() == 0


# --- Screen share: the Python peer's test pattern, drawn in the page -------

# Runs in the page: the first video track from `peer` in a <video>, drawn
# into a canvas `count` times (a decoded frame each time, `gap` ms apart);
# the colors at `points` (fractions of the width and height) of each drawing.
RENDER = """async ([peer, count, gap, points]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const received = () => events.find((e) => e.event === "track" && e.peer === peer
    && e.kind === "video");
  while (!received()) await sleep(20);
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([received().track]);
  document.body.append(video);
  await video.play();
  while (video.videoWidth === 0) await sleep(20);
  const canvas = document.createElement("canvas");
  const [width, height] = [canvas.width, canvas.height] = [video.videoWidth, video.videoHeight];
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const drawings = [];
  for (let i = 0; i < count; i++) {
    await new Promise((r) => video.requestVideoFrameCallback(() => r()));
    context.drawImage(video, 0, 0);
    drawings.push(points.map(([x, y]) => Array.from(
      context.getImageData(Math.floor(x * width), Math.floor(y * height), 1, 1).data.slice(0, 3))));
    await sleep(gap);
  }
  video.remove();
  return { width, height, drawings };
}"""

# The pattern's colors, in the order it shows them (one a second).
PATTERN = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "white": (255, 255, 255)}
TOLERANCE = 60  # per channel: VP8 and the YUV round trip move solid colors a little


POINTS = [(0.1, 0.1), (0.9, 0.1), (0.5, 0.5), (0.1, 0.9), (0.9, 0.9)]
"""Where pictures are sampled (fractions of the width and height)."""


def color_of(rgb: list[int]) -> str | None:
    """The pattern color ``rgb`` is within tolerance of, if any."""
    for name, want in PATTERN.items():
        if all(abs(a - b) <= TOLERANCE for a, b in zip(rgb, want, strict=True)):
            return name
    return None


def one_color(points: list[list[int]]) -> str:
    """The one pattern color every point of a picture has."""
    names = {color_of(rgb) for rgb in points}
    assert len(names) == 1, points
    name = names.pop()
    assert name is not None, points
    return name


def assert_pattern_order(colors: list[str], shown: int = 2) -> None:
    """``colors`` show at least ``shown`` colors in turn, each the pattern's next."""
    changes = [c for i, c in enumerate(colors) if i == 0 or colors[i - 1] != c]
    assert len(changes) >= shown, colors
    order = list(PATTERN)
    for before, after in itertools.pairwise(changes):
        assert order.index(after) == (order.index(before) + 1) % len(order), colors


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_python_test_pattern_share_renders_in_a_page_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str
) -> None:
    python = await python_peer(spawn, "--plugin", "avacollab_screenshare.plugin")
    page = Page(await browser.new_page(), server)
    await page.join("web", role, python.id)
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)

    width, height = SHARE_SIZE
    await python.command(f"/share pattern size={width}x{height} fps=10")
    await python.events.wait_for("screenshare.started", peer=python.id)
    # 16 drawings 200 ms apart span more than one color change.
    async with asyncio.timeout(WAIT * 2):
        seen = await page.page.evaluate(RENDER, [python.id, 16, 200, POINTS])
    assert (seen["width"], seen["height"]) == SHARE_SIZE
    # The whole picture is one pattern color at each moment, and the colors
    # follow the pattern's order.
    assert_pattern_order([one_color(points) for points in seen["drawings"]])

    await python.command("/unshare")
    await python.events.wait_for("screenshare.stopped", peer=python.id)
    await ended_cleanly(python, [page])


async def test_two_pages_joining_during_a_python_share_both_render_it(
    browser: Any, server: SignalingServer, spawn: Spawn
) -> None:
    # The share runs before the pages come: each link gets the track (and
    # the started notice) as it connects.
    python = await spawn("py", "--plugin", "avacollab_screenshare.plugin", room="web")
    width, height = SHARE_SIZE
    await python.command(f"/share pattern size={width}x{height} fps=10")
    await python.events.wait_for("screenshare.started", peer=python.id)
    pages = [Page(await browser.new_page(), server) for _ in range(2)]
    for page in pages:
        await page.join("web", None, python.id)
    async with asyncio.timeout(WAIT * 2):
        seen = await asyncio.gather(
            *(page.page.evaluate(RENDER, [python.id, 12, 200, POINTS]) for page in pages)
        )
    for one in seen:
        assert (one["width"], one["height"]) == SHARE_SIZE
        assert_pattern_order([one_color(points) for points in one["drawings"]])
    await python.connected_to(2)
    await ended_cleanly(python, pages)


# --- Screen share the other way: a page's canvas, recorded by a Python viewer

# Runs in the page: share a canvas that shows the pattern's colors in turn,
# `hold` ms each, `rounds` times over, the way a Python sharer would: the
# `screenshare.started` notice on the reliable bus, then session.addTrack;
# at the end the `stopped` notice and session.removeTrack.
SHARE = """async ([width, height, hold, rounds]) => {
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [width, height];
  const context = canvas.getContext("2d");
  const colors = ["#ff0000", "#00ff00", "#0000ff", "#ffffff"];
  let shown = 0;
  // A canvas stream has a frame only when the canvas is drawn on: draw often.
  const paint = () => { context.fillStyle = colors[shown % colors.length];
    context.fillRect(0, 0, width, height); };
  paint();
  const painter = setInterval(paint, 50);
  const track = canvas.captureStream(15).getVideoTracks()[0];
  const source = `canvas ${width}x${height}@15`;
  await session.bus.publishJson("screenshare.started", { share: 1, source });
  session.addTrack(track);
  for (shown = 0; shown < colors.length * rounds; shown++)
    await new Promise((r) => setTimeout(r, hold));
  clearInterval(painter);
  await session.bus.publishJson("screenshare.stopped", { share: 1, reason: "stopped" });
  session.removeTrack(track);
  track.stop();
}"""


def recorded_colors(path: Path) -> tuple[tuple[int, int], list[str]]:
    """The size of a recorded share and the pattern color of each frame."""
    colors = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            size = (frame.width, frame.height)
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            points = [rgb[int(y * h), int(x * w)].tolist() for x, y in POINTS]
            colors.append(one_color(points))
    return size, colors


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_share_is_recorded_by_a_python_viewer_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str, tmp_path: Path
) -> None:
    viewer = ("--plugin", "avacollab_screenshare.plugin",
              "--set", f"screenshare.record_dir={tmp_path}")  # fmt: skip
    python = await python_peer(spawn, *viewer)
    page = Page(await browser.new_page(), server)
    await page.join("web", role, python.id)
    await page.connected_to(python.id)
    await python.events.wait_for("peer-connected", peer=page.id)

    width, height = 160, 96
    async with asyncio.timeout(WAIT):
        await page.page.evaluate(SHARE, [width, height, 400, 2])
    started = await python.events.wait_for("screenshare.started", peer=page.id)
    assert started["share"] == 1 and started["source"] == f"canvas {width}x{height}@15"
    stopped = await python.events.wait_for("screenshare.stopped", peer=page.id)
    assert stopped["reason"] == "stopped" and stopped["frames"] >= 10, stopped
    size, colors = await asyncio.to_thread(recorded_colors, Path(stopped["file"]))
    assert size == (width, height)
    assert len(colors) == stopped["frames"]
    # Every color of both rounds, in order (the first may be lost to the
    # renegotiation, the last to the stopped notice).
    assert_pattern_order(colors, shown=6)
    await page.renegotiated(2)  # the track added, then removed
    await ended_cleanly(python, [page], also="screenshare.rejected")


# --- Voice both ways: the page's fake microphone and a Python tone ----------

# Runs in the page: the fake microphone (the WAV file Chromium was started
# with), sent to every peer with session.addTrack. Voice processing is off:
# a steady tone is what noise suppression exists to remove.
MICROPHONE = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: {
    echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  window.microphone = stream.getAudioTracks()[0];
  session.addTrack(microphone, stream);
}"""

# Runs in the page: the audio track from `peer` into a WebAudio AnalyserNode;
# the loudest frequency (Hz) and its level (dB), `count` times `gap` ms apart.
LISTEN = """async ([peer, count, gap]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const received = () => events.find((e) => e.event === "track" && e.peer === peer
    && e.kind === "audio");
  while (!received()) await sleep(20);
  const stream = new MediaStream([received().track]);
  // Chromium feeds a remote WebRTC track to WebAudio only while a media
  // element plays it (a muted one will do).
  const element = new Audio();
  element.muted = true;
  element.srcObject = stream;
  await element.play();
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(stream).connect(analyser);
  const bins = new Float32Array(analyser.frequencyBinCount);
  const peaks = [];
  for (let i = 0; i < count; i++) {
    await sleep(gap);
    analyser.getFloatFrequencyData(bins);
    let best = 1;
    for (let k = 2; k < bins.length; k++) if (bins[k] > bins[best]) best = k;
    // -Infinity (silence) is no JSON number.
    peaks.push([best * context.sampleRate / analyser.fftSize, Math.max(bins[best], -999)]);
  }
  await context.close();
  element.srcObject = null;
  return peaks;
}"""


def recorded(path: Path) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The samples of a voice recording so far, scaled to [-1, 1]."""
    if path.stat().st_size < 44:  # the header comes with the first samples
        return np.zeros(0)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        raw = wav.readframes(wav.getnframes())
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


async def recorded_seconds(path: Path, seconds: float) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The recording once it holds ``seconds`` of audio (another process writes it)."""
    async with asyncio.timeout(WAIT):
        # Polled: no event crosses the process boundary as the file grows.
        while len(samples := recorded(path)) < seconds * RATE:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return samples


def dominant_frequency(x: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    """The frequency (Hz) with the most energy in ``x``."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / RATE)[int(np.argmax(spectrum))])


async def start_microphone(page: Page) -> None:
    """The page sends its fake microphone to every peer."""
    async with asyncio.timeout(WAIT):
        await page.page.evaluate(MICROPHONE)


async def page_hears_python_tone(page: Page, python: JoinProcess) -> None:
    """The page's AnalyserNode finds the Python peer's tone."""
    async with asyncio.timeout(WAIT):
        peaks = await page.page.evaluate(LISTEN, [python.id, 15, 200])
    # Once the jitter buffer has filled (the first peaks may be silence).
    loud = [hz for hz, db in peaks[5:] if db > -70]
    assert loud and all(abs(hz - PYTHON_TONE) < 12 for hz in loud), peaks


async def python_hears_page_tone(python: JoinProcess, page: Page) -> None:
    """The Python peer's recording of the page holds the fake microphone's tone."""
    recording = await python.events.wait_for("voice.recording", peer=page.id)
    samples = await recorded_seconds(Path(recording["path"]), 2.0)
    last = samples[-RATE:]  # past the jitter buffer's first fill
    # The file's sine has an RMS of 0.35; Opus keeps most of it.
    assert np.sqrt(np.mean(last * last)) > 0.2, "the recording is (nearly) silent"
    assert abs(dominant_frequency(last) - PAGE_TONE) < 5.0


def voice_peer(tmp_path: Path) -> tuple[str, ...]:
    """Options of a Python peer that sends its tone and records every peer."""
    return ("--plugin", "avacollab_voice.plugin", "--set", f"voice.source=tone:{PYTHON_TONE:g}",
            "--set", "voice.output=record", "--set", f"voice.record_dir={tmp_path}")  # fmt: skip


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_voice_goes_both_ways_between_a_page_and_a_python_peer_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str, tmp_path: Path
) -> None:
    python = await python_peer(spawn, *voice_peer(tmp_path))
    page = Page(await browser.new_page(), server)
    await page.join("web", role, python.id)
    await page.connected_to(python.id)
    # The Python tone arrives first (its track is added once the link is up).
    await python.events.wait_for("renegotiated", peer=page.id)
    await page.renegotiated(1)
    await page_hears_python_tone(page, python)

    # Page to Python: the fake microphone's tone in the Python recording.
    renegotiated = len(python.events.named("renegotiated"))
    await start_microphone(page)
    await python.events.wait(lambda: len(python.events.named("renegotiated")) > renegotiated)
    await page.renegotiated(2)
    await python_hears_page_tone(python, page)

    # The page stops its microphone: renegotiated again, the link stays.
    renegotiated = len(python.events.named("renegotiated"))
    await page.page.evaluate("session.removeTrack(microphone); microphone.stop()")
    await python.events.wait(lambda: len(python.events.named("renegotiated")) > renegotiated)
    await page.renegotiated(3)
    await ended_cleanly(python, [page], also="voice.error")


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_and_a_python_peer_adding_voice_at_once_hear_each_other(
    browser: Any, server: SignalingServer, spawn: Spawn, role: str, tmp_path: Path
) -> None:
    # The page adds its microphone before the link is up, the Python peer its
    # tone as soon as it is: both sides start a renegotiation at about the
    # same moment, whichever role each has.
    python = await python_peer(spawn, *voice_peer(tmp_path))
    page = Page(await browser.new_page(), server)
    await page.join("web", role, python.id)
    await start_microphone(page)
    await page.connected_to(python.id)
    await page_hears_python_tone(page, python)
    await python_hears_page_tone(python, page)
    await ended_cleanly(python, [page], also="voice.error")
