"""Reading recordings back: samples, energy and the dominant frequency (numpy)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 48000


def samples(path: Path) -> npt.NDArray[np.float64]:
    """Every sample of a mono 16-bit WAV file, scaled to [-1, 1]."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        raw = wav.readframes(wav.getnframes())
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def rms(x: npt.NDArray[np.float64]) -> float:
    """Root mean square of ``x``."""
    return float(np.sqrt(np.mean(x * x)))


def dominant_frequency(x: npt.NDArray[np.float64]) -> float:
    """The frequency (Hz) with the most energy in ``x``."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / RATE)[int(np.argmax(spectrum))])
