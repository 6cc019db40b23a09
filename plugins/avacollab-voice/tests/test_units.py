"""The pure parts: options, level, the speaking detector, the tone, sink choice."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import numpy as np
import pytest

from avacollab_voice.level import SILENCE_DB, SpeakingDetector, level_dbfs
from avacollab_voice.options import Source, VoiceError, VoiceOptions, parse_source
from avacollab_voice.sinks import WavRecorder, default_output, recording_path
from avacollab_voice.sources import FRAME_BYTES, FRAME_SAMPLES, ToneSource

from .audio import dominant_frequency, samples


def test_defaults() -> None:
    options = VoiceOptions.parse({})
    assert options == VoiceOptions()
    # Media is opt-in: nothing is sent until /mic on or voice.source says what.
    assert options.source == Source("none") and options.output == "auto" and not options.muted


def test_every_option_is_read() -> None:
    options = VoiceOptions.parse(
        {
            "voice.source": "tone:660",
            "voice.input": "alsa",
            "voice.device": "hw:1",
            "voice.output": "record",
            "voice.record_dir": "rec",
            "voice.ffmpeg": "/opt/ffmpeg",
            "voice.muted": "on",
            "voice.threshold": "-30",
            "other.option": "ignored",
        }
    )
    assert options == VoiceOptions(
        Source("tone", frequency=660.0),
        "alsa",
        "hw:1",
        "record",
        Path("rec"),
        "/opt/ffmpeg",
        True,
        -30.0,
    )


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("mic", Source("mic")),
        ("none", Source("none")),
        ("tone", Source("tone", frequency=440.0)),
        ("tone:1000", Source("tone", frequency=1000.0)),
        ("file:a.wav", Source("file", path="a.wav")),
        ("b.ogg", Source("file", path="b.ogg")),
    ],
)
def test_sources(text: str, source: Source) -> None:
    assert parse_source(text) == source


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"voice.source": "tone:abc"}, "tone:440"),
        ({"voice.source": "tone:5"}, "between 20 and 20000"),
        ({"voice.source": "file:"}, "mic, none, tone:HZ or file:PATH"),
        ({"voice.input": "jack"}, "voice.input"),
        ({"voice.output": "speaker"}, "voice.output"),
        ({"voice.threshold": "loud"}, "dBFS"),
        ({"voice.threshold": "3"}, "between -100 and 0"),
        ({"voice.muted": "maybe"}, "voice.muted"),
    ],
)
def test_bad_options(options: dict[str, str], message: str) -> None:
    with pytest.raises(VoiceError, match=message):
        VoiceOptions.parse(options)


def test_level_of_full_scale_silence_and_a_sine() -> None:
    assert level_dbfs(bytes(FRAME_BYTES)) == SILENCE_DB
    assert level_dbfs(b"") == SILENCE_DB
    assert level_dbfs(array("h", [-32768] * 100).tobytes()) == pytest.approx(0.0)
    # A sine's RMS is 1/sqrt(2) of its peak: 3 dB below.
    assert level_dbfs(ToneSource(440.0, amplitude=1.0).frame()) == pytest.approx(-3.0, abs=0.05)
    assert level_dbfs(b"\x01") == SILENCE_DB  # half a sample is no sample


def test_speaking_starts_at_once_and_stops_after_the_hold() -> None:
    detector = SpeakingDetector(threshold=-40.0, hold=0.1)
    assert detector.update(-20.0, 0.02) is True
    assert detector.update(-20.0, 0.02) is None
    for _ in range(4):  # 80 ms of quiet: a pause between words
        assert detector.update(-60.0, 0.02) is None
    assert detector.update(-20.0, 0.02) is None  # still speaking, the pause reset
    results = [detector.update(-60.0, 0.02) for _ in range(5)]
    assert results == [None, None, None, None, False]
    assert detector.update(-60.0, 0.02) is None


def test_tone_is_continuous_and_at_its_frequency() -> None:
    tone = ToneSource(440.0)
    frames = b"".join(tone.frame() for _ in range(50))
    assert len(frames) == 50 * FRAME_BYTES
    x = np.frombuffer(frames, dtype="<i2").astype(np.float64)
    assert abs(dominant_frequency(x) - 440.0) < 2.0
    # No click between frames: neighbouring samples differ by at most one step of the sine.
    step = 32767 * 0.25 * 2 * math.pi * 440.0 / 48000
    assert np.max(np.abs(np.diff(x))) <= step + 1
    assert x[FRAME_SAMPLES - 1] != x[FRAME_SAMPLES]


def test_default_output(tmp_path: Path) -> None:
    no_card = tmp_path / "snd"
    assert default_output({}, no_card) is None
    assert default_output({"PULSE_SERVER": "unix:/x"}, no_card) == "pulse"
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").touch()
    assert default_output({"XDG_RUNTIME_DIR": str(tmp_path)}, no_card) == "pulse"
    no_card.mkdir()
    (no_card / "pcmC0D0c").touch()  # a capture device only
    assert default_output({}, no_card) is None
    (no_card / "pcmC0D0p").touch()
    assert default_output({}, no_card) == "alsa"


def test_recording_path_is_safe() -> None:
    assert recording_path(Path("d"), "abc-D_1") == Path("d/voice-abc-D_1.wav")
    assert recording_path(Path("d"), "../../etc/x") == Path("d/voice-______etc_x.wav")
    assert recording_path(Path("d"), "") == Path("d/voice-peer.wav")


async def test_recorder_file_is_readable_while_it_grows(tmp_path: Path) -> None:
    recorder = WavRecorder(tmp_path / "sub" / "r.wav")
    tone = ToneSource(440.0)
    await recorder.write(tone.frame())
    assert len(samples(recorder.path)) == FRAME_SAMPLES
    await recorder.write(tone.frame())
    await recorder.wait_samples(2 * FRAME_SAMPLES)
    assert len(samples(recorder.path)) == 2 * FRAME_SAMPLES
    await recorder.close()
    await recorder.close()
    assert recorder.samples == 2 * FRAME_SAMPLES
