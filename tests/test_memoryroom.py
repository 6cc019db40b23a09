"""The in-memory room plugin authors can test with (avacollab.memoryroom)."""

from __future__ import annotations

from typing import Any

from avacollab.bus import Message
from avacollab.hookspecs import JoinCommand, Session, hookimpl
from avacollab.memoryroom import Room, settle


class Echo:
    """A toy plugin: remembers what arrives on echo.say, greets newcomers."""

    def __init__(self) -> None:
        self.heard: dict[str, list[str]] = {}
        self.left: list[tuple[str, str, str]] = []

    @hookimpl
    def avacollab_bus_topics(self, session: Session) -> dict[str, Any]:
        def on_say(message: Message) -> None:
            self.heard.setdefault(session.peer_id, []).append(message.payload.decode())

        return {"echo.say": on_say}

    @hookimpl
    def avacollab_peer_connected(self, session: Session, peer_id: str) -> None:
        session.bus.publish("echo.say", f"hello {peer_id}".encode(), to=peer_id)

    @hookimpl
    def avacollab_peer_left(self, session: Session, peer_id: str, reason: str) -> None:
        self.left.append((session.peer_id, peer_id, reason))

    @hookimpl
    def avacollab_join_commands(self, session: Session) -> list[JoinCommand]:
        def say(rest: str) -> str:
            return f"sent to {session.bus.publish('echo.say', rest.encode())}"

        return [JoinCommand("say", "/say TEXT", say)]


async def test_sessions_meet_talk_and_leave() -> None:
    plugin = Echo()
    room = Room(plugin)
    a, b, c = [await room.join(p) for p in ("a", "b", "c")]
    await room.mesh(a, b, c)
    await settle(lambda: all(len(plugin.heard.get(p, [])) == 2 for p in "abc"))
    assert sorted(plugin.heard["a"]) == ["hello a", "hello a"]
    assert await room.run(a, "/say hi all") == "sent to 2"
    await settle(lambda: "hi all" in plugin.heard["b"] and "hi all" in plugin.heard["c"])
    await room.disconnect(a, b, reason="timeout")
    assert ("a", "b", "timeout") in plugin.left and ("b", "a", "timeout") in plugin.left
    await room.leave(c)
    assert ("a", "c", "left") in plugin.left and "c" not in room.sessions
    a.renegotiate("b")
    assert a.renegotiations == ["b"]
    await room.close()
