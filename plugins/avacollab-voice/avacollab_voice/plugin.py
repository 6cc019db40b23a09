"""The voice plugin: the :class:`Voice` feature, one per session, does the work.

Options (``join --set voice.NAME=VALUE``) are described in docs/media.md;
a bad value is refused before the session joins.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import av
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError
from avacollab import shortids
from avacollab.bus import BusError, Handler, Message
from avacollab.feature import Feature, JoinCommand, Option, Session
from avacollab.hookspecs import Register, hookimpl

from .level import SpeakingDetector
from .options import (
    VoiceError,
    VoiceOptions,
    check_input,
    check_output,
    check_threshold,
    parse_source,
)
from .sinks import AudioSink, FfmpegPlayer, WavRecorder, default_output, recording_path
from .sources import FRAME_SAMPLES, RATE, AudioSource, open_source
from .track import VoiceTrack

__all__ = ["SPEAKING", "Voice", "avacollab_register_features"]

logger = logging.getLogger(__name__)

SPEAKING = "voice.speaking"
"""Bus topic and event: ``{"speaking": bool}`` whenever a peer starts or stops speaking."""


_DEFAULTS = VoiceOptions()


class Voice(Feature):
    """Voice for one session: our track to every peer, and what we do with theirs."""

    name = "voice"
    options = (
        Option("source", str, "none",
               "What we send: none (until /mic on), mic, tone:HZ or file:PATH.", parse_source),
        Option("input", str, _DEFAULTS.input, "How to open the microphone: auto, pulse or alsa.",
               check_input),
        Option("device", str, _DEFAULTS.device, "The PulseAudio source or ALSA device name."),
        Option("output", str, _DEFAULTS.output, "auto, pulse, alsa, record or none.", check_output),
        Option("record_dir", Path, None, "Record what each peer says into this directory."),
        Option("ffmpeg", str, _DEFAULTS.ffmpeg, "The ffmpeg program."),
        Option("muted", bool, _DEFAULTS.muted, "Start muted."),
        Option("threshold", float, _DEFAULTS.threshold, "Speaking above this level, in dBFS.",
               check_threshold),
    )  # fmt: skip

    def __init__(self, session: Session, config: Mapping[str, Any]) -> None:
        super().__init__(session, config)
        self.settings = VoiceOptions(**config)
        """The options, as the sources and sinks take them."""
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
        self._detector = SpeakingDetector(self.settings.threshold)
        self._receivers: set[asyncio.Task[None]] = set()
        self._connected: set[str] = set()

    @property
    def muted(self) -> bool:
        """We send silence."""
        return self.track is not None and self.track.muted

    def error(self, where: str, exc: Exception) -> None:
        """Report a problem that stops one part of voice but not the session."""
        # The event is the one report (the terminal prints it, the session logs it):
        # a warning here as well printed every error twice.
        logger.debug("voice %s: %s", where, exc)
        self.session.emit("voice.error", where=where, error=str(exc))

    async def start(self) -> None:
        """Open the source; a failure is reported and we send nothing."""
        try:
            await self._open()
        except VoiceError as exc:
            self.error("source", exc)

    async def _open(self) -> None:
        self.source = await open_source(self.settings)
        if self.source is not None:
            self.track = VoiceTrack(
                self.source,
                muted=self.settings.muted,
                on_level=self._level,
                on_error=lambda exc: self.error("source", exc),
            )
            self.session.emit("voice.started", source=self.settings.source.kind)

    def media_tracks(self, peer_id: str) -> list[Any]:
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

    def peer_left(self, peer_id: str, reason: str) -> None:
        """``peer_id`` left: its next connection gets a fresh proxy."""
        self._connected.discard(peer_id)
        proxy = self._proxies.pop(peer_id, None)
        if proxy is not None:
            proxy.stop()
        self.speaking.pop(peer_id, None)

    async def mic(self, line: str) -> str:
        """``/mic on [SOURCE]`` starts sending (the microphone unless SOURCE says
        otherwise), ``/mic off`` stops; the connected peers renegotiate."""
        words = line.split()
        if words != ["off"] and not (words[:1] == ["on"] and len(words) <= 2):
            return "usage: /mic on [mic|tone:HZ|file:PATH] | /mic off"
        await self._stop_sending()
        if words[0] == "off":
            return "mic off"
        try:
            source = parse_source(words[1] if len(words) == 2 else "mic")
            self.settings = dataclasses.replace(self.settings, source=source)
            await self._open()
        except (ValueError, VoiceError) as exc:
            return f"error: {exc}"
        for peer_id in self._connected:
            self.session.renegotiate(peer_id)
        return f"sending {source.kind}" + (" (muted)" if self.muted else "")

    async def _stop_sending(self) -> None:
        track, source = self.track, self.source
        self.track = self.source = None
        if track is None and source is None:
            return
        for proxy in self._proxies.values():
            proxy.stop()
        self._proxies.clear()
        if track is not None:
            track.stop()
        if source is not None:
            await source.close()
        for peer_id in self._connected:
            self.session.renegotiate(peer_id)

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

    def peer_connected(self, peer_id: str) -> None:
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
        who = shortids.peer_label(self.session, message.sender)
        note = f"{who} is speaking" if speaking else f"{who} stopped speaking"
        self.session.emit(SPEAKING, note=note, peer=message.sender, speaking=speaking)

    def topics(self) -> dict[str, Handler]:
        return {SPEAKING: self.on_speaking}

    def commands(self) -> list[JoinCommand]:
        return [
            JoinCommand(
                "mute", "Send silence instead of your voice.", lambda _: self.set_muted(True)
            ),
            JoinCommand("unmute", "Send your voice again.", lambda _: self.set_muted(False)),
            JoinCommand(
                "mic", "/mic on [mic|tone:HZ|file:PATH] starts sending, /mic off stops.", self.mic
            ),
        ]

    def track_received(self, peer_id: str, track: Any) -> None:
        """Play or record an audio track from ``peer_id`` until it ends."""
        if track.kind != "audio":
            return
        task = asyncio.create_task(self._receive(peer_id, track))
        self._receivers.add(task)
        task.add_done_callback(self._receivers.discard)

    async def _open_sink(self, peer_id: str) -> AudioSink | None:
        output = self.settings.output
        if output == "none":
            return None
        if output == "auto":
            output = default_output(os.environ) or "record"
        if output in ("pulse", "alsa"):
            return await FfmpegPlayer.start(self.settings.ffmpeg, output)
        if self.settings.record_dir is None:
            raise VoiceError(
                "no audio output found (no PulseAudio server, no sound card): pass"
                " --set voice.record_dir=DIR to record what peers say, or voice.output=none"
            )
        path = recording_path(self.settings.record_dir, peer_id)
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

    def status(self) -> list[str]:
        """One line for the status display."""
        if self.track is None:
            return ["voice: not sending"]
        # By name and short id, as every line names people.
        me = self.session.peer_id
        talking = sorted(
            "you" if p == me else shortids.peer_label(self.session, p)
            for p, on in self.speaking.items()
            if on
        )
        state = "muted" if self.muted else "live"
        source = self.settings.source.kind
        return [f"voice: {source} ({state}); speaking: {', '.join(talking) or '-'}"]


@hookimpl
def avacollab_register_features(register: Register) -> None:
    """The ``voice`` feature."""
    register(Voice)
