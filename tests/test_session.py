"""Sessions in one process: real signaling server, real aiortc peers on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, ClassVar

import pytest
from aiortc.mediastreams import VideoStreamTrack

from avacollab import logs
from avacollab.bus import Message
from avacollab.feature import Feature, JoinCommand
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.link import MAX_MEDIA_PER_KIND
from avacollab.peer.negotiation import MAX_REQUEST_BYTES, MAX_SDP_PAYLOAD, MAX_SEQ
from avacollab.peer.session import (
    PluginStartError,
    Session,
    SessionConfig,
    ice_servers_from_welcome,
)
from avacollab.signaling.server import SignalingServer
from avacollab.testing import EventLog

from .conftest import Connect, ServerFactory
from .sessionkit import WAIT


class Recorder(Feature):
    """A feature that records every call and can send tracks on demand."""

    name = "test"
    first_tracks: ClassVar[Sequence[Any]] = ()
    """Tracks to send from the start, before any connection exists."""

    def __init__(self, session: Any, config: Any) -> None:
        super().__init__(session, config)
        self.calls: list[tuple[str, Any]] = []
        self.received: list[Message] = []
        self.message_arrived = asyncio.Event()
        self.tracks: list[Any] = list(self.first_tracks)
        self.remote_tracks: list[tuple[str, Any]] = []
        self.track_arrived = asyncio.Event()

    async def start(self) -> None:
        self.calls.append(("started", self.session.peer_id))

    def topics(self) -> dict[str, Any]:
        self.calls.append(("topics", None))
        return {"test.note": self.note}

    def note(self, message: Message) -> None:
        self.received.append(message)
        self.message_arrived.set()

    async def messages(self, count: int) -> list[Any]:
        """Wait for ``count`` messages in all and return their JSON payloads."""
        async with asyncio.timeout(WAIT):
            while len(self.received) < count:
                self.message_arrived.clear()
                await self.message_arrived.wait()
        return [m.json() for m in self.received]

    async def peer_joined(self, peer_id: str, name: str) -> None:
        await asyncio.sleep(0)  # an awaitable result must be awaited
        self.calls.append(("joined", (peer_id, name)))

    def peer_connected(self, peer_id: str) -> None:
        self.calls.append(("connected", peer_id))

    def peer_left(self, peer_id: str, reason: str) -> None:
        self.calls.append(("left", (peer_id, reason)))

    async def close(self) -> None:
        self.calls.append(("closing", self.session.peer_id))

    def media_tracks(self, peer_id: str) -> list[Any]:
        return self.tracks

    def track_received(self, peer_id: str, track: Any) -> None:
        self.remote_tracks.append((peer_id, track))
        self.track_arrived.set()

    def commands(self) -> list[JoinCommand]:
        return []

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


MakeSession = Callable[..., Awaitable[tuple[Session, EventLog, Recorder]]]


@pytest.fixture
async def make_session() -> AsyncIterator[MakeSession]:
    sessions: list[Session] = []

    async def factory(
        url: str,
        room: str = "room",
        features: Sequence[type[Feature]] = (Recorder,),
        **overrides: Any,
    ) -> tuple[Session, EventLog, Recorder]:
        events = EventLog()
        options: dict[str, Any] = {"ice_addresses": LOOPBACK, "connect_timeout": WAIT}
        options.update(overrides)
        session = Session(SessionConfig(url, room, **options), features=features, events=events)
        await session.start()
        sessions.append(session)
        return session, events, session.features.get(Recorder)

    yield factory
    await asyncio.gather(*(s.close() for s in sessions))


async def full_mesh(sessions: list[tuple[Session, EventLog, Recorder]]) -> None:
    count = len(sessions) - 1
    async with asyncio.timeout(WAIT):
        for _, events, _ in sessions:
            await events.wait(
                lambda: len({e["peer"] for e in events.named("peer-connected")}) == count  # noqa: B023
            )


async def test_three_sessions_reach_full_mesh_and_exchange_messages(
    server: SignalingServer, make_session: MakeSession
) -> None:
    group = [await make_session(server.url, name=f"p{i}") for i in range(3)]
    await full_mesh(group)
    (a, _, ra), (b, _, rb), (c, _, rc) = group
    assert set(a.connected) == {b.peer_id, c.peer_id}
    assert a.peers == {b.peer_id: "p1", c.peer_id: "p2"}
    for session, _, _ in group:
        rows = session.status()
        assert len(rows) == 2 and all(r["state"] == "connected" for r in rows)
        for peer in session.connected:
            link = session.link(peer)
            assert link is not None and link.state == "connected"

    assert a.bus.publish_json("test.note", {"all": 1}) == 2
    a.bus.publish_json("test.note", {"only": "c"}, to=c.peer_id)
    assert await rc.messages(2) == [{"all": 1}, {"only": "c"}]
    assert await rb.messages(1) == [{"all": 1}]
    assert {m.sender for m in rc.received} == {a.peer_id}
    assert not ra.received


async def test_peers_joining_at_the_same_instant_settle_on_one_link_per_pair(
    server: SignalingServer, make_session: MakeSession
) -> None:
    # Every session starts at once: each sees some of the others in its
    # welcome and the rest as peer-joined, in racing orders. The smaller id
    # of each pair offers, so there is never a second connection to undo.
    group = list(await asyncio.gather(*(make_session(server.url, name=f"s{i}") for i in range(4))))
    await full_mesh(group)
    ids = {s.peer_id for s, _, _ in group}
    for session, events, _ in group:
        assert set(session.connected) == ids - {session.peer_id}
        connected = [e["peer"] for e in events.named("peer-connected")]
        assert sorted(connected) == sorted(ids - {session.peer_id})  # once per peer
        for other in session.connected:
            link = session.link(other)
            assert link is not None and link.state == "connected"
            assert link.offerer == (session.peer_id < other)
    # And the mesh works: everyone hears everyone.
    for session, _, _ in group:
        session.bus.publish_json("test.note", {"from": session.peer_id})
    for _, _, recorder in group:
        assert len(await recorder.messages(3)) == 3


async def test_two_sessions_and_the_event_stream(
    server: SignalingServer, make_session: MakeSession
) -> None:
    a, ea, _ = await make_session(server.url, name="alice")
    b, eb, _ = await make_session(server.url, name="bob")
    await full_mesh([(a, ea, _), (b, eb, _)])
    joined = ea.named("joined")[0]
    assert joined["peer"] == a.peer_id and joined["room"] == "room" and joined["peers"] == []
    assert eb.named("joined")[0]["peers"] == [a.peer_id]
    assert (await ea.wait_for("peer-joined"))["name"] == "bob"
    connected_a = await ea.wait_for("peer-connected", peer=b.peer_id)
    connected_b = await eb.wait_for("peer-connected", peer=a.peer_id)
    # Exactly one side of the pair offers, decided by the ids.
    assert connected_a["offerer"] != connected_b["offerer"]
    assert connected_a["offerer"] == (a.peer_id < b.peer_id)
    assert all(isinstance(e["ts"], float) for e in ea.items)


async def test_hooks_are_called_in_order_with_their_arguments(
    server: SignalingServer, make_session: MakeSession
) -> None:
    a, ea, ra = await make_session(server.url, name="alice")
    b, eb, rb = await make_session(server.url, name="bob")
    await full_mesh([(a, ea, ra), (b, eb, rb)])
    assert ra.calls[:2] == [("started", a.peer_id), ("topics", None)]
    assert ra.calls[2:4] == [("joined", (b.peer_id, "bob")), ("connected", b.peer_id)]
    assert rb.calls[2:4] == [("joined", (a.peer_id, "alice")), ("connected", a.peer_id)]
    await b.close()
    assert rb.names()[-1] == "closing"
    await ea.wait_for("peer-left", peer=b.peer_id, reason="left")
    assert ra.calls[-1] == ("left", (b.peer_id, "left"))
    assert b.peer_id not in a.peers and not a.bus.peers
    # The goodbye came over the bus; the server's later peer-left adds nothing.
    assert len(ea.named("peer-left")) == 1


async def test_a_failing_feature_is_reported_and_the_session_carries_on(
    server: SignalingServer, make_session: MakeSession
) -> None:
    class Broken(Feature):
        name = "broken"

        def peer_joined(self, peer_id: str, name: str) -> None:
            raise RuntimeError("boom")

    a, ea, ra = await make_session(server.url, features=[Broken, Recorder])
    b, eb, rb = await make_session(server.url)
    error = await ea.wait_for("plugin-error")
    assert error["feature"] == "broken" and error["method"] == "peer_joined"
    assert error["error"] == "RuntimeError: boom"
    await full_mesh([(a, ea, ra), (b, eb, rb)])
    # The feature after the broken one was told all the same.
    assert ("joined", (b.peer_id, "")) in ra.calls


async def test_a_feature_that_cannot_start_stops_the_session(server: SignalingServer) -> None:
    class Refuses(Feature):
        name = "refuses"

        async def start(self) -> None:
            raise ValueError("directory missing/ does not exist")

    config = SessionConfig(server.url, "room", ice_addresses=LOOPBACK)
    session = Session(config, features=[Refuses])
    with pytest.raises(PluginStartError, match=r"^refuses: directory missing/ does not exist$"):
        await session.start()
    assert session.closed.is_set()
    async with asyncio.timeout(WAIT):  # it left the room again
        while server.core.rooms:  # noqa: ASYNC110 - the server announces nothing here
            await asyncio.sleep(0.01)


def test_wants_asks_the_event_sink() -> None:
    config = SessionConfig("ws://127.0.0.1:9/ws", "room")
    assert not Session(config).wants("presence.updated")  # nothing records events
    assert Session(config, events=lambda event: None).wants("presence.updated")

    class Picky:
        def __call__(self, event: dict[str, Any]) -> None: ...

        def wants(self, event: str) -> bool:
            return event != "presence.updated"

    picky = Session(config, events=Picky())
    assert not picky.wants("presence.updated") and picky.wants("editing.changed")


def roles(
    x: tuple[Session, EventLog, Recorder], y: tuple[Session, EventLog, Recorder]
) -> tuple[tuple[Session, EventLog, Recorder], tuple[Session, EventLog, Recorder]]:
    """(offerer, answerer) of the pair."""
    return (x, y) if x[0].peer_id < y[0].peer_id else (y, x)


async def settled(offerer: Session, peer_id: str) -> None:
    """Wait until the offerer has no renegotiation pending with ``peer_id``."""
    async with asyncio.timeout(WAIT):
        # Nothing signals "no more negotiation coming"; polling is the honest test.
        while offerer.negotiating(peer_id):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def first_frame(track: Any) -> Any:
    async with asyncio.timeout(WAIT):
        return await track.recv()


async def test_the_answerer_asks_for_renegotiation_and_its_track_arrives(
    server: SignalingServer, make_session: MakeSession
) -> None:
    pair = [await make_session(server.url), await make_session(server.url)]
    await full_mesh(pair)
    (offerer, eo, ro), (answerer, ea, ra) = roles(*pair)
    link = answerer.link(offerer.peer_id)
    assert link is not None
    track = VideoStreamTrack()
    ra.tracks.append(track)
    answerer.renegotiate(offerer.peer_id)
    async with asyncio.timeout(WAIT):
        await ro.track_arrived.wait()
    [(sender, remote)] = ro.remote_tracks
    assert sender == answerer.peer_id and remote.kind == "video"
    frame = await first_frame(remote)
    assert frame.width == 640
    # Same connection, no replacement, bus still fine.
    assert answerer.link(offerer.peer_id) is link
    assert not eo.named("link-failed") and not ea.named("link-failed")
    assert len(eo.named("peer-connected")) == 1

    # Removing the track renegotiates again (direction goes to inactive).
    ra.tracks.clear()
    renegotiated = len(ea.named("renegotiated"))
    answerer.renegotiate(offerer.peer_id)
    await ea.wait(lambda: len(ea.named("renegotiated")) > renegotiated)
    transceiver = next(t for t in link.pc.getTransceivers() if t.kind == "video")
    assert transceiver.sender.track is None
    track.stop()


async def test_both_sides_asking_at_once_keep_one_connection_with_every_track(
    server: SignalingServer, make_session: MakeSession
) -> None:
    pair = [await make_session(server.url), await make_session(server.url)]
    await full_mesh(pair)
    (offerer, eo, ro), (answerer, ea, ra) = roles(*pair)
    links = (offerer.link(answerer.peer_id), answerer.link(offerer.peer_id))
    assert links[0] is not None and links[1] is not None
    ro.tracks.append(VideoStreamTrack())
    ra.tracks.append(VideoStreamTrack())
    offerer.renegotiate(answerer.peer_id)
    answerer.renegotiate(offerer.peer_id)
    async with asyncio.timeout(WAIT):
        await asyncio.gather(ro.track_arrived.wait(), ra.track_arrived.wait())
    assert [t.kind for _, t in ro.remote_tracks] == ["video"]
    assert [t.kind for _, t in ra.remote_tracks] == ["video"]
    await asyncio.gather(*(first_frame(t) for _, t in ro.remote_tracks + ra.remote_tracks))
    assert (offerer.link(answerer.peer_id), answerer.link(offerer.peer_id)) == links
    await settled(offerer, answerer.peer_id)
    for link in links:
        assert link is not None and link.pc.signalingState == "stable"
        # Both tracks share one sendrecv m-line; a crossed request may add an
        # inactive one, which carries nothing and costs nothing.
        active = [t for t in link.pc.getTransceivers() if t.currentDirection != "inactive"]
        assert [t.currentDirection for t in active] == ["sendrecv"]
    assert not eo.named("link-failed") and not ea.named("link-failed")
    for track in ro.tracks + ra.tracks:
        track.stop()


async def test_tracks_offered_at_connect_time_reach_both_sides(
    server: SignalingServer, make_session: MakeSession
) -> None:
    _, _, ra = await make_session(server.url)
    ra.tracks.append(VideoStreamTrack())

    class WithTrack(Recorder):
        # The newcomer has its track before any connection exists.
        first_tracks = (VideoStreamTrack(),)

    eb = EventLog()
    b = Session(
        SessionConfig(server.url, "room", ice_addresses=LOOPBACK, connect_timeout=WAIT),
        features=[WithTrack],
        events=eb,
    )
    await b.start()
    rb = b.features.get(Recorder)
    try:
        async with asyncio.timeout(WAIT):
            await asyncio.gather(ra.track_arrived.wait(), rb.track_arrived.wait())
        assert len(ra.remote_tracks) == len(rb.remote_tracks) == 1
        # And the connection itself is up: the bus carries messages.
        await eb.wait_for("peer-connected")
        b.bus.publish_json("test.note", {"after": "tracks"})
        assert await ra.messages(1) == [{"after": "tracks"}]
    finally:
        await b.close()
        for track in ra.tracks + rb.tracks:
            track.stop()


async def test_a_peer_that_never_connects_gives_a_clear_timeout_error(
    server: SignalingServer, make_session: MakeSession, connect: Connect
) -> None:
    mute = await connect(server.url)  # joins, then ignores every offer
    await mute.join("room", name="mute")
    session, events, _ = await make_session(server.url, connect_timeout=0.5, max_retries=1)
    failure = await events.wait_for("link-failed", peer=mute.id, reason="timeout")
    assert "0.5 s" in failure["error"] and mute.id in failure["error"]
    if session.peer_id < mute.id:
        # The offerer retries (bounded), then gives up for good.
        final = await events.wait_for("link-failed", peer=mute.id, final=True)
        assert final["reason"] == "gave-up"
        assert len([e for e in events.named("link-failed") if e["reason"] == "timeout"]) == 2
    assert not session.connected


async def test_signaling_restart_keeps_data_channels_and_peers_reregister(
    make_server: ServerFactory, make_session: MakeSession
) -> None:
    first = await make_server(resume_grace=30.0)
    url, port = first.url, first.port
    pair = [await make_session(url), await make_session(url)]
    await full_mesh(pair)
    (a, ea, ra), (b, eb, rb) = pair
    links = (a.link(b.peer_id), b.link(a.peer_id))
    await first.stop()
    second = await make_server(port=port)
    await ea.wait_for("rejoined")
    await eb.wait_for("rejoined")
    # "rejoined" follows the welcome, so the new server holds both peers now.
    assert second.core.peer_count == 2
    # Same ids, same links, and the bus still carries messages both ways.
    assert {a.peer_id, b.peer_id} == {p for r in second.core.rooms.values() for p in r.peers}
    assert (a.link(b.peer_id), b.link(a.peer_id)) == links
    a.bus.publish_json("test.note", "after restart")
    b.bus.publish_json("test.note", "me too")
    assert await rb.messages(1) == ["after restart"]
    assert await ra.messages(1) == ["me too"]
    assert not ea.named("peer-left") and not ea.named("link-failed")
    assert len(ea.named("peer-connected")) == 1


def test_ice_servers_from_the_welcome_are_converted_and_bad_entries_skipped() -> None:
    servers = ice_servers_from_welcome(
        [
            {"urls": "stun:127.0.0.1:3478"},
            {"urls": ["turn:127.0.0.1:3478"], "username": "1:p", "credential": "pw"},
            {"urls": 5},
            "junk",
            {"urls": []},
        ]
    )
    assert [s.urls for s in servers] == [["stun:127.0.0.1:3478"], ["turn:127.0.0.1:3478"]]
    assert (servers[1].username, servers[1].credential) == ("1:p", "pw")
    assert ice_servers_from_welcome(None) == []


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="connect_timeout"):
        SessionConfig("ws://127.0.0.1:1/ws", "room", connect_timeout=0)
    with pytest.raises(ValueError, match="max_retries"):
        SessionConfig("ws://127.0.0.1:1/ws", "room", max_retries=-1)
    with pytest.raises(ValueError, match="leave_timeout"):
        SessionConfig("ws://127.0.0.1:1/ws", "room", leave_timeout=0)


class Stuck(Feature):
    """Saves what it holds when closing, then waits on something that is gone."""

    name = "stuck"
    saved: ClassVar[list[str]] = []

    async def close(self) -> None:
        Stuck.saved.append(self.session.peer_id)
        await asyncio.Event().wait()


async def test_a_feature_that_never_finishes_closing_does_not_hold_the_leave(
    server: SignalingServer, make_session: MakeSession
) -> None:
    pair = [
        await make_session(server.url, features=(Recorder, Stuck), leave_timeout=1.0),
        await make_session(server.url),
    ]
    await full_mesh(pair)
    (a, ea, ra), (_, eb, _) = pair
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(WAIT):
        await a.close()
    assert loop.time() - started < 1.0 + 0.5  # its deadline, and a margin for a loaded machine
    assert a.peer_id in Stuck.saved
    error = await ea.wait_for("plugin-error", feature="stuck", method="close")
    assert error["error"].startswith("TimeoutError: not finished after 0.7")
    assert error["error"].endswith(" s: abandoned, to leave in time")
    # The feature closed after the stuck one (started first) closed too.
    assert ra.names()[-1] == "closing"
    assert ea.named("closed")
    # The goodbye still went out after them: the room saw a proper leave.
    await eb.wait_for("peer-left", peer=a.peer_id, reason="left")


async def test_bad_renegotiation_messages_on_the_bus_are_survived(
    server: SignalingServer, make_session: MakeSession
) -> None:
    pair = [await make_session(server.url), await make_session(server.url)]
    await full_mesh(pair)
    (offerer, eo, ro), (answerer, ea, ra) = roles(*pair)
    links = (offerer.link(answerer.peer_id), answerer.link(offerer.peer_id))
    to_answerer, to_offerer = answerer.peer_id, offerer.peer_id
    offerer.bus.publish("session.offer", b"not json", to=to_answerer)
    offerer.bus.publish_json("session.offer", {"sdp": "v=0 garbage"}, to=to_answerer)
    offerer.bus.publish_json("session.offer", {"nosdp": 1}, to=to_answerer)
    offerer.bus.publish_json("session.renegotiate", {"seq": 1, "receive": []}, to=to_answerer)
    offerer.bus.publish_json("session.answer", {"sdp": "unasked"}, to=to_answerer)
    answerer.bus.publish("session.renegotiate", b"\xff", to=to_offerer)
    answerer.bus.publish_json("session.renegotiate", {"seq": "x"}, to=to_offerer)
    answerer.bus.publish_json("session.renegotiate", {"seq": 1, "receive": 5}, to=to_offerer)
    answerer.bus.publish_json("session.answer", {"sdp": 5}, to=to_offerer)
    answerer.bus.publish_json("session.offer", {"sdp": "wrong side"}, to=to_offerer)
    offerer.bus.publish_json("test.note", "after")
    answerer.bus.publish_json("test.note", "after")
    assert await ra.messages(1) == ["after"] and await ro.messages(1) == ["after"]
    assert (offerer.link(to_answerer), answerer.link(to_offerer)) == links
    assert not offerer.negotiating(to_answerer)
    for events in (eo, ea):
        assert not events.named("link-failed") and not events.named("renegotiated")
    # A real renegotiation still works afterwards.
    ra.tracks.append(VideoStreamTrack())
    answerer.renegotiate(to_offerer)
    async with asyncio.timeout(WAIT):
        await ro.track_arrived.wait()
    ra.tracks[0].stop()


class Logged(logging.Handler):
    """Every record of the ``avacollab`` logger, for the refusals tests expect."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def named(self, event: str) -> list[dict[str, Any]]:
        """The fields of each ``logs.event(event, ...)``, oldest first."""
        return [getattr(r, "fields", {}) for r in self.records if r.getMessage() == event]


@pytest.fixture
def logged() -> Iterator[Logged]:
    handler = Logged()
    level = logs.LOGGER.level
    logs.LOGGER.addHandler(handler)
    logs.LOGGER.setLevel(logging.INFO)
    yield handler
    logs.LOGGER.removeHandler(handler)
    logs.LOGGER.setLevel(level)


SEQ_RULE = f"'seq' must be an integer from 0 to {MAX_SEQ}"
SEQS = ['"1"', "1.5", "true", "-1", str(MAX_SEQ + 1), "1e400"]


async def test_renegotiation_requests_are_bounded_and_refusals_logged(
    server: SignalingServer, make_session: MakeSession, logged: Logged
) -> None:
    pair = [await make_session(server.url), await make_session(server.url)]
    await full_mesh(pair)
    (offerer, eo, ro), (answerer, ea, ra) = roles(*pair)
    to_offerer, link = offerer.peer_id, offerer.link(answerer.peer_id)
    assert link is not None
    long = json.dumps({"seq": 1, "receive": ["video"] * 200}).encode()
    requests = [long, b'[{"seq": 1}]', b'{"seq": 1, "receive": [["video"]]}']
    requests += [f'{{"seq": {seq}, "receive": []}}'.encode() for seq in SEQS]
    for request in requests:
        answerer.bus.publish("session.renegotiate", request, to=to_offerer)
    answerer.bus.publish_json("test.note", "after")  # the same ordered channel
    assert await ro.messages(1) == ["after"]
    assert [r["reason"] for r in logged.named("renegotiate-refused")] == [
        f"session.renegotiate of {len(long)} bytes, at most {MAX_REQUEST_BYTES}",
        "session.renegotiate is not a JSON object",
        "'receive' must be a list of track kinds",
        *[SEQ_RULE] * len(SEQS),
    ]
    assert not offerer.negotiating(answerer.peer_id)  # none of them was served

    # A request that can be read gets as many m-lines as the rule allows, no more.
    twelve = {"seq": 10, "receive": ["video"] * 12 + ["text"]}
    answerer.bus.publish_json("session.renegotiate", twelve, to=to_offerer)
    await eo.wait(lambda: len(eo.named("renegotiated")) == 1)
    three = {"seq": 11, "receive": ["video"] * 3}  # no room left: nothing is added
    answerer.bus.publish_json("session.renegotiate", three, to=to_offerer)
    await eo.wait(lambda: len(eo.named("renegotiated")) == 2)
    await settled(offerer, answerer.peer_id)
    rule = f"only audio and video, at most {MAX_MEDIA_PER_KIND} m-lines of each"
    assert [r["reason"] for r in logged.named("renegotiate-refused")][-2:] == [
        f"5 of 13 receivers: {rule}",
        f"3 of 3 receivers: {rule}",
    ]
    for session in (offerer, answerer):
        peer_link = session.link((answerer if session is offerer else offerer).peer_id)
        assert peer_link is not None
        kinds = [t.kind for t in peer_link.pc.getTransceivers()]
        assert kinds.count("video") == MAX_MEDIA_PER_KIND
    # The link is the same one, and it still carries messages.
    assert offerer.link(answerer.peer_id) is link
    offerer.bus.publish_json("test.note", "still here")
    assert await ra.messages(1) == ["still here"]
    assert not eo.named("link-failed") and not ea.named("link-failed")


async def test_renegotiation_offers_and_answers_are_bounded(
    server: SignalingServer, make_session: MakeSession, logged: Logged
) -> None:
    pair = [await make_session(server.url), await make_session(server.url)]
    await full_mesh(pair)
    (offerer, eo, _), (answerer, ea, ra) = roles(*pair)
    to_answerer, to_offerer = answerer.peer_id, offerer.peer_id
    huge = b'{"sdp": "' + b"x" * MAX_SDP_PAYLOAD + b'"}'
    deep = b"[" * (MAX_SDP_PAYLOAD // 2) + b"]" * (MAX_SDP_PAYLOAD // 2)
    for offer in (huge, deep, json.dumps({"sdp": "v=0", "serves": MAX_SEQ + 1}).encode()):
        offerer.bus.publish("session.offer", offer, to=to_answerer)
    offerer.bus.publish_json("test.note", "after")
    assert await ra.messages(1) == ["after"]
    errors = [r["error"] for r in logged.named("renegotiation-offer-rejected")]
    assert errors[0] == f"session.offer of {len(huge)} bytes, at most {MAX_SDP_PAYLOAD}"
    assert errors[1].startswith("session.offer is not JSON")  # nested too deep to read
    assert errors[2] == f"'serves' must be an integer from 0 to {MAX_SEQ}"
    assert answerer.bus.counters.handler_errors == 0  # each refused, none crashed a handler

    # An answer too large to read is refused; the offer waits for the real one.
    def answer_first(_: Message) -> None:
        # Called right after the session's own handler, whose answer needs
        # a few event-loop turns: on the ordered channel this one goes first.
        answerer.bus.publish("session.answer", huge, to=to_offerer)

    answerer.bus.subscribe("session.offer", answer_first)
    answerer.bus.publish_json("session.renegotiate", {"seq": 1, "receive": []}, to=to_offerer)
    await eo.wait_for("renegotiated", peer=to_answerer)
    [refused] = logged.named("renegotiation-answer-refused")
    assert refused["reason"] == f"session.answer of {len(huge)} bytes, at most {MAX_SDP_PAYLOAD}"
    assert not eo.named("link-failed") and not ea.named("link-failed")


async def test_a_bad_offer_or_stray_answer_through_signaling_is_reported(
    server: SignalingServer, make_session: MakeSession, connect: Connect
) -> None:
    session, events, _ = await make_session(server.url)
    rogue = await connect(server.url)
    await rogue.join("room", name="rogue")
    await events.wait_for("peer-joined", peer=rogue.id)
    # Whatever the roles, an offer whose SDP has no data channel is refused.
    await rogue.send({"type": "answer", "to": session.peer_id, "sdp": "v=0 stray"})
    await rogue.send({"type": "offer", "to": session.peer_id, "sdp": "v=0 garbage"})
    if session.peer_id > rogue.id:
        failure = await events.wait_for("link-failed", peer=rogue.id, reason="error")
        assert "offer rejected" in failure["error"]
        assert session.link(rogue.id) is None  # the half-made link was closed
    # The session still answers a real newcomer.
    other, other_events, _ = await make_session(server.url)
    await other_events.wait_for("peer-connected", peer=session.peer_id)
    await events.wait_for("peer-connected", peer=other.peer_id)
