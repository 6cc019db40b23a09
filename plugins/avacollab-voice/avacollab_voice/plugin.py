"""The voice plugin's hooks: one :class:`Voice` per session does the work.

Options (``join --set voice.NAME=VALUE``) are described in docs/media.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any
from weakref import WeakKeyDictionary

import av
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError
from avacollab.bus import BusError, Handler, Message
from avacollab.hookspecs import JoinCommand, Session, hookimpl

from .level import SpeakingDetector
from .options import Source, VoiceError, VoiceOptions
from .sinks import AudioSink, FfmpegPlayer, WavRecorder, default_output, recording_path
from .sources import FRAME_SAMPLES, RATE, AudioSource, open_source
from .track import VoiceTrack

__all__ = ["SPEAKING", "Voice", "voice_of"]

logger = logging.getLogger(__name__)

SPEAKING = "voice.speaking"
"""Bus topic and event: ``{"speaking": bool}`` whenever a peer starts or stops speaking."""


class Voice:
    """Voice for one session: our track to every peer, and what we do with theirs."""

    def __init__(self, session: Session, options: VoiceOptions) -> None:
        self.session = session
        self.options = options
        self.source: AudioSource | None = None
        self.track: VoiceTrack | None = None
        self.speaking: dict[str, bool] = {}
        """Peers (and ourselves) currently speaking, by peer id."""
        self.recordings: dict[str, WavRecorder] = {}
        """WAV recordings of received audio, by peer id (only when recording)."""
        self._relay = MediaRelay()
        # One relay proxy per peer: a track shared by several senders would
        # hand each of them only part of the frames.
        self._proxies: dict[str, Any] = {}
        self._detector = SpeakingDetector(options.threshold)
        self._receivers: set[asyncio.Task[None]] = set()
        self._connected: set[str] = set()

    @property
    def muted(self) -> bool:
        """We send silence."""
        return self.track is not None and self.track.muted

    def error(self, where: str, exc: Exception) -> None:
        """Report a problem that stops one part of voice but not the session."""
        logger.warning("voice %s: %s", where, exc)
        self.session.emit("voice.error", where=where, error=str(exc))

    async def start(self) -> None:
        """Open the source; a failure is reported and we send nothing."""
        try:
            self.source = await open_source(self.options)
        except VoiceError as exc:
            self.error("source", exc)
            return
        if self.source is not None:
            self.track = VoiceTrack(
                self.source,
                muted=self.options.muted,
                on_level=self._level,
                on_error=lambda exc: self.error("source", exc),
            )
            self.session.emit("voice.started", source=self.options.source.kind)

    def tracks_for(self, peer_id: str) -> list[Any]:
        """The track ``peer_id`` gets from us (the same one each time we are asked)."""
        if self.track is None or self.track.readyState != "live":
            return []
        if peer_id not in self._connected:
            # With the session of this version, a track in a link's first
            # offer/answer keeps its data channels from opening (offerer side)
            # or breaks the answer (answerer side), so the track joins by
            # renegotiation once the link is up.
            return []
        if peer_id not in self._proxies:
            self._proxies[peer_id] = self._relay.subscribe(self.track)
        return [self._proxies[peer_id]]

    def forget(self, peer_id: str) -> None:
        """``peer_id`` left: its next connection gets a fresh proxy."""
        self._connected.discard(peer_id)
        proxy = self._proxies.pop(peer_id, None)
        if proxy is not None:
            proxy.stop()
        self.speaking.pop(peer_id, None)

    def set_muted(self, muted: bool) -> str:
        """Mute or unmute; the track keeps running, so nothing is renegotiated."""
        if self.track is None:
            return "voice: nothing to mute, no source is open"
        self.track.muted = muted
        self.session.emit("voice.muted", muted=muted)
        return "muted" if muted else "unmuted"

    def _level(self, level: float | None) -> None:
        # Muted counts as quiet, so the indicator goes off after the hold time.
        changed = self._detector.update(-200.0 if level is None else level, FRAME_SAMPLES / RATE)
        if changed is None:
            return
        me = self.session.peer_id
        self.speaking[me] = changed
        self.session.emit(SPEAKING, peer=me, speaking=changed)
        with contextlib.suppress(BusError):
            self.session.bus.publish_json(SPEAKING, {"speaking": changed})

    def connected(self, peer_id: str) -> None:
        """The link to ``peer_id`` is up: add our track if it is not there yet."""
        self._connected.add(peer_id)
        if self.track is not None:
            self.session.renegotiate(peer_id)
        self.share_state(peer_id)

    def share_state(self, peer_id: str) -> None:
        """Tell a peer whether we are speaking."""
        with contextlib.suppress(BusError):
            self.session.bus.publish_json(
                SPEAKING, {"speaking": self._detector.speaking}, to=peer_id
            )

    def on_speaking(self, message: Message) -> None:
        """A peer's speaking flag (input from the network: checked)."""
        try:
            speaking = message.json()["speaking"]
        except (ValueError, KeyError, TypeError):
            return
        if not isinstance(speaking, bool) or self.speaking.get(message.sender, False) == speaking:
            return
        self.speaking[message.sender] = speaking
        self.session.emit(SPEAKING, peer=message.sender, speaking=speaking)

    def receive(self, peer_id: str, track: Any) -> None:
        """Play or record an audio track from ``peer_id`` until it ends."""
        task = asyncio.create_task(self._receive(peer_id, track))
        self._receivers.add(task)
        task.add_done_callback(self._receivers.discard)

    async def _open_sink(self, peer_id: str) -> AudioSink | None:
        output = self.options.output
        if output == "none":
            return None
        if output == "auto":
            output = default_output(os.environ) or "record"
        if output in ("pulse", "alsa"):
            return await FfmpegPlayer.start(self.options.ffmpeg, output)
        if self.options.record_dir is None:
            raise VoiceError(
                "no audio output found (no PulseAudio server, no sound card): pass"
                " --set voice.record_dir=DIR to record what peers say, or voice.output=none"
            )
        path = recording_path(self.options.record_dir, peer_id)
        recorder = self.recordings[peer_id] = WavRecorder(path)
        self.session.emit("voice.recording", peer=peer_id, path=str(path))
        return recorder

    async def _receive(self, peer_id: str, track: Any) -> None:
        sink: AudioSink | None = None
        try:
            sink = await self._open_sink(peer_id)
        except (VoiceError, OSError) as exc:
            self.error("output", exc)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        try:
            while True:
                # Read even without a sink: unread frames would pile up in the track.
                frame = await track.recv()
                if sink is None:
                    continue
                for out in resampler.resample(frame):
                    try:
                        await sink.write(bytes(out.planes[0])[: out.samples * 2])
                    except VoiceError as exc:
                        self.error("output", exc)
                        await sink.close()
                        sink = None
                        break
        except MediaStreamError:
            pass  # the peer stopped sending or left
        finally:
            if sink is not None:
                await sink.close()

    async def close(self) -> None:
        """Stop sending and receiving, and release the source."""
        for proxy in self._proxies.values():
            proxy.stop()
        self._proxies.clear()
        if self.track is not None:
            self.track.stop()
        for task in list(self._receivers):
            task.cancel()
        await asyncio.gather(*self._receivers, return_exceptions=True)
        if self.source is not None:
            await self.source.close()

    def status(self) -> str:
        """One line for the status display."""
        if self.track is None:
            return "voice: not sending"
        talking = sorted(p for p, on in self.speaking.items() if on)
        state = "muted" if self.muted else "live"
        return f"voice: {self.options.source.kind} ({state}); speaking: {', '.join(talking) or '-'}"


_voices: WeakKeyDictionary[Session, Voice] = WeakKeyDictionary()


def voice_of(session: Session) -> Voice | None:
    """The voice state of ``session`` (``None`` before it started or after it closed)."""
    return _voices.get(session)


@hookimpl
async def avacollab_session_started(session: Session) -> None:
    try:
        options = VoiceOptions.parse(session.options)
    except VoiceError as exc:
        # A typo in an option costs the voice, never the session.
        session.emit("voice.error", where="options", error=str(exc))
        options = VoiceOptions(source=Source("none"), output="none")
    voice = _voices[session] = Voice(session, options)
    await voice.start()


@hookimpl
def avacollab_bus_topics(session: Session) -> dict[str, Handler]:
    voice = _voices.get(session)
    return {} if voice is None else {SPEAKING: voice.on_speaking}


@hookimpl
def avacollab_media_tracks(session: Session, peer_id: str) -> list[Any]:
    voice = _voices.get(session)
    return [] if voice is None else voice.tracks_for(peer_id)


@hookimpl
def avacollab_peer_connected(session: Session, peer_id: str) -> None:
    voice = _voices.get(session)
    if voice is not None:
        voice.connected(peer_id)


@hookimpl
def avacollab_peer_left(session: Session, peer_id: str) -> None:
    voice = _voices.get(session)
    if voice is not None:
        voice.forget(peer_id)


@hookimpl
def avacollab_track_received(session: Session, peer_id: str, track: Any) -> None:
    voice = _voices.get(session)
    if voice is not None and track.kind == "audio":
        voice.receive(peer_id, track)


@hookimpl
def avacollab_join_commands(session: Session) -> list[JoinCommand]:
    def mute(_: str) -> str:
        voice = _voices.get(session)
        return "voice is not running" if voice is None else voice.set_muted(True)

    def unmute(_: str) -> str:
        voice = _voices.get(session)
        return "voice is not running" if voice is None else voice.set_muted(False)

    return [
        JoinCommand("mute", "Send silence instead of your voice.", mute),
        JoinCommand("unmute", "Send your voice again.", unmute),
    ]


@hookimpl
def avacollab_status(session: Session) -> list[str]:
    voice = _voices.get(session)
    return [] if voice is None else [voice.status()]


@hookimpl
async def avacollab_session_closing(session: Session) -> None:
    voice = _voices.pop(session, None)
    if voice is not None:
        await voice.close()
