"""Voice for avacollab: an audio track to every peer, mute, a speaking indicator, playback."""

from .options import VoiceError, VoiceOptions

__all__ = ["VoiceError", "VoiceOptions"]
