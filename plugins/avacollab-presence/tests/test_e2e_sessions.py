"""The presence plugin in real sessions: a signaling server and aiortc peers on loopback."""

from __future__ import annotations

from collections.abc import Callable

from avacollab_presence import Cursor, Presence, plugin
from avacollab_presence.session import PresenceSession

from avacollab.testing import RecordedSession, SessionFactory

WAIT = 20.0  # below the 30 s presence timeout: anything seen in time was not a timeout


def presence(session: RecordedSession) -> Presence:
    return session.features.get(PresenceSession).presence


async def each(sessions: list[RecordedSession], condition: Callable[[Presence], bool]) -> None:
    """Wait until ``condition`` holds for every session's presence view.

    The view only changes with a ``presence.updated`` event of its own
    session, so waiting on that session's events is enough.
    """
    for session in sessions:
        await session.events.wait(lambda s=session: condition(presence(s)), timeout=WAIT)  # type: ignore[misc]


def names(view: Presence) -> set[str]:
    return {p.state.user.name for p in view.states().values()}


def colors(view: Presence) -> set[str]:
    return {p.state.user.color for p in view.states().values()}


async def test_peers_see_each_other_cursors_and_a_leaver_goes_at_once(
    avacollab_sessions: SessionFactory,
) -> None:
    sessions = await avacollab_sessions(3, plugins=[plugin], name=lambda i: ["Ada", "Bob", "Cy"][i])
    a, b, c = sessions
    await each(sessions, lambda view: names(view) == {"Ada", "Bob", "Cy"})
    # Peers that started together may first pick the same color; the clash
    # is resolved by a second update, which every view must end up showing.
    await each(sessions, lambda view: len(colors(view)) == 3)

    presence(a).set_cursor(120, 48, "btn-1")
    await each(
        [b, c], lambda view: view.states()[a.peer_id].state.cursor == Cursor(120, 48, "btn-1")
    )
    updated = await b.events.wait_for("presence.updated", updated=[a.peer_id], timeout=WAIT)
    assert updated["origin"] == "remote"

    await c.close()
    await each([a, b], lambda view: names(view) == {"Ada", "Bob"})
    assert any(c.peer_id in e["removed"] for e in a.events.named("presence.updated"))
