"""Voice between real aiortc sessions on loopback: what is sent is what is heard."""

from __future__ import annotations

import asyncio
import itertools
from functools import partial
from pathlib import Path

from avacollab.shortids import peer_label
from avacollab.testing import RecordedSession, SessionFactory

import avacollab_voice.plugin as voice
from avacollab_voice.plugin import Voice
from avacollab_voice.sinks import WavRecorder

from .audio import RATE, dominant_frequency, rms, samples

TIMEOUT = 20.0
_rooms = itertools.count()


async def join(
    factory: SessionFactory, tmp_path: Path, sources: list[str]
) -> list[RecordedSession]:
    """One session per source in one room, each recording to its own directory."""
    room = f"voice-{next(_rooms)}"
    sessions = []
    for i, source in enumerate(sources):
        opts = {
            "voice.source": source,
            "voice.output": "record",
            "voice.record_dir": str(tmp_path / f"peer{i}"),
        }
        (session,) = await factory(1, plugins=[voice], room=room, options=opts, name=f"p{i}")
        sessions.append(session)
    ids = {s.peer_id for s in sessions}
    for session in sessions:
        await session.events.wait(partial(connected_to_all, session, ids), timeout=TIMEOUT)
    return sessions


def connected_to_all(session: RecordedSession, ids: set[str]) -> bool:
    """``session`` has an open link to every peer of ``ids`` but itself."""
    return ids - {session.peer_id} <= set(session.connected)


async def recording(session: RecordedSession, sender: RecordedSession) -> WavRecorder:
    """The recorder of what ``sender`` says, once ``session`` receives its track."""
    await session.events.wait_for("voice.recording", peer=sender.peer_id, timeout=TIMEOUT)
    return session.features.get(Voice).recordings[sender.peer_id]


async def heard(recorder: WavRecorder, seconds: float) -> tuple[int, int]:
    """Wait until ``seconds`` more audio is recorded; the sample range it fills."""
    start = recorder.samples
    end = start + int(seconds * RATE)
    await asyncio.wait_for(recorder.wait_samples(end), TIMEOUT)
    return start, end


async def test_tone_is_heard_at_its_frequency(
    avacollab_sessions: SessionFactory, tmp_path: Path
) -> None:
    alice, bob, carol = await join(avacollab_sessions, tmp_path, ["tone:440", "none", "none"])
    for listener in (bob, carol):
        recorder = await recording(listener, alice)
        await heard(recorder, 0.5)  # let the jitter buffer settle
        start, end = await heard(recorder, 1.0)
        audio = samples(recorder.path)[start:end]
        assert abs(dominant_frequency(audio) - 440.0) < 5.0
        assert rms(audio) > 0.05  # the tone is sent at a quarter of full scale (0.18 RMS)
    # Peers that send nothing are not recorded.
    assert set(bob.features.get(Voice).recordings) == {alice.peer_id}


async def test_mute_sends_silence_and_unmute_brings_the_voice_back(
    avacollab_sessions: SessionFactory, tmp_path: Path
) -> None:
    alice, bob = await join(avacollab_sessions, tmp_path, ["tone:440", "none"])
    recorder = await recording(bob, alice)
    commands = alice.features.commands
    start, end = await heard(recorder, 1.0)
    loud = rms(samples(recorder.path)[start:end][RATE // 2 :])
    renegotiated = len(alice.events.named("renegotiated"))

    assert commands["mute"].run("") == "muted"
    await alice.events.wait_for("voice.speaking", peer=alice.peer_id, speaking=False)
    await bob.events.wait_for("voice.speaking", peer=alice.peer_id, speaking=False)
    # Frames already on their way (jitter buffer, decoder) arrive first: skip half a second.
    await heard(recorder, 0.5)
    start, end = await heard(recorder, 1.0)
    quiet = rms(samples(recorder.path)[start:end])

    assert commands["unmute"].run("") == "unmuted"
    await bob.events.wait_for("voice.speaking", peer=alice.peer_id, speaking=True)
    await heard(recorder, 0.5)
    start, end = await heard(recorder, 1.0)
    back = samples(recorder.path)[start:end]

    assert loud > 0.05
    assert quiet < loud / 100  # more than 40 dB down: silence
    assert rms(back) > 0.05
    assert abs(dominant_frequency(back) - 440.0) < 5.0
    # Mute and unmute changed no track: nothing was renegotiated.
    assert len(alice.events.named("renegotiated")) == renegotiated


async def test_three_peers_each_hear_the_other_two(
    avacollab_sessions: SessionFactory, tmp_path: Path
) -> None:
    tones = [440.0, 660.0, 880.0]
    sessions = await join(avacollab_sessions, tmp_path, [f"tone:{hz:g}" for hz in tones])
    for listener in sessions:
        for sender, hz in zip(sessions, tones, strict=True):
            if sender is listener:
                continue
            recorder = await recording(listener, sender)
            await heard(recorder, 0.3)
            start, end = await heard(recorder, 0.5)
            audio = samples(recorder.path)[start:end]
            assert abs(dominant_frequency(audio) - hz) < 5.0, (listener.name, sender.name)
        assert len(listener.features.get(Voice).recordings) == 2


async def test_mic_on_starts_sending_to_a_connected_peer_and_off_stops(
    avacollab_sessions: SessionFactory, tmp_path: Path
) -> None:
    alice, bob = await join(avacollab_sessions, tmp_path, ["none", "none"])
    mic = alice.features.commands["mic"]
    assert await mic.run("on tone:440") == "sending tone"  # type: ignore[misc]
    recorder = await recording(bob, alice)  # the track came by renegotiation
    speaking = await bob.events.wait_for("voice.speaking", peer=alice.peer_id, speaking=True)
    who = peer_label(bob, alice.peer_id)
    assert who.startswith("p0 (")  # by name and short id, one status line
    assert speaking["note"] == f"{who} is speaking"
    # The status line names who speaks: others by name and short id, this peer as "you".
    assert await bob.features.commands["mic"].run("on tone:880") == "sending tone"  # type: ignore[misc]
    await bob.events.wait_for("voice.speaking", peer=bob.peer_id, speaking=True)
    assert bob.features.get(Voice).status() == [f"voice: tone (live); speaking: {who}, you"]
    await heard(recorder, 0.5)
    start, end = await heard(recorder, 1.0)
    assert abs(dominant_frequency(samples(recorder.path)[start:end]) - 440.0) < 5.0
    assert await mic.run("off") == "mic off"  # type: ignore[misc]
    voice_of_alice = alice.features.get(Voice)
    assert voice_of_alice.track is None and voice_of_alice.source is None
    assert voice_of_alice.status() == ["voice: not sending"]
