"""The chat between real sessions on loopback, through the avacollab pytest fixtures."""

from __future__ import annotations

import pytest
from avacollab_hello import plugin
from avacollab_hello.plugin import MAX_TEXT, TOPIC

from avacollab.testing import RecordedSession, SessionFactory


async def run(session: RecordedSession, line: str) -> str | None:
    """Type ``line`` (``/name rest``) in ``session``'s join terminal."""
    return await session.features.execute(line)


async def test_say_reaches_every_peer(avacollab_sessions: SessionFactory) -> None:
    alice, bob, carol = await avacollab_sessions(
        3, plugins=[plugin], name=lambda i: ["alice", "bob", "carol"][i]
    )
    assert await run(alice, "/say  hello, room ") == "sent to 2 peers"
    for session in (bob, carol):
        event = await session.events.wait_for("hello.message", text="hello, room")
        assert event["peer"] == alice.peer_id
        assert event["name"] == "alice"
    assert not alice.events.named("hello.message")  # nobody echoes our own line back


async def test_say_is_listed_by_help(avacollab_sessions: SessionFactory) -> None:
    (alone,) = await avacollab_sessions(1, plugins=[plugin])
    listing = await run(alone, "/help")
    assert listing is not None and "/say" in listing and "/who" in listing


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("/say", "not sent: empty text"),
        ("/say    ", "not sent: empty text"),
        ("/say \t ", "not sent: empty text"),
        ("/say " + "x" * (MAX_TEXT + 1), f"not sent: text longer than {MAX_TEXT} characters"),
    ],
)
async def test_bad_lines_are_not_sent(
    avacollab_sessions: SessionFactory, line: str, reply: str
) -> None:
    alice, _ = await avacollab_sessions(2, plugins=[plugin])
    assert await run(alice, line) == reply


async def test_say_with_nobody_connected(avacollab_sessions: SessionFactory) -> None:
    (alone,) = await avacollab_sessions(1, plugins=[plugin])
    assert await run(alone, "/say anyone?") == "not sent: nobody is connected yet"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"not json", "Expecting value"),
        (b"[1, 2]", 'expected {"text": "..."}'),
        (b'{"text": 5}', 'expected {"text": "..."}'),
        (b'{"text": ""}', "empty text"),
        (b'{"text": "' + b"y" * (MAX_TEXT + 1) + b'"}', "text longer than"),
    ],
)
async def test_bad_messages_from_a_peer_are_rejected(
    avacollab_sessions: SessionFactory, payload: bytes, error: str
) -> None:
    # The sender runs without the plugin, as a buggy or hostile peer might.
    (sender,) = await avacollab_sessions(1)
    (receiver,) = await avacollab_sessions(1, plugins=[plugin], room=sender.room)
    await sender.events.wait_for("peer-connected", peer=receiver.peer_id)
    sender.bus.publish(TOPIC, payload)
    sender.bus.publish_json(TOPIC, {"text": "still working"})
    rejected = await receiver.events.wait_for("hello.rejected", peer=sender.peer_id)
    assert error in rejected["error"]
    # The session survives and the next good line arrives.
    await receiver.events.wait_for("hello.message", text="still working")
