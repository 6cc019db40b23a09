"""The ``voice.*`` options (``join --set voice.source=tone:440``), parsed without I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "INPUTS",
    "OUTPUTS",
    "Source",
    "VoiceError",
    "VoiceOptionError",
    "VoiceOptions",
    "check_input",
    "check_output",
    "check_threshold",
    "parse_source",
]

INPUTS = ("pulse", "alsa")
"""Microphone back ends, tried in this order when ``voice.input`` is ``auto``."""
OUTPUTS = ("auto", "pulse", "alsa", "record", "none")


class VoiceError(Exception):
    """A voice source or sink cannot work; the message says what to install or pass."""


class VoiceOptionError(VoiceError, ValueError):
    """A ``voice.*`` option has a bad value (a ``ValueError``, as option checks raise)."""


@dataclass(frozen=True, slots=True)
class Source:
    """What we send: ``mic``, ``tone`` (``frequency`` Hz), ``file`` (``path``) or ``none``."""

    kind: str
    frequency: float = 0.0
    path: str = ""


@dataclass(frozen=True, slots=True)
class VoiceOptions:
    """Every voice option with its default."""

    source: Source = Source("none")
    """Nothing by default: a microphone is opened only when asked for (``/mic on``,
    ``voice.source=mic``), as a call joins muted."""
    input: str = "auto"
    """``auto``, ``pulse`` or ``alsa``: how ffmpeg opens the microphone."""
    device: str = "default"
    """The PulseAudio source or ALSA device name."""
    output: str = "auto"
    """``auto`` (play when an output exists, else record), ``pulse``, ``alsa``, ``record``
    or ``none``."""
    record_dir: Path | None = None
    ffmpeg: str = "ffmpeg"
    muted: bool = False
    threshold: float = -45.0
    """Level in dBFS above which we count as speaking."""

    @classmethod
    def parse(cls, options: Mapping[str, str]) -> VoiceOptions:
        """Read ``voice.*`` keys of ``options``; :class:`VoiceError` names the bad one."""

        def get(key: str, default: str) -> str:
            return options.get(f"voice.{key}", default).strip()

        try:
            threshold = float(get("threshold", "-45"))
        except ValueError:
            raise VoiceOptionError("voice.threshold must be a level in dBFS, like -45") from None
        muted = get("muted", "off").lower()
        if muted not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
            raise VoiceOptionError(f"voice.muted must be on or off, not {muted!r}")
        record_dir = get("record_dir", "")
        return cls(
            source=parse_source(get("source", "none")),
            input=check_input(get("input", "auto")),
            device=get("device", "default") or "default",
            output=check_output(get("output", "auto")),
            record_dir=Path(record_dir) if record_dir else None,
            ffmpeg=get("ffmpeg", "ffmpeg") or "ffmpeg",
            muted=muted in ("on", "true", "1", "yes"),
            threshold=check_threshold(threshold),
        )


def check_input(text: str) -> str:
    """``voice.input``: ``auto``, ``pulse`` or ``alsa``."""
    if text not in ("auto", *INPUTS):
        raise VoiceOptionError(f"voice.input must be auto, pulse or alsa, not {text!r}")
    return text


def check_output(text: str) -> str:
    """``voice.output``: one of :data:`OUTPUTS`."""
    if text not in OUTPUTS:
        raise VoiceOptionError(f"voice.output must be one of {', '.join(OUTPUTS)}, not {text!r}")
    return text


def check_threshold(level: float) -> float:
    """``voice.threshold``: a level between -100 and 0 dBFS."""
    if not -100.0 <= level <= 0.0:
        raise VoiceOptionError("voice.threshold must be between -100 and 0 dBFS")
    return level


def parse_source(text: str) -> Source:
    """``mic``, ``none``, ``tone`` or ``tone:HZ``, ``file:PATH`` (or a bare path)."""
    if text in ("mic", "none"):
        return Source(text)
    if text == "tone" or text.startswith("tone:"):
        _, _, hz = text.partition(":")
        try:
            frequency = float(hz or "440")
        except ValueError:
            raise VoiceOptionError(
                f"voice.source tone needs a frequency in Hz, like tone:440, not {text!r}"
            ) from None
        if not 20.0 <= frequency <= 20000.0:
            raise VoiceOptionError("voice.source tone frequency must be between 20 and 20000 Hz")
        return Source("tone", frequency=frequency)
    path = text.removeprefix("file:")
    if not path:
        raise VoiceOptionError("voice.source must be mic, none, tone:HZ or file:PATH")
    return Source("file", path=path)
