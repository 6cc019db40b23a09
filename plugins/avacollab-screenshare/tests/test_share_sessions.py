"""The plugin in real sessions with the headless pattern: share again, errors, hostile peers."""

from __future__ import annotations

from pathlib import Path

import pytest
from avacollab.featureset import PluginStartError
from avacollab.shortids import peer_label
from avacollab.testing import SessionFactory

import avacollab_screenshare.plugin as screenshare
from avacollab_screenshare.plugin import ScreenShare

from .helpers import ColorLog
from .test_share_x11 import recorded_colors, run

PATTERN = "pattern size=64x48 fps=10"


async def test_share_stop_and_share_again_on_the_same_links(
    avacollab_sessions: SessionFactory, colors: ColorLog, tmp_path: Path
) -> None:
    options = {"screenshare.record_dir": str(tmp_path)}
    alice, bob = await avacollab_sessions(2, plugins=[screenshare], options=options)
    viewer, sharer = bob.peer_id, alice.peer_id
    assert "share" in alice.features.commands
    assert (await run(alice, "unshare")) == "not sharing"

    assert (await run(alice, f"share {PATTERN}")).startswith("sharing pattern 64x48@10")
    assert (await run(alice, f"share {PATTERN}")) == "cannot share: already sharing: /unshare first"
    await colors.wait_for(viewer, sharer, "green")  # the pattern's second color
    assert any(
        line.startswith("screenshare: sharing pattern")
        for line in alice.features.get(ScreenShare).status()
    )
    assert any(
        line.startswith(f"screenshare: viewing {sharer}")
        for line in bob.features.get(ScreenShare).status()
    )
    await run(alice, "unshare")
    first = await bob.events.wait_for("screenshare.stopped", peer=sharer, share=1)
    assert first["file"] == str(tmp_path / f"{sharer}-1-to-{viewer}.webm")
    assert recorded_colors(Path(first["file"]))[:2] == ["red", "green"]

    # A second share reuses the idle transceiver: its frames must flow again.
    colors.seen.clear()
    await run(alice, f"share {PATTERN}")
    started = await bob.events.wait_for("screenshare.started", peer=sharer, share=2)
    # One status line each, by the sharer's name and short id, for the terminal.
    who = peer_label(bob, sharer)
    assert who.startswith(f"{alice.name} (") and sharer.startswith(who[len(alice.name) + 2 : -1])
    assert started["note"] == f"{who} started sharing ({started['source']})"
    assert first["note"] == f"{who} stopped sharing ({first['reason']})"
    await colors.wait_for(viewer, sharer, "green")
    await run(alice, "unshare")
    second = await bob.events.wait_for("screenshare.stopped", peer=sharer, share=2)
    assert second["frames"] > 0 and second["file"].endswith(f"-2-to-{viewer}.webm")


async def test_a_failed_share_leaves_the_session_working(
    avacollab_sessions: SessionFactory, colors: ColorLog, tmp_path: Path
) -> None:
    alice, bob = await avacollab_sessions(2, plugins=[screenshare])
    reply = await run(alice, f"share file {tmp_path / 'missing.mp4'}")
    assert reply.startswith("cannot share: cannot open video file")
    await alice.events.wait_for("screenshare.error")
    reply = await run(alice, "share x11 display=:0 backend=ffmpeg ffmpeg=/nonexistent/ffmpeg")
    assert "install it (Debian: apt install ffmpeg)" in reply
    # The same session shares fine afterwards, and the bus still works.
    await run(alice, f"share {PATTERN}")
    await colors.wait_for(bob.peer_id, alice.peer_id, "red")
    await run(alice, "unshare")
    await bob.events.wait_for("screenshare.stopped", peer=alice.peer_id)


async def test_a_file_that_ends_stops_the_share_everywhere(
    avacollab_sessions: SessionFactory, colors: ColorLog, tmp_path: Path
) -> None:
    from .test_sources import make_clip

    clip = tmp_path / "clip.webm"
    await make_clip(clip, ["blue"] * 5)
    alice, bob = await avacollab_sessions(2, plugins=[screenshare])
    await run(alice, f"share file {clip} loop=off")
    stop = await bob.events.wait_for("screenshare.stopped", peer=alice.peer_id)
    assert stop["reason"].startswith("source ended")
    mine = await alice.events.wait_for("screenshare.stopped", peer=alice.peer_id)
    assert mine["reason"] == stop["reason"]
    assert alice.features.get(ScreenShare).sharer.broadcast is None


async def test_autostart_and_the_peer_leaving_end_the_share(
    avacollab_sessions: SessionFactory, colors: ColorLog
) -> None:
    options = {
        "screenshare.autostart": "on",
        "screenshare.source": "pattern",
        "screenshare.size": "64x48",
    }
    alice, bob = await avacollab_sessions(2, plugins=[screenshare], options=options)
    # Both share from the start, and each sees the other's.
    await colors.wait_for(bob.peer_id, alice.peer_id, "red")
    await colors.wait_for(alice.peer_id, bob.peer_id, "red")
    await alice.close()
    end = await bob.events.wait_for("screenshare.stopped", peer=alice.peer_id)
    assert end["reason"] in ("closing", "peer left")


async def test_malformed_notices_are_reported_and_ignored(
    avacollab_sessions: SessionFactory, colors: ColorLog
) -> None:
    alice, bob = await avacollab_sessions(2, plugins=[screenshare])
    alice.bus.publish_json("screenshare.started", {"share": "one"})
    alice.bus.publish("screenshare.stopped", b"\xff not json")
    alice.bus.publish_json("screenshare.stopped", {"share": 7})  # no such share: ignored
    first = await bob.events.wait_for("screenshare.rejected", peer=alice.peer_id)
    assert "positive integer" in first["error"]
    await bob.events.wait(lambda: len(bob.events.named("screenshare.rejected")) == 2)
    # Still fine: a real share afterwards is seen.
    await run(alice, f"share {PATTERN}")
    await colors.wait_for(bob.peer_id, alice.peer_id, "red")
    assert not bob.events.named("screenshare.stopped")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("fps", "0", "--set screenshare.fps=0: expected 1 to 60"),
        ("source", "webcam", "--set screenshare.source=webcam: expected x11, file, pattern"),
        ("size", "1x1", "--set screenshare.size=1x1: size='1x1': each side must be 2 to"),
        ("region", "big", "--set screenshare.region=big: region='big': expected WIDTHxHEIGHT"),
        ("autostart", "maybe", "--set screenshare.autostart=maybe: expected on or off"),
        ("fsp", "3", "--set screenshare.fsp: unknown option 'fsp' (did you mean 'fps'?)"),
    ],
)
async def test_bad_options_are_refused_before_joining(
    avacollab_sessions: SessionFactory, setting: str, value: str, message: str
) -> None:
    with pytest.raises(PluginStartError) as error:
        await avacollab_sessions(
            1, plugins=[screenshare], options={f"screenshare.{setting}": value}
        )
    assert str(error.value).startswith(message)
