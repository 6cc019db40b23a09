"""Audio level and the speaking indicator: pure functions of the samples."""

from __future__ import annotations

import math
import sys
from array import array

__all__ = ["SILENCE_DB", "SpeakingDetector", "level_dbfs"]

SILENCE_DB = -100.0
"""The level reported for digital silence (log of zero has no value)."""


def level_dbfs(samples: bytes) -> float:
    """RMS level of signed 16-bit little-endian samples, in dB below full scale."""
    values = array("h")
    values.frombytes(samples[: len(samples) // 2 * 2])
    if sys.byteorder == "big":
        values.byteswap()
    if not values:
        return SILENCE_DB
    mean_square = sum(v * v for v in values) / len(values)
    if mean_square == 0:
        return SILENCE_DB
    return max(SILENCE_DB, 10.0 * math.log10(mean_square / 32768.0**2))


class SpeakingDetector:
    """Turns a level per frame into a speaking flag that does not flicker.

    Speaking starts on the first loud frame and stops only after ``hold``
    seconds of quiet, so the pauses between words do not toggle it.
    """

    def __init__(self, threshold: float = -45.0, hold: float = 0.4) -> None:
        self.threshold = threshold
        self.hold = hold
        self.speaking = False
        self._quiet = 0.0

    def update(self, level: float, duration: float) -> bool | None:
        """Feed one frame's level; return the new flag when it changed, else ``None``."""
        if level >= self.threshold:
            self._quiet = 0.0
            if not self.speaking:
                self.speaking = True
                return True
            return None
        self._quiet += duration
        if self.speaking and self._quiet >= self.hold:
            self.speaking = False
            return False
        return None
