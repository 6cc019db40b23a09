"""Missing ffmpeg or microphone, bad options, bad messages: clear errors; the session lives."""

from __future__ import annotations

import asyncio
import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from avacollab.featureset import PluginStartError
from avacollab.signaling.server import SignalingServer
from avacollab.testing import SessionFactory, start_sessions

import avacollab_voice.plugin as voice
from avacollab_voice.options import VoiceError, VoiceOptions
from avacollab_voice.sinks import default_output
from avacollab_voice.sources import FRAME_BYTES, ToneSource, open_source

from .audio import RATE, dominant_frequency

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")


async def test_missing_ffmpeg_says_what_to_install() -> None:
    options = VoiceOptions.parse({"voice.source": "mic", "voice.ffmpeg": "no-such-ffmpeg-here"})
    with pytest.raises(
        VoiceError, match=r"ffmpeg not found .*apt-get install ffmpeg.*voice\.ffmpeg"
    ):
        await open_source(options)


@needs_ffmpeg
async def test_missing_microphone_names_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    # No sound server and no sound card: point both back ends at nothing.
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/pulse")
    monkeypatch.setenv("ALSA_CONFIG_PATH", "/dev/null")
    options = VoiceOptions.parse({"voice.source": "mic", "voice.device": "no-such-device"})
    with pytest.raises(VoiceError) as error:
        await open_source(options)
    message = str(error.value)
    assert message.startswith(
        "no microphone: cannot open microphone 'no-such-device' through pulse"
    )
    assert "through alsa" in message
    for hint in ("voice.device=NAME", "voice.input=pulse|alsa", "voice.source=tone:440"):
        assert hint in message


@needs_ffmpeg
async def test_missing_file_is_reported(tmp_path: Path) -> None:
    options = VoiceOptions.parse({"voice.source": f"file:{tmp_path / 'nothing.wav'}"})
    with pytest.raises(VoiceError, match=r"cannot open file .*nothing\.wav"):
        await open_source(options)


@needs_ffmpeg
async def test_file_source_plays_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    tone = ToneSource(1000.0)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        for _ in range(10):
            wav.writeframes(await tone.read())
    source = await open_source(VoiceOptions.parse({"voice.source": str(path)}))
    assert source is not None
    try:
        # 15 frames from a 10-frame file: it loops.
        frames = [await asyncio.wait_for(source.read(), 10) for _ in range(15)]
    finally:
        await source.close()
    assert all(len(f) == FRAME_BYTES for f in frames)
    audio = np.frombuffer(b"".join(frames), dtype="<i2").astype(np.float64)
    assert abs(dominant_frequency(audio) - 1000.0) < 5.0


async def test_session_keeps_working_without_ffmpeg(
    avacollab_sessions: SessionFactory, tmp_path: Path
) -> None:
    options = {"voice.source": "mic", "voice.ffmpeg": "no-such-ffmpeg-here"}
    alice, bob = await avacollab_sessions(2, plugins=[voice], options=options)
    for session in (alice, bob):
        error = await session.events.wait_for("voice.error", where="source")
        assert "apt-get install ffmpeg" in error["error"]
    assert await alice.features.execute("/mute") == "voice: nothing to mute, no source is open"
    # The bus still carries messages both ways, and no track was sent.
    received: asyncio.Queue[str] = asyncio.Queue()
    bob.bus.subscribe("test.ping", lambda m: received.put_nowait(m.sender))
    alice.bus.publish_json("test.ping", {})
    assert await asyncio.wait_for(received.get(), 10) == alice.peer_id
    link = alice.link(bob.peer_id)
    assert link is not None
    assert not [t for t in link.pc.getTransceivers() if t.kind == "audio"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("source", "tone:x", "voice.source tone needs a frequency in Hz, like tone:440"),
        ("source", "tone:5", "frequency must be between 20 and 20000 Hz"),
        ("input", "jack", "voice.input must be auto, pulse or alsa, not 'jack'"),
        ("output", "hdmi", "voice.output must be one of auto, pulse, alsa, record, none"),
        ("threshold", "-120", "voice.threshold must be between -100 and 0 dBFS"),
        ("threshold", "loud", "expected a number"),
        ("muted", "maybe", "expected on or off"),
        ("mutd", "on", "unknown option 'mutd' (did you mean 'muted'?)"),
    ],
)
async def test_a_bad_option_is_refused_before_joining(
    avacollab_server: SignalingServer, key: str, value: str, message: str
) -> None:
    with pytest.raises(PluginStartError) as error:
        await start_sessions(
            avacollab_server.url, 1, room="bad", plugins=[voice], options={f"voice.{key}": value}
        )
    assert str(error.value).startswith(f"--set voice.{key}")
    assert message in str(error.value)
    assert avacollab_server.core.peer_count == 0  # it never joined


async def test_no_output_and_no_record_dir_is_a_clear_error(
    avacollab_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # "auto" finds no output on a machine without a sound server or card.
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    if default_output(os.environ) is not None:
        pytest.skip("this machine has a sound card")
    _, bob = await avacollab_sessions(2, plugins=[voice], options={"voice.source": "tone:440"})
    error = await bob.events.wait_for("voice.error", where="output")
    assert "voice.record_dir=DIR" in error["error"]


async def test_malformed_speaking_messages_are_ignored(
    avacollab_sessions: SessionFactory,
) -> None:
    alice, bob = await avacollab_sessions(2, plugins=[voice], options={"voice.source": "none"})
    for payload in (b"not json", b"[]", b'{"speaking": "yes"}', b"{}"):
        alice.bus.publish(voice.SPEAKING, payload)
    alice.bus.publish_json(voice.SPEAKING, {"speaking": True})
    event = await bob.events.wait_for(voice.SPEAKING, peer=alice.peer_id)
    assert event["speaking"] is True
    assert len(bob.events.named(voice.SPEAKING)) == 1
