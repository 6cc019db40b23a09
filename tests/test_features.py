"""Features in sessions: options checked before joining, one instance per session, isolation.

The option parsing is pure; the lifetimes and the isolation of one feature's
errors from the others run in real sessions (a signaling server and aiortc
peers on loopback) and, where no network is needed, in in-memory sessions.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import pytest

from avacollab import testing
from avacollab.bus import Message
from avacollab.feature import Feature, JoinCommand, Option, check_feature
from avacollab.featureset import FeatureSet, PluginStartError, parse_options
from avacollab.memoryroom import Room, settle
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.session import Session, SessionConfig
from avacollab.signaling.server import SignalingServer
from avacollab.testing import SessionFactory

avacollab_server = testing.avacollab_server
avacollab_sessions = testing.avacollab_sessions


def even(value: int) -> int:
    if value % 2:
        raise ValueError("must be even")
    return value


class Paint(Feature):
    name = "paint"
    options = (
        Option("color", str, "red", "Brush color.", str.upper),
        Option("size", int, 2, "Brush size.", even),
        Option("opacity", float, 1.0),
        Option("smooth", bool, True),
        Option("save", Path),
    )


class Other(Feature):
    name = "other"


# -- options --------------------------------------------------------------------


def test_options_take_their_defaults_and_the_values_given() -> None:
    assert parse_options([Paint, Other], {}) == {
        "paint": {"color": "RED", "size": 2, "opacity": 1.0, "smooth": True, "save": None},
        "other": {},
    }
    given = {
        "paint.color": " blue ",
        "paint.size": "8",
        "paint.opacity": "0.5",
        "paint.smooth": "off",
        "paint.save": "~/canvas.png",
    }
    assert parse_options([Paint], given)["paint"] == {
        "color": "BLUE",  # converted, then refined by its check
        "size": 8,
        "opacity": 0.5,
        "smooth": False,
        "save": Path.home() / "canvas.png",
    }
    assert [parse_options([Paint], {"paint.smooth": word})["paint"]["smooth"] for word in (
        "on", "TRUE", "yes", "1", "off", "False", "no", "0"
    )] == [True] * 4 + [False] * 4  # fmt: skip
    # An empty value means the default, checked like one.
    assert parse_options([Paint], {"paint.size": "", "paint.color": ""})["paint"]["color"] == "RED"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("paint.size", "big", "--set paint.size=big: expected a whole number"),
        ("paint.size", "3", "--set paint.size=3: must be even"),
        ("paint.opacity", "half", "--set paint.opacity=half: expected a number"),
        ("paint.opacity", "nan", "--set paint.opacity=nan: expected a number"),
        ("paint.opacity", "inf", "--set paint.opacity=inf: expected a number"),
        ("paint.smooth", "maybe", "--set paint.smooth=maybe: expected on or off"),
        (
            "paint.colour",
            "red",
            "--set paint.colour: unknown option 'colour' (did you mean 'color'?); "
            "options: color, opacity, save, size, smooth",
        ),
        (
            "pain.color",
            "red",
            "--set pain.color: unknown feature 'pain' (did you mean 'paint'?); "
            "features: other, paint",
        ),
        ("editing.doc", "x.json", "--set editing.doc: unknown feature 'editing'; features:"),
    ],
)
def test_bad_options_are_refused_naming_the_set(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_options([Paint, Other], {key: value})
    assert str(error.value).startswith(message)
    features = FeatureSet([Paint, Other])
    with pytest.raises(PluginStartError) as stopped:
        features.configure({key: value})
    assert str(stopped.value) == str(error.value)


def test_a_default_that_fails_its_check_is_found_when_the_feature_is_checked() -> None:
    bad = type("Bad", (Feature,), {"name": "bad", "options": (Option("size", int, 3, "", even),)})
    with pytest.raises(ValueError, match="feature 'bad': option 'size': bad default: must be even"):
        check_feature(bad)


class Span(Feature):
    """Two options that only make sense together."""

    name = "span"
    options = (Option("low", int, 1), Option("high", int, 10))

    @classmethod
    def check_options(cls, config: Any) -> None:
        if config["high"] < config["low"]:
            raise ValueError(f"high must not be under low ({config['high']} < {config['low']})")


async def test_options_that_do_not_go_together_stop_the_session_naming_the_feature() -> None:
    room = Room(Span)
    with pytest.raises(PluginStartError, match=r"^span: high must not be under low \(0 < 1\)$"):
        await room.join("a", options={"span.high": "0"})
    # Each option alone is fine, and so are the two given together in order.
    session = await room.join("b", options={"span.low": "5", "span.high": "5"})
    assert session.features.get(Span).config == {"low": 5, "high": 5}
    await room.close()


def test_a_feature_set_refuses_two_features_of_one_name() -> None:
    twin = type("Twin", (Feature,), {"name": "paint"})
    with pytest.raises(ValueError, match="two features are called 'paint'"):
        FeatureSet([Paint, twin])


async def test_bad_options_stop_a_session_before_it_connects(unused_tcp_port: int) -> None:
    # Nothing listens there: connecting would raise SignalingError instead.
    url = f"ws://127.0.0.1:{unused_tcp_port}/ws"
    config = SessionConfig(url, "room", options={"paint.size": "3"})
    session = Session(config, features=[Paint])
    with pytest.raises(PluginStartError, match=r"^--set paint.size=3: must be even$"):
        await session.start()
    assert session.features.running == ()


# -- lifetimes and isolation in real sessions -------------------------------------


def recording_features() -> tuple[type[Feature], type[Feature], list[tuple[str, str]]]:
    """A feature that fails in every method it can fail in, and one that records calls."""
    log: list[tuple[str, str]] = []

    class Fragile(Feature):
        name = "fragile"

        def peer_connected(self, peer_id: str) -> None:
            raise RuntimeError("connect boom")

        def status(self) -> list[str]:
            raise RuntimeError("status boom")

        def media_tracks(self, peer_id: str) -> list[Any]:
            raise RuntimeError("tracks boom")

        async def close(self) -> None:
            raise RuntimeError("close boom")

    class Sturdy(Feature):
        name = "sturdy"

        def __init__(self, session: Any, config: Any) -> None:
            super().__init__(session, config)
            log.append(("init", session.peer_id))  # the session has joined: its id is known

        async def start(self) -> None:
            log.append(("start", self.session.peer_id))

        def peer_connected(self, peer_id: str) -> None:
            log.append(("connected", self.session.peer_id))

        def status(self) -> list[str]:
            return ["sturdy: fine"]

        async def close(self) -> None:
            log.append(("close", self.session.peer_id))

    return Fragile, Sturdy, log


async def test_one_features_errors_never_reach_another(
    avacollab_sessions: SessionFactory,
) -> None:
    fragile, sturdy, log = recording_features()
    alice, bob = await avacollab_sessions(2, plugins=[fragile, sturdy])
    for session in (alice, bob):
        error = await session.events.wait_for("plugin-error", method="peer_connected")
        assert error == {**error, "feature": "fragile", "error": "RuntimeError: connect boom"}
        assert ("connected", session.peer_id) in log  # told all the same
        assert session.features.status() == [f"room {session.room}: 1 other peer", "sturdy: fine"]
        assert session.features.media_tracks("anyone") == []
        assert {e["method"] for e in session.events.named("plugin-error")} == {
            "peer_connected",
            "status",
            "media_tracks",
        }
    await alice.close()
    await alice.close()  # closing twice closes the features once
    assert log.count(("close", alice.peer_id)) == 1
    assert alice.events.named("plugin-error")[-1]["method"] == "close"
    assert alice.events.named("closed")  # the session closed all the same
    await bob.events.wait_for("peer-left", peer=alice.peer_id)


async def test_each_session_has_its_own_instances(avacollab_sessions: SessionFactory) -> None:
    _, sturdy, log = recording_features()
    alice, bob = await avacollab_sessions(2, plugins=[sturdy])
    mine, theirs = alice.features.get(sturdy), bob.features.get(sturdy)
    assert mine is not theirs
    assert (mine.session, theirs.session) == (alice, bob)
    assert [entry for entry in log if entry[0] in ("init", "start")] == [
        ("init", alice.peer_id),
        ("start", alice.peer_id),
        ("init", bob.peer_id),
        ("start", bob.peer_id),
    ]
    await bob.close()
    assert log.count(("close", bob.peer_id)) == 1 and ("close", alice.peer_id) not in log
    with pytest.raises(KeyError, match="no running Sturdy feature"):
        bob.features.get(sturdy)
    assert alice.features.get(sturdy) is mine


async def test_a_feature_that_cannot_start_closes_those_started_before_it(
    avacollab_server: SignalingServer,
) -> None:
    _, sturdy, log = recording_features()
    made: list[str] = []

    class Refuses(Feature):
        name = "refuses"

        async def start(self) -> None:
            raise ValueError("cannot work like this")

        async def close(self) -> None:
            made.append("refuses closed")  # must not happen: start did not return

    class Later(Feature):
        name = "later"

        def __init__(self, session: Any, config: Any) -> None:
            super().__init__(session, config)
            made.append("later made")

    config = SessionConfig(avacollab_server.url, "room", ice_addresses=LOOPBACK)
    session = Session(config, features=[sturdy, Refuses, Later])
    with pytest.raises(PluginStartError, match=r"^refuses: cannot work like this$"):
        await session.start()
    assert [entry[0] for entry in log] == ["init", "start", "close"]
    assert made == []
    assert session.closed.is_set()
    async with asyncio.timeout(5.0):  # it left the room again
        await avacollab_server.until(lambda: avacollab_server.core.peer_count == 0)


async def test_a_feature_that_cannot_be_made_stops_the_session_too() -> None:
    class Broken(Feature):
        name = "broken"

        def __init__(self, session: Any, config: Any) -> None:
            raise OSError("no such device")

    with pytest.raises(PluginStartError, match=r"^broken: no such device$"):
        await Room(Broken).join("a")


# -- in-memory sessions: topics, commands, order ------------------------------------


class Notes(Feature):
    """Keeps what arrives on notes.text; logs its closing into a class-wide list."""

    name = "notes"
    closed: ClassVar[list[str]] = []

    def __init__(self, session: Any, config: Any) -> None:
        super().__init__(session, config)
        self.heard: list[bytes] = []

    def topics(self) -> dict[str, Any]:
        return {"notes.text": lambda message: self.heard.append(message.payload)}

    async def close(self) -> None:
        Notes.closed.append(f"notes {self.session.peer_id}")


async def test_features_close_last_first_and_lose_their_topics() -> None:
    class Last(Feature):
        name = "last"

        async def close(self) -> None:
            Notes.closed.append(f"last {self.session.peer_id}")

    Notes.closed.clear()
    room = Room(Notes, Last)
    a, b = await room.join("a"), await room.join("b")
    await room.connect(a, b)
    b.bus.publish("notes.text", b"one")
    await settle(lambda: a.features.get(Notes).heard == [b"one"])
    notes = a.features.get(Notes)
    await a.features.close()
    assert Notes.closed == ["last a", "notes a"]
    arrived = asyncio.Event()
    a.bus.subscribe("notes.text", lambda _: arrived.set())
    b.bus.publish("notes.text", b"two")
    async with asyncio.timeout(5.0):
        await arrived.wait()  # the message reached a's bus...
    assert notes.heard == [b"one"]  # ...and no longer the closed feature
    await room.close()


@pytest.mark.parametrize(
    ("topic", "error"),
    [
        ("elsewhere.text", r"^sneaky: topic 'elsewhere.text' does not start with 'sneaky.'$"),
        ("session.offer", r"does not start with 'sneaky.'"),
        ("sneaky", r"does not start with 'sneaky.'"),
    ],
)
async def test_a_feature_may_only_subscribe_its_own_topics(topic: str, error: str) -> None:
    class Sneaky(Feature):
        name = "sneaky"

        def topics(self) -> dict[str, Any]:
            return {topic: print}

    Notes.closed.clear()
    room = Room(Notes, Sneaky)
    with pytest.raises(PluginStartError, match=error):
        await room.join("a")
    assert Notes.closed == ["notes a"]  # started before it: closed again
    assert not room.sessions and not room.net.rooms["room"]  # and it left again


async def test_commands_run_as_join_runs_them() -> None:
    class Commands(Feature):
        name = "commands"

        def commands(self) -> list[JoinCommand]:
            async def later(rest: str) -> str:
                return f"later {rest}"

            def fails(_: str) -> str:
                raise KeyError("gone")

            return [
                JoinCommand("echo", "Echo the rest.", lambda rest: rest or None),
                JoinCommand("later", "Answer later.", later),
                JoinCommand("fails", "Always fails.", fails),
            ]

    room = Room(Commands)
    a = await room.join("a")
    run = a.features.execute
    assert await run("/echo  some  words ") == "some  words"
    assert await run("/echo") is None
    assert await run("/later x") == "later x"
    assert await run("/fails") == "/fails failed: KeyError: 'gone'"
    assert await run("/nope") == "unknown command /nope; try /help"
    assert await run("/hepl") == "unknown command /hepl (did you mean /help?); try /help"
    assert await run("no slash") == "commands start with /; try /help"
    assert await run("   ") is None
    assert await run("/help") == "\n".join(
        [
            "/echo   Echo the rest.",
            "/fails  Always fails.",
            "/help   List the commands.",
            "/later  Answer later.",
        ]
    )
    with pytest.raises(ValueError, match=r"^join: command /echo is already defined$"):
        a.features.add_command(JoinCommand("echo", "", print))
    await room.close()


async def test_topics_and_commands_are_asked_once_it_started() -> None:
    """So a feature never handles a message or a command before it is set up."""
    order: list[str] = []

    class Careful(Feature):
        name = "careful"

        async def start(self) -> None:
            order.append("start")

        def topics(self) -> dict[str, Any]:
            order.append("topics")
            return {"careful.x": self.handle}

        def handle(self, message: Message) -> None:
            order.append("message")

        def commands(self) -> list[JoinCommand]:
            order.append("commands")
            return []

    room = Room(Careful)
    await room.join("a")
    assert order == ["start", "topics", "commands"]
    await room.close()
