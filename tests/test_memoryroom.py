"""The in-memory room plugin authors can test with (avacollab.memoryroom)."""

from __future__ import annotations

from typing import Any

from avacollab.feature import Feature, JoinCommand
from avacollab.memoryroom import FakeSession, Room, settle


class Echo(Feature):
    """A toy feature: remembers what arrives on echo.say, greets newcomers."""

    name = "echo"

    def __init__(self, session: Any, config: Any) -> None:
        super().__init__(session, config)
        self.heard: list[str] = []
        self.left: list[tuple[str, str]] = []

    def topics(self) -> dict[str, Any]:
        return {"echo.say": lambda message: self.heard.append(message.payload.decode())}

    def peer_connected(self, peer_id: str) -> None:
        self.session.bus.publish("echo.say", f"hello {peer_id}".encode(), to=peer_id)

    def peer_left(self, peer_id: str, reason: str) -> None:
        self.left.append((peer_id, reason))

    def commands(self) -> list[JoinCommand]:
        def say(rest: str) -> str:
            return f"sent to {self.session.bus.publish('echo.say', rest.encode())}"

        return [JoinCommand("say", "/say TEXT", say)]


def echo(session: FakeSession) -> Echo:
    return session.features.get(Echo)


async def test_sessions_meet_talk_and_leave() -> None:
    room = Room(Echo)
    a, b, c = [await room.join(p) for p in ("a", "b", "c")]
    await room.mesh(a, b, c)
    await settle(lambda: all(len(echo(s).heard) == 2 for s in (a, b, c)))
    assert echo(a).heard == ["hello a", "hello a"]
    assert await room.run(a, "/say hi all") == "sent to 2"
    assert set(room.commands(a)) == {"help", "say"}
    await settle(lambda: "hi all" in echo(b).heard and "hi all" in echo(c).heard)
    await room.disconnect(a, b)
    assert ("b", "failed") in echo(a).left and ("a", "failed") in echo(b).left
    await room.leave(c)
    assert ("c", "left") in echo(a).left and "c" not in room.sessions
    a.renegotiate("b")
    assert a.renegotiations == ["b"]
    await room.close()


class Joins(Feature):
    """Remembers the members it heard of, connected or not."""

    name = "joins"

    def __init__(self, session: Any, config: Any) -> None:
        super().__init__(session, config)
        self.joined: list[tuple[str, str]] = []

    def peer_joined(self, peer_id: str, name: str) -> None:
        self.joined.append((peer_id, name))


async def test_the_room_runs_real_sessions_with_their_whole_lifecycle() -> None:
    room = Room(Joins)
    a = await room.join("a", "Ada")
    b = await room.join("b", "Bob")
    # As in a real room: members hear of each other before any link is up.
    await settle(lambda: a.features.get(Joins).joined == [("b", "Bob")])
    assert b.features.get(Joins).joined == [("a", "Ada")]
    assert a.connected == () and b.connected == ()
    await room.connect(a, b)
    assert list(a.connected) == ["b"] and list(b.connected) == ["a"]
    assert a.named("peer-connected")[0]["offerer"] is True  # the smaller id offers
    await room.disconnect(a, b)
    await room.connect(a, b)  # the offerer's new link
    assert len(a.named("peer-connected")) == 2
    await room.close()
