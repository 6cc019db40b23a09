"""Acceptance: a changing picture on a real X server, shared to viewers who check and record it."""

from __future__ import annotations

from pathlib import Path

import av
from avacollab.signaling.server import SignalingServer
from avacollab.testing import RecordedSession, SessionFactory, start_sessions

import avacollab_screenshare.plugin as screenshare
from avacollab_screenshare.frames import mean_rgb, nearest_color
from avacollab_screenshare.plugin import ScreenShare

from .helpers import ColorLog, set_root_color, xvfb


def recorded_colors(path: Path) -> list[str]:
    """The colors of a recording, in order, without repeats."""
    colors: list[str] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            color = nearest_color(mean_rgb(frame))
            if not colors or colors[-1] != color:
                colors.append(color)
    return colors


async def run(session: RecordedSession, line: str) -> str:
    reply = await session.features.execute("/" + line)
    assert isinstance(reply, str)
    return reply


async def test_x11_share_reaches_viewers_and_late_joiner(
    avacollab_server: SignalingServer,
    avacollab_sessions: SessionFactory,
    colors: ColorLog,
    tmp_path: Path,
) -> None:
    async with xvfb() as display:
        await set_root_color(display, "red")
        options = {"screenshare.display": display, "screenshare.record_dir": str(tmp_path)}
        alice, bob, carol = await avacollab_sessions(3, plugins=[screenshare], options=options)
        sharer = alice.peer_id

        reply = await run(alice, "share x11 fps=10")
        assert reply.startswith(f"sharing x11 {display} 320x240@10"), reply
        for viewer in (bob, carol):
            await colors.wait_for(viewer.peer_id, sharer, "red")
        await set_root_color(display, "blue")
        for viewer in (bob, carol):
            await colors.wait_for(viewer.peer_id, sharer, "blue")

        (dave,) = await start_sessions(
            avacollab_server.url, 1, room=alice.room, plugins=[screenshare], options=options
        )
        try:
            await dave.events.wait(lambda: sharer in dave.connected)
            await colors.wait_for(dave.peer_id, sharer, "blue")
            await set_root_color(display, "green")
            for viewer in (bob, carol, dave):
                await colors.wait_for(viewer.peer_id, sharer, "green")
            assert colors.seen[(dave.peer_id, sharer)][-2:] == ["blue", "green"]
            assert colors.seen[(bob.peer_id, sharer)] == ["red", "blue", "green"]

            assert (await run(alice, "unshare")).startswith("stopped sharing after")
            ends = [
                await v.events.wait_for("screenshare.stopped", peer=sharer, share=1)
                for v in (bob, carol, dave)
            ]
            # The capture is released and the track is off every link.
            state = alice.features.get(ScreenShare)
            assert state.sharer.broadcast is None
            for peer in (bob, carol, dave):
                link = alice.link(peer.peer_id)
                assert link is not None
                assert all(t.sender.track is None for t in link.pc.getTransceivers())
        finally:
            await dave.close()

    for end, expected in zip(
        ends, (["red", "blue", "green"],) * 2 + (["blue", "green"],), strict=True
    ):
        assert end["frames"] > 0
        assert recorded_colors(Path(end["file"]))[-len(expected) :] == expected
